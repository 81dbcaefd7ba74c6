"""The HalfCheetah locomotion domain: run and jump forward or backward from language (upstream id ``Mujoco-v0``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.base import Domain
from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah import tasks as T
from imagine_bench.domains.halfcheetah.instructions import PHRASES


@register_domain
class HalfCheetahDomain(Domain):
    """Gymnasium ``HalfCheetah-v5`` (MuJoCo), 200 control steps of 0.05 s by default, ``Box(-1, 1, (6,))`` actions.

    State: the 24-d vector of :mod:`.layout` (simulator observation, last step's displacement, progress record).
    Tasks, success tests and rewards: :mod:`.tasks`. Phrasings: :mod:`.instructions`. Experts: :mod:`.experts`.
    """

    name = "halfcheetah"
    env_id = "HalfCheetah-v0"
    aliases = ("Mujoco-v0",)
    default_horizon = 200
    state_dim = L.STATE_DIM
    goal_dim = 0
    level_tasks = T.LEVEL_TASKS

    @property
    def action_space(self):
        import gymnasium as gym

        return gym.spaces.Box(-1.0, 1.0, (6,), np.float32)

    def make_simulator(self, task: str, horizon: int):
        from imagine_bench.domains.halfcheetah.simulator import HalfCheetahSimulator

        return HalfCheetahSimulator(task, horizon)

    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        if task not in self.tasks(level):
            raise ValueError(f"task {task!r} is not part of level {level!r}; expected one of {self.tasks(level)}")
        return PHRASES[level][task]

    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        return T.success(task, state)

    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        return T.reward(task, state, next_state, success)
