"""The HalfCheetah task simulator and its physics: a thin driver around Gymnasium's ``HalfCheetah-v5`` that produces the
domain's state vector (see :mod:`.layout`).

:class:`Cheetah` is used both by the task simulator and by the expert training script (:mod:`.train_experts`), so the
experts are trained on exactly the states, dynamics and reset distribution they are later run on. Gymnasium and MuJoCo
are imported on first use. The experts that drive the simulator are in :mod:`.experts`.
"""

from __future__ import annotations

import numpy as np

from imagine_bench.domains.base import TaskSimulator
from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah import tasks as T
from imagine_bench.domains.halfcheetah.experts import expert_action

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


class Cheetah:
    """One HalfCheetah-v5 simulator plus the episode's progress record.

    ``reset(seed)`` draws Gymnasium's start state (uniform qpos noise and Gaussian qvel noise of scale 0.1) from the
    seed alone; ``step(action)`` applies one 0.05 s control step. Both return the 24-d state.
    """

    def __init__(self) -> None:
        import gymnasium as gym

        self._env = gym.make("HalfCheetah-v5").unwrapped
        self.model, self.data = self._env.model, self._env.data
        # Capsule geoms of the body (everything but the floor plane): radius and half-length per geom.
        body = np.array([self.model.geom_bodyid[g] != 0 for g in range(self.model.ngeom)])
        self._geoms = np.flatnonzero(body)
        self._radius = self.model.geom_size[self._geoms, 0].copy()
        self._half = self.model.geom_size[self._geoms, 1].copy()
        self._x0 = 0.0
        self._progress = np.zeros(4, np.float64)  # disp_max, disp_min, peak, grounded flag
        self._dx = 0.0
        self._steps = 0

    # ------------------------------------------------------------------------------------------------------------
    def clearance(self) -> float:
        """Height of the body's lowest point above the floor: min over the capsules of (lower end z - radius)."""
        axis_z = self.data.geom_xmat[self._geoms, 8]  # z component of each capsule's own axis
        centre_z = self.data.geom_xpos[self._geoms, 2]
        return float(np.min(centre_z - np.abs(axis_z) * self._half - self._radius))

    def reset(self, seed: int) -> np.ndarray:
        self._env.reset(seed=int(seed))
        self._x0 = float(self.data.qpos[0])
        self._dx, self._steps = 0.0, 0
        self._progress[:] = (0.0, 0.0, 0.0, 0.0)
        self._update_peak()
        return self.state()

    def step(self, action) -> np.ndarray:
        action = np.clip(np.asarray(action, np.float64).reshape(6), -1.0, 1.0)
        x_before = float(self.data.qpos[0])
        self._env.do_simulation(action, self._env.frame_skip)
        self._dx = float(self.data.qpos[0]) - x_before
        self._steps += 1
        disp = float(self.data.qpos[0]) - self._x0
        self._progress[0] = max(self._progress[0], disp)
        self._progress[1] = min(self._progress[1], disp)
        self._update_peak()
        return self.state()

    def _update_peak(self) -> None:
        clearance = self.clearance()
        if clearance <= L.GROUND_CONTACT:
            self._progress[3] = 1.0
        if self._progress[3]:
            self._progress[2] = max(self._progress[2], clearance)

    def state(self) -> np.ndarray:
        d = self.data
        out = np.empty(L.STATE_DIM, np.float32)
        out[L.QPOS_TAIL] = d.qpos[1:]
        out[L.QVEL] = d.qvel
        out[L.DX] = self._dx
        out[L.DISP] = float(d.qpos[0]) - self._x0
        out[L.DISP_MAX], out[L.DISP_MIN], out[L.PEAK] = self._progress[:3]
        out[L.CLEARANCE] = self.clearance()
        out[L.ELAPSED] = self._steps * L.DT
        return out

    def restore(self, state: np.ndarray) -> None:
        """Write a (possibly imagined) state vector back: joints and velocities from ``obs``, the torso's x from
        ``disp`` (x does not change the dynamics), the progress record from its fields."""
        import mujoco

        state = np.asarray(state, np.float64).reshape(L.STATE_DIM)
        qpos = np.concatenate([[state[L.DISP]], state[L.QPOS_TAIL]])
        self._env.set_state(qpos, state[L.QVEL].copy())
        mujoco.mj_forward(self.model, self.data)
        self._x0 = 0.0
        self._dx = float(state[L.DX])
        self._steps = int(round(float(state[L.ELAPSED]) / L.DT))
        self._progress[:] = (state[L.DISP_MAX], state[L.DISP_MIN], state[L.PEAK], 1.0)

    def close(self) -> None:
        self._env.close()
