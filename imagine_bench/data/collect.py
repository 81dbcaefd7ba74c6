"""Run a domain's scripted experts in the real simulator and record rollouts (the ``real`` datasets)."""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm.auto import tqdm

from imagine_bench.data.rollouts import Rollouts, RolloutWriter
from imagine_bench.domains import Domain
from imagine_bench.seeding import episode_seed


def run_expert_episode(
    domain: Domain, sim: Any, task: str, level: str, horizon: int, start_seed: int
) -> dict[str, Any]:
    """One expert episode from the start state of ``start_seed``; stops at the simulator's success or the horizon."""
    state, goal = sim.reset(start_seed)
    phrasings = domain.instructions(level, task, sim.instruction_slots())
    instruction = phrasings[int(np.random.default_rng(start_seed).integers(len(phrasings)))]
    states, actions, rewards, success = [state], [], [], False
    for _ in range(domain.task_horizon(task, horizon)):
        action = sim.expert_action()
        next_state, success = sim.step(action)
        rewards.append(domain.reward(task, goal, states[-1], next_state, bool(success)))
        states.append(next_state)
        actions.append(action)
        if success:
            break
    return {
        "task": task, "instruction": instruction, "goal": goal, "states": np.asarray(states),
        "actions": np.asarray(actions), "rewards": np.asarray(rewards), "success": bool(success),
    }


def collect_expert_rollouts(
    domain: Domain,
    level: str,
    episodes_per_task: int,
    horizon: int,
    seed: int,
    purpose: str = "real",
    progress: bool = True,
) -> Rollouts:
    """``episodes_per_task`` expert episodes of every task of ``level``, phrased with that level's instructions."""
    writer = RolloutWriter(domain.state_dim, domain.goal_dim, domain.is_discrete)
    tasks = domain.tasks(level)
    bar = tqdm(total=len(tasks) * episodes_per_task, desc=f"{domain.name}/{level} experts", disable=not progress,
               unit="ep", leave=False)
    for task in tasks:
        sim = domain.make_simulator(task, domain.task_horizon(task, horizon))
        try:
            for index in range(episodes_per_task):
                ep = run_expert_episode(domain, sim, task, level, horizon, episode_seed(seed, purpose, task, index))
                writer.add(terminated=ep["success"], **ep)
                bar.update()
        finally:
            sim.close()
    bar.close()
    return writer.build()
