"""launch.py as a user runs it: bad overrides, corrupted data, multirun with the basic and joblib launchers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
from conftest import ROOT, TINY, subprocess_env
from wandb_records import read_offline_run

from imagine_bench.evaluation.workers import resolve_workers


def run_launch(args: list[str], cache_dir: Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "launch.py"), *args, f"data.cache_dir={cache_dir}"]  # flags like -m first
    return subprocess.run(cmd, cwd=cwd, env=subprocess_env(cache_dir), capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("override", "expected"),
    [("env=atari", "Available options in 'env'"), ("level=medium", "Available options in 'level'"),
     ("algo=ppo", "Available options in 'algo'")],
)
def test_unknown_choices_list_the_valid_ones(compose_cfg, override, expected):
    from hydra.errors import MissingConfigException

    with pytest.raises(MissingConfigException) as info:
        compose_cfg(override)
    assert expected in str(info.value)


def test_algorithm_without_the_domains_action_kind_is_explained(compose_cfg):
    from imagine_bench.runner import validate

    cfg = compose_cfg("algo=td3_plus_bc", "env.name=toy_discrete")
    with pytest.raises(ValueError, match="algo=td3_plus_bc has no discrete-action variant"):
        validate(cfg)


def test_bad_override_from_the_command_line(cache_dir, tmp_path):
    out = run_launch(["algo=ppo"], cache_dir, tmp_path, timeout=120)
    assert out.returncode != 0
    assert "Could not find 'algo/ppo'" in out.stderr and "td3_plus_bc" in out.stderr


def test_corrupted_dataset_gives_a_clear_error(launch, cache_dir, tmp_path, capfd):
    run = lambda d: launch(d, "level=real", "env.name=toy", "logger=none", *TINY)  # noqa: E731
    run(tmp_path / "first")
    [path] = [p for p in (cache_dir / "datasets" / "toy").glob("real-n2-h40-*.h5")]
    with h5py.File(path, "r+") as f:
        f["actions"][0, 0] = f["actions"][0, 0] + 0.5
    try:
        with pytest.raises(SystemExit):
            run(tmp_path / "second")
        message = capfd.readouterr().err.strip().splitlines()
        assert any("failed its checksum" in line and str(path) in line and "regenerate" in line for line in message)
        results = json.loads((tmp_path / "second" / "results.json").read_text())
        assert results["status"] == "failed" and "checksum" in results["error"]
    finally:
        path.unlink()


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_two_job_multirun(cache_dir, tmp_path, launcher):
    """As the README writes it; the joblib sweep keeps the default ``eval.workers=auto``, so with two usable CPUs its
    jobs spawn evaluation workers from inside joblib's worker processes."""
    tiny = TINY if launcher == "basic" else [o for o in TINY if not o.startswith("eval.workers=")]
    args = ["-m", "algo=bc,td3_plus_bc", "level=hard", "logger=wandb", f"hydra/launcher={launcher}",
            f"hydra.sweep.dir={tmp_path / 'sweep'}", *tiny]
    if launcher == "joblib":
        args.append("hydra.launcher.n_jobs=2")
    out = run_launch(args, cache_dir, tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    files = sorted((tmp_path / "sweep").glob("*/results.json"))
    results = [{**json.loads(p.read_text()), "_dir": p.parent} for p in files]
    assert sorted(r["algo"] for r in results) == ["bc", "td3_plus_bc"]
    for r in results:
        assert r["status"] == "completed" and set(r["success"]) == {"real", "hard"}
        assert r["config"]["logger"]["mode"] == "offline"
        wb = read_offline_run(Path(r["_dir"]))  # the W&B offline run: one group per algorithm, tagged with the sweep
        assert wb.group == f"metaworld-hard-{r['algo']}-scripted" and "sweep:sweep" in wb.tags
        if launcher == "joblib":
            assert r["config"]["eval"]["workers"] == "auto"
            assert r["eval_workers"] == resolve_workers("auto", in_flight=16)  # 14 lanes: never fewer than workers


def test_bad_eval_workers_is_rejected_before_any_data_is_made(compose_cfg):
    from imagine_bench.runner import validate

    with pytest.raises(ValueError, match="eval workers must be 'auto' or an int >= 0"):
        validate(compose_cfg("eval.workers=many"))
