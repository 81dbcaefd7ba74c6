"""The grid of a result table, declared in ``configs/table/<name>.yaml`` and expanded here into cells.

A cell is one training run: a domain, an algorithm, a *condition* (the training level, plus the imagination backend
for a novel level) and a training seed, with a step budget. Its ``launch.py`` overrides are derived from the table
config alone, so the same file reproduces the same cells anywhere, and a cell's identity (``Cell.key``) plus its
overrides decide whether a stored summary still answers it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from imagine_bench.levels import LEVELS, Level

REAL_ONLY = "real"


@dataclass(frozen=True)
class Condition:
    """What a run trains on: ``real`` (real data only) or ``<novel level>/<imagination backend>``."""

    level: str
    backend: str | None

    @classmethod
    def parse(cls, text: str) -> Condition:
        level, _, backend = text.partition("/")
        Level(level)  # an unknown level is an error
        if level == REAL_ONLY:
            if backend:
                raise ValueError(f"condition {text!r}: level=real trains on real data only and takes no backend")
            return cls(level, None)
        if not backend:
            raise ValueError(f"condition {text!r}: a novel level needs a backend, e.g. {level}/scripted")
        return cls(level, backend)

    @property
    def name(self) -> str:
        return self.level if self.backend is None else f"{self.level}/{self.backend}"

    @property
    def slug(self) -> str:
        return self.name.replace("/", "-")


@dataclass(frozen=True)
class Cell:
    domain: str
    algo: str
    condition: Condition
    seed: int
    steps: int
    interval: int
    overrides: tuple[str, ...]
    # Named only by blocks marked ``optional`` (and the table does not set ``include_optional``): ``run`` leaves the
    # cell out of the grid it runs, and ``render`` shows it only where it has results.
    optional: bool = False

    @property
    def key(self) -> str:
        """``<domain>/<algo>/<condition>/seed<k>``: the cell's place in the output tree."""
        return f"{self.domain}/{self.algo}/{self.condition.slug}/seed{self.seed}"

    def summary_path(self, output: Path) -> Path:
        return output / "cells" / f"{self.key}.json"

    def run_dir(self, runs_dir: Path) -> Path:
        return runs_dir / self.key


def env_selection(table: DictConfig, domain: str) -> list[str]:
    """The overrides that select ``domain``'s env: ``env=<domain>`` unless the table's ``domain_overrides`` says."""
    return list(table.get("domain_overrides", {}).get(domain) or [f"env={domain}"])


def cell_overrides(table: DictConfig, domain: str, algo: str, condition: Condition, seed: int,
                   steps: int, interval: int) -> tuple[str, ...]:
    overrides = [*env_selection(table, domain), f"algo={algo}", f"level={condition.level}", f"seed={seed}", f"steps={steps}",
                 f"eval.interval={interval}"]
    if condition.backend is not None:
        overrides.append(f"imagination={condition.backend}")
    return (*overrides, *table.common)


def block_seeds(table: DictConfig, block: DictConfig) -> list[int]:
    """Training seeds of a block's cells: its own ``seeds`` (fewer, to fit a costly algorithm) or the table's."""
    seeds = list(block.get("seeds") or table.seeds)
    if not all(isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 for seed in seeds):
        where = f"block {block.get('name')}" if block.get("seeds") else "seeds"
        raise ValueError(f"table {table.name}: {where} must list non-negative integer seeds, got {seeds}")
    return seeds


def step_budget(table: DictConfig, domain: str, algo: str) -> tuple[int, int]:
    """(steps, evaluation interval) of one cell: the table's budget, or ``steps_override`` for every cell."""
    if table.steps_override is not None:
        steps = int(table.steps_override)
    else:
        per_domain = table.domain_budgets.get(domain) or {}
        if algo not in per_domain and algo not in table.budgets:
            raise ValueError(f"table {table.name}: no step budget for algo={algo} (add it under `budgets`)")
        steps = int(per_domain.get(algo, table.budgets.get(algo)))
    evaluations = int(table.evaluations)
    if steps <= 0 or evaluations <= 0 or steps % evaluations:
        raise ValueError(f"table {table.name}: steps ({steps}) for {domain}/{algo} must be a positive multiple of "
                         f"evaluations ({evaluations})")
    return steps, steps // evaluations


def expand(table: DictConfig, action_kind_of: dict[str, str]) -> list[Cell]:
    """Every cell of the table, in a stable order (block, domain, algorithm, condition, seed), optional ones flagged
    (:func:`block_is_optional`). A cell named by two blocks appears once, and is optional only if both blocks are."""
    cells: dict[str, Cell] = {}
    for block in table.blocks:
        optional = block_is_optional(table, block)
        for domain, algo, condition in _block_entries(block, action_kind_of):
            steps, interval = step_budget(table, domain, algo)
            for seed in block_seeds(table, block):
                cell = Cell(domain, algo, condition, seed, steps, interval,
                            cell_overrides(table, domain, algo, condition, seed, steps, interval), optional)
                if cell.key not in cells or (cells[cell.key].optional and not optional):
                    cells[cell.key] = cell
    return list(cells.values())


def block_is_optional(table: DictConfig, block: DictConfig) -> bool:
    """Whether a block's cells stay out of the grid that ``run`` runs: blocks marked ``optional: true`` do, unless the
    table sets ``include_optional=true``. An optional block holds evidence beyond what the table's budget carries."""
    optional, include = block.get("optional", False), table.get("include_optional", False)
    for name, value in ((f"block {block.get('name')}: optional", optional), ("include_optional", include)):
        if not isinstance(value, bool):
            raise ValueError(f"table {table.name}: {name} must be true or false, got {value!r}")
    return optional and not include


def _block_entries(block: DictConfig, action_kind_of: dict[str, str]) -> Iterator[tuple[str, str, Condition]]:
    conditions = [Condition.parse(c) for c in block.conditions]
    for domain in block.domains:
        if domain not in action_kind_of:
            raise ValueError(f"table block {block.name}: unknown domain {domain!r}; known: {sorted(action_kind_of)}")
        for algo in block.algos.get(action_kind_of[domain]) or []:
            for condition in conditions:
                yield domain, algo, condition


def conditions_in_order(names: Sequence[str]) -> list[str]:
    """Conditions sorted for display: real-only first, then by level, then backend in quality order."""
    backend_rank = {"scripted": 0, "kalm": 1, "perfect": 2}

    def rank(name: str) -> tuple[int, int, str]:
        condition = Condition.parse(name)
        return LEVELS.index(condition.level), backend_rank.get(condition.backend or "", -1), condition.backend or ""

    return sorted(set(names), key=rank)
