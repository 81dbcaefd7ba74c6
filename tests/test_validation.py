"""Bad settings fail in seconds, before any data is generated, naming the setting; every run leaves a record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CONFIGS, ROOT, TINY

import imagine_bench.runner as runner
from imagine_bench.runner import Preempted, RunDirInUse, claim_run_dir, run

TOY = ["env.name=toy", "logger=none", "embedder=hashing", *TINY]

BAD_SETTINGS = [
    (["algo=td3_plus_bc", "algo.continuous.batch_size=0"], "algo.continuous.batch_size=0 is invalid"),
    (["algo.continuous.batch_size=-5"], "algo.continuous.batch_size=-5 is invalid"),
    (["algo=cql", "algo.continuous.actor_learning_rate=nan"], "algo.continuous.actor_learning_rate=nan"),
    (["level=hard", "imagination.state_drift=1e30"], r"imagination.state_drift=1e\+30 is invalid: .*\[0, 1\]"),
    (["level=hard", "imagination.jump_prob=2"], r"imagination.jump_prob=2.0 is invalid"),
    (["env.horizon=0"], r"env.horizon=0 is invalid: must be an integer in \[1, 100000\]"),
    (["steps=abc"], "steps='abc' is invalid: must be an integer"),
    (["seed=abc"], "seed='abc' is invalid: must be an integer"),
    (["seed=-1"], "seed=-1 is invalid"),
    (["threads=0"], "threads=0 is invalid"),
    (["data.imaginary_share=1.5"], r"data.imaginary_share=1.5 is invalid: must be in \[0, 1\] or null"),
    (["data.real_episodes_per_task=0"], "data.real_episodes_per_task=0 is invalid"),
    (["eval.episodes_per_task=0"], "eval.episodes_per_task=0 is invalid"),
    (["eval.in_flight=0"], "eval.in_flight=0 is invalid"),
    (["eval.interval=0"], "eval.interval=0 is invalid"),
    (["eval.levels=[real,nonsense]"], "nonsense"),
    (["device=tpu"], "device='tpu' is invalid: must be cpu, cuda or cuda:N"),
    (["progress=maybe"], "progress='maybe' is invalid: must be true or false"),
    (["data.cache_dir=''"], "data.cache_dir='' is invalid"),
    (["level=hard", "imagination=kalm", "imagination.model_path=/no/such/checkpoint"],
     "imagination.model_path='/no/such/checkpoint' is invalid: no such file or directory"),
    (["level=hard", "imagination=kalm", "imagination.generation.state_margin=inf"],
     "imagination.generation.state_margin=inf is invalid"),
]


@pytest.fixture()
def no_data_generation(monkeypatch):
    def refuse(*args, **kwargs):
        pytest.fail("data generation started before the settings were checked")

    monkeypatch.setattr(runner, "load_datasets", refuse)


@pytest.mark.parametrize(("overrides", "message"), BAD_SETTINGS, ids=[" ".join(o) for o, _ in BAD_SETTINGS])
def test_bad_setting_fails_first_and_is_recorded(compose_cfg, tmp_path, no_data_generation, overrides, message):
    cfg = compose_cfg(*TOY, *overrides)
    started = time.perf_counter()
    with pytest.raises(Exception, match=message):
        run(cfg, tmp_path)
    assert time.perf_counter() - started < 10
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["status"] == "failed"
    assert record["run"] and record["config"]  # identifiable by the report


def test_empty_cache_variable_is_refused(tmp_path, monkeypatch, no_data_generation):
    from hydra import compose, initialize_config_dir

    monkeypatch.setenv("IMAGINE_BENCH_CACHE", "")
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("config", overrides=TOY)
    with pytest.raises(ValueError, match="data.cache_dir='' is invalid.*IMAGINE_BENCH_CACHE"):
        run(cfg, tmp_path)


def test_home_in_the_cache_path_is_expanded(compose_cfg):
    from imagine_bench.validation import validate_settings

    cfg = compose_cfg(*TOY, "data.cache_dir='~/imagine_bench_x'")
    validate_settings(cfg)
    assert cfg.data.cache_dir == os.path.expanduser("~/imagine_bench_x")


def test_integral_floats_are_accepted_as_integers(compose_cfg):
    from imagine_bench.validation import validate_settings

    cfg = compose_cfg(*TOY, "steps=2e2")
    validate_settings(cfg)
    assert cfg.steps == 200 and isinstance(cfg.steps, int)


def test_sigterm_records_preempted_and_closes_the_tracker(compose_cfg, tmp_path, monkeypatch):
    import wandb

    original = runner.Evaluator

    class TerminatedDuringEvaluation(original):
        def __call__(self, policy, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)  # what a cluster sends before preempting the job
            return super().__call__(policy, **kwargs)

    monkeypatch.setattr(runner, "Evaluator", TerminatedDuringEvaluation)
    cfg = compose_cfg("level=real", *[o for o in TOY if o != "logger=none"], "logger=wandb")
    with pytest.raises(Preempted):
        run(cfg, tmp_path)
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["status"] == "preempted" and "SIGTERM" in record["error"]
    assert wandb.run is None
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the previous handler is back


def test_a_folder_holding_a_run_is_not_reused(tmp_path):
    claim_run_dir(tmp_path, resume=False)
    with pytest.raises(RunDirInUse, match="already holds a run"):
        claim_run_dir(tmp_path, resume=False)


def test_two_runs_started_in_the_same_second_get_different_folders():
    """Checked on the resolved Hydra config of two launches started together (each job of a multirun gets its
    sweep's folder: Hydra hands the cached ${pid:} on to the jobs, as it does ${now:})."""
    import yaml

    command = [sys.executable, str(ROOT / "launch.py"), "--cfg", "all", "--resolve"]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=environment)
                 for _ in range(2)]
    configs = [yaml.safe_load(p.communicate(timeout=120)[0])["hydra"] for p in processes]
    folders = [c["run"]["dir"] for c in configs]
    assert all(f.startswith("outputs/metaworld/real/bc/seed0/") for f in folders)
    assert folders[0] != folders[1]
    assert Path(folders[0]).name.rsplit("_", 1)[1] == str(processes[0].pid)  # readable: <date>_<time>_<pid>
    assert configs[0]["sweep"]["dir"] != configs[1]["sweep"]["dir"]  # sweeps too (all jobs of one share it)


def test_report_lists_failed_preempted_and_missing_runs(tmp_path):
    from imagine_bench.report import find_results, success_table

    records = {"ok": {"status": "completed", "env": "m", "level": "hard", "algo": "bc", "success": {"hard": 0.5},
                      "final": {"eval/hard/success": 0.5}},
               "bad": {"status": "failed", "run": "m-hard-bc-1", "error": "SettingError: steps='abc' is invalid"},
               "cut": {"status": "preempted", "run": "m-hard-bc-2", "error": "Preempted: received SIGTERM"}}
    for name, record in records.items():
        (tmp_path / name / ".hydra").mkdir(parents=True)
        (tmp_path / name / "results.json").write_text(json.dumps(record))
    (tmp_path / "3_m-hard-bc-seed3" / ".hydra").mkdir(parents=True)  # the job died before writing anything
    table = success_table(find_results([tmp_path]))
    assert "FAILED m-hard-bc-1: SettingError: steps='abc' is invalid" in table
    assert "PREEMPTED m-hard-bc-2: Preempted: received SIGTERM" in table
    assert "MISSING 3_m-hard-bc-seed3: no results.json" in table


def test_wandb_online_without_network_falls_back_to_offline(tmp_path, monkeypatch, caplog):
    import wandb

    from imagine_bench.tracking import RunLabels, WandbTracker

    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens there: like no network
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    tracker = WandbTracker(mode="online", init_timeout=2)
    started = time.perf_counter()
    with caplog.at_level("WARNING", logger="imagine_bench"):
        tracker.start(RunLabels(name="offline-fallback", group="g", job_type="real-only", tags=(), levels=("real",)),
                      {"a": 1}, tmp_path)
    tracker.log({"metric": 1.0}, step=1)
    tracker.finish()
    assert time.perf_counter() - started < 60
    assert "tracking this run offline instead" in caplog.text
    assert list((tmp_path / "wandb").glob("offline-run-*")) and wandb.run is None


def test_a_full_disk_at_the_embedding_cache_write_does_not_fail_a_finished_run(compose_cfg, tmp_path, monkeypatch):
    import errno

    import imagine_bench.language.embedders as embedders

    def disk_full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(embedders, "atomic_write", disk_full)
    cfg = compose_cfg("level=real", *TOY, f"data.cache_dir={tmp_path / 'fresh_cache'}")
    assert run(cfg, tmp_path / "run")["status"] == "completed"
    assert json.loads((tmp_path / "run" / "results.json").read_text())["status"] == "completed"
