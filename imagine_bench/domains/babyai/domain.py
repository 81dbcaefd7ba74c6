"""The registered :class:`BabyAIDomain` (``env=babyai``, ``BabyAI-v0``): it ties the package's modules together.

Task lists, success and reward: :mod:`.tasks`; phrasings: :mod:`.instructions`; state and goal layout: :mod:`.layout`;
the minigrid room: :mod:`.simulator` (imported only by :meth:`BabyAIDomain.make_simulator`); experts: :mod:`.experts`.
Success and reward are pure functions of arrays (no simulator), so imagined rollouts are relabelled with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gymnasium as gym
import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.babyai import tasks
from imagine_bench.domains.babyai.instructions import phrasings
from imagine_bench.domains.babyai.layout import GOAL_DIM, GRID_SIZE, N_ACTIONS, STATE_DIM, World, decode_goal
from imagine_bench.domains.babyai.tasks import COST, EASY_TASKS, HARD_TASKS, REAL_TASKS, SUCCESS
from imagine_bench.domains.base import Domain, TaskSimulator


@register_domain
class BabyAIDomain(Domain):
    name = "babyai"
    env_id = "BabyAI-v0"
    default_horizon = 64
    state_dim = STATE_DIM
    goal_dim = GOAL_DIM
    state_bounds = (0.0, float(GRID_SIZE - 1))  # colour indices 0-5, cells 0-7, flags 0/1
    level_tasks = {"real": REAL_TASKS, "easy": EASY_TASKS, "hard": HARD_TASKS}

    @property
    def action_space(self) -> gym.spaces.Discrete:
        return gym.spaces.Discrete(N_ACTIONS)

    def make_simulator(self, task: str, horizon: int) -> TaskSimulator:
        from imagine_bench.domains.babyai.simulator import BabyAISimulator

        self._check_task(task)
        return BabyAISimulator(task, horizon)

    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        if task not in self.tasks(level):
            raise ValueError(f"task {task!r} is not part of level {level!r}; expected one of {self.tasks(level)}")
        key = None if slots is None else tuple(sorted((str(k), str(v)) for k, v in slots.items()))
        return phrasings(level, task, key)

    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        self._check_task(task)
        return bool(SUCCESS[task](World.from_state(state), *decode_goal(goal)))

    def cost_to_go(self, task: str, goal: np.ndarray, state: np.ndarray) -> float:
        """Actions an optimal agent still needs from ``state`` (0 exactly when solved): the reward's potential."""
        self._check_task(task)
        return float(COST[task](World.from_state(state), *decode_goal(goal)))

    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        return tasks.reward(self.cost_to_go(task, goal, state), self.cost_to_go(task, goal, next_state), success)

    def _check_task(self, task: str) -> None:
        if task not in SUCCESS:
            raise ValueError(f"unknown BabyAI task {task!r}; expected one of {', '.join(SUCCESS)}")
