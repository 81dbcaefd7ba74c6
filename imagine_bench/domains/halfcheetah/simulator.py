"""The HalfCheetah task simulator and the experts that drive it (shipped ARS policies, chained for composite tasks)."""

from __future__ import annotations

import numpy as np

from imagine_bench.domains.base import TaskSimulator
from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah import tasks as T
from imagine_bench.domains.halfcheetah.physics import Cheetah
from imagine_bench.domains.halfcheetah.policy import load_expert

#: the there-and-back experts turn once the first leg is this much longer than the success test needs
TURN_MARGIN = 0.5

_LEG_EXPERTS = {+1: ("run-forward", "run-backward"), -1: ("run-backward", "run-forward")}


def expert_policy_name(task: str, state: np.ndarray) -> str:
    """Which shipped policy acts in ``state``: the task's own for run and jump tasks; for a there-and-back task the
    first leg's cruise expert until the furthest point passes ``LEG_DISTANCE + TURN_MARGIN``, then the other one."""
    spec = T.spec(task)
    if spec.kind != "there-and-back":
        return task
    first, second = _LEG_EXPERTS[spec.direction]
    extreme = float(state[L.DISP_MAX] if spec.direction > 0 else state[L.DISP_MIN])
    return second if spec.direction * extreme >= spec.distance + TURN_MARGIN else first


def expert_action(task: str, state: np.ndarray) -> np.ndarray:
    return load_expert(expert_policy_name(task, state))(state)


class HalfCheetahSimulator(TaskSimulator):
    """One task on Gymnasium ``HalfCheetah-v5``; the success flag is the task's state-based test on the new state."""

    def __init__(self, task: str, horizon: int) -> None:
        T.spec(task)  # validates the name
        self.task, self.horizon = task, int(horizon)
        self._cheetah = Cheetah()
        self._state: np.ndarray | None = None

    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        self._state = self._cheetah.reset(seed)
        return self._state.copy(), np.zeros(0, np.float32)

    def step(self, action) -> tuple[np.ndarray, bool]:
        if self._state is None:
            raise RuntimeError("reset() must be called before step()")
        self._state = self._cheetah.step(action)
        return self._state.copy(), T.success(self.task, self._state)

    def expert_action(self) -> np.ndarray:
        if self._state is None:
            raise RuntimeError("reset() must be called before expert_action()")
        return expert_action(self.task, self._state)

    def restore(self, state: np.ndarray, goal: np.ndarray) -> None:
        self._cheetah.restore(state)
        self._state = self._cheetah.state()

    def render(self) -> np.ndarray:
        """The cheetah from the side, tracked like Gymnasium's HalfCheetah camera (offscreen)."""
        if getattr(self, "_camera", None) is None:
            from imagine_bench.rendering import MujocoCamera

            self._camera = MujocoCamera(self._cheetah.model, self._cheetah.data, track_body="torso", distance=4.0,
                                        azimuth=90.0, elevation=-20.0)
        return self._camera.render()

    def close(self) -> None:
        if getattr(self, "_camera", None) is not None:
            self._camera.close()
        self._cheetah.close()
