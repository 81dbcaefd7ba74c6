"""An untrained reference point for a table: a uniform random policy, scored on every domain's evaluation episodes.

A level that a random policy already solves measures nothing about the training data, whatever the trained rows
show; D4RL normalises its scores between a random and an expert policy for the same reason. The random policy is
scored on exactly the episodes every cell of the table is scored on: the config is composed from the same overrides
a cell gets (the domain's selection and the table's ``common``) with ``level=real``, so all four levels are
evaluated, with the same evaluation plan, seed and horizon. It costs one evaluation per domain and no training.

One JSON per domain, ``<output>/baselines/random/<domain>.json``, written atomically; ``python -m imagine_bench.table
baselines`` skips the domains that already have one made with the same overrides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from omegaconf import DictConfig

from imagine_bench.evaluation import Policy, summarize
from imagine_bench.metrics import eval_key

RANDOM = "random"


def random_policy(action_space: gym.Space, seed: int) -> Policy:
    """Actions drawn uniformly from ``action_space`` (every discrete action, or the whole box), one per
    observation, from a generator seeded with ``seed`` (so a domain's baseline is repeatable)."""
    rng = np.random.default_rng(seed)
    if isinstance(action_space, gym.spaces.Discrete):
        start, stop = int(action_space.start), int(action_space.start + action_space.n)
        return lambda observations: rng.integers(start, stop, size=len(observations))
    if isinstance(action_space, gym.spaces.Box):
        low, high = action_space.low, action_space.high
        return lambda observations: rng.uniform(low, high, size=(len(observations), *low.shape)).astype(np.float32)
    raise TypeError(f"random policy: unsupported action space {action_space}")


def baseline_overrides(table: DictConfig, domain: str, seed: int) -> tuple[str, ...]:
    """The overrides a cell of ``domain`` gets, less the training ones: its evaluation settings are the cells'."""
    from imagine_bench.table.grid import env_selection

    return (*env_selection(table, domain), "level=real", f"seed={seed}", *table.common)


def baseline_path(output: Path, domain: str) -> Path:
    return output / "baselines" / RANDOM / f"{domain}.json"


def read_baselines(table: DictConfig, domains: Sequence[str], seed: int = 0) -> dict[str, dict[str, Any]]:
    """The stored random-policy summaries of ``domains`` that answer ``table`` as it is now (made with its current
    overrides). A domain without one, with an unreadable one or with a stale one is left out: ``baselines`` then
    evaluates it again, and the renderer shows no random reference for it."""
    from imagine_bench.table.execute import read_summary

    found = {}
    for domain in domains:
        summary = read_summary(baseline_path(Path(table.output), domain))
        if (summary and summary.get("status") == "completed"
                and summary.get("overrides") == list(baseline_overrides(table, domain, seed))):
            found[domain] = summary
    return found


def pending_baselines(table: DictConfig, domains: Sequence[str], seed: int = 0) -> list[str]:
    current = read_baselines(table, domains, seed)
    return [d for d in domains if d not in current]


def evaluate_random(table: DictConfig, domain: str, seed: int = 0) -> dict[str, Any]:
    """Score a random policy on all four levels of ``domain`` with the cells' evaluation settings; return the summary
    (success per level and task, the evaluation settings, wall time)."""
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from imagine_bench.evaluation import Evaluator
    from imagine_bench.language import CachedEmbedder
    from imagine_bench.paths import configs_dir
    from imagine_bench.runner import validate
    from imagine_bench.table.execute import per_task_success

    overrides = baseline_overrides(table, domain, seed)
    with initialize_config_dir(config_dir=str(configs_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides))
    plan = validate(cfg)
    started = time.perf_counter()
    embedder = CachedEmbedder(instantiate(cfg.embedder), cfg.data.cache_dir)
    # In-process lanes: the stepping order, and so the random stream each episode sees, is then fixed.
    evaluator = Evaluator(plan.domain, plan.eval_levels, cfg.eval.episodes_per_task, cfg.env.horizon, embedder,
                          in_flight=cfg.eval.in_flight, eval_seed=cfg.eval.seed, workers=0)
    try:
        final = summarize(evaluator(random_policy(plan.domain.action_space, seed)))
    finally:
        evaluator.close()
    levels = [str(level) for level in plan.eval_levels]
    return {
        "table": str(table.name), "policy": RANDOM, "status": "completed", "domain": domain, "seed": seed,
        "eval_levels": levels, "episodes_per_task": int(cfg.eval.episodes_per_task), "eval_seed": int(cfg.eval.seed),
        "horizon": int(cfg.env.horizon),
        "success": {lv: final[eval_key(lv)] for lv in levels},
        "return": {lv: final[eval_key(lv, "return")] for lv in levels},
        "per_task": per_task_success(final, levels),
        "wall_s": round(time.perf_counter() - started, 1),
        "overrides": list(overrides),
    }


def run_baselines(table: DictConfig, domains: Sequence[str], command: str, seed: int = 0,
                  log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Evaluate the random policy on each domain of ``domains`` that has no current summary; write each summary."""
    from imagine_bench.provenance import code_state
    from imagine_bench.table.execute import package_versions, write_json

    provenance = {**code_state(), "command": command, "versions": package_versions()}
    summaries = []
    for domain in pending_baselines(table, domains, seed):
        summary = {**evaluate_random(table, domain, seed), **provenance}
        write_json(baseline_path(Path(table.output), domain), summary)
        summaries.append(summary)
        log(f"random policy on {domain}: " + "  ".join(f"{lv} {v:.2f}" for lv, v in summary["success"].items())
            + f"  ({summary['wall_s']:.0f} s)")
    return summaries
