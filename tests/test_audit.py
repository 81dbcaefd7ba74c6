"""The imagination audit tells a faithful imaginary dataset from a corrupted one, with and without replay."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from toy_domain import PointSim, ToyDomain

from imagine_bench.data import load_datasets
from imagine_bench.domains import domain_classes, get_domain, register_domain
from imagine_bench.imagination import ScriptedImagination
from imagine_bench.imagination.audit import (
    audit_rollouts, derive_thresholds, format_table, implausibility, main, mean_row, reference_rollouts,
)

HORIZON = 30


class RestorablePointSim(PointSim):
    def restore(self, state, goal):
        self.pos = np.asarray(state[:2], np.float32).copy()
        self.goal = np.asarray(state[2:4], np.float32).copy()


if "toy_restorable" not in domain_classes():

    @register_domain
    class RestorableToyDomain(ToyDomain):
        """The toy domain with a simulator that can be put into any state vector (so imagined actions can be
        replayed)."""

        name = "toy_restorable"
        env_id = "ToyRestorable-v0"

        def make_simulator(self, task, horizon):
            return RestorablePointSim(task)


def datasets(name, level, preset, cache_dir):
    domain = get_domain(name)
    real, imaginary = load_datasets(domain, level, horizon=HORIZON, real_episodes_per_task=6,
                                    imaginary_episodes_per_task=6, imagination=ScriptedImagination(preset),
                                    cache_dir=cache_dir, progress=False)
    reference = reference_rollouts(domain, level, real=real, episodes_per_task=6, horizon=HORIZON, seed=0,
                                   cache_dir=cache_dir)
    return domain, real, imaginary, derive_thresholds(reference)


def corrupt(rollouts):
    """Teleports (a kick of 0.4 on every third transition) and, at every episode's end, the point off the table."""
    states = rollouts.states.copy()
    for i in range(rollouts.n_episodes):
        _, rows = rollouts.episode_slice(i)
        block = states[rows]
        for t in range(1, len(block)):
            if t % 3 == 0:
                block[t:, 0] += 0.4
        block[-1, :2] = 5.0
        states[rows] = block
    return dataclasses.replace(rollouts, states=states)


def test_thresholds_come_from_real_transitions(cache_dir):
    domain, real, imaginary, thresholds = datasets("toy", "easy", "perfect", cache_dir)
    # the reference covers the easy task, which the real dataset (training tasks only) does not
    assert "up" in reference_rollouts(domain, "easy", real=real, episodes_per_task=6, horizon=HORIZON, seed=0,
                                      cache_dir=cache_dir).tasks
    assert "up" not in real.tasks
    # real transitions themselves are plausible, by construction of the thresholds
    assert not implausibility(real, derive_thresholds(real))["implausible"].any()
    assert np.allclose(thresholds.max_delta[2:], 0)  # the goal never moves within a real episode
    assert (thresholds.max_delta[:2] > 0.05).all()


@pytest.mark.parametrize("level", ["rephrase", "easy", "hard"])
def test_audit_separates_good_from_corrupted_with_replay(cache_dir, level):
    domain, _, good, thresholds = datasets("toy_restorable", level, "perfect", cache_dir)
    bad = corrupt(good)
    good_rows = audit_rollouts(domain, level, good, thresholds, horizon=HORIZON)
    bad_rows = audit_rollouts(domain, level, bad, thresholds, horizon=HORIZON)
    for g, b in zip(good_rows, bad_rows, strict=True):
        assert g["replay"] == b["replay"] == "restore" and g["replay_episodes"] == 6
        assert g["implausible_share"] <= 0.02 and b["implausible_share"] >= 0.3
        assert b["jump_share"] > 0.2 and b["outside_share"] > 0
        assert g["replay_err"] < 1e-5 and g["step_err"] < 1e-5  # perfect imagination = the simulator's own states
        assert b["replay_err"] > 0.3 and b["step_err"] > 0.1
        assert g["replay_success"] == g["imagined_success"] == 1.0  # the expert solves every episode
    table = format_table([*good_rows, mean_row(good_rows, level)])
    assert "implaus" in table and "(all)" in table and "not supported" not in table


def test_scripted_noise_shows_up_in_every_column(cache_dir):
    domain, _, perfect, thresholds = datasets("toy_restorable", "hard", "perfect", cache_dir)
    _, _, noisy, _ = datasets("toy_restorable", "hard", "noisy", cache_dir)
    [p] = audit_rollouts(domain, "hard", perfect, thresholds, horizon=HORIZON)
    [n] = audit_rollouts(domain, "hard", noisy, thresholds, horizon=HORIZON)
    assert n["implausible_share"] > p["implausible_share"]
    assert n["replay_err"] > 10 * max(p["replay_err"], 1e-6)


def test_without_restore_replay_starts_from_the_real_reset_state(cache_dir):
    domain, _, good, thresholds = datasets("toy", "hard", "perfect", cache_dir)  # toy's simulator cannot restore
    [row] = audit_rollouts(domain, "hard", good, thresholds, horizon=HORIZON)
    assert row["replay"] == "reset" and row["replay_err"] < 1e-5 and np.isnan(row["step_err"])
    assert row["replay_success"] == row["imagined_success"] == 1.0
    [bad] = audit_rollouts(domain, "hard", corrupt(good), thresholds, horizon=HORIZON)
    assert bad["implausible_share"] > row["implausible_share"] + 0.3 and bad["replay_err"] > 0.3
    moved = dataclasses.replace(good, states=good.states + np.float32(0.01))  # no start is a real one any more
    [lost] = audit_rollouts(domain, "hard", moved, thresholds, horizon=HORIZON)
    assert lost["replay"] == "not supported" and lost["replay_unmatched"] == good.n_episodes
    table = format_table([row, lost])
    assert "toy: replay from the real reset start states only" in table and "toy: replay not supported" in table


def test_command_line_prints_the_table_and_writes_json(cache_dir, tmp_path, capsys):
    args = ["--env", "toy_restorable", "--level", "easy,hard", "--episodes", "3", "--real-episodes", "5",
            "--horizon", str(HORIZON), "--cache-dir", str(cache_dir), "--no-progress"]
    perfect = main([*args, "--preset", "perfect", "--json", str(tmp_path / "perfect.json")])
    out = capsys.readouterr().out
    assert "imagination audit: toy_restorable, scripted (perfect)" in out and "(all)" in out
    noisy = main([*args, "--preset", "noisy"])
    for level in ("easy", "hard"):
        assert noisy["levels"][level]["mean"]["replay_err"] > perfect["levels"][level]["mean"]["replay_err"]
    saved = json.loads((tmp_path / "perfect.json").read_text())
    assert saved["levels"]["hard"]["rows"][0]["task"] == "down" and saved["settings"]["preset"] == "perfect"
    assert len(saved["commit"]) == 40 and "--preset perfect" in saved["command"]  # provenance of a results/ file
    # the novel tasks' real reference is sized like the imaginary data (3 per task), not like the real data (5)
    written = (cache_dir / "datasets" / "toy_restorable").glob("audit-reference-*")
    references = {re.sub(r"-h\d+-.*", "", path.name) for path in written}
    assert {"audit-reference-easy-n3", "audit-reference-hard-n3"} <= references, references
    assert not any(name.endswith("-n5") for name in references), references
    kalm = main([*args, "--imagination", "kalm", "--level", "hard", "imagination.model.layers=1",
                 "imagination.model.hidden=32", "imagination.model.heads=2", "imagination.model.intermediate=64",
                 "imagination.train.steps=10"])
    out = capsys.readouterr().out
    assert "malformed model outputs" in out and kalm["settings"]["backend"] == "kalm"
    assert kalm["levels"]["hard"]["rows"][0]["replay"] == "restore"
