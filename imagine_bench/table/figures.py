"""Figures of a result table (matplotlib, headless): the headline comparison, learning curves, per-task success.

Every figure draws only completed cells; error bars and bands are 95% bootstrap intervals of the mean over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imagine_bench.levels import LEVELS
from imagine_bench.stats import bootstrap_ci
from imagine_bench.table.grid import conditions_in_order
from imagine_bench.table.render import Collected, success_by_step

COLOURS = {"real": "#7f7f7f", "scripted": "#1f77b4", "kalm": "#ff7f0e", "perfect": "#2ca02c"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on CI or a cluster node
    import matplotlib.pyplot as plt

    return plt


def draw_all(collected: Collected, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if collected.summaries:
        paths.append(headline(collected, folder / "headline.png"))
    for domain in sorted({d for d, _, _ in collected.groups}):
        if any(g.summaries for (d, _, _), g in collected.groups.items() if d == domain):
            paths.append(learning_curves(collected, domain, folder / f"curves_{domain}.png"))
            paths.append(task_bars(collected, domain, folder / f"tasks_{domain}.png"))
    return paths


def _save(fig, path: Path) -> Path:
    from imagine_bench.storage import atomic_write

    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def headline(collected: Collected, path: Path, algo: str = "bc") -> Path:
    """Per domain: success on easy and hard after real-only, scripted, kalm and perfect training, with a dashed line
    at the random policy's success where the table has that baseline."""
    from imagine_bench.table.render import HEADLINE_BACKENDS, NOVEL_LEVELS, headline_rows

    plt = _pyplot()
    rows = headline_rows(collected, algo)
    domains = sorted({r["domain"] for r in rows})
    fig, axes = plt.subplots(1, max(len(domains), 1), figsize=(3.2 * max(len(domains), 1), 3.0), sharey=True,
                             squeeze=False)
    width = 0.8 / len(HEADLINE_BACKENDS)
    for ax, domain in zip(axes[0], domains):
        for i, backend in enumerate(HEADLINE_BACKENDS):
            xs, means, errs = [], [], []
            for j, level in enumerate(NOVEL_LEVELS):
                stat = next(r[backend] for r in rows if r["domain"] == domain and r["level"] == level)
                if stat:
                    xs.append(j + (i - (len(HEADLINE_BACKENDS) - 1) / 2) * width)
                    means.append(stat["mean"])
                    errs.append([stat["mean"] - stat["low"], stat["high"] - stat["mean"]])
            if xs:
                ax.bar(xs, means, width, yerr=np.array(errs).T, capsize=2, color=COLOURS[backend],
                       label="real only" if backend == "real" else backend)
        for j, level in enumerate(NOVEL_LEVELS):  # the random policy: a line across the level's bars
            chance = collected.random_success(domain, level)
            if chance is not None:
                ax.hlines(chance, j - 0.42, j + 0.42, colors="black", linestyles="dashed", linewidth=1.2,
                          label="random policy")
        ax.set_xticks(range(len(NOVEL_LEVELS)), NOVEL_LEVELS)
        ax.set_title(domain)
        ax.set_ylim(0, 1.05)
    axes[0][0].set_ylabel(f"success ({algo.upper()})")
    legend: dict[str, object] = {}  # every condition drawn in any panel, once
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    order = [("real only" if b == "real" else b) for b in HEADLINE_BACKENDS] + ["random policy"]
    labels = [label for label in order if label in legend]
    handles = [legend[label] for label in labels]
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 1.08), frameon=False)
    return _save(fig, path)


def learning_curves(collected: Collected, domain: str, path: Path) -> Path:
    """Rows: algorithms; columns: evaluated levels; one line per training condition (mean, 95% CI band)."""
    plt = _pyplot()
    groups = {(a, c): g for (d, a, c), g in collected.groups.items() if d == domain and g.summaries}
    algos = sorted({a for a, _ in groups})
    fig, axes = plt.subplots(len(algos), len(LEVELS), figsize=(3.0 * len(LEVELS), 2.4 * len(algos)),
                             squeeze=False, sharey=True)
    for row, algo in enumerate(algos):
        conditions = conditions_in_order([c for a, c in groups if a == algo])
        for col, level in enumerate(LEVELS):
            ax = axes[row][col]
            for condition in conditions:
                steps, mean, low, high = _curve(groups[(algo, condition)].summaries, level)
                if steps.size:
                    backend = condition.split("/")[1] if "/" in condition else "real"
                    style = "-" if condition.split("/")[0] in (level, "real") else ":"
                    line, = ax.plot(steps, mean, style, color=COLOURS.get(backend), label=condition)
                    ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.15)
            ax.set_ylim(-0.02, 1.02)
            if row == 0:
                ax.set_title(f"scored on {level}")
            if col == 0:
                ax.set_ylabel(f"{algo}\nsuccess")
            if row == len(algos) - 1:
                ax.set_xlabel("gradient steps")
            if ax.get_lines():
                ax.legend(fontsize=6, loc="upper left")
    fig.suptitle(f"{domain}: learning curves", y=1.04)
    return _save(fig, path)


def _curve(summaries: Sequence[dict], level: str) -> tuple[np.ndarray, ...]:
    by_step = success_by_step(summaries, level)
    steps = np.array(sorted(by_step))
    stats = [(np.mean(by_step[s]), *bootstrap_ci(by_step[s])) for s in steps]
    if not stats:
        return steps, steps, steps, steps
    mean, low, high = (np.array(x) for x in zip(*stats))
    return steps, mean, low, high


def task_bars(collected: Collected, domain: str, path: Path, algo: str = "bc") -> Path:
    """Per evaluated level: final success per task, one bar per training condition (mean over seeds)."""
    plt = _pyplot()
    levels = [lv for lv in LEVELS if any(lv in s["per_task"] for (d, a, _), g in collected.groups.items()
                                         if d == domain and a == algo for s in g.summaries)]
    fig, axes = plt.subplots(len(levels), 1, figsize=(10, 2.6 * max(len(levels), 1)), squeeze=False)
    for ax, level in zip(axes[:, 0], levels):
        conditions = [c for c in conditions_in_order([c for (d, a, c) in collected.groups if d == domain and a == algo])
                      if c == "real" or c.split("/")[0] == level]
        tasks = sorted({t for c in conditions for s in collected.groups[(domain, algo, c)].summaries
                        for t in s["per_task"].get(level, {})})
        width = 0.8 / max(len(conditions), 1)
        for i, condition in enumerate(conditions):
            summaries = collected.groups[(domain, algo, condition)].summaries
            values = [[s["per_task"].get(level, {}).get(t) for s in summaries] for t in tasks]
            means = [np.mean([v for v in vs if v is not None]) if any(v is not None for v in vs) else 0 for vs in values]
            backend = condition.split("/")[1] if "/" in condition else "real"
            ax.bar(np.arange(len(tasks)) + (i - (len(conditions) - 1) / 2) * width, means, width,
                   color=COLOURS.get(backend), label="real only" if condition == "real" else condition)
        ax.set_xticks(range(len(tasks)), tasks, rotation=30, ha="right", fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(f"{level} success")
        ax.legend(fontsize=7, ncol=4)
    fig.suptitle(f"{domain}: success per task ({algo.upper()}, mean over seeds)")
    fig.tight_layout()
    return _save(fig, path)
