"""A run interrupted by SIGTERM and resumed with resume=true ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
from conftest import TINY

import imagine_bench
import imagine_bench.runner as runner
from imagine_bench.runner import Preempted, run

SETTINGS = ["env.name=toy", "logger=none", "embedder=hashing", "algo=td3_plus_bc", "level=hard", *TINY,
            "steps=400", "eval.interval=100"]


def without_timings(history):
    return [{k: v for k, v in h.items() if k != "eval/seconds"} for h in history]


def csv_rows(run_dir):
    return {p.name: p.read_text() for p in sorted((run_dir / "d3rlpy").glob("*.csv")) if not p.name.startswith("time")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, cache_dir):
    from hydra import compose, initialize_config_dir
    from conftest import CONFIGS

    run_dir = tmp_path_factory.mktemp("uninterrupted")
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("config", overrides=[f"data.cache_dir={cache_dir}", *SETTINGS])
    return run_dir, run(cfg, run_dir)


def test_sigterm_then_resume_gives_the_uninterrupted_result(compose_cfg, tmp_path, monkeypatch, uninterrupted):
    reference_dir, reference = uninterrupted
    original = runner.Evaluator
    evaluations = []

    class PreemptedAtTheThirdEvaluation(original):
        def __call__(self, policy, **kwargs):
            evaluations.append(1)
            if len(evaluations) == 3:  # step 300, before its checkpoint: the run must go back to step 200
                os.kill(os.getpid(), signal.SIGTERM)
            return super().__call__(policy, **kwargs)

    monkeypatch.setattr(runner, "Evaluator", PreemptedAtTheThirdEvaluation)
    with pytest.raises(Preempted):
        run(compose_cfg(*SETTINGS), tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "preempted"
    monkeypatch.setattr(runner, "Evaluator", original)

    resumed = run(compose_cfg(*SETTINGS, "resume=true"), tmp_path)
    assert resumed["status"] == "completed" and resumed["resumed_from_step"] == 200
    assert without_timings(resumed["history"]) == without_timings(reference["history"])
    assert resumed["final"]["eval/hard/success"] == reference["final"]["eval/hard/success"]
    assert csv_rows(tmp_path) == csv_rows(reference_dir)  # losses step by step, numbered as one run
    observations = np.random.default_rng(0).normal(size=(8, 4 + 64)).astype(np.float32)
    np.testing.assert_array_equal(imagine_bench.load_policy(tmp_path / "model.d3").predict(observations),
                                  imagine_bench.load_policy(reference_dir / "model.d3").predict(observations))


def test_resume_refuses_other_settings_before_any_data_is_loaded(compose_cfg, tmp_path, monkeypatch):
    run(compose_cfg(*SETTINGS[:-2], "steps=200", "eval.interval=100"), tmp_path)
    monkeypatch.setattr(runner, "load_datasets", lambda *a, **k: pytest.fail("data loaded before the check"))
    with pytest.raises(ValueError, match="resume: .* other settings .*steps: 200 then, 400 now"):
        run(compose_cfg(*SETTINGS, "resume=true"), tmp_path)
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["config"]["steps"] == 200 and len(record["history"]) == 2  # still describes the run it holds


def test_requeued_submitit_job_resumes_by_itself(compose_cfg, tmp_path, monkeypatch):
    from imagine_bench.resume import submitit_requeue

    monkeypatch.setenv("SUBMITIT_EXECUTOR", "slurm")
    assert not submitit_requeue(tmp_path)  # first attempt: a new run
    (tmp_path / "results.json").write_text("{}")
    assert submitit_requeue(tmp_path)  # requeued: the folder holds the first attempt's record


@pytest.mark.slow
def test_kill_term_of_launch_then_resume_matches_an_uninterrupted_launch(tmp_path, cache_dir):
    """The real thing: ``kill -TERM`` of ``launch.py`` after its first checkpoint, then ``resume=true``."""
    import subprocess
    import sys
    import time

    from conftest import ROOT, subprocess_env

    settings = ["env=metaworld", "level=hard", "algo=td3_plus_bc", *TINY, "steps=600", "eval.interval=100",
                f"data.cache_dir={cache_dir}"]

    def launch(run_dir, *extra):
        return subprocess.Popen([sys.executable, str(ROOT / "launch.py"), f"hydra.run.dir={run_dir}", *settings,
                                 *extra], cwd=tmp_path, env=subprocess_env(cache_dir),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    reference = launch(tmp_path / "reference")
    assert reference.wait(timeout=600) == 0
    interrupted = launch(tmp_path / "run")
    deadline = time.time() + 600
    while not (tmp_path / "run" / "d3rlpy" / "train_state_200.pt").exists():
        assert time.time() < deadline and interrupted.poll() is None
        time.sleep(0.2)
    interrupted.send_signal(signal.SIGTERM)
    assert interrupted.wait(timeout=120) == 128 + signal.SIGTERM
    record = json.loads((tmp_path / "run" / "results.json").read_text())
    assert record["status"] == "preempted"
    assert launch(tmp_path / "run", "resume=true").wait(timeout=600) == 0

    resumed = json.loads((tmp_path / "run" / "results.json").read_text())
    expected = json.loads((tmp_path / "reference" / "results.json").read_text())
    assert resumed["status"] == "completed" and resumed["resumed_from_step"] >= 200
    assert without_timings(resumed["history"]) == without_timings(expected["history"])
    assert resumed["final"] == {**expected["final"], "eval/seconds": resumed["final"]["eval/seconds"]}
    assert csv_rows(tmp_path / "run") == csv_rows(tmp_path / "reference")


def test_under_submitit_its_requeue_exit_is_recorded_as_preempted(compose_cfg, tmp_path, monkeypatch):
    original = runner.Evaluator

    class RequeuedBySubmitit(original):
        def __call__(self, policy, **kwargs):
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # SIGTERM stays submitit's
            raise SystemExit(-1)  # what submitit's USR2 handler does after requeueing the job

    monkeypatch.setenv("SUBMITIT_EXECUTOR", "slurm")
    monkeypatch.setattr(runner, "Evaluator", RequeuedBySubmitit)
    with pytest.raises(SystemExit):
        run(compose_cfg(*SETTINGS), tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "preempted"
    monkeypatch.setattr(runner, "Evaluator", original)
    resumed = run(compose_cfg(*SETTINGS), tmp_path)  # the requeued job: no resume=true needed
    assert resumed["status"] == "completed" and resumed["resumed_from_step"] == 0


@pytest.mark.parametrize("prefetch", [True, False])
def test_sampler_state_continues_the_batch_sequence(cache_dir, prefetch):
    from imagine_bench.data import load_datasets
    from imagine_bench.data.buffer import FlatReplayBuffer
    from imagine_bench.imagination import ScriptedImagination
    from imagine_bench.language import HashingEmbedder

    real, imaginary = load_datasets("toy", "hard", imagination=ScriptedImagination(), real_episodes_per_task=2,
                                    imaginary_episodes_per_task=2, cache_dir=cache_dir, progress=False)

    def buffer():
        return FlatReplayBuffer(real, imaginary, HashingEmbedder(8), imaginary_share=0.5, seed=3, prefetch=prefetch)

    first = buffer()
    for _ in range(3):
        first.sample_transition_batch(16)
    state = first.sampler_state()  # with prefetch, batch 4 is already drawn but not handed out
    expected = [first.sample_transition_batch(16).observations for _ in range(2)]
    second = buffer()
    second.sample_transition_batch(16)  # its own prefetch is in flight when the state is replaced
    second.restore_sampler_state(state)
    for batch in expected:
        np.testing.assert_array_equal(second.sample_transition_batch(16).observations, batch)
    first.close()
    second.close()
