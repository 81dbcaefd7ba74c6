"""Learning curves from ``results.json`` histories: success against gradient steps, one PNG per env and evaluated
level, one line per experiment (mean over its seeds) with a percentile-bootstrap confidence band of the mean.

Drawn with matplotlib's object API (``Figure``), so no pyplot state or display backend is involved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imagine_bench.levels import LEVELS
from imagine_bench.metrics import eval_key
from imagine_bench.stats import BOOTSTRAP_REPS, CONFIDENCE, bootstrap_ci
from imagine_bench.storage import atomic_write


def success_curve(runs: Sequence[dict], level: str) -> dict[int, list[float]]:
    """Per evaluated step, the success on ``level`` of every seed that reached it."""
    key = eval_key(level)
    curve: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        for entry in run.get("history", []):
            if key in entry:
                curve[int(entry["step"])].append(float(entry[key]))
    return dict(sorted(curve.items()))


def experiment_label(experiment) -> str:
    parts = [f"trained on {experiment.level}", experiment.algo]
    if experiment.imagination:
        parts.append(experiment.imagination)
    if experiment.settings:
        parts.append(experiment.settings)
    return ", ".join(parts)


def learning_curves(experiments: Sequence, out_dir: str | Path, confidence: float = CONFIDENCE,
                    resamples: int = BOOTSTRAP_REPS) -> list[Path]:
    """Write ``<out_dir>/<env>-<level>.png`` for every env and evaluated level; return the paths written.

    ``experiments``: :class:`imagine_bench.report.Experiment` objects (the completed runs of each experiment).
    """
    from matplotlib.figure import Figure

    written = []
    for env in sorted({e.env for e in experiments}):
        for level in LEVELS:
            lines = [(e, success_curve(e.runs, level)) for e in experiments if e.env == env]
            lines = [(e, curve) for e, curve in lines if curve]
            if not lines:
                continue
            figure = Figure(figsize=(7, 4.2), layout="constrained")
            axes = figure.subplots()
            for experiment, curve in lines:
                steps = np.array(list(curve))
                mean = np.array([np.mean(v) for v in curve.values()])
                seeds = max(len(v) for v in curve.values())
                (line,) = axes.plot(steps, mean, marker="o", markersize=3,
                                    label=f"{experiment_label(experiment)} ({seeds} seed{'s' if seeds > 1 else ''})")
                if seeds > 1:  # one seed has no interval
                    bands = np.array([bootstrap_ci(v, confidence, resamples) for v in curve.values()])
                    axes.fill_between(steps, bands[:, 0], bands[:, 1], color=line.get_color(), alpha=0.2, lw=0)
            axes.set(xlabel="gradient step", ylabel="success", ylim=(-0.02, 1.02),
                     title=f"{env}: success on {level} tasks (mean over seeds, {confidence:.0%} bootstrap CI)")
            axes.grid(alpha=0.3)
            axes.legend(fontsize="small", loc="best")
            path = Path(out_dir) / f"{env}-{level}.png"
            with atomic_write(path) as tmp:
                figure.savefig(tmp, format="png", dpi=120)
            written.append(path)
    return written
