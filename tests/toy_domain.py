"""A tiny 2-D point domain for fast pipeline tests (registered only when tests import this module).

The state is ``(x, y, goal_x, goal_y)``; an action moves the point by at most 0.1 per axis; success is being within
0.05 of the goal. Each task is a goal region; the expert walks straight to the goal.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from imagine_bench.domains import register_domain
from imagine_bench.domains.base import Domain, TaskSimulator

GOALS = {"left": (-0.5, 0.0), "right": (0.5, 0.0), "up": (0.0, 0.5), "down": (0.0, -0.5)}
PHRASES = {
    ("real", "left"): ["go left", "move to the left", "head left"],
    ("real", "right"): ["go right", "move to the right", "head right"],
    ("rephrase", "left"): ["leftwards please", "could you drift west"],
    ("rephrase", "right"): ["rightwards please", "could you drift east"],
    ("easy", "up"): ["go up", "move upwards"],
    ("hard", "down"): ["go down", "move downwards"],
}


class PointSim(TaskSimulator):
    def __init__(self, task: str) -> None:
        self.task = task
        self.pos = np.zeros(2, np.float32)
        self.goal = np.array(GOALS[task], np.float32)

    def reset(self, seed: int):
        rng = np.random.default_rng(seed)
        self.pos = rng.uniform(-0.2, 0.2, 2).astype(np.float32)
        self.goal = (np.array(GOALS[self.task]) + rng.uniform(-0.1, 0.1, 2)).astype(np.float32)
        return self._state(), np.zeros(0, np.float32)

    def _state(self):
        return np.concatenate([self.pos, self.goal]).astype(np.float32)

    def step(self, action):
        self.pos = (self.pos + 0.1 * np.clip(np.asarray(action, np.float32), -1, 1)).astype(np.float32)
        return self._state(), bool(np.linalg.norm(self.pos - self.goal) < 0.05)

    def expert_action(self):
        delta = (self.goal - self.pos) / 0.1
        return np.clip(delta, -1, 1).astype(np.float32)


@register_domain
class ToyDomain(Domain):
    name = "toy"
    env_id = "Toy-v0"
    default_horizon = 30
    state_dim = 4
    level_tasks = {"real": ("left", "right"), "easy": ("up",), "hard": ("down",)}

    @property
    def action_space(self):
        return gym.spaces.Box(-1, 1, (2,), np.float32)

    def make_simulator(self, task, horizon):
        return PointSim(task)

    def instructions(self, level, task, slots=None):
        if task not in self.tasks(level):
            raise ValueError(f"task {task!r} not in level {level!r}")
        return PHRASES[(level, task)]

    def success(self, task, goal, state):
        return bool(np.linalg.norm(state[:2] - state[2:4]) < 0.05)

    def reward(self, task, goal, state, next_state, success):
        before = np.linalg.norm(state[:2] - state[2:4])
        after = np.linalg.norm(next_state[:2] - next_state[2:4])
        return float(before - after) + (1.0 if success else 0.0)


MOVES = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]], np.float32)


class PointSimDiscrete(PointSim):
    def step(self, action):
        return super().step(MOVES[int(action)])

    def expert_action(self):
        delta = self.goal - self.pos
        axis = int(np.argmax(np.abs(delta)))
        return int(1 + 2 * axis + (0 if delta[axis] > 0 else 1))


@register_domain
class ToyDiscreteDomain(ToyDomain):
    name = "toy_discrete"
    env_id = "ToyDiscrete-v0"

    @property
    def action_space(self):
        return gym.spaces.Discrete(5)

    def make_simulator(self, task, horizon):
        return PointSimDiscrete(task)
