"""The registered CLEVR-Robot domain (see the package docstring for the overview); the simulator is in :mod:`.simulator`,
imported only by :meth:`ClevrDomain.make_simulator` (it imports MuJoCo)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gymnasium as gym
import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.base import Domain, TaskSimulator
from imagine_bench.domains.clevr import instructions, tasks
from imagine_bench.domains.clevr.layout import N_ACTIONS, N_BALLS, WALL_X, WALL_Y


@register_domain
class ClevrDomain(Domain):
    """CLEVR-Robot: five balls, a point-mass pusher, Discrete(40) pushes, spatial-relation goals."""

    name = "clevr"
    env_id = "CLEVR-v0"
    aliases = ("Ball-v0",)
    state_bounds = (min(-WALL_X, WALL_Y[0]), max(WALL_X, WALL_Y[1]))  # ball centres stay inside the walls
    default_horizon = 50
    state_dim = 2 * N_BALLS
    goal_dim = tasks.GOAL_DIM
    level_tasks = tasks.LEVEL_TASKS

    @property
    def action_space(self) -> gym.spaces.Discrete:
        return gym.spaces.Discrete(N_ACTIONS)

    def make_simulator(self, task: str, horizon: int) -> TaskSimulator:
        from imagine_bench.domains.clevr.simulator import ClevrSimulator

        return ClevrSimulator(task, horizon)

    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        return instructions.phrasings(level, task, slots)

    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        return tasks.success(task, goal, state)

    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        return tasks.reward(task, goal, state, next_state, success)
