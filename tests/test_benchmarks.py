"""The README's benchmark commands run in quick mode and write the ratios they print as JSON.

Only the memory and simulator-speed benchmarks (seconds) run by default; the timing benchmarks take 1-3 minutes each and are ``slow``.
The numbers themselves are reported by the scripts, never asserted as timings here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, tmp_path: Path, cache_dir: Path, *args: str) -> dict:
    out = tmp_path / f"{script}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), "--quick", "--json", str(out),
         "--cache-dir", str(cache_dir), *args],
        capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(out.read_text())
    return payload


def test_memory_benchmark(tmp_path, cache_dir):
    results = run_benchmark("memory", tmp_path, cache_dir)["results"]
    per_transition = {name: row["suite_per_transition"] for name, row in results.items()}
    assert len(set(per_transition.values())) == 1, per_transition  # independent of the embedding size
    assert all(row["ratio_vs_d3rlpy_episodes"] >= 3 for row in results.values())


@pytest.mark.slow
def test_train_throughput_benchmark(tmp_path, cache_dir):
    payload = run_benchmark("train_throughput", tmp_path, cache_dir, "--algos", "bc", "td3_plus_bc")
    for row in payload["results"].values():
        assert {"stock_d3rlpy", "suite_data", "suite", "speedup", "speedup_data_path"} <= row.keys()
        assert 0 <= row["suite"]["sampling_share"] < 1


@pytest.mark.slow
def test_eval_throughput_benchmark(tmp_path, cache_dir):
    payload = run_benchmark("eval_throughput", tmp_path, cache_dir)
    assert payload["identical_results"] is True


def test_sim_speed_benchmark(tmp_path, cache_dir):
    payload = run_benchmark("sim_speed", tmp_path, cache_dir, "--env", "halfcheetah")  # libero: README, "Costs"
    assert payload["env"] == "halfcheetah" and payload["task"] == "run-forward"
    assert payload["steps_per_s"] > 0 and payload["reset_ms"] > 0
