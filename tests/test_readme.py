"""The README's commands: the two set-up commands, the quickstart experiment, the report tool."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, TINY, subprocess_env

README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    main_cmd, test_cmd = quick_start_commands()
    assert main_cmd.startswith("bash .ci/bootstrap.sh && ") and "launch.py experiment=quickstart" in main_cmd
    assert test_cmd == "bash .ci/bootstrap.sh && .venv/bin/python -m pytest"
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def _python_part(command: str) -> list[str]:
    return command.split("&& ", 1)[1].replace(".venv/bin/python", sys.executable).split()


def test_quickstart_command_runs_and_prints_success_per_level(cache_dir, tmp_path):
    """The README's main command with smaller sizes appended (the full run is the slow test below)."""
    cmd = _python_part(quick_start_commands()[0]) + TINY + ["logger=none", f"hydra.run.dir={tmp_path}"]
    out = subprocess.run(cmd, cwd=ROOT, env=subprocess_env(cache_dir), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    for level in ("real", "rephrase", "easy", "hard"):
        assert re.search(rf"^{level}\s+\d\.\d{{3}}", out.stdout, re.M), out.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["level"] == "hard" and set(results["success"]) == {"real", "rephrase", "easy", "hard"}


@pytest.mark.slow
def test_quickstart_command_as_written(tmp_path):
    cmd = _python_part(quick_start_commands()[0]) + [f"hydra.run.dir={tmp_path}"]
    out = subprocess.run(cmd, cwd=ROOT, env=subprocess_env(tmp_path / "cache"), capture_output=True, text=True,
                         timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "completed"


def test_help_lists_the_config_groups(cache_dir):
    out = subprocess.run([sys.executable, str(ROOT / "launch.py"), "--help"], env=subprocess_env(cache_dir),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for group in ("env:", "level:", "algo:", "encoder:", "imagination:", "logger:"):
        assert group in out.stdout


def test_report_table(tmp_path):
    from imagine_bench.report import main

    for seed, success in ((0, 0.5), (1, 0.7)):
        run = tmp_path / f"run{seed}"
        run.mkdir()
        (run / "results.json").write_text(json.dumps({
            "status": "completed", "env": "metaworld", "level": "hard", "algo": "bc", "seed": seed,
            "success": {"real": 1.0, "hard": success},
            "final": {"eval/real/success": 1.0, "eval/hard/success": success, "eval/hard/soccer/success": success},
        }))
    failed = tmp_path / "run2"
    failed.mkdir()
    (failed / "results.json").write_text(json.dumps({"status": "failed", "run": "x", "error": "boom"}))
    assert main([str(tmp_path)]) == 0


def test_report_numbers(tmp_path):
    from imagine_bench.report import success_table

    runs = [{"status": "completed", "env": "m", "level": "hard", "algo": "bc", "success": {"hard": s},
             "final": {"eval/hard/success": s}} for s in (0.5, 0.7)]
    table = success_table(runs)
    assert "0.600 ± 0.14 [0.50, 0.70]" in table and "2" in table.splitlines()[2]  # sample std (ddof=1), 95% CI


@pytest.mark.slow
def test_reference_table_smoke_commands_as_written(tmp_path):
    """The README's tiny-budget table commands, verbatim apart from the scratch folder (default data sizes: slow)."""
    block = re.search(r"## Reference results.*?```bash\n(.*?)```", README, re.S).group(1)
    smoke = [line for line in block.splitlines() if "/tmp/table-smoke" in line and not line.startswith("#")]
    assert len(smoke) == 2
    for line in smoke:
        command = line.split(" #")[0].replace("/tmp/table-smoke", str(tmp_path / "smoke"))
        argv = command.replace(".venv/bin/python", sys.executable)
        subprocess.run(argv.split(), cwd=ROOT, env=subprocess_env(tmp_path / "cache"), check=True, timeout=1200)
    summary = json.loads((tmp_path / "smoke" / "cells" / "halfcheetah" / "bc" / "real" / "seed0.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 200
    assert "Completion: 1 of" in (tmp_path / "smoke" / "README.md").read_text()
    assert (tmp_path / "smoke" / "figures" / "headline.png").is_file()
