"""Resuming a run from its last checkpoint in the same folder, to the same final metrics as an uninterrupted run.

At every d3rlpy checkpoint (``d3rlpy/model_<step>.d3``: networks and optimiser states) the runner also writes
``d3rlpy/train_state_<step>.pt``: the gradient-step counter, the random generators (torch, numpy, Python) and the
replay buffer's sampler state, read back with ``torch.load(weights_only=True)``. It is written after the model and
atomically, so its presence marks a complete checkpoint. A resumed run rebuilds data, algorithm and evaluator from
the same config, loads both files, keeps the evaluation history up to that step, trims d3rlpy's CSV logs to it and
trains the remaining steps, with steps and epochs numbered as in the interrupted run.
"""

from __future__ import annotations

import io
import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from d3rlpy.logging import LoggerAdapter, LoggerAdapterFactory

from imagine_bench.safe_load import load_torch_file, read_model_file
from imagine_bench.storage import atomic_write

#: settings that may differ between an interrupted run and its resumption (they do not change the results)
RESUME_MAY_CHANGE = ("resume", "progress", "eval.workers", "data.prefetch", "logger")
_MODEL = re.compile(r"^model_(\d+)\.d3$")


def state_path(log_dir: Path, step: int) -> Path:
    return log_dir / f"train_state_{step}.pt"


def capture(algo: Any, buffer: Any) -> dict[str, Any]:
    """Everything besides weights and optimiser states that decides the next training steps."""
    numpy_state = np.random.get_state()
    state = {
        "grad_step": int(algo.grad_step), "torch": torch.get_rng_state(),
        "numpy": [numpy_state[0], torch.from_numpy(numpy_state[1].astype(np.int64)), *numpy_state[2:]],
        "python": random.getstate(), "sampler": buffer.sampler_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore(state: dict[str, Any], algo: Any, buffer: Any) -> None:
    algo.set_grad_step(int(state["grad_step"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))
    buffer.restore_sampler_state(state["sampler"])


def latest_checkpoint(log_dir: Path, before_step: int) -> int | None:
    """The last step below ``before_step`` with both a model and a training state file, or ``None``."""
    steps = [int(m.group(1)) for p in log_dir.glob("model_*.d3") if (m := _MODEL.match(p.name))]
    complete = [s for s in steps if s < before_step and state_path(log_dir, s).exists()]
    return max(complete, default=None)


def load_checkpoint(log_dir: Path, step: int, algo: Any, buffer: Any) -> None:
    """Weights and optimiser states into ``algo`` (built, not yet trained), then the training state."""
    from d3rlpy.torch_utility import map_location

    model_file = log_dir / f"model_{step}.d3"
    payload = read_model_file(model_file)
    states = load_torch_file(io.BytesIO(payload["torch"]), map_location=map_location(algo.impl.device),
                             name=f"{model_file} (weights)")
    for key, module in algo.impl.modules.create_checkpointer(algo.impl.device).modules.items():
        module.load_state_dict(states[key])
    restore(load_torch_file(state_path(log_dir, step)), algo, buffer)


def trim_logs(log_dir: Path, step: int) -> None:
    """Drop CSV rows (``epoch,step,value``) logged after ``step``: the resumed run logs those steps again."""
    for csv in log_dir.glob("*.csv"):
        rows = csv.read_text().splitlines(keepends=True)
        kept = [r for r in rows if not _row_step(r) or _row_step(r) <= step]
        if len(kept) != len(rows):
            with atomic_write(csv) as tmp:
                tmp.write_text("".join(kept))
    for later in log_dir.glob("*_*.*"):
        match = re.match(r"^(model|train_state)_(\d+)\.(d3|pt)$", later.name)
        if match and int(match.group(2)) > step:
            later.unlink()


def _row_step(row: str) -> int | None:
    parts = row.split(",")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def config_differences(before: dict[str, Any], now: dict[str, Any], prefix: str = "") -> list[str]:
    """Settings (dotted keys) whose values differ between two resolved configs, ignoring :data:`RESUME_MAY_CHANGE`."""
    differences = []
    for key in sorted(set(before) | set(now)):
        name = f"{prefix}{key}"
        if name in RESUME_MAY_CHANGE:
            continue
        old, new = before.get(key, "<absent>"), now.get(key, "<absent>")
        if isinstance(old, dict) and isinstance(new, dict):
            differences += config_differences(old, new, f"{name}.")
        elif old != new:
            differences.append(f"{name}: {old!r} then, {new!r} now")
    return differences


class OffsetAdapter(LoggerAdapter):
    """Passes everything to ``inner`` with epochs and steps shifted by those done before the resumption, and writes
    the training state next to every model checkpoint."""

    def __init__(self, inner: LoggerAdapter, log_dir: Path, step_offset: int, epoch_offset: int,
                 capture_state) -> None:
        self._inner, self._log_dir = inner, log_dir
        self._steps, self._epochs, self._capture = step_offset, epoch_offset, capture_state

    def write_params(self, params: dict[str, Any]) -> None:
        self._inner.write_params(params)

    def before_write_metric(self, epoch: int, step: int) -> None:
        self._inner.before_write_metric(epoch + self._epochs, step + self._steps)

    def write_metric(self, epoch: int, step: int, name: str, value: float) -> None:
        self._inner.write_metric(epoch + self._epochs, step + self._steps, name, value)

    def after_write_metric(self, epoch: int, step: int) -> None:
        self._inner.after_write_metric(epoch + self._epochs, step + self._steps)

    def save_model(self, epoch: int, algo: Any) -> None:
        step = epoch + self._steps  # d3rlpy passes the step count here
        self._inner.save_model(step, algo)
        with atomic_write(state_path(self._log_dir, step)) as tmp:
            torch.save(self._capture(), tmp)

    def close(self) -> None:
        self._inner.close()

    def watch_model(self, epoch: int, step: int) -> None:
        self._inner.watch_model(epoch + self._epochs, step + self._steps)


class OffsetAdapterFactory(LoggerAdapterFactory):
    def __init__(self, inner: LoggerAdapterFactory, log_dir: Path, step_offset: int, epoch_offset: int,
                 capture_state) -> None:
        self._inner, self._log_dir = inner, log_dir
        self._steps, self._epochs, self._capture = step_offset, epoch_offset, capture_state

    def create(self, algo: Any, experiment_name: str, n_steps_per_epoch: int) -> LoggerAdapter:
        return OffsetAdapter(self._inner.create(algo, experiment_name, n_steps_per_epoch), self._log_dir,
                             self._steps, self._epochs, self._capture)


def under_submitit() -> bool:
    """This process is a job of submitit (``hydra/launcher=submitit_local`` or ``submitit_slurm``)."""
    return bool(os.environ.get("SUBMITIT_EXECUTOR"))


def submitit_requeue(run_dir: Path) -> bool:
    """Running under submitit in a folder that already holds this job's record: the job was requeued after
    preemption or a time-out, so it continues instead of starting over."""
    return under_submitit() and (run_dir / "results.json").exists()
