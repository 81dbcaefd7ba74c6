"""Result tables from run directories: ``python -m imagine_bench.report multirun/<sweep> [more dirs] [--per-task]``.

Reads every ``results.json`` below the given directories and prints one row per (env, training level, algo) with
the mean and standard deviation of success over seeds for each evaluated level; failed runs are listed, not averaged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imagine_bench.levels import LEVELS


def find_results(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    runs = []
    for path in paths:
        path = Path(path)
        files = [path] if path.is_file() else sorted(path.rglob("results.json"))
        for file in files:
            data = json.loads(file.read_text())
            data["_path"] = str(file.parent)
            runs.append(data)
    return runs


def success_table(runs: Sequence[dict[str, Any]], per_task: bool = False) -> str:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    failed = []
    for run in runs:
        if run.get("status") == "completed":
            groups[(run["env"], run["level"], run["algo"])].append(run)
        else:
            failed.append(run)
    columns = [lv for lv in LEVELS if any(lv in r.get("success", {}) for r in runs)]
    if per_task:
        columns = sorted({k[len("eval/"):-len("/success")] for r in runs for k in r.get("final", {})
                          if k.endswith("/success") and k.count("/") == 3}, key=lambda c: (LEVELS.index(c.split("/")[0]), c))
    header = f"{'env':<12}{'level':<10}{'algo':<13}{'seeds':>5}  " + "".join(f"{c:>16}" for c in columns)
    lines = [header, "-" * len(header)]
    for (env, level, algo), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], LEVELS.index(kv[0][1]), kv[0][2])):
        cells = []
        for column in columns:
            values = [r["final"].get(f"eval/{column}/success") for r in rs]
            values = [v for v in values if v is not None]
            cells.append(f"{np.mean(values):>9.3f} ± {np.std(values):.2f}" if values else f"{'-':>16}")
        lines.append(f"{env:<12}{level:<10}{algo:<13}{len(rs):>5}  " + "".join(f"{c:>16}" for c in cells))
    for run in failed:
        lines.append(f"FAILED {run.get('run', '?')}: {run.get('error', run.get('status'))} ({run['_path']})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="run or sweep directories (searched recursively) or results.json files")
    parser.add_argument("--per-task", action="store_true", help="one column per evaluated (level, task)")
    args = parser.parse_args(argv)
    runs = find_results(args.paths)
    if not runs:
        print(f"no results.json found under {', '.join(args.paths)}", file=sys.stderr)
        return 1
    print(success_table(runs, per_task=args.per_task))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
