"""Render a table's committed cell summaries into ``README.md``, ``table.csv`` and figures (PNG).

Only cells of the *current* grid count: a summary made with other overrides (an older budget) is ignored and listed
as stale. Cells without a complete summary are marked missing in every table, so a partial grid renders honestly.
Cells of optional blocks (:func:`imagine_bench.table.grid.block_is_optional`) are shown where they have results and
are otherwise left out, not marked missing; their cost is stated apart from the grid's.
Per-cell numbers are the mean success over seeds with a 95% percentile bootstrap interval and the sample standard
deviation; the aggregate over domains is rliable's IQM with stratified bootstrap intervals (:mod:`imagine_bench.stats`).
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from imagine_bench.levels import LEVELS
from imagine_bench.stats import bootstrap_ci, iqm_with_ci, sample_std
from imagine_bench.table.baselines import RANDOM, read_baselines
from imagine_bench.table.execute import read_summary, summary_status
from imagine_bench.table.grid import Cell, block_is_optional, block_seeds, conditions_in_order

NOVEL_LEVELS = ("easy", "hard")
HEADLINE_BACKENDS = ("real", "scripted", "kalm", "perfect")  # "real" = trained on real data only
HEADLINE_ALGO = "bc"  # the algorithm that runs every condition in the reference grid


@dataclass
class Group:
    """All seeds of one (domain, algo, condition): the cells expected and the summaries found."""

    domain: str
    algo: str
    condition: str
    expected: list[Cell] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.summaries) == len(self.expected)

    def scores(self, level: str) -> list[float]:
        return [s["success"][level] for s in self.summaries if level in s["success"]]

    def stat(self, level: str) -> dict[str, Any] | None:
        values = self.scores(level)
        if not values:
            return None
        low, high = bootstrap_ci(values)
        return {"mean": float(np.mean(values)), "std": sample_std(values), "low": low, "high": high,
                "n": len(values), "of": len(self.expected), "values": values}


@dataclass
class Collected:
    groups: dict[tuple[str, str, str], Group]
    missing: list[Cell]
    failed: list[dict[str, Any]]
    stale: int
    random: dict[str, dict[str, Any]] = field(default_factory=dict)  # domain -> random-policy summary

    def random_success(self, domain: str, level: str) -> float | None:
        """A uniform random policy's success on ``level`` of ``domain`` (None without a baseline)."""
        return (self.random.get(domain) or {}).get("success", {}).get(level)

    @property
    def summaries(self) -> list[dict[str, Any]]:
        return [s for g in self.groups.values() for s in g.summaries]


def collect(cells: Sequence[Cell], table: DictConfig) -> Collected:
    output = Path(table.output)
    groups: dict[tuple[str, str, str], Group] = {}
    missing, failed = [], []
    found = {cell.key: read_summary(cell.summary_path(output)) for cell in cells}
    status = {cell.key: summary_status(cell, found[cell.key]) for cell in cells}
    # An optional (domain, algo, condition) is shown once any of its optional seeds has a result, with the others as
    # missing seeds; with none it is not part of the table.
    optional_shown = {_group_key(c) for c in cells if c.optional and status[c.key] == "completed"}
    for cell in cells:
        key = _group_key(cell)
        if cell.optional and key not in optional_shown:
            continue
        group = groups.setdefault(key, Group(*key))
        group.expected.append(cell)
        if status[cell.key] == "completed":
            group.summaries.append(found[cell.key])
        else:
            missing.append(cell)
            if status[cell.key] == "failed":
                failed.append(found[cell.key])
    known = {str(c.summary_path(output)) for c in cells}
    stale = sum(1 for p in (output / "cells").rglob("*.json") if str(p) not in known) if (output / "cells").is_dir() else 0
    return Collected(groups, missing, failed, stale, read_baselines(table, sorted({c.domain for c in cells})))


def _group_key(cell: Cell) -> tuple[str, str, str]:
    return cell.domain, cell.algo, cell.condition.name


def fmt(stat: dict[str, Any] | None) -> str:
    if stat is None:
        return "—"
    text = f"{stat['mean']:.2f} [{stat['low']:.2f}, {stat['high']:.2f}]"
    return text if stat["n"] == stat["of"] else f"{text} ({stat['n']}/{stat['of']} seeds)"


def domain_table(collected: Collected, domain: str) -> str:
    """Markdown: one row per (algorithm, condition), one column per evaluated level."""
    rows = ["| algorithm | trained on | " + " | ".join(LEVELS) + " |", "|---|---|" + "---|" * len(LEVELS)]
    groups = [g for (d, _, _), g in collected.groups.items() if d == domain]
    order = conditions_in_order([g.condition for g in groups])
    for group in sorted(groups, key=lambda g: (g.algo, order.index(g.condition))):
        label = _algo_label(group)
        cells = []
        for level in LEVELS:
            stat = group.stat(level)
            evaluated = any(level in cell_levels(c) for c in group.expected)
            cells.append(fmt(stat) if evaluated and (stat or group.summaries) else ("missing" if evaluated else ""))
        rows.append(f"| {label} | {_condition_label(group.condition)} | " + " | ".join(cells) + " |")
    if domain in collected.random:
        values = [collected.random_success(domain, level) for level in LEVELS]
        rows.append(f"| {RANDOM} policy | untrained | " + " | ".join(_point(v) for v in values) + " |")
    return "\n".join(rows)


def _point(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def cell_levels(cell: Cell) -> tuple[str, ...]:
    from imagine_bench.levels import Level

    return Level(cell.condition.level).evaluation_levels()


def headline_rows(collected: Collected, algo: str = HEADLINE_ALGO) -> list[dict[str, Any]]:
    """Per domain and novel level: success of real-only, scripted, kalm and perfect training, on that level."""
    rows = []
    domains = sorted({d for d, _, _ in collected.groups})
    for domain in domains:
        for level in NOVEL_LEVELS:
            row: dict[str, Any] = {"domain": domain, "level": level}
            for backend in HEADLINE_BACKENDS:
                condition = "real" if backend == "real" else f"{level}/{backend}"
                group = collected.groups.get((domain, algo, condition))
                row[backend] = group.stat(level) if group else None
                row[f"{backend}_expected"] = group is not None
            rows.append(row)
    return rows


def headline_rows_per_algo(collected: Collected) -> list[tuple[str, dict[str, Any]]]:
    """``headline_rows`` of every algorithm in the grid, each paired with its algorithm's name."""
    return [(algo, row) for algo in sorted({a for _, a, _ in collected.groups}) for row in headline_rows(collected, algo)]


def headline_table(collected: Collected, algo: str = HEADLINE_ALGO) -> str:
    """One row per domain and novel level; a first column with the random policy's success when any domain has a
    baseline (``python -m imagine_bench.table baselines``)."""
    with_random = bool(collected.random)
    header = ([f"{RANDOM} policy"] if with_random else []) + [_backend_label(b) for b in HEADLINE_BACKENDS]
    rows = [f"| domain | level | {' | '.join(header)} |", "|---|---|" + "---|" * len(header)]
    for row in headline_rows(collected, algo):
        cells = [fmt(row[b]) if row[f"{b}_expected"] and row[b] else ("missing" if row[f"{b}_expected"] else "")
                 for b in HEADLINE_BACKENDS]
        if with_random:
            cells.insert(0, _point(collected.random_success(row["domain"], row["level"])))
        rows.append(f"| {row['domain']} | {row['level']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def imaginary_use_table(collected: Collected) -> str:
    """Per domain, novel level and algorithm: success on that level after real-only training and with each backend's
    imaginary data, and the gain over real-only (difference of the seed means). Answers which algorithm turns
    imaginary rollouts into novel-task success, where the headline shows BC only."""
    header = ["domain", "level", "algorithm", *(_backend_label(b) for b in HEADLINE_BACKENDS), "gain: scripted",
              "gain: perfect"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    per_algo = headline_rows_per_algo(collected)
    for algo, stats in sorted(per_algo, key=lambda p: (p[1]["domain"], p[0], NOVEL_LEVELS.index(p[1]["level"]))):
        if stats["real"] is None or not any(stats[b] for b in HEADLINE_BACKENDS[1:]):
            continue
        gains = [f"{stats[b]['mean'] - stats['real']['mean']:+.2f}" if stats[b] else "" for b in ("scripted", "perfect")]
        rows.append(f"| {stats['domain']} | {stats['level']} | {algo} | "
                    + " | ".join(fmt(stats[b]) if stats[b] else "" for b in HEADLINE_BACKENDS)
                    + " | " + " | ".join(gains) + " |")
    if len(rows) == 2:
        return "_No algorithm has both a real-only and an imaginary-data result on a novel level yet._"
    return "\n".join(rows)


# The paper's claim, read as pairwise orderings of success on a novel level: (higher, lower, strict).
ORDERING_CLAIMS = (("perfect", "scripted", True), ("scripted", "kalm", False), ("kalm", "real", True),
                   ("scripted", "real", True))


def ordering_verdict(higher: dict[str, Any] | None, lower: dict[str, Any] | None, strict: bool = True) -> str:
    """Whether ``higher`` beats ``lower`` (``>``, or ``>=`` when not strict) by the seed means, and whether their 95%
    bootstrap intervals are disjoint; empty when either is missing, marked when either lacks seeds."""
    if higher is None or lower is None:
        return ""
    if higher["low"] > lower["high"]:
        verdict = "yes, CIs apart"
    elif lower["low"] > higher["high"]:
        verdict = "no, reversed, CIs apart"
    else:
        holds = higher["mean"] > lower["mean"] if strict else higher["mean"] >= lower["mean"]
        verdict = f"{'yes' if holds else 'no'}, CIs overlap"
    partial = higher["n"] < higher["of"] or lower["n"] < lower["of"]
    return verdict + (" (partial seeds)" if partial else "")


def ordering_table(collected: Collected) -> str:
    """Per domain, novel level and algorithm: does ``perfect > scripted >= kalm > real only`` hold on that level,
    pair by pair, and are the intervals apart? The random policy's success is shown beside it, since a level that
    chance already solves cannot order the conditions."""
    claims = [f"{_backend_label(higher)} {'>' if strict else '>='} {_backend_label(lower)}"
              for higher, lower, strict in ORDERING_CLAIMS]
    header = ["domain", "level", "algorithm", f"{RANDOM} policy", *claims]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    per_algo = headline_rows_per_algo(collected)
    for algo, stats in sorted(per_algo, key=lambda p: (p[1]["domain"], NOVEL_LEVELS.index(p[1]["level"]), p[0])):
        verdicts = [ordering_verdict(stats[h], stats[l], strict) for h, l, strict in ORDERING_CLAIMS]
        if not any(verdicts):
            continue
        chance = _point(collected.random_success(stats["domain"], stats["level"]))
        rows.append(f"| {stats['domain']} | {stats['level']} | {algo} | {chance} | " + " | ".join(verdicts) + " |")
    if len(rows) == 2:
        return "_No two conditions of a novel level are complete for any algorithm yet._"
    return "\n".join(rows)


def aggregate_table(collected: Collected) -> str:
    """IQM over domains (stratified bootstrap CI) per algorithm, novel level and condition, where complete."""
    matrices: dict[str, np.ndarray] = {}
    labels: dict[str, tuple[str, str, str, int]] = {}
    algos = sorted({a for _, a, _ in collected.groups})
    for algo in algos:
        for level in NOVEL_LEVELS:
            for backend in HEADLINE_BACKENDS:
                condition = "real" if backend == "real" else f"{level}/{backend}"
                columns = []
                for (domain, a, c), group in sorted(collected.groups.items()):
                    if a == algo and c == condition and group.complete and group.scores(level):
                        columns.append(group.scores(level))
                if not columns or len({len(c) for c in columns}) != 1:
                    continue
                name = f"{algo}|{level}|{backend}"
                matrices[name] = np.array(columns, dtype=float).T  # (seeds, domains)
                labels[name] = (algo, level, backend, len(columns))
    if not matrices:
        return "_No (algorithm, level, condition) is complete on any domain yet._"
    estimates = iqm_with_ci(matrices)
    rows = ["| algorithm | level | trained on | domains | IQM [95% CI] |", "|---|---|---|---|---|"]
    for name, (point, low, high) in estimates.items():
        algo, level, backend, n = labels[name]
        rows.append(f"| {algo} | {level} | {_backend_label(backend)} | {n} | {point:.2f} [{low:.2f}, {high:.2f}] |")
    return "\n".join(rows)


def success_by_step(summaries: Sequence[dict[str, Any]], level: str) -> dict[int, list[float]]:
    """Success on ``level`` at each evaluation step of the runs' learning curves (``history``), one value per run."""
    by_step: dict[int, list[float]] = defaultdict(list)
    for summary in summaries:
        for point in summary.get("history") or []:
            if level in point["success"]:
                by_step[int(point["step"])].append(point["success"][level])
    return by_step


PLATEAU_TOLERANCE = 0.05  # a curve within this of its best success counts as having reached it


def plateau_table(collected: Collected) -> str:
    """Per domain and algorithm: mean success on the level each run trains for (real for real-only training), over
    every condition and seed shown, at each evaluation; and the first evaluation within ``PLATEAU_TOLERANCE`` of the
    curve's best. The evidence behind the step budgets: a curve still rising at its last evaluation wants more steps,
    one at its best from the first evaluation could do with fewer."""
    curves: dict[tuple[str, str], dict[int, list[float]]] = {}
    for (domain, algo, condition), group in sorted(collected.groups.items()):
        by_step = curves.setdefault((domain, algo), defaultdict(list))
        for step, values in success_by_step(group.summaries, condition.split("/")[0]).items():
            by_step[step] += values
    width = max((len(c) for c in curves.values()), default=0)
    if not width:
        return "_No learning curve has a point yet._"
    header = ["domain", "algorithm", *(f"evaluation {i + 1}" for i in range(width)), "gain over the last interval",
              "at its best from"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (domain, algo), by_step in curves.items():
        steps = sorted(by_step)
        means = [float(np.mean(by_step[step])) for step in steps]
        points = [f"{mean:.2f} @ {step:,}" for step, mean in zip(steps, means)] + [""] * (width - len(steps))
        gain = f"{round(means[-1] - means[-2], 2) + 0.0:+.2f}" if len(means) > 1 else ""  # + 0.0: no "-0.00"
        rows.append(f"| {domain} | {algo} | " + " | ".join(points) + f" | {gain} | {_plateau_verdict(steps, means)} |")
    return "\n".join(rows)


def _plateau_verdict(steps: Sequence[int], means: Sequence[float]) -> str:
    if not steps:
        return ""
    if len(means) > 1 and means[-1] - means[-2] > PLATEAU_TOLERANCE:
        return "still rising"
    best = max(means)
    first = next(step for step, mean in zip(steps, means) if mean >= best - PLATEAU_TOLERANCE)
    return f"{first:,} steps ({first / steps[-1]:.0%} of the budget)"


@dataclass
class Cost:
    """Measured CPU time of a table's cells (one torch thread per cell, so CPU hours are core-hours)."""

    rows: str  # markdown: per (domain, algo) of the grid, cells, CPU and wall minutes per cell, core-hours
    spent: float  # core-hours of the grid's completed cells
    projected: float  # core-hours of the whole grid, from the mean cost per (domain, algo)
    all_measured: bool  # every (domain, algo) of the grid has a completed cell
    data_hours: float  # of the grid's time, hours spent loading or generating data (wall)
    optional_cells: int  # completed cells of optional blocks
    optional_spent: float  # their core-hours
    optional_data_hours: float  # of which loading or generating data (wall)


def cost_table(collected: Collected, cells: Sequence[Cell]) -> Cost:
    """The grid's measured cost per cell by (domain, algo), the core-hours spent and projected for the whole grid,
    and apart from it the cost of the optional blocks' completed cells."""
    optional = {c.key for c in cells if c.optional}
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    wall: dict[tuple[str, str], list[float]] = defaultdict(list)
    optional_cpu, data, optional_data = [], 0.0, 0.0
    for s in collected.summaries:
        seconds, loading = float(s.get("cpu_s", s["wall_s"])), float((s.get("timing") or {}).get("data_s", 0.0))
        if s["cell"] in optional:
            optional_cpu.append(seconds)
            optional_data += loading
            continue
        cpu[(s["domain"], s["algo"])].append(seconds)
        wall[(s["domain"], s["algo"])].append(float(s["wall_s"]))
        data += loading
    counts: dict[tuple[str, str], int] = defaultdict(int)
    steps: dict[tuple[str, str], int] = {}
    for cell in cells:
        if not cell.optional:
            counts[(cell.domain, cell.algo)] += 1
            steps[(cell.domain, cell.algo)] = cell.steps
    rows = ["| domain | algorithm | steps | cells | done | CPU min per cell | wall min per cell | core-hours, whole grid |",
            "|---|---|---|---|---|---|---|---|"]
    spent = projected = 0.0
    for key in sorted(counts):
        head = f"| {key[0]} | {key[1]} | {steps[key]:,} | {counts[key]} | {len(cpu.get(key, []))} |"
        if not cpu.get(key):
            rows.append(f"{head} not measured yet | | |")
            continue
        per_cell = float(np.mean(cpu[key]))
        spent += sum(cpu[key])
        projected += per_cell * counts[key]
        rows.append(f"{head} {per_cell / 60:.1f} | {np.mean(wall[key]) / 60:.1f} | {per_cell * counts[key] / 3600:.2f} |")
    return Cost("\n".join(rows), spent / 3600, projected / 3600, set(cpu) >= set(counts), data / 3600,
                len(optional_cpu), sum(optional_cpu) / 3600, optional_data / 3600)


def cost_text(cost: Cost) -> str:
    """The cost table's conclusion. Datasets are cached and shared by every cell of a domain, so the first cell to use
    one pays for generating it; when that was an optional cell, the grid run alone pays it instead, which the upper
    bound adds back."""
    text = (f"CPU time spent on the grid's completed cells: {cost.spent:.2f} core-hours. Projected for the whole grid "
            f"from the mean cost per (domain, algorithm): {cost.projected:.2f} core-hours"
            + ("." if cost.all_measured else ", counting only the (domain, algorithm) pairs measured so far.")
            + f" The first cell to use a dataset also generates it (cached for all later cells): {cost.data_hours:.2f} "
            "hours of that went to loading or generating data (wall time, `timing.data_s`), so a machine that already "
            "holds the datasets needs about that much less.")
    if cost.optional_cells:
        text += (" Optional blocks, not part of that total (`include_optional=true` runs them): completed cells "
                 f"{cost.optional_cells}, {cost.optional_spent:.2f} core-hours, of which "
                 f"{cost.optional_data_hours:.2f} hours went to loading or generating data. Where they generated a "
                 "dataset the grid shares, the grid run alone generates it instead: the grid costs at most "
                 f"{cost.projected + cost.optional_data_hours:.2f} core-hours on a machine without the datasets.")
    return text


def csv_text(collected: Collected) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["domain", "algo", "condition", "eval_level", "seeds_done", "seeds_expected", "mean",
                     "std_ddof1", "ci95_low", "ci95_high", "values"])
    for (domain, algo, condition), group in sorted(collected.groups.items()):
        for level in LEVELS:
            stat = group.stat(level)
            if stat:
                writer.writerow([domain, algo, condition, level, stat["n"], stat["of"], f"{stat['mean']:.4f}",
                                 f"{stat['std']:.4f}", f"{stat['low']:.4f}", f"{stat['high']:.4f}",
                                 " ".join(f"{v:.4f}" for v in stat["values"])])
    for domain, summary in sorted(collected.random.items()):  # one seeded evaluation: no spread over seeds
        for level, value in summary.get("success", {}).items():
            writer.writerow([domain, RANDOM, "untrained", level, 1, 1, f"{value:.4f}", "", "", "", f"{value:.4f}"])
    return buffer.getvalue()


def _algo_label(group: Group) -> str:
    classes = {s.get("algo_class") for s in group.summaries if s.get("algo_class")}
    return group.algo + (f" ({', '.join(sorted(classes))})" if classes else "")


def _condition_label(condition: str) -> str:
    return "real only" if condition == "real" else f"real + {condition.split('/')[1]} {condition.split('/')[0]}"


def _backend_label(backend: str) -> str:
    return "real only" if backend == "real" else backend


BLOCK_START, BLOCK_END = "<!-- reference-results:start -->", "<!-- reference-results:end -->"


def update_project_readme(path: Path, table: DictConfig, cells: Sequence[Cell], collected: Collected,
                          figure_paths: Sequence[Path]) -> None:
    """Replace the block between the reference-results markers of the project README with the headline table."""
    from imagine_bench.table.execute import write_text

    text = path.read_text()
    if BLOCK_START not in text or BLOCK_END not in text:
        raise ValueError(f"{path} has no {BLOCK_START} ... {BLOCK_END} block to write the headline table into")
    output = Path(table.output)
    done, size = grid_completion(cells, collected)
    block = [BLOCK_START, "",
             f"Headline ({HEADLINE_ALGO.upper()}; success on the level named, mean [95% bootstrap CI] over seeds; "
             f"{done} of {size} cells of the grid complete): {_budget_text(table)}", "",
             headline_table(collected), ""]
    headline_png = next((p for p in figure_paths if p.name == "headline.png"), None)
    if headline_png is not None:
        block += [f"![headline]({os.path.relpath(headline_png, path.parent)})", ""]
    block += [f"Every table, the aggregate over domains, learning curves and per-task figures: "
              f"[`{os.path.relpath(output, path.parent)}/README.md`]({os.path.relpath(output, path.parent)}/README.md).", "", BLOCK_END]
    head, rest = text.split(BLOCK_START, 1)
    write_text(path, head + "\n".join(block) + rest.split(BLOCK_END, 1)[1])


def grid_completion(cells: Sequence[Cell], collected: Collected) -> tuple[int, int]:
    """(complete, total) cells of the grid that ``run`` runs, optional blocks left out."""
    grid = [c for c in cells if not c.optional]
    return len(grid) - sum(1 for c in collected.missing if not c.optional), len(grid)


def _completion_text(cells: Sequence[Cell], collected: Collected) -> str:
    done, size = grid_completion(cells, collected)
    not_run = sum(1 for c in collected.missing if not c.optional) - len(collected.failed)
    text = (f"**Completion: {done} of {size} cells** ({len(collected.failed)} failed, {not_run} not run yet). Missing "
            "cells are marked `missing`; a number with `(k/n seeds)` averages only the seeds that finished.")
    optional = {c.key for c in cells if c.optional}
    if optional:
        shown = sum(1 for s in collected.summaries if s["cell"] in optional)
        text += (f" Optional blocks add {len(optional)} cells outside the grid (run with `include_optional=true`); "
                 f"{shown} of them have results, shown in the tables like the grid's.")
    return text


def readme_text(table: DictConfig, cells: Sequence[Cell], collected: Collected, figure_paths: Sequence[Path],
                command: str) -> str:
    cost = cost_table(collected, cells)
    commits = sorted({(s.get("commit", "unknown")[:10] + (" (dirty)" if s.get("dirty") else ""))
                      for s in collected.summaries})
    domains = sorted({c.domain for c in cells})
    lines = [
        f"# Reference results: `{table.name}`",
        "",
        f"Rendered by `{command}` from the cell summaries in `cells/` (one JSON per domain, algorithm, condition and "
        f"seed, each recording its success per level and task, learning curve, wall time, package versions, the "
        f"project commit and the `launch.py` command that reproduces it). Cells are produced by "
        f"`python -m imagine_bench.table run --table {table.name}`.",
        "",
        f"{_completion_text(cells, collected)} Commits that produced the cells: {', '.join(commits) or 'none yet'}.",
        "",
        "Success is the mean over training seeds with a 95% percentile bootstrap interval over seeds "
        "(`mean [low, high]`); `table.csv` adds the sample standard deviation (ddof=1) and the per-seed values. "
        "Every run is scored on the same fixed, seeded evaluation episodes: `eval_episodes_per_task` of each "
        "`configs/env/<domain>.yaml` per task (10; CLEVR 50)" + _episodes(table) + ". A commit marked dirty had "
        "uncommitted changes to tracked files when its cells ran (cells made before this check ignored untracked "
        "files were also marked dirty by the table's own untracked output folders).",
        "",
    ]
    if collected.random:
        lines += [f"`{RANDOM} policy`: a uniform random policy (untrained) scored on the same episodes, one seeded "
                  f"evaluation per domain (`baselines/{RANDOM}/<domain>.json`, written by `python -m "
                  f"imagine_bench.table baselines --table {table.name}`). A level where it scores high measures little "
                  "about the training data.", ""]
    lines += [
        "## Headline: real-only vs imaginary data on the novel levels "
        f"({HEADLINE_ALGO.upper()}, success on the level named)",
        "",
        headline_table(collected),
        "",
    ]
    if any(p.name == "headline.png" for p in figure_paths):
        lines += ["![headline](figures/headline.png)", ""]
    lines += ["## Does the ordering hold? `perfect > scripted >= kalm > real only`, per level and algorithm", "",
              "Each pair compares success on the level named: `yes`/`no` says whether the seed means order as "
              "claimed, `CIs apart` that their 95% bootstrap intervals over seeds are disjoint. With a few seeds an "
              "interval is coarse, so `CIs overlap` means not shown, not equal. A pair is blank where one of its "
              "conditions is not in the grid for that algorithm.", "", ordering_table(collected), ""]
    lines += ["## Aggregate over domains (IQM, stratified bootstrap 95% CI, rliable)", "", aggregate_table(collected), ""]
    lines += ["## Which algorithm uses the imaginary data (every algorithm, success on the level named)", "",
              imaginary_use_table(collected), ""]
    for domain in domains:
        lines += [f"## {domain}", "", domain_table(collected, domain), ""]
        for path in figure_paths:
            if path.stem.endswith(f"_{domain}"):
                lines += [f"![{path.stem}](figures/{path.name})", ""]
    lines += ["## Budget and cost", "", _budget_text(table), "", cost.rows, "", cost_text(cost), ""]
    lines += ["### Where the learning curves level off", "",
              "The evidence behind the step budgets. Mean success on the level each run trains for (`real` for "
              "real-only training), over every condition and seed above, at each evaluation (`success @ step`). "
              f"`at its best from`: the first evaluation within {PLATEAU_TOLERANCE} of the curve's best. `still "
              f"rising`: the curve gains more than {PLATEAU_TOLERANCE} over its last interval, so the budget stops it "
              "before its plateau; a smaller gain may be noise or slow growth. The per-condition curves are in the "
              "figures above.", "", plateau_table(collected), ""]
    if collected.failed:
        lines += ["## Failed cells", ""] + [f"- `{s['cell']}`: {s.get('error')}" for s in collected.failed] + [""]
    if collected.stale:
        lines += [f"{collected.stale} summaries in `cells/` belong to another budget or grid and are not shown.", ""]
    return "\n".join(lines)


def _episodes(table: DictConfig) -> str:
    """A table-wide ``eval.episodes_per_task`` override, if the table sets one."""
    for override in table.common:
        if override.startswith("eval.episodes_per_task="):
            return f", overridden to {override.split('=', 1)[1]} for every cell by this table"
    return ""


def _budget_text(table: DictConfig) -> str:
    budgets = ", ".join(f"{algo} {steps:,}" for algo, steps in table.budgets.items())
    per_domain = "; ".join(f"{d}: " + ", ".join(f"{a} {s:,}" for a, s in b.items())
                           for d, b in table.domain_budgets.items() if b)
    # A block may run fewer seeds (the grid's way to fit a costly algorithm); say so rather than imply every cell has
    # the table's seeds.
    default_seeds = [int(seed) for seed in table.seeds]
    fewer = "".join(f" ({block.get('name') or 'a block'}: {block_seeds(table, block)})" for block in table.blocks
                    if block_seeds(table, block) != default_seeds)
    text = (f"Gradient steps per cell: {budgets}" + (f" (per domain: {per_domain})" if per_domain else "") +
            f"; {table.evaluations} evaluations per run; seeds {list(table.seeds)}{fewer}; {table.n_jobs} cells at "
            "once, one torch thread each.")
    if table.steps_override is not None:
        text += f" **steps_override={table.steps_override}** replaces every budget."
    optional = [block.get("name") or "a block" for block in table.blocks if block_is_optional(table, block)]
    if optional:
        text += f" Optional, outside the grid (`include_optional=true` runs them): {', '.join(optional)}."
    return text
