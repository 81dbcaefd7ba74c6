"""The reference-table runner on the toy domain: resumable cells, rendered markdown/CSV/PNG, the statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY

from imagine_bench.table.__main__ import action_kinds, main
from imagine_bench.table.execute import load_table, pending_cells
from imagine_bench.table.grid import Condition, expand


def toy_table(tmp_path, cache_dir, extra_blocks: str = "") -> str:
    """A two-block grid on the toy domain, written as a table YAML (tables may live anywhere), plus ``extra_blocks``
    (YAML list items)."""
    common = ["logger=none", "embedder=hashing", f"data.cache_dir={cache_dir}",
              *[o for o in TINY if not o.startswith(("steps=", "eval.interval="))]]
    path = tmp_path / "toy.yaml"
    path.write_text(f"""
name: toy
output: {tmp_path}/results
runs_dir: {tmp_path}/runs
n_jobs: 1
seeds: [0, 1]
evaluations: 2
steps_override: null
imports: [toy_domain]
include_optional: false
common: {json.dumps(common)}
domain_overrides: {{toy: [env=metaworld, env.name=toy]}}
budgets: {{bc: 100, td3_plus_bc: 100}}
domain_budgets: {{}}
blocks:
  - name: every-condition
    domains: [toy]
    algos: {{continuous: [bc], discrete: [bc]}}
    conditions: [real, hard/scripted, hard/perfect]
  - name: rl
    domains: [toy]
    algos: {{continuous: [td3_plus_bc]}}
    conditions: [real]
    seeds: [0]
{extra_blocks}""")
    return str(path)


def test_conditions_parse_and_reject_nonsense():
    assert Condition.parse("hard/kalm").slug == "hard-kalm"
    assert Condition.parse("real").backend is None
    for bad in ("real/scripted", "hard", "medium/scripted"):
        with pytest.raises(ValueError):
            Condition.parse(bad)


def test_reference_grid_expands_with_every_algorithm_on_every_domain():
    table = load_table("reference")
    kinds = action_kinds()
    cells = expand(table, kinds)
    for domain in ("metaworld", "babyai", "clevr", "halfcheetah"):
        algos = {c.algo for c in cells if c.domain == domain}
        assert "bc" in algos and "cql" in algos and len(algos) >= 3, (domain, algos)
    assert len({c.key for c in cells}) == len(cells)
    # The offline-RL learners' grid conditions are the paper's headline ones; their easy level is optional.
    offline_rl = {c.condition.name for c in cells if c.algo in ("td3_plus_bc", "iql", "bcq", "cql") and not c.optional}
    assert offline_rl == {"real", "hard/scripted", "hard/perfect"}
    assert {c.condition.level for c in cells if c.optional} == {"easy"}
    paper = expand(load_table("reference", ["steps_override=500000"]), kinds)
    assert {c.steps for c in paper} == {500000} and {c.interval for c in paper} == {500000 // table.evaluations}


def test_table_runs_skips_complete_cells_reruns_interrupted_ones_and_renders(tmp_path, cache_dir, capsys):
    path = toy_table(tmp_path, cache_dir)
    table = load_table(path)
    cells = expand(table, {"toy": "continuous"})
    assert len(cells) == 7  # bc: 3 conditions x 2 seeds, td3_plus_bc: 1 condition x 1 seed

    assert main(["run", "--table", path, "--limit", "3"]) == 0
    assert len(pending_cells(cells, tmp_path / "results")) == 4
    first = tmp_path / "results" / "cells" / "toy" / "bc" / "real" / "seed0.json"
    summary = json.loads(first.read_text())
    assert summary["status"] == "completed" and set(summary["success"]) == {"real", "rephrase", "easy", "hard"}
    assert summary["history"][-1]["step"] == 100 and summary["commit"] and summary["versions"]["d3rlpy"] == "2.8.0"
    assert summary["per_task"]["real"] and summary["launch_command"].startswith("python launch.py")
    assert summary["host"]["cpus"] >= 1 and "cpu" in summary["host"]  # costs differ between CPU models

    # An interrupted cell (run directory left behind, no summary) runs again; a complete one is not touched.
    interrupted = pending_cells(cells, tmp_path / "results")[0]
    stale_dir = interrupted.run_dir(tmp_path / "runs")
    stale_dir.mkdir(parents=True)
    (stale_dir / "leftover").write_text("half-written")
    mtime = first.stat().st_mtime_ns
    assert main(["run", "--table", path]) == 0
    assert not pending_cells(cells, tmp_path / "results")
    assert first.stat().st_mtime_ns == mtime and not (stale_dir / "leftover").exists()
    assert "3 of 7 cells complete; running 4" in capsys.readouterr().out

    assert main(["render", "--table", path]) == 0
    results = tmp_path / "results"
    readme = (results / "README.md").read_text()
    assert "Completion: 7 of 7 cells" in readme and "| toy | hard |" in readme
    assert "| toy | hard | bc |" in readme.split("Which algorithm uses the imaginary data")[1]  # real + hard results
    ordering = readme.split("Does the ordering hold?")[1].split("## ")[0]
    assert "| toy | hard | bc |" in ordering and ("yes," in ordering or "no," in ordering)
    csv_lines = (results / "table.csv").read_text().splitlines()
    assert csv_lines[0].startswith("domain,algo,condition,eval_level") and len(csv_lines) > 5
    for name in ("headline.png", "curves_toy.png", "tasks_toy.png"):
        assert (results / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("seeds", ["[a]", "[-1]", "[0.5]"])
def test_bad_seeds_are_named_before_any_cell_runs(seeds):
    with pytest.raises(ValueError, match="table reference: seeds must list non-negative integer seeds"):
        expand(load_table("reference", [f"seeds={seeds}"]), action_kinds())


OPTIONAL_BLOCK = """  - name: rl-extra
    optional: true
    domains: [toy]
    algos: {continuous: [td3_plus_bc]}
    conditions: [hard/perfect, real]
    seeds: [0, 1]
"""


def test_optional_block_runs_only_when_included_and_renders_where_it_has_results(tmp_path, cache_dir, capsys):
    path = toy_table(tmp_path, cache_dir, OPTIONAL_BLOCK)
    cells = expand(load_table(path), {"toy": "continuous"})
    # td3_plus_bc/real/seed0 is also named by the required `rl` block, so it stays in the grid.
    assert sorted(c.key for c in cells if c.optional) == ["toy/td3_plus_bc/hard-perfect/seed0",
                                                          "toy/td3_plus_bc/hard-perfect/seed1",
                                                          "toy/td3_plus_bc/real/seed1"]
    assert not any(c.optional for c in expand(load_table(path, ["include_optional=true"]), {"toy": "continuous"}))
    with pytest.raises(SystemExit):  # named, but outside the grid: says how to include it
        main(["run", "--table", path, "--only", "toy/td3_plus_bc/hard-perfect"])
    assert "include_optional=true" in capsys.readouterr().err

    assert main(["run", "--table", path, "--only", "toy/bc/real/seed0,toy/td3_plus_bc/real/seed0"]) == 0
    assert "(3 cells of optional blocks left out" in capsys.readouterr().out
    assert main(["render", "--table", path]) == 0
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "Completion: 2 of 7 cells" in readme and "0 of them have results" in readme
    assert "real + perfect hard" not in readme.split("## toy")[1].split("td3_plus_bc")[1]  # absent, not `missing`
    assert "Optional, outside the grid (`include_optional=true` runs them): rl-extra." in readme

    assert main(["run", "--table", path, "--only", "toy/td3_plus_bc/hard-perfect/seed0", "include_optional=true"]) == 0
    assert main(["render", "--table", path]) == 0
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "Completion: 2 of 7 cells" in readme and "1 of them have results" in readme
    row = next(line for line in readme.splitlines() if line.startswith("| td3_plus_bc") and "perfect hard" in line)
    assert "(1/2 seeds)" in row  # a partly run optional condition shows its missing seed
    assert "Optional blocks, not part of that total" in readme and "completed cells 1," in readme


def test_optional_must_be_a_boolean(tmp_path, cache_dir):
    path = toy_table(tmp_path, cache_dir, OPTIONAL_BLOCK.replace("optional: true", "optional: maybe"))
    with pytest.raises(ValueError, match="table toy: block rl-extra: optional must be true or false, got 'maybe'"):
        expand(load_table(path), {"toy": "continuous"})


def test_render_marks_missing_cells(tmp_path, cache_dir):
    path = toy_table(tmp_path, cache_dir)
    with pytest.raises(SystemExit):  # a selection that names no cell is a typo, not an empty run
        main(["run", "--table", path, "--only", "toy/bc/reel"])
    assert main(["run", "--table", path, "--only", "toy/bc/real/seed0", "n_jobs=1"]) == 0  # options, then overrides
    assert main(["render", "--table", path]) == 0
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "Completion: 1 of 7 cells" in readme and "missing" in readme and "(1/2 seeds)" in readme
    assert "seeds [0, 1] (rl: [0])" in readme  # a block's fewer seeds are stated, not implied away


def test_bootstrap_ci_and_iqm_match_hand_computed_values():
    from imagine_bench.stats import bootstrap_ci, iqm, iqm_with_ci, sample_std

    # Two values: resampled means are 0 (1/4), 0.5 (1/2) or 1 (1/4), so the 95% interval is [0, 1].
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_ci([0.4, 0.4, 0.4]) == pytest.approx((0.4, 0.4))
    assert sample_std([0.5, 0.7]) == pytest.approx(0.1414213, rel=1e-6)
    # IQM of 1..8: drop the lowest and highest 25% (1, 2, 7, 8), mean of 3..6 = 4.5.
    assert iqm(np.arange(1, 9, dtype=float).reshape(4, 2)) == pytest.approx(4.5)
    # Identical seeds in every domain: every stratified resample gives the same IQM, a zero-width interval.
    point, low, high = iqm_with_ci({"a": np.tile([0.2, 0.4, 0.6, 0.8], (3, 1))}, reps=200)["a"]
    assert point == pytest.approx(0.5) and low == pytest.approx(0.5) and high == pytest.approx(0.5)


def test_readme_table_status_command_runs(capsys):
    """The README's first table command, as written (it only reads the committed cell summaries)."""
    assert main(["status"]) == 0
    assert "cells complete" in capsys.readouterr().out


def test_readme_table_run_commands_select_their_cells(tmp_path, capsys):
    """Every ``table run`` line of the README but the smoke test (a slow test runs that one) as written, with
    ``--limit 0`` (no cell runs) and a scratch output in place of its own."""
    import shlex

    from conftest import ROOT

    lines = [line.split(" #")[0] for line in (ROOT / "README.md").read_text().splitlines()
             if line.startswith(".venv/bin/python -m imagine_bench.table run") and "/tmp/table-smoke" not in line]
    cells = expand(load_table("reference"), action_kinds())
    assert len(lines) >= 4 and any("include_optional=true" in line for line in lines)
    for line in lines:
        argv = [arg for arg in shlex.split(line)[3:] if not arg.startswith(("output=", "runs_dir="))]
        assert main([*argv, "--limit", "0", f"output={tmp_path}/out", f"runs_dir={tmp_path}/runs"]) == 0, line
        size = len(cells) if "include_optional=true" in line else sum(not c.optional for c in cells)
        assert f"0 of {size} cells complete" in capsys.readouterr().out, line
    assert not (tmp_path / "out").exists()


def test_render_outside_results_leaves_the_project_readme_alone(tmp_path, capsys, monkeypatch):
    """A smoke-test table written elsewhere (e.g. a tiny-budget check) must not replace the README's reference numbers."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)  # the table names the project README relative to the checkout
    readme = root / "README.md"
    before = readme.read_bytes()
    assert main(["render", f"output={tmp_path}/reference"]) == 0
    assert readme.read_bytes() == before and "left unchanged" in capsys.readouterr().out
    assert "Completion: 0 of" in (tmp_path / "reference" / "README.md").read_text()


def test_random_policy_covers_the_action_space_and_repeats_with_its_seed():
    import gymnasium as gym

    from imagine_bench.table.baselines import random_policy

    observations = np.zeros((4000, 3))
    discrete = random_policy(gym.spaces.Discrete(5, start=1), seed=3)(observations)
    assert set(discrete.tolist()) == {1, 2, 3, 4, 5}
    box = gym.spaces.Box(low=np.array([-1.0, 0.0], np.float32), high=np.array([1.0, 0.5], np.float32))
    actions = random_policy(box, seed=3)(observations)
    assert actions.shape == (4000, 2) and actions.dtype == np.float32
    assert (actions >= box.low).all() and (actions <= box.high).all() and actions[:, 0].min() < -0.9
    assert np.array_equal(actions, random_policy(box, seed=3)(observations))


def test_baselines_score_a_random_policy_once_per_domain_and_render_shows_it(tmp_path, cache_dir, capsys):
    path = toy_table(tmp_path, cache_dir)
    assert main(["baselines", "--table", path]) == 0
    stored = tmp_path / "results" / "baselines" / "random" / "toy.json"
    summary = json.loads(stored.read_text())
    assert summary["status"] == "completed" and set(summary["success"]) == {"real", "rephrase", "easy", "hard"}
    assert summary["per_task"]["hard"] and summary["commit"] and summary["command"].endswith("baselines --table " + path)
    assert summary["episodes_per_task"] >= 1 and "level=real" in summary["overrides"]
    mtime = stored.stat().st_mtime_ns
    assert main(["baselines", "--table", path]) == 0  # already there: not evaluated again
    assert stored.stat().st_mtime_ns == mtime and "already has its random-policy baseline" in capsys.readouterr().out

    assert main(["run", "--table", path, "--only", "toy/bc/real/seed0"]) == 0
    assert main(["render", "--table", path]) == 0
    readme = (tmp_path / "results" / "README.md").read_text()
    hard = f"{summary['success']['hard']:.2f}"
    assert "| domain | level | random policy | real only |" in readme and f"| toy | hard | {hard} |" in readme
    assert "| random policy | untrained |" in readme
    assert f"toy,random,untrained,hard,1,1,{summary['success']['hard']:.4f}" in (tmp_path / "results" / "table.csv").read_text()

    # A baseline made with other overrides answers another table: not shown, and `baselines` evaluates it again.
    stored.write_text(json.dumps({**summary, "overrides": ["env=toy", "level=real", "seed=0"]}))
    assert main(["render", "--table", path]) == 0
    assert "random policy" not in (tmp_path / "results" / "README.md").read_text()
    assert main(["baselines", "--table", path]) == 0
    assert json.loads(stored.read_text())["overrides"] == summary["overrides"]


def test_ordering_verdicts_read_the_means_and_the_intervals():
    from imagine_bench.table.render import ordering_verdict

    def stat(mean, low, high, n=3):
        return {"mean": mean, "low": low, "high": high, "n": n, "of": 3}

    assert ordering_verdict(stat(0.7, 0.6, 0.8), stat(0.3, 0.2, 0.4)) == "yes, CIs apart"
    assert ordering_verdict(stat(0.5, 0.3, 0.7), stat(0.4, 0.2, 0.6)) == "yes, CIs overlap"
    assert ordering_verdict(stat(0.3, 0.2, 0.4), stat(0.7, 0.6, 0.8)) == "no, reversed, CIs apart"
    tie = stat(0.0, 0.0, 0.0)
    assert ordering_verdict(tie, tie) == "no, CIs overlap"  # ">" needs a difference
    assert ordering_verdict(tie, tie, strict=False) == "yes, CIs overlap"  # ">=" holds on a tie
    assert ordering_verdict(stat(0.7, 0.6, 0.8, n=1), stat(0.3, 0.2, 0.4)) == "yes, CIs apart (partial seeds)"
    assert ordering_verdict(None, tie) == ""


def test_plateau_table_reads_the_curves_of_the_level_each_run_trains_for():
    from imagine_bench.table.render import Collected, Group, plateau_table

    def run(curve, level="hard"):
        return {"history": [{"step": 100 * (i + 1), "success": {"real": 1.0, level: value}}  # other levels ignored
                            for i, value in enumerate(curve)]}

    rising = Group("toy", "td3_plus_bc", "hard/scripted", summaries=[run([0.1, 0.2, 0.4]), run([0.1, 0.3, 0.5])])
    flat = Group("toy", "bc", "hard/perfect", summaries=[run([0.6, 0.8, 0.78]), run([0.6, 0.8, 0.8])])
    real_only = Group("toy", "bc", "real", summaries=[run([0.9, 0.9, 0.9], level="real")])
    groups = {(g.domain, g.algo, g.condition): g for g in (rising, flat, real_only)}
    table = plateau_table(Collected(groups, [], [], 0))
    # bc averages the hard curve of hard/perfect with the real curve of real-only training, seed by seed.
    assert "| toy | bc | 0.70 @ 100 | 0.83 @ 200 | 0.83 @ 300 | -0.01 | 200 steps (67% of the budget) |" in table
    assert "| toy | td3_plus_bc | 0.10 @ 100 | 0.25 @ 200 | 0.45 @ 300 | +0.20 | still rising |" in table
