"""Result tables and learning curves from run directories:
``python -m imagine_bench.report multirun/<sweep> [more dirs] [--per-task] [--format markdown] [--plot]``.

Reads every ``results.json`` below the given directories. One row per experiment: the completed runs whose settings
are equal except for the training seed, labelled by env, training level, algo and imagination backend, plus any other
setting that differs within the directories (``steps=20000``). Each cell: the mean success over seeds, the sample
standard deviation (ddof=1) and a 95% percentile-bootstrap confidence interval of the mean (:mod:`imagine_bench.stats`).
Runs that did not complete are listed below the table, never averaged: ``failed``, ``preempted`` (SIGTERM),
``running`` (still running, or killed without warning) and ``missing`` (a Hydra job folder without a readable
``results.json``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imagine_bench.levels import LEVELS
from imagine_bench.metrics import EPISODE_STATS, eval_key, parse_eval_key
from imagine_bench.stats import BOOTSTRAP_REPS, CONFIDENCE, bootstrap_ci, sample_std

FORMATS = ("text", "markdown", "csv", "latex")

#: Settings that do not change what a run learns or scores (where it runs, what it prints, where files go); they never
#: split one experiment's seeds into two rows.
IGNORED_SETTINGS = ("seed", "data.cache_dir", "data.prefetch", "logger.", "progress", "device", "threads",
                    "compile_graph", "eval.workers", "checkpoint_every")


def success_key(column: str) -> str:
    """The results key of a table column: ``hard`` or ``hard/<task>``."""
    level, _, task = column.partition("/")
    return eval_key(level, "success", task or None)


def find_results(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    runs = []
    for path in paths:
        path = Path(path)
        files = [path] if path.is_file() else sorted(path.rglob("results.json"))
        for file in files:
            try:
                data = json.loads(file.read_text())
            except (OSError, ValueError) as exc:
                data = {"status": "missing", "error": f"unreadable results.json ({type(exc).__name__})"}
            data["_path"] = str(file.parent)
            runs.append(data)
        if path.is_dir():  # job folders Hydra created whose run never wrote its record
            for job in sorted(p.parent for p in path.rglob(".hydra")):
                if not (job / "results.json").exists():
                    runs.append({"status": "missing", "run": job.name, "error": "no results.json", "_path": str(job)})
    return runs


# -- grouping ---------------------------------------------------------------------------------------------------------
def imagination_of(run: dict[str, Any]) -> str | None:
    """The run's imagination backend label (``scripted``, ``scripted-perfect``, ``kalm``), ``None`` for real-only
    training. Recorded in ``results.json``; derived from the config for results written before it was."""
    if "imagination" in run:
        return run["imagination"]
    if run.get("level") == "real":
        return None
    settings = run.get("config", {}).get("imagination") or {}
    target = str(settings.get("_target_", "?")).rsplit(".", 1)[-1]
    backend = target.removesuffix("Imagination").lower() or target
    preset = settings.get("preset")
    return backend if preset in (None, "default") else f"{backend}-{preset}"


def _flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(config, dict):
        return {prefix[:-1]: json.dumps(config, sort_keys=True)}
    out: dict[str, Any] = {}
    for key, value in config.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out


def _settings(run: dict[str, Any]) -> dict[str, Any]:
    """The run's flattened config without the settings that never define an experiment; a real-only run also drops
    the imagination settings it never used."""
    flat = _flatten(run.get("config", {}))
    unused = ("imagination.", "data.imaginary_") if run.get("level") == "real" else ()
    return {k: v for k, v in flat.items()
            if not any(k == s or k.startswith(s) for s in (*IGNORED_SETTINGS, *unused))}


@dataclass
class Experiment:
    """The completed runs of one experiment (all its seeds)."""

    env: str
    level: str
    algo: str
    imagination: str | None
    settings: str  # the settings that tell this experiment from others with the same env, level, algo and backend
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> tuple[str, str, str, str, str]:
        return self.env, self.level, self.algo, self.imagination or "-", self.settings

    def values(self, column: str) -> list[float]:
        return [r["final"][success_key(column)] for r in self.runs if success_key(column) in r.get("final", {})]


def group_experiments(runs: Sequence[dict[str, Any]]) -> list[Experiment]:
    """Completed runs grouped by (env, level, algo, imagination) and by every other setting that differs between
    runs of the same such group, ordered by env, level (as in :data:`LEVELS`), algo, imagination."""
    completed = [r for r in runs if r.get("status") == "completed"]
    by_name: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for run in completed:
        by_name[(run["env"], run["level"], run["algo"], imagination_of(run))].append(run)
    varying: set[str] = set()
    for group in by_name.values():
        settings = [_settings(r) for r in group]
        keys = set().union(*settings)
        varying |= {k for k in keys if len({s.get(k) for s in settings}) > 1}
    experiments: dict[tuple, Experiment] = {}
    for name, group in by_name.items():
        for run in group:
            settings = _settings(run)
            extra = ", ".join(f"{k}={json.loads(settings[k])}" for k in sorted(varying) if k in settings)
            key = (*name, extra)
            experiments.setdefault(key, Experiment(*name, extra)).runs.append(run)
    order = lambda e: (e.env, LEVELS.index(e.level) if e.level in LEVELS else len(LEVELS), e.algo,  # noqa: E731
                       e.imagination or "", e.settings)
    return sorted(experiments.values(), key=order)


def table_columns(runs: Sequence[dict[str, Any]], per_task: bool) -> list[str]:
    """Evaluated levels (``hard``) or, with ``per_task``, evaluated (level, task) pairs (``hard/<task>``)."""
    finals = [r.get("final", {}) for r in runs if r.get("status") == "completed"]
    if not per_task:
        return [lv for lv in LEVELS if any(success_key(lv) in f for f in finals)]
    keys = {parse_eval_key(k) for f in finals for k in f}
    pairs = {f"{k.level}/{k.task}" for k in keys if k and k.task is not None and k.stat == "success"}
    return sorted(pairs, key=lambda c: (LEVELS.index(c.split("/")[0]) if c.split("/")[0] in LEVELS else 99, c))


# -- cells ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    seeds: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


def summarize_cell(values: Sequence[float], confidence: float = CONFIDENCE,
                   resamples: int = BOOTSTRAP_REPS) -> Cell | None:
    """Mean, sample std and bootstrap interval over seeds; one seed has neither spread nor interval (NaN)."""
    if not values:
        return None
    low, high = bootstrap_ci(values, confidence, resamples) if len(values) > 1 else (float("nan"), float("nan"))
    return Cell(len(values), float(np.mean(values)), sample_std(values), low, high)


def _number(value: float, digits: int) -> str:
    return "n/a" if np.isnan(value) else f"{value:.{digits}f}"


def cell_text(cell: Cell | None, pm: str = "±") -> str:
    """``mean ± std [low, high]``; the mean alone from one seed, which has neither spread nor interval."""
    if cell is None:
        return "-"
    if cell.seeds < 2:
        return f"{cell.mean:.3f}"
    return f"{cell.mean:.3f} {pm} {_number(cell.std, 2)} [{_number(cell.ci_low, 2)}, {_number(cell.ci_high, 2)}]"


def legend(confidence: float, resamples: int) -> str:
    return (f"success: mean ± sample standard deviation (ddof=1) over seeds [{confidence:.0%} percentile-bootstrap "
            f"CI of the mean, {resamples:,} resamples]; the mean alone where there is one seed")


# -- formats ----------------------------------------------------------------------------------------------------------
LABELS = ("env", "level", "algo", "imagination", "settings")


@dataclass
class Table:
    experiments: list[Experiment]
    columns: list[str]
    cells: dict[tuple[int, str], Cell | None]
    confidence: float
    resamples: int

    def label_columns(self) -> list[int]:
        """Label columns to show: ``settings`` only when some experiment has extra settings."""
        return [i for i, _ in enumerate(LABELS) if i < 4 or any(e.settings for e in self.experiments)]


def build_table(runs: Sequence[dict[str, Any]], per_task: bool = False, confidence: float = CONFIDENCE,
                resamples: int = BOOTSTRAP_REPS) -> Table:
    experiments, columns = group_experiments(runs), table_columns(runs, per_task)
    cells = {(i, c): summarize_cell(e.values(c), confidence, resamples)
             for i, e in enumerate(experiments) for c in columns}
    return Table(experiments, columns, cells, confidence, resamples)


def _header_rows(columns: list[str]) -> tuple[list[str], list[str]]:
    """Two header lines: the level over its task columns, then the task (one line when columns are levels)."""
    if not any("/" in c for c in columns):
        return [""] * len(columns), columns
    top, bottom, previous = [], [], None
    for column in columns:
        level, task = column.split("/", 1)
        top.append(level if level != previous else "")
        bottom.append(task)
        previous = level
    return top, bottom


def format_text(table: Table) -> str:
    shown = table.label_columns()
    rows = [[*(str(e.label[i]) for i in shown), str(len(e.runs)),
             *(cell_text(table.cells[(k, c)]) for c in table.columns)] for k, e in enumerate(table.experiments)]
    top, bottom = _header_rows(table.columns)
    heads = [[""] * (len(shown) + 1) + top, [*(LABELS[i] for i in shown), "seeds", *bottom]]
    widths = [max(len(r[j]) for r in [*heads, *rows]) for j in range(len(heads[1]))]
    def line(cells: list[str], numbers: bool = True) -> str:  # labels left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if j < len(shown) or not numbers else c.rjust(w)
                         for j, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    lines = [line(heads[0], numbers=False)] if any(top) else []  # a level starts above its first task
    lines += [line(heads[1]), "-" * len(line(heads[1])), *(line(r) for r in rows)]
    return "\n".join([*lines, legend(table.confidence, table.resamples)])


def format_markdown(table: Table) -> str:
    shown = table.label_columns()
    header = [*(LABELS[i] for i in shown), "seeds", *table.columns]
    align = ["---"] * len(shown) + ["---:"] * (len(header) - len(shown))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for k, e in enumerate(table.experiments):
        cells = [*(str(e.label[i]) for i in shown), str(len(e.runs)),
                 *(cell_text(table.cells[(k, c)]) for c in table.columns)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", f"*{legend(table.confidence, table.resamples)}*"])


def format_csv(table: Table) -> str:
    """Long format: one line per experiment and evaluated column, numbers unrounded."""
    ci = f"ci{round(table.confidence * 100)}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*LABELS, "evaluated", "seeds", "mean", "std_ddof1", f"{ci}_low", f"{ci}_high"])
    for k, e in enumerate(table.experiments):
        for column in table.columns:
            cell = table.cells[(k, column)]
            if cell is not None:
                numbers = (cell.mean, cell.std, cell.ci_low, cell.ci_high)
                writer.writerow([*e.label, column, cell.seeds, *("" if np.isnan(x) else repr(x) for x in numbers)])
    return out.getvalue().rstrip("\n")


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"),
                          ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(char, escaped)
    return text


def format_latex(table: Table) -> str:
    """A booktabs ``table``; with ``--per-task`` a header row of levels spans their tasks."""
    shown = table.label_columns()
    n_labels = len(shown) + 1
    lines = [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{" + "l" * n_labels + "c" * len(table.columns) + "}",
             r"\toprule"]
    top, bottom = _header_rows(table.columns)
    if any(top):
        spans, start = [], 0
        for j in range(1, len(top) + 1):
            if j == len(top) or top[j]:
                spans.append((top[start], j - start, start))
                start = j
        lines.append(" & " * (n_labels - 1) + " & " + " & ".join(
            rf"\multicolumn{{{width}}}{{c}}{{{_latex_escape(level)}}}" for level, width, _ in spans) + r" \\")
        lines.append("".join(rf"\cmidrule(lr){{{n_labels + s + 1}-{n_labels + s + w}}}" for _, w, s in spans))
    lines.append(" & ".join(_latex_escape(h) for h in [*(LABELS[i] for i in shown), "seeds", *bottom]) + r" \\")
    lines.append(r"\midrule")
    for k, e in enumerate(table.experiments):
        cells = [*(_latex_escape(str(e.label[i])) for i in shown), str(len(e.runs)),
                 *(cell_text(table.cells[(k, c)], pm=r"$\pm$") for c in table.columns)]
        lines.append(" & ".join(cells) + r" \\")
    caption = _latex_escape(legend(table.confidence, table.resamples)).replace("±", r"$\pm$")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}", r"\end{table}"]
    return "\n".join(lines)


FORMATTERS: dict[str, Callable[[Table], str]] = {
    "text": format_text, "markdown": format_markdown, "csv": format_csv, "latex": format_latex,
}


def unfinished_runs(runs: Sequence[dict[str, Any]]) -> list[str]:
    """One line per run that failed or is still running (or was killed): status, run, error, directory."""
    return [f"{str(r.get('status', 'unknown')).upper()} {r.get('run', '?')}: {r.get('error', r.get('status'))}"
            + (f" ({r['_path']})" if "_path" in r else "") for r in runs if r.get("status") != "completed"]


def success_table(runs: Sequence[dict[str, Any]], per_task: bool = False, fmt: str = "text",
                  confidence: float = CONFIDENCE, resamples: int = BOOTSTRAP_REPS) -> str:
    """The table in ``fmt``; text and markdown list the runs that did not complete below it."""
    if fmt not in FORMATTERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    rendered = FORMATTERS[fmt](build_table(runs, per_task, confidence, resamples))
    unfinished = unfinished_runs(runs)
    if fmt == "text" and unfinished:
        rendered += "\n" + "\n".join(unfinished)
    if fmt == "markdown" and unfinished:
        rendered += "\n\n" + "\n".join(f"- {line}" for line in unfinished)
    return rendered


def run_table(results: dict[str, Any]) -> str:
    """One run's final evaluation (what ``launch.py`` prints at the end): a row per evaluated level with its success,
    return and length."""
    widths = {"success": (9, ".3f"), "return": (9, ".2f"), "length": (8, ".1f")}
    lines = [f"{'level':<10}" + "".join(f"{stat:>{widths[stat][0]}}" for stat in EPISODE_STATS)]
    final = results.get("final", {})
    for level in LEVELS:
        if eval_key(level) in final:
            cells = (f"{final[eval_key(level, stat)]:>{widths[stat][0]}{widths[stat][1]}}" for stat in EPISODE_STATS)
            lines.append(f"{level:<10}" + "".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+",
                        help="run or sweep directories (searched recursively) or results.json files")
    parser.add_argument("--per-task", action="store_true", help="one column per evaluated (level, task)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="table format (csv: one line per cell)")
    parser.add_argument("--confidence", type=float, default=CONFIDENCE, help="confidence level of the intervals")
    parser.add_argument("--resamples", type=int, default=BOOTSTRAP_REPS, help="bootstrap resamples per interval")
    parser.add_argument("--plot", nargs="?", const="", default=None, metavar="DIR",
                        help="also write learning curves (PNG, one per env and evaluated level) to DIR "
                             "(default: <first path>/plots)")
    args = parser.parse_args(argv)
    runs = find_results(args.paths)
    if not runs:
        print(f"no results.json found under {', '.join(args.paths)}", file=sys.stderr)
        return 1
    if args.format in ("csv", "latex"):
        for line in unfinished_runs(runs):
            print(line, file=sys.stderr)
    print(success_table(runs, args.per_task, args.format, args.confidence, args.resamples))
    if args.plot is not None:
        from imagine_bench.plots import learning_curves

        first = Path(args.paths[0])
        out_dir = Path(args.plot) if args.plot else (first if first.is_dir() else first.parent) / "plots"
        for path in learning_curves(group_experiments(runs), out_dir, args.confidence, args.resamples):
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
