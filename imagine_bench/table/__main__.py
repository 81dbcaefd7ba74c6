"""Command line of :mod:`imagine_bench.table`: ``run``, ``status`` and ``render`` a table's grid; ``baselines``
scores a random policy on each of its domains (:mod:`.baselines`), which ``render`` adds to the tables.

``python -m imagine_bench.table <command> [--table NAME] [overrides ...]``; overrides are Hydra overrides of the
table config (``n_jobs=1``, ``seeds=[0]``, ``steps_override=500000``, ``budgets.cql=1000``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from imagine_bench.table.execute import command_line, load_table, pending_cells, run_cells
from imagine_bench.table.grid import Cell, expand


def action_kinds() -> dict[str, str]:
    from imagine_bench.domains import domain_classes, get_domain

    return {name: get_domain(name).action_kind for name in domain_classes()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m imagine_bench.table", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("run", "status", "render", "baselines"))
    parser.add_argument("--table", default="reference", help="configs/table/<TABLE>.yaml (default: reference)")
    parser.add_argument("--limit", type=int, default=None, help="run at most this many pending cells")
    parser.add_argument("--only", default=None,
                        help="run only cells whose key contains one of these comma-separated texts, e.g. "
                             "metaworld/bc/real/,babyai/bc/")
    parser.add_argument("--rerun", action="store_true",
                        help="also rerun complete cells (those matching --only), e.g. after changing a default that the "
                             "cells' overrides do not name")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the table config")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_intermixed_args(argv)
    table = load_table(args.table, args.overrides)
    for module in table.imports:
        __import__(module)
    cells = expand(table, action_kinds())
    output = Path(table.output)
    if args.command == "baselines":
        from imagine_bench.table.baselines import run_baselines

        domains = sorted({cell.domain for cell in cells})
        if not run_baselines(table, domains, command_line(argv), log=lambda line: print(line, flush=True)):
            print(f"table {table.name}: every domain already has its random-policy baseline", flush=True)
        return 0
    if args.command == "render":
        print(f"wrote {render(table, cells, command_line(argv))}")
        return 0
    optional = [cell for cell in cells if cell.optional]
    cells = [cell for cell in cells if not cell.optional]
    incomplete = pending_cells(cells, output)
    pending = list(cells) if args.rerun else incomplete
    if args.only:
        wanted = [text for text in args.only.split(",") if text]
        unknown = [text for text in wanted if not any(text in cell.key for cell in cells)]
        if unknown and any(text in cell.key for text in unknown for cell in optional):
            parser.error(f"--only {','.join(unknown)} names cells of an optional block of table {table.name}; "
                         "add include_optional=true to run them")
        if unknown:
            parser.error(f"--only {','.join(unknown)} matches no cell of table {table.name} "
                         f"(keys look like {cells[0].key})")
        pending = [cell for cell in pending if any(text in cell.key for text in wanted)]
    if args.command == "status":
        print(status_text(cells, pending))
        if optional:
            print(f"{len(optional)} cells of optional blocks are not part of this grid "
                  "(include_optional=true adds them)")
        return 0
    todo = pending[: args.limit] if args.limit is not None else pending
    left_out = (f" ({len(optional)} cells of optional blocks left out: include_optional=true runs them)"
                if optional else "")
    print(f"table {table.name}: {len(cells) - len(incomplete)} of {len(cells)} cells complete{left_out}; "
          f"running {len(todo)} ({table.n_jobs} at once)", flush=True)
    summaries = run_cells(table, todo, command_line(argv), log=lambda line: print(line, flush=True))
    failed = [s["cell"] for s in summaries if s["status"] != "completed"]
    if failed:
        print(f"{len(failed)} cells failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def render(table: DictConfig, cells: Sequence[Cell], command: str) -> Path:
    """Write ``README.md``, ``table.csv`` and ``figures/`` under the table's output folder; return the README path.
    (Here rather than in :mod:`.render`, which :mod:`.figures` builds on: the figures need the rendered rows.)"""
    from imagine_bench.table import figures
    from imagine_bench.table.execute import write_text
    from imagine_bench.table.render import collect, csv_text, readme_text, update_project_readme

    output = Path(table.output)
    collected = collect(cells, table)
    figure_paths = figures.draw_all(collected, output / "figures")
    write_text(output / "table.csv", csv_text(collected))
    readme = output / "README.md"
    write_text(readme, readme_text(table, cells, collected, figure_paths, command))
    project_readme = table.get("project_readme")
    if project_readme and output.resolve() == Path(project_readme).resolve().parent / "results" / table.name:
        update_project_readme(Path(project_readme), table, cells, collected, figure_paths)
    elif project_readme:
        # A smoke test or a rerun at another scale (output elsewhere) must not replace the README's reference numbers.
        print(f"{project_readme} left unchanged: output {output} is not the project's results/{table.name}", flush=True)
    return readme


def status_text(cells: Sequence[Cell], pending: Sequence[Cell]) -> str:
    pending_keys = {c.key for c in pending}
    by_block: dict[tuple[str, str], list[int]] = {}
    for cell in cells:
        done = by_block.setdefault((cell.domain, cell.algo), [0, 0])
        done[0] += cell.key not in pending_keys
        done[1] += 1
    lines = [f"{len(cells) - len(pending)} of {len(cells)} cells complete"]
    lines += [f"  {domain:<12} {algo:<12} {d}/{n}" for (domain, algo), (d, n) in sorted(by_block.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
