"""The names of every metric the suite records, in one place: the evaluator writes them, the runner logs and stores
them, the W&B tracker receives them and the report reads them back from ``results.json``.

* ``eval/<level>/<stat>``: a level's mean over its tasks' means (``stat`` in :data:`EPISODE_STATS`);
* ``eval/<level>/<task>/<stat>``: one task's mean over its evaluation episodes;
* ``eval/seconds``: the wall time of one evaluation;
* ``train/<name>``: d3rlpy's per-epoch training metrics (losses, timings) and ``train/epoch``;
* ``final/<key>``: the W&B run summary, the last evaluation's ``eval/...`` metrics;
* ``eval_tasks/<level>/<task>/<stat>``: where W&B files the per-task keys (its own panel section);
* ``video/<level>``: the final policy's evaluation videos (``eval.video=true``).

Adding a statistic means adding it to :data:`EPISODE_STATS` (and computing it in ``evaluation.summarize``).
"""

from __future__ import annotations

from typing import NamedTuple

EVAL, TRAIN, FINAL, VIDEO = "eval", "train", "final", "video"
EVAL_TASKS = "eval_tasks"  # the W&B section the per-task keys are filed under (imagine_bench.tracking.wandb_key)
EPISODE_STATS: tuple[str, ...] = ("success", "return", "length")
EVAL_SECONDS = f"{EVAL}/seconds"
TRAIN_EPOCH = f"{TRAIN}/epoch"


def eval_key(level: str, stat: str = "success", task: str | None = None) -> str:
    """``eval/<level>/<stat>``, or ``eval/<level>/<task>/<stat>`` for one task."""
    return f"{EVAL}/{level}/{stat}" if task is None else f"{EVAL}/{level}/{task}/{stat}"


def train_key(name: str) -> str:
    return f"{TRAIN}/{name}"


def final_key(key: str) -> str:
    return f"{FINAL}/{key}"


def video_key(level: str) -> str:
    """The W&B key of a level's evaluation video."""
    return f"{VIDEO}/{level}"


class EvalKey(NamedTuple):
    level: str
    task: str | None  # None for the level's mean
    stat: str


def parse_eval_key(key: str) -> EvalKey | None:
    """The parts of an ``eval/...`` key written by :func:`eval_key`; ``None`` for any other key."""
    parts = key.split("/")
    if parts[0] != EVAL or parts[-1] not in EPISODE_STATS or len(parts) not in (3, 4):
        return None
    return EvalKey(parts[1], parts[2] if len(parts) == 4 else None, parts[-1])


def level_success(metrics: dict[str, float], levels) -> dict[str, float]:
    """``{level: success}`` for ``levels`` from a metrics dict (what ``results.json`` stores as ``success``)."""
    return {str(level): metrics[eval_key(level)] for level in levels}
