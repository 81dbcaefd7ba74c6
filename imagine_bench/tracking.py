"""Experiment tracking: W&B (offline unless configured otherwise) or nothing, behind one small interface.

The tracker is created before training and always finished in the runner's ``finally`` block, with a non-zero exit
code when training crashed, so a crashed job still leaves a complete offline run and a multirun moves on.
d3rlpy's own per-epoch metrics (losses, ``time_sample_batch``, ``time_algorithm_update``) reach the same run
through :class:`TrackerAdapterFactory`, a d3rlpy ``LoggerAdapterFactory``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from d3rlpy.logging import FileAdapterFactory, LoggerAdapter, LoggerAdapterFactory
from d3rlpy.logging.file_adapter import FileAdapter


class Tracker:
    """No-op tracker (``logger=none``); also the interface."""

    def start(self, name: str, group: str | None, config: dict[str, Any], run_dir: Path) -> None:
        pass

    def log(self, metrics: dict[str, float], step: int) -> None:
        pass

    def summary(self, metrics: dict[str, Any]) -> None:
        pass

    def finish(self, exit_code: int = 0) -> None:
        pass


class WandbTracker(Tracker):
    """Weights & Biases. ``mode`` is ``offline`` by default (no network needed; ``wandb sync`` uploads later)."""

    def __init__(self, project: str = "imagine_bench", entity: str | None = None, mode: str = "offline",
                 tags: list[str] | None = None) -> None:
        if mode not in ("offline", "online", "disabled"):
            raise ValueError(f"wandb mode must be offline, online or disabled, got {mode!r}")
        self.project, self.entity, self.mode, self.tags = project, entity, mode, list(tags or [])
        self._run = None

    def start(self, name: str, group: str | None, config: dict[str, Any], run_dir: Path) -> None:
        import wandb

        run_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("WANDB_SILENT", "true")
        self._run = wandb.init(
            project=self.project, entity=self.entity, mode=self.mode, name=name, group=group, config=config,
            dir=str(run_dir), tags=self.tags, reinit="finish_previous",
            settings=wandb.Settings(console="off", x_disable_stats=True),
        )

    def log(self, metrics: dict[str, float], step: int) -> None:
        if self._run is not None:
            self._run.log(metrics, step=step)

    def summary(self, metrics: dict[str, Any]) -> None:
        if self._run is not None:
            self._run.summary.update(metrics)

    def finish(self, exit_code: int = 0) -> None:
        if self._run is not None:
            self._run.finish(exit_code=exit_code)
            self._run = None


class _TrackerAdapter(LoggerAdapter):
    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker
        self._pending: dict[str, float] = {}

    def write_params(self, params: dict[str, Any]) -> None:
        pass  # the resolved Hydra config is attached at start

    def before_write_metric(self, epoch: int, step: int) -> None:
        self._pending = {}

    def write_metric(self, epoch: int, step: int, name: str, value: float) -> None:
        self._pending[f"train/{name}"] = value

    def after_write_metric(self, epoch: int, step: int) -> None:
        self._tracker.log({**self._pending, "train/epoch": epoch}, step=step)

    def save_model(self, epoch: int, algo: Any) -> None:
        pass

    def close(self) -> None:
        pass  # the runner finishes the tracker, also when training crashes

    def watch_model(self, epoch: int, step: int) -> None:
        pass


class TrackerAdapterFactory(LoggerAdapterFactory):
    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    def create(self, algo: Any, experiment_name: str, n_steps_per_epoch: int) -> LoggerAdapter:
        return _TrackerAdapter(self._tracker)


class _MetricsFileAdapter(FileAdapter):
    def watch_model(self, epoch: int, step: int) -> None:
        pass  # d3rlpy would write one gradient CSV per layer every epoch


class MetricsFileAdapterFactory(FileAdapterFactory):
    """d3rlpy's CSV metrics, params.json and checkpoints, without the per-layer gradient dumps."""

    def create(self, algo: Any, experiment_name: str, n_steps_per_epoch: int) -> LoggerAdapter:
        return _MetricsFileAdapter(algo, os.path.join(self._root_dir, experiment_name))
