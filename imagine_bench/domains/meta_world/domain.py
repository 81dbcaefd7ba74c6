"""The Meta-World domain: 10 training tasks, 8 easy and 4 hard novel tasks on Meta-World v3 (metaworld 3.1.1).

State: the 98-d entity-slot vector of :mod:`.layout`. Task lists, success and reward: :mod:`.tasks`. Simulators:
:mod:`.simulator` (imported lazily, so discovering this domain does not import MuJoCo); experts: :mod:`.experts`.
Phrasings: :mod:`.instructions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import gymnasium as gym
import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.base import Domain, TaskSimulator
from imagine_bench.domains.meta_world import tasks as task_rules
from imagine_bench.domains.meta_world.instructions import PHRASINGS
from imagine_bench.domains.meta_world.layout import LAYOUT, STATE_DIM
from imagine_bench.domains.meta_world.tasks import EASY_TASKS, HARD_TASKS, REAL_TASKS

@register_domain
class MetaWorldDomain(Domain):
    """Sawyer arm tasks from Meta-World v3: state = 98-d slot vector, action = Box(-1, 1, (4,)) = (dx, dy, dz, grip)."""

    name: ClassVar[str] = "metaworld"
    env_id: ClassVar[str] = "MetaWorld-v0"
    default_horizon: ClassVar[int] = 100
    state_dim: ClassVar[int] = STATE_DIM
    goal_dim: ClassVar[int] = 0  # the target location is the state's ``goal`` slot
    level_tasks: ClassVar[Mapping[str, tuple[str, ...]]] = {"real": REAL_TASKS, "easy": EASY_TASKS, "hard": HARD_TASKS}
    layout: ClassVar[Mapping[str, slice]] = LAYOUT
    data_version: ClassVar[int] = 2  # 2: reset states recomputed after mj_forward (stale handles in 6 tasks before)

    _action_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)

    @property
    def action_space(self) -> gym.Space:
        return self._action_space

    def _check_task(self, task: str) -> str:
        if task not in self.all_tasks():
            raise ValueError(f"unknown metaworld task {task!r}; expected one of: {', '.join(self.all_tasks())}")
        return task

    def make_simulator(self, task: str, horizon: int) -> TaskSimulator:
        self._check_task(task)
        from imagine_bench.domains.meta_world.simulator import MetaWorldSimulator

        return MetaWorldSimulator(task, horizon)

    def task_horizon(self, task: str, horizon: int) -> int:
        return horizon * task_rules.n_stages(task)

    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        tasks = self.tasks(level)
        if task not in tasks:
            raise ValueError(f"task {task!r} is not part of level {level!r}; expected one of: {', '.join(tasks)}")
        return list(PHRASINGS[level][task])

    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        return task_rules.success(self._check_task(task), np.asarray(state))

    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        return float(task_rules.reward(self._check_task(task), np.asarray(state), np.asarray(next_state), bool(success)))
