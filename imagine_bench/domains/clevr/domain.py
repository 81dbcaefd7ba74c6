"""The CLEVR-Robot domain object and its per-task simulator (see the package docstring for the overview)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.base import Domain, TaskSimulator
from imagine_bench.domains.clevr import language, tasks
from imagine_bench.domains.clevr.physics import N_ACTIONS, N_BALLS, WALL_X, WALL_Y


def as_action(action: Any) -> int:
    """An integer push index from an int, a numpy integer or a one-element array; anything else is an error."""
    value = np.asarray(action)
    if value.size != 1 or not (np.issubdtype(value.dtype, np.integer) or float(value.reshape(-1)[0]).is_integer()):
        raise ValueError(f"CLEVR actions are integers in [0, {N_ACTIONS}), got {action!r}")
    index = int(value.reshape(-1)[0])
    if not 0 <= index < N_ACTIONS:
        raise ValueError(f"CLEVR actions are integers in [0, {N_ACTIONS}), got {index}")
    return index


class ClevrSimulator(TaskSimulator):
    """One task family on its own MuJoCo scene (model built once, reused across episodes).

    ``reset(seed)`` draws the start state and the goal from ``seed`` alone; the state is the ten ball coordinates as
    float32, and ``step`` judges success with :func:`tasks.success` on exactly the state it returns.
    """

    def __init__(self, task: str, horizon: int) -> None:
        from imagine_bench.domains.clevr.experts import Planner
        from imagine_bench.domains.clevr.physics import Table

        if task not in tasks.FAMILY_CODES:
            raise ValueError(f"unknown CLEVR task {task!r}; expected one of {sorted(tasks.FAMILY_CODES)}")
        self.task, self.horizon = task, int(horizon)
        self.table = Table()
        self._planner_cls = Planner
        self.goal: np.ndarray | None = None
        self.state: np.ndarray | None = None
        self._planner: Any = None
        self._slots: dict[str, str] = {}

    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        xy, goal = tasks.sample_episode(self.task, np.random.default_rng(int(seed)))
        self.table.place(xy)
        self.goal = goal
        self.state = self.table.ball_xy().astype(np.float32)
        self._planner = self._planner_cls(self.table, self.task, goal, int(seed))
        push = tasks.decode_push(goal)[:2] if self.task == "push" else None
        self._slots = language.slots_for(self.task, tasks.decode_relations(goal), push)
        return self.state.copy(), goal.copy()

    def step(self, action: Any) -> tuple[np.ndarray, bool]:
        if self.goal is None:
            raise RuntimeError("call reset() before step()")
        self.state = self.table.push(as_action(action)).astype(np.float32)
        return self.state.copy(), tasks.success(self.task, self.goal, self.state)

    def expert_action(self) -> int:
        if self._planner is None:
            raise RuntimeError("call reset() before expert_action()")
        return int(self._planner.act())

    def instruction_slots(self) -> Mapping[str, str]:
        return dict(self._slots)

    def render(self) -> np.ndarray:
        """The table seen from above and in front, as in CLEVR-Robot's pictures (offscreen)."""
        if getattr(self, "_camera", None) is None:
            from imagine_bench.rendering import MujocoCamera

            self._camera = MujocoCamera(self.table.model, self.table.data, lookat=(0.0, 0.2, -0.3), distance=1.6,
                                        azimuth=90.0, elevation=-60.0)
        return self._camera.render()


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

    def make_simulator(self, task: str, horizon: int) -> ClevrSimulator:
        return ClevrSimulator(task, horizon)

    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        return language.phrasings(level, task, slots)

    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        return tasks.success(task, goal, state)

    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        return tasks.reward(task, goal, state, next_state, success)
