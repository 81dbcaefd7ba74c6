"""Run the cells of a table that have no complete summary yet, a few at a time, and write one summary per cell.

Resumable by construction: a cell counts as done only when its summary JSON exists, says ``completed`` and was made
with the cell's current overrides. A cell interrupted mid-run has no summary, so the next ``run`` starts it again
from a clean run directory; a cell whose budget changed in the YAML runs again too. Summaries are written
atomically, so an interrupted write never looks complete.

Cells run in joblib worker processes (``n_jobs`` at once), each through the same :func:`imagine_bench.runner.run`
that ``launch.py`` calls, with the config composed from ``configs/`` and the cell's overrides.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import platform
import shlex
import shutil
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from imagine_bench.metrics import eval_key, parse_eval_key
from imagine_bench.paths import configs_dir
from imagine_bench.provenance import code_state
from imagine_bench.table.grid import Cell

PACKAGES = ("imagine-bench", "torch", "d3rlpy", "numpy", "gymnasium", "mujoco", "metaworld", "minigrid", "hydra-core",
            "transformers")


def load_table(name: str, overrides: Sequence[str] = ()) -> DictConfig:
    """``configs/table/<name>.yaml`` (or a path to a YAML file) composed with Hydra, with command-line overrides
    (``n_jobs=1``, ``seeds=[0]``)."""
    from hydra import compose, initialize_config_dir

    path = Path(name).resolve() if name.endswith((".yaml", ".yml")) else configs_dir() / "table" / f"{name}.yaml"
    name = path.stem
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ValueError(f"unknown table {name!r} (no {path}); known tables: {', '.join(known)}")
    with initialize_config_dir(config_dir=str(path.parent), version_base="1.3"):
        table = compose(config_name=name, overrides=list(overrides))
    if int(table.n_jobs) < 1:
        raise ValueError(f"n_jobs must be >= 1, got {table.n_jobs}")
    return table


def read_summary(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def summary_status(cell: Cell, summary: dict[str, Any] | None) -> str | None:
    """What a stored summary says of ``cell`` (``completed`` or ``failed``): None without one, or when it was made
    with other overrides (an older budget), since it then answers another cell."""
    if not summary or summary.get("overrides") != list(cell.overrides):
        return None
    return summary.get("status")


def is_complete(cell: Cell, output: Path) -> bool:
    return summary_status(cell, read_summary(cell.summary_path(output))) == "completed"


def pending_cells(cells: Iterable[Cell], output: Path) -> list[Cell]:
    return [cell for cell in cells if not is_complete(cell, output)]


def run_cells(table: DictConfig, cells: Sequence[Cell], command: str, log=print) -> list[dict[str, Any]]:
    """Run ``cells`` (``table.n_jobs`` at once) and return their summaries in the order they finish."""
    from joblib import Parallel, delayed

    output, runs_dir = Path(table.output), Path(table.runs_dir)
    provenance = {**code_state(), "command": command, "versions": package_versions()}
    imports = list(table.imports)
    jobs = (delayed(run_cell)(cell, str(table.name), output, runs_dir, provenance, imports) for cell in cells)
    summaries = []
    started = time.perf_counter()
    parallel = Parallel(n_jobs=int(table.n_jobs), return_as="generator_unordered")
    for done, summary in enumerate(parallel(jobs), start=1):
        summaries.append(summary)
        finals = "  ".join(f"{lv} {v:.2f}" for lv, v in summary.get("success", {}).items())
        log(f"[{done}/{len(cells)}] {summary['cell']}: {summary['status']} in {summary['wall_s']:.0f} s  {finals}"
            f"  ({time.perf_counter() - started:.0f} s elapsed)")
    return summaries


def run_cell(cell: Cell, table_name: str, output: Path, runs_dir: Path, provenance: dict[str, Any],
             imports: Sequence[str] = ()) -> dict[str, Any]:
    """Train and evaluate one cell in this process; write and return its summary (``failed`` ones too)."""
    for module in imports:
        importlib.import_module(module)
    run_dir = cell.run_dir(runs_dir)
    if run_dir.exists():  # an interrupted earlier attempt: start clean
        shutil.rmtree(run_dir)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        results = _train(cell, run_dir)
    except Exception as exc:  # noqa: BLE001  (the failure is recorded in the summary; the grid goes on)
        results = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    # CPU seconds measure a cell's cost even when other work shares the machine (wall time then inflates).
    cost = {"wall_s": round(time.perf_counter() - started, 1), "cpu_s": round(time.process_time() - cpu_started, 1)}
    summary = summarize_cell(cell, table_name, results, cost, provenance)
    write_json(cell.summary_path(output), summary)
    return summary


def _train(cell: Cell, run_dir: Path) -> dict[str, Any]:
    from hydra import compose, initialize_config_dir

    from imagine_bench.runner import run

    with initialize_config_dir(config_dir=str(configs_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(cell.overrides))
    return run(cfg, run_dir)


def summarize_cell(cell: Cell, table_name: str, results: dict[str, Any], cost: dict[str, float],
                   provenance: dict[str, Any]) -> dict[str, Any]:
    """The committed record of one cell: final success per level and task, the learning curve, cost, provenance."""
    final = results.get("final", {})
    levels = list(results.get("eval_levels", []))
    algo_cfg = results.get("config", {}).get("algo", {})
    return {
        "table": table_name, "cell": cell.key, "status": results.get("status", "failed"),
        "error": results.get("error"),
        "domain": cell.domain, "algo": cell.algo, "algo_class": _algo_class(algo_cfg, cell.domain),
        "condition": cell.condition.name, "level": cell.condition.level, "backend": cell.condition.backend,
        "seed": cell.seed, "steps": cell.steps, "eval_interval": cell.interval, "eval_levels": levels,
        "success": {lv: final[eval_key(lv)] for lv in levels if eval_key(lv) in final},
        "return": {lv: final[eval_key(lv, "return")] for lv in levels if eval_key(lv, "return") in final},
        "per_task": per_task_success(final, levels),
        "history": [{"step": h["step"], "success": {lv: h[eval_key(lv)] for lv in levels if eval_key(lv) in h}}
                    for h in results.get("history", [])],
        "data": _data_sizes(results.get("data")),
        **cost, "timing": results.get("timing", {}),
        "overrides": list(cell.overrides),
        "launch_command": "python launch.py " + " ".join(shlex.quote(o) for o in cell.overrides),
        **provenance,
        "host": host(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def host() -> dict[str, Any]:
    """The machine a cell ran on. It names the CPU model because the same cell's CPU time differs between machines of
    the same core count, so a cost table mixing machines needs it to be read."""
    return {"cpus": os.cpu_count(), "cpu": _cpu_model(), "machine": platform.machine(),
            "python": platform.python_version()}


def _cpu_model() -> str | None:
    try:  # Linux names the model here; platform.processor() is often empty or just the architecture there
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _algo_class(algo_cfg: dict[str, Any], domain: str) -> str | None:
    """The d3rlpy class that ran (``BCConfig`` or ``DiscreteBCConfig``, ...), from the domain's action space."""
    from imagine_bench.domains import get_domain

    variant = algo_cfg.get(get_domain(domain).action_kind) if isinstance(algo_cfg, dict) else None
    return variant.get("_target_", "").rsplit(".", 1)[-1] if isinstance(variant, dict) else None


def per_task_success(final: dict[str, float], levels: Sequence[str]) -> dict[str, dict[str, float]]:
    per_task: dict[str, dict[str, float]] = {lv: {} for lv in levels}
    for key, value in final.items():
        parsed = parse_eval_key(key)
        if parsed and parsed.task is not None and parsed.stat == "success" and parsed.level in per_task:
            per_task[parsed.level][parsed.task] = value
    return per_task


def _data_sizes(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return None
    keep = ("episodes", "transitions", "success_rate", "mean_length")
    sizes: dict[str, Any] = {kind: {k: v for k, v in (data.get(kind) or {}).items() if k in keep} or None
                             for kind in ("real", "imaginary")}
    sizes.update(imaginary_share=data.get("imaginary_share"), imaginary_settings=data.get("imaginary_settings"))
    return sizes


def write_json(path: Path, payload: dict[str, Any]) -> None:
    write_text(path, json.dumps(payload, indent=1, default=str) + "\n")


def write_text(path: Path, text: str) -> None:
    from imagine_bench.storage import atomic_write

    with atomic_write(path) as tmp:
        tmp.write_text(text)


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def command_line(argv: Sequence[str]) -> str:
    """How this table command was invoked, for the record (``python -m imagine_bench.table run ...``)."""
    return " ".join(shlex.quote(a) for a in ["python", "-m", "imagine_bench.table", *argv])
