"""Shared plumbing for the benchmark scripts: one thread, argument parsing, JSON output, Meta-World data."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import imagine_bench  # noqa: E402,F401
from imagine_bench.paths import configs_dir  # noqa: E402

CONFIGS = configs_dir()


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes; finishes in under 3 minutes on a 2-core CPU")
    p.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--cache-dir", default=None, help="dataset/embedding cache (default $IMAGINE_BENCH_CACHE)")
    return p


def setup(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)


def machine() -> dict[str, Any]:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(), "platform": platform.platform()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    from imagine_bench.storage import atomic_write

    payload = {"machine": machine(), "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"), **payload}
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2))
    print(f"wrote {path}")


def metaworld_rollouts(episodes_per_task: int, cache_dir: str | None, level: str = "hard"):
    from imagine_bench.data import load_datasets
    from imagine_bench.imagination import ScriptedImagination

    return load_datasets("metaworld", level, imagination=ScriptedImagination(), real_episodes_per_task=episodes_per_task,
                         imaginary_episodes_per_task=episodes_per_task, cache_dir=cache_dir, progress=True)
