"""Experiment tracking: W&B (offline unless configured otherwise) or nothing, behind one small interface.

The tracker is created before training and always finished in the runner's ``finally`` block, with a non-zero exit
code when training crashed, so a crashed job still leaves a complete offline run and a multirun moves on.
d3rlpy's own per-epoch metrics (losses, ``time_sample_batch``, ``time_algorithm_update``) reach the same run
through :class:`TrackerAdapterFactory`, a d3rlpy ``LoggerAdapterFactory``.

For a sweep, every run is filed by :class:`RunLabels`: the W&B group is the experiment a seed repeats
(``env-level-algo``, plus the imagination backend when the level trains on imaginary data), so W&B averages seeds
and never two algorithms; ``job_type`` and tags name the parts, and the sweep, for filtering.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d3rlpy.logging import FileAdapterFactory, LoggerAdapter, LoggerAdapterFactory
from d3rlpy.logging.file_adapter import FileAdapter

from imagine_bench.metrics import EVAL, EVAL_TASKS, TRAIN, TRAIN_EPOCH, eval_key, train_key


@dataclass(frozen=True)
class RunLabels:
    """How a run is filed: ``name`` is the run, ``group`` the experiment its seeds repeat, ``levels`` the evaluated
    levels (their success curves are the run's headline metrics)."""

    name: str
    group: str
    job_type: str
    tags: tuple[str, ...]
    levels: tuple[str, ...]


class Tracker:
    """No-op tracker (``logger=none``); also the interface."""

    def start(self, labels: RunLabels, config: dict[str, Any], run_dir: Path) -> None:
        pass

    def log(self, metrics: dict[str, float], step: int) -> None:
        pass

    def summary(self, metrics: dict[str, Any]) -> None:
        pass

    def log_videos(self, videos: dict[str, Path], step: int) -> None:
        """``{key: path of a GIF/MP4 file}`` at ``step`` (the files stay in the run directory either way)."""

    def finish(self, exit_code: int = 0) -> None:
        pass


#: W&B's x axis for every metric: the gradient step, logged as a metric of its own with each record, so that charts
#: and exported histories say what their x axis is.
STEP_METRIC = "gradient_step"
#: W&B lays out one panel section per key prefix (the part before the first ``/``). Per-task metrics go to their own
#: section so that the ``eval`` section holds only the per-level curves; ``results.json`` keeps the ``eval/`` keys.
TASK_SECTION = EVAL_TASKS
#: W&B rejects longer tags.
MAX_TAG_LENGTH = 64


def wandb_key(key: str) -> str:
    """``[prefix/]eval/<level>/<task>/<metric>`` -> ``[prefix/]eval_tasks/<level>/<task>/<metric>``; every other key
    unchanged."""
    parts = key.split("/")
    if len(parts) >= 4 and parts[-4] == EVAL:
        parts[-4] = TASK_SECTION
    return "/".join(parts)


class WandbTracker(Tracker):
    """Weights & Biases. ``mode`` is ``offline`` by default (no network needed; ``wandb sync`` uploads later).

    ``tags`` are added to the run's own (env, level, algo, backend, sweep; see :class:`RunLabels`).

    ``online`` without a reachable server would block for W&B's own 90 s and then abort the run; here the connection
    gets ``init_timeout`` seconds, after which the run is tracked offline (with a warning) and training goes on.
    """

    def __init__(self, project: str = "imagine_bench", entity: str | None = None, mode: str = "offline",
                 tags: list[str] | None = None, init_timeout: float = 15.0) -> None:
        if mode not in ("offline", "online", "disabled"):
            raise ValueError(f"logger.mode={mode!r} is invalid: must be offline, online or disabled")
        if isinstance(init_timeout, bool) or not isinstance(init_timeout, int | float) or not 0 < init_timeout <= 600:
            raise ValueError(f"logger.init_timeout={init_timeout!r} is invalid: must be a number of seconds in (0, 600]")
        self.project, self.entity, self.mode, self.tags = project, entity, mode, list(tags or [])
        self.init_timeout = float(init_timeout)
        self._run = None

    def start(self, labels: RunLabels, config: dict[str, Any], run_dir: Path) -> None:
        import wandb

        run_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("WANDB_SILENT", "true")
        tags = list(dict.fromkeys(tag[:MAX_TAG_LENGTH] for tag in (*labels.tags, *self.tags)))
        arguments = dict(project=self.project, entity=self.entity, name=labels.name, group=labels.group,
                         job_type=labels.job_type, tags=tags, config=config, dir=str(run_dir), reinit="finish_previous")
        settings = dict(console="off", x_disable_stats=True, init_timeout=self.init_timeout)
        self._run = None
        if self.mode == "online":
            try:
                self._run = wandb.init(mode="online", settings=wandb.Settings(**settings), **arguments)
            except Exception as exc:  # no network, server down, bad credentials: keep the run, track it offline
                logging.getLogger("imagine_bench").warning(
                    "W&B online failed within %.0f s (%s: %s); tracking this run offline instead (upload later with "
                    "`wandb sync %s/wandb/offline-run-*`)", self.init_timeout, type(exc).__name__, exc, run_dir)
        if self._run is None:
            mode = "offline" if self.mode == "online" else self.mode
            self._run = wandb.init(mode=mode, settings=wandb.Settings(**settings), **arguments)
        self._define_metrics(labels.levels)

    def _define_metrics(self, levels: tuple[str, ...]) -> None:
        """Per-level success first (best and last value in the run summary), then the rest, all against the
        gradient step."""
        self._run.define_metric(STEP_METRIC, hidden=True)
        for level in levels:
            self._run.define_metric(eval_key(level), step_metric=STEP_METRIC, summary="max,last")
        for section in (EVAL, TASK_SECTION, TRAIN):
            self._run.define_metric(f"{section}/*", step_metric=STEP_METRIC)

    def log(self, metrics: dict[str, float], step: int) -> None:
        if self._run is not None:
            self._run.log({**{wandb_key(k): v for k, v in metrics.items()}, STEP_METRIC: step}, step=step)

    def summary(self, metrics: dict[str, Any]) -> None:
        if self._run is not None:
            self._run.summary.update({wandb_key(k): v for k, v in metrics.items()})

    def log_videos(self, videos: dict[str, Path], step: int) -> None:
        if self._run is not None:
            import wandb

            self._run.log({**{key: wandb.Video(str(path)) for key, path in videos.items()}, STEP_METRIC: step},
                          step=step)

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
        self._pending[train_key(name)] = value

    def after_write_metric(self, epoch: int, step: int) -> None:
        self._tracker.log({**self._pending, TRAIN_EPOCH: epoch}, step=step)

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
    """d3rlpy's CSV metrics, params.json and checkpoints, without the per-layer gradient dumps.

    :meth:`write_evaluation` adds each level's mean success, return and length to the same directory through the same
    adapter (``eval_<level>_success.csv``, one ``epoch,step,value`` row per evaluation), so d3rlpy's own tools show
    learning: ``d3rlpy plot <run>/d3rlpy/eval_hard_success.csv``. d3rlpy's evaluators cannot do this here: they
    return one number each, while one evaluation pass yields every level at once.
    """

    def __init__(self, root_dir: str = "d3rlpy_logs") -> None:
        super().__init__(root_dir)
        self.adapter: _MetricsFileAdapter | None = None

    def create(self, algo: Any, experiment_name: str, n_steps_per_epoch: int) -> LoggerAdapter:
        self.adapter = _MetricsFileAdapter(algo, os.path.join(self._root_dir, experiment_name))
        return self.adapter

    def write_evaluation(self, epoch: int, step: int, metrics: dict[str, float]) -> None:
        """Append the per-level ``eval/<level>/<stat>`` values (per-task values stay in W&B and results.json)."""
        if self.adapter is None:
            return
        for key, value in metrics.items():
            parts = key.split("/")
            if len(parts) == 3 and parts[0] == "eval" and parts[2] in ("success", "return", "length"):
                self.adapter.write_metric(epoch, step, "_".join(parts), float(value))
