"""The expert table every domain prints: ``python -m imagine_bench.domains.<name>.experts --episodes N``.

For every task of the real, easy and hard levels (rephrase shares real's tasks) the domain's scripted expert runs on
the first ``--episodes`` evaluation start states (the same start seeds the evaluator uses with ``eval.seed``), up to
the task's horizon, stopping at the simulator's success flag. Columns: ``success`` = share of episodes solved,
``mean_t`` / ``max_t`` = steps to success, ``agree`` = share of steps where the state-based ``domain.success``
equals the simulator's own flag (imagined data is judged with the former, evaluation counts the latter), ``s/ep`` =
wall time per expert episode.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from imagine_bench.domains import get_domain
from imagine_bench.domains.base import Domain
from imagine_bench.seeding import evaluation_seed

TABLE_LEVELS = ("real", "easy", "hard")
COLUMNS = ("episodes", "success", "mean_t", "max_t", "agree", "s/ep")


def expert_row(domain: Domain, level: str, task: str, episodes: int, horizon: int, eval_seed: int = 0) -> dict:
    """One row of the table: the expert of ``task`` on its first ``episodes`` evaluation episodes at ``level``."""
    limit = domain.task_horizon(task, horizon)
    sim = domain.make_simulator(task, limit)
    solved_at: list[int] = []
    agree = steps = 0
    started = time.perf_counter()
    try:
        for index in range(episodes):
            _, goal = sim.reset(evaluation_seed(eval_seed, level, task, index))
            for t in range(1, limit + 1):
                state, success = sim.step(sim.expert_action())
                agree += int(domain.success(task, goal, state) == success)
                steps += 1
                if success:
                    solved_at.append(t)
                    break
    finally:
        sim.close()
    return {
        "level": level, "task": task, "episodes": episodes, "success": len(solved_at) / max(episodes, 1),
        "mean_t": float(np.mean(solved_at)) if solved_at else float("nan"),
        "max_t": float(max(solved_at)) if solved_at else float("nan"),
        "agree": agree / max(steps, 1), "s/ep": (time.perf_counter() - started) / max(episodes, 1),
    }


def format_row(row: dict, task_width: int = 28) -> str:
    return (f"{row['level']:<6}{row['task']:<{task_width}}{row['episodes']:>8}{row['success']:>8.3f}{row['mean_t']:>8.1f}"
            f"{row['max_t']:>8.0f}{row['agree']:>8.3f}{row['s/ep']:>8.3f}")


def main(domain_name: str, argv: Sequence[str] | None = None, default_episodes: int = 20) -> None:
    """Parse ``argv`` and print the expert table of ``domain_name`` row by row."""
    domain = get_domain(domain_name)
    parser = argparse.ArgumentParser(description=f"{domain.name} experts. " + __doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=default_episodes, help="episodes per task")
    parser.add_argument("--horizon", type=int, default=domain.default_horizon,
                        help=f"step limit (default: the domain's, {domain.default_horizon}; composite tasks may get more)")
    parser.add_argument("--eval-seed", type=int, default=0, help="the evaluation plan's seed (eval.seed)")
    parser.add_argument("--tasks", nargs="*", default=None, help="only these tasks")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error("--episodes must be at least 1")
    print(f"{domain.name} experts: {args.episodes} episodes per task, horizon {args.horizon}")
    task_width = max(28, *(len(task) + 2 for task in domain.all_tasks()))  # LIBERO's task names run to 58 characters
    print(f"{'level':<6}{'task':<{task_width}}" + "".join(f"{c:>8}" for c in COLUMNS))
    for level in TABLE_LEVELS:
        for task in domain.tasks(level):
            if args.tasks and task not in args.tasks:
                continue
            row = expert_row(domain, level, task, args.episodes, args.horizon, args.eval_seed)
            print(format_row(row, task_width), flush=True)
