"""Meta-World v3 task simulators seen through the slot layout, and the two composite scenes.

Importing this module imports ``metaworld`` and ``mujoco``; :mod:`.domain` imports it only inside ``make_simulator``.

Randomisation: each task is the plain Meta-World v3 class with ``_freeze_rand_vec = False`` and
``seeded_rand_vec = True``; ``reset(seed)`` re-seeds the env's ``np_random`` and resets, so object and goal positions
are random per episode yet a function of the seed alone (bit-for-bit; tested). The goal is observable in the 39-d
observation fed to the experts (as in Meta-World's ``*-goal-observable`` envs).

Composite scenes (built from Meta-World's own scenes):

* make-coffee: the coffee-push scene (its XML already holds the machine and its button). Success = coffee-push's test
  on the mug AND coffee-button's test on the button (button vs its pressed target ``machine + (0, -0.19, 0.3)``).
* locked-door-open: Meta-World has no scene with a lock on a door that swings: in ``sawyer_door_lock.xml`` (door-lock /
  door-unlock) the door link has no joint, and the door-open scene (``doorlockB``) has no lock. The scene here is the
  door-lock XML with a hinge added to the door link (the same ``doorjoint`` as door-open: z axis, range [-2, 0]) and
  the handle geom named ``handle``; the door starts locked (lever at 1.5708 rad, door-unlock's start). Because the lock
  lever never reaches past the door's edge it cannot block the door physically, so a latch does it: while the lever
  is turned down past the door-unlock threshold (~0.38 rad) and the door is shut, the door hinge's range is clamped to
  [-1e-4, 0] with a stiff limit (pulling the handle opens it < 0.002 rad); once the lever is turned away the hinge
  gets its full range and Meta-World's default limit softness. The door placement range is door-open's
  (x in [0, 0.1], y in [0.85, 0.95]) and the handle target is door-open's (door + (-0.3, -0.45, -0.05)).
  Success = door-unlock's test on the lock, evaluated in the door frame, AND door-open's test on the handle.

Experts: :mod:`.experts` (chained for the composite tasks).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from imagine_bench.domains.base import TaskSimulator
from imagine_bench.domains.meta_world.layout import LAYOUT, STATE_DIM, TASK_ENTITIES
from imagine_bench.domains.meta_world.tasks import ALL_TASKS, STAGES

# Gymnasium's passive env checker complains that Meta-World observations leave their declared space; not actionable
# for a benchmark user.
warnings.filterwarnings("ignore", message=r".*not within the observation space.*", category=UserWarning)

import mujoco  # noqa: E402
from metaworld.env_dict import ALL_V3_ENVIRONMENTS  # noqa: E402

from imagine_bench.domains.meta_world.experts import Expert, make_expert  # noqa: E402

COMPOSITE_TASKS: tuple[str, ...] = tuple(STAGES)  # built here from Meta-World's own scenes
SINGLE_TASKS: tuple[str, ...] = tuple(t for t in ALL_TASKS if t not in STAGES)  # plain Meta-World v3 tasks

# Where each entity slot is read from: (kind, name[, world offset]) for the position; (kind, name) for the orientation.
_OBJ = (("body", "obj"), ("body", "obj"))
_WALL = (("body", "wall"), ("body", "wall"))
_BUTTON = (("body", "button", (0.0, -0.193, 0.0)), ("body", "button"))  # Meta-World's button tip
_LOCK = (("site", "lockStartUnlock"), ("body", "lock_link"))
_DOOR = (("geom", "handle"), ("body", "door_link"))
_MUG = (("body", "obj"), ("body", "obj"))
_CBUTTON = (("site", "buttonStart"), ("body", "cmbutton"))
ENTITY_SOURCES: dict[str, dict[str, tuple[tuple, tuple]]] = {
    "reach": {"object": _OBJ},
    "push": {"object": _OBJ},
    "pick-place": {"object": _OBJ},
    "reach-wall": {"object": _OBJ, "wall": _WALL},
    "push-wall": {"object": _OBJ, "wall": _WALL},
    "pick-place-wall": {"object": _OBJ, "wall": _WALL},
    "button-press": {"button": _BUTTON},
    "button-press-wall": {"button": _BUTTON, "wall": _WALL},
    "door-unlock": {"lock": _LOCK},
    "door-lock": {"lock": _LOCK},
    "door-open": {"door_handle": _DOOR},
    "door-close": {"door_handle": _DOOR},
    "locked-door-open": {"lock": _LOCK, "door_handle": _DOOR},
    "window-open": {"window_handle": (("site", "handleOpenStart"), ("body", "windowb_a"))},
    "window-close": {"window_handle": (("site", "handleOpenStart"), ("body", "windowb_a"))},
    "faucet-open": {"faucet_handle": (("site", "handleStartOpen"), ("body", "faucet_link2"))},
    "faucet-close": {"faucet_handle": (("site", "handleStartOpen"), ("body", "faucet_link2"))},
    "coffee-push": {"mug": _MUG, "coffee_button": _CBUTTON},
    "coffee-button": {"mug": _MUG, "coffee_button": _CBUTTON},
    "make-coffee": {"mug": _MUG, "coffee_button": _CBUTTON},
    "hammer": {
        "hammer": (("body", "hammer"), ("body", "hammer")),
        "nail": (("body", "nail_link"), ("body", "nail_link")),
    },
    "soccer": {"soccer_ball": (("body", "soccer_ball"), ("body", "soccer_ball"))},
}
assert {t: tuple(ENTITY_SOURCES[t]) for t in TASK_ENTITIES} == TASK_ENTITIES

#: lock-lever angle (rad; 0 = unlocked, 1.5708 = locked) past which door-unlock's test fails: the lever tip sits at
#: x = 0.09 cos(a) - 0.01 sin(a) from the pivot and the test needs x >= 0.08; solved via R cos(a + phi) = 0.08.
LATCH_ANGLE = float(np.arccos(0.08 / np.hypot(0.09, 0.01)) - np.arctan2(0.01, 0.09))  # ~0.377


# -- composite scenes --------------------------------------------------------------------------------------------------
@cache
def _composite_classes() -> dict[str, type]:
    from gymnasium.spaces import Box
    from metaworld.envs.sawyer_coffee_push_v3 import SawyerCoffeePushEnvV3
    from metaworld.envs.sawyer_door_unlock_v3 import SawyerDoorUnlockEnvV3

    class MakeCoffeeEnvV3(SawyerCoffeePushEnvV3):
        """coffee-push's scene; observes the mug and the machine's button; staged success."""

        def _get_pos_objects(self) -> np.ndarray:
            return np.hstack((self.get_body_com("obj").copy(), self._get_site_pos("buttonStart")))

        def _get_quat_objects(self) -> np.ndarray:
            return np.hstack((super()._get_quat_objects(), np.array([1.0, 0.0, 0.0, 0.0])))

        def reset_model(self) -> np.ndarray:
            obs = super().reset_model()
            self._button_target = self._target_pos + np.array([0.0, 0.03, 0.3])
            return obs

        def mug_placed(self) -> bool:  # coffee-push's test, on the mug
            return bool(np.linalg.norm(self.get_body_com("obj") - self._target_pos) <= 0.07)

        def button_pressed(self) -> bool:  # coffee-button's test, on the button
            return bool(abs(self._button_target[1] - self._get_site_pos("buttonStart")[1]) <= 0.02)

        def evaluate_state(self, obs: np.ndarray, action: np.ndarray) -> tuple[float, dict[str, Any]]:
            placed, pressed = self.mug_placed(), self.button_pressed()
            info = {"success": float(placed and pressed), "mug_placed": float(placed), "button_pressed": float(pressed)}
            return 0.0, info

    class LockedDoorOpenEnvV3(SawyerDoorUnlockEnvV3):
        """door-lock's scene with a hinged door that a latch holds shut until the lock lever is turned."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._random_reset_space = Box(np.array([0.0, 0.85, 0.15]), np.array([0.1, 0.95, 0.15]), dtype=np.float64)
            self.goal_space = Box(np.array([-0.3, 0.4, 0.0999]), np.array([-0.2, 0.5, 0.1001]), dtype=np.float64)
            self._door_jnt = self.model.joint("doorjoint").id
            self._free_solref = self.model.jnt_solref[self._door_jnt].copy()
            self._free_solimp = self.model.jnt_solimp[self._door_jnt].copy()
            self._door_qadr = int(self.model.jnt_qposadr[self._door_jnt])
            lock = self.model.joint("lock_hinge").id
            self._lock_qadr, self._lock_dadr = int(self.model.jnt_qposadr[lock]), int(self.model.jnt_dofadr[lock])
            self._latched = True

        def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
            spec = mujoco.MjSpec.from_file(self.fullpath)
            door = spec.body("door_link")
            door.add_joint(
                name="doorjoint", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[0, 0, 1], range=[-2, 0],
                limited=mujoco.mjtLimited.mjLIMITED_TRUE, damping=2, armature=0.001,
            )  # fmt: skip
            for geom in door.geoms:
                if geom.meshname == "door_handle":
                    geom.name = "handle"
            spec.body("lock_link").joints[0].name = "lock_hinge"
            model = spec.compile()
            model.vis.global_.offwidth = max(model.vis.global_.offwidth, self.width)
            model.vis.global_.offheight = max(model.vis.global_.offheight, self.height)
            return model, mujoco.MjData(model)

        @property
        def _target_site_config(self) -> list[tuple[str, np.ndarray]]:
            return [("goal_unlock", np.array([10.0, 10.0, 10.0])), ("goal_lock", np.array([10.0, 10.0, 10.0]))]

        def _get_pos_objects(self) -> np.ndarray:
            return np.hstack((self._get_site_pos("lockStartUnlock"), self.data.geom("handle").xpos.copy()))

        def _get_quat_objects(self) -> np.ndarray:
            return np.hstack((self.data.body("lock_link").xquat, self.data.body("door_link").xquat))

        def _set_obj_xyz(self, pos: np.ndarray) -> None:  # door-unlock's helper, with this scene's joint address
            qpos, qvel = self.data.qpos.flat.copy(), self.data.qvel.flat.copy()
            qpos[self._lock_qadr], qvel[self._lock_dadr] = pos, 0.0
            self.set_state(qpos, qvel)

        def _apply_latch(self) -> None:
            # A latched door gets a stiff limit (time constant 2 timesteps, impedance ~1) so that pulling the
            # handle with the mocap-welded hand opens it by under 0.002 rad; an unlatched door gets Meta-World's
            # door-open hinge: range [-2, 0] with the default soft limit.
            j = self._door_jnt
            if self._latched:
                self.model.jnt_range[j] = (-1e-4, 0.0)
                self.model.jnt_solref[j] = (2 * self.model.opt.timestep, 1.0)
                self.model.jnt_solimp[j][:3] = (0.99, 0.999, 0.001)
            else:
                self.model.jnt_range[j] = (-2.0, 0.0)
                self.model.jnt_solref[j] = self._free_solref
                self.model.jnt_solimp[j][:] = self._free_solimp

        def _update_latch(self) -> None:
            lever_down = self.data.qpos[self._lock_qadr] > LATCH_ANGLE
            door_shut = self.data.qpos[self._door_qadr] > -0.02
            self._latched = bool(lever_down and (self._latched or door_shut))
            self._apply_latch()

        def reset_model(self) -> np.ndarray:
            self._latched = True
            self._apply_latch()
            self._reset_hand()
            door_pos = self._get_state_rand_vec()
            self.model.body("door").pos = door_pos
            qpos, qvel = self.data.qpos.flat.copy(), self.data.qvel.flat.copy()
            qpos[self._lock_qadr], qpos[self._door_qadr] = 1.5708, 0.0
            qvel[:] = qvel * 0.0
            self.set_state(qpos, qvel)
            self._target_pos = door_pos + np.array([-0.3, -0.45, -0.05])
            self.obj_init_pos = self._get_site_pos("lockStartUnlock")
            self.maxPullDist = 0.0
            return self._get_obs()

        def step(self, action: np.ndarray):  # type: ignore[override]
            self._update_latch()
            return super().step(action)

        def door_angle(self) -> float:
            return float(self.data.qpos[self._door_qadr])

        def unlocked(self) -> bool:  # door-unlock's test on the lock, in the door's frame
            rot = self.data.body("door_link").xmat.reshape(3, 3)
            tip = rot.T @ (self._get_site_pos("lockStartUnlock") - self.data.body("lock_link").xpos)
            return bool(abs(0.1 - tip[0]) <= 0.02)

        def door_open(self) -> bool:  # door-open's test on the handle
            return bool(abs(self.data.geom("handle").xpos[0] - self._target_pos[0]) <= 0.08)

        def evaluate_state(self, obs: np.ndarray, action: np.ndarray) -> tuple[float, dict[str, Any]]:
            unlocked, opened = self.unlocked(), self.door_open()
            return 0.0, {"success": float(unlocked and opened), "unlocked": float(unlocked), "door_open": float(opened)}

    return {"make-coffee": MakeCoffeeEnvV3, "locked-door-open": LockedDoorOpenEnvV3}


def make_env(task: str) -> Any:
    """A configured Meta-World env for ``task``: goal observable, per-episode randomisation driven by the seed."""
    if task in COMPOSITE_TASKS:
        env = _composite_classes()[task]()
    elif task in SINGLE_TASKS:
        env = ALL_V3_ENVIRONMENTS[f"{task}-v3"]()
    else:
        raise ValueError(f"unknown Meta-World task {task!r}")
    env._partially_observable = False
    if "sawyer_observation_space" in env.__dict__:
        del env.sawyer_observation_space  # cached while the goal was hidden
    env._freeze_rand_vec = False
    env.seeded_rand_vec = True
    env._set_task_called = True
    env.max_path_length = 2**62  # the benchmark env truncates; Meta-World must never refuse a step
    return env


# -- the simulator -----------------------------------------------------------------------------------------------------
class MetaWorldSimulator(TaskSimulator):
    """One Meta-World task seen through the 98-d slot layout (see :mod:`.layout`)."""

    def __init__(self, task: str, horizon: int) -> None:
        self.task = task
        self.horizon = int(horizon)
        self.env = make_env(task)
        self._expert: Expert = make_expert(task)
        self._readers = [self._entity_reader(slot, p, q) for slot, (p, q) in ENTITY_SOURCES[task].items()]
        self._obs: np.ndarray | None = None
        self._state: np.ndarray | None = None

    def _entity_reader(self, slot: str, pos_src: tuple, quat_src: tuple) -> Callable[[np.ndarray], None]:
        model, data = self.env.model, self.env.data
        start = LAYOUT[slot].start
        kind, name = pos_src[0], pos_src[1]
        offset = np.asarray(pos_src[2] if len(pos_src) > 2 else (0.0, 0.0, 0.0))
        pid = {"body": model.body, "geom": model.geom, "site": model.site}[kind](name).id
        pos_table = {"body": "xpos", "geom": "geom_xpos", "site": "site_xpos"}[kind]
        assert quat_src[0] == "body"
        qid = model.body(quat_src[1]).id

        def read(out: np.ndarray) -> None:
            out[start : start + 3] = getattr(data, pos_table)[pid] + offset
            out[start + 3 : start + 7] = data.xquat[qid]

        return read

    def _build_state(self, obs: np.ndarray) -> np.ndarray:
        out = np.zeros(STATE_DIM, dtype=np.float64)
        out[LAYOUT["hand"]] = obs[0:4]
        out[LAYOUT["hand_prev"]] = obs[18:22]
        out[LAYOUT["tcp"]] = self.env.tcp_center
        out[LAYOUT["goal"]] = self.env._target_pos
        for read in self._readers:
            read(out)
        return out.astype(np.float32)

    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        self.env.seed(int(seed))
        self.env.reset()
        # Some resets move model bodies (e.g. window-close's window) without recomputing MuJoCo's derived positions,
        # so the observation Meta-World returns can show the previous episode's handle; recompute before reading.
        mujoco.mj_forward(self.env.model, self.env.data)
        self.env._prev_obs = self.env._get_curr_obs_combined_no_goal()
        obs = self.env._get_obs().astype(np.float64)
        self._obs = obs
        self._state = self._build_state(obs)
        return self._state.copy(), np.zeros(0, dtype=np.float32)

    def step(self, action: Any) -> tuple[np.ndarray, bool]:
        if self._obs is None:
            raise RuntimeError("reset() must be called before step()")
        act = np.clip(np.asarray(action, dtype=np.float32).reshape(4), -1.0, 1.0)
        obs, _, _, _, info = self.env.step(act)
        self._obs = obs
        self._state = self._build_state(obs)
        return self._state.copy(), bool(info["success"])

    @property
    def mw_observation(self) -> np.ndarray:
        """The latest 39-d Meta-World observation (goal observable), as Meta-World's scripted policies expect it."""
        if self._obs is None:
            raise RuntimeError("reset() must be called first")
        return self._obs.copy()

    def expert_action(self) -> np.ndarray:
        if self._obs is None:
            raise RuntimeError("reset() must be called before expert_action()")
        action = np.asarray(self._expert(self.env, self._obs), dtype=np.float32)
        return np.clip(action, -1.0, 1.0)

    def render(self) -> np.ndarray:
        """The scene from Meta-World's ``corner2`` camera (offscreen, see :mod:`imagine_bench.rendering`); Meta-World's
        cameras are mounted upside down, so the frame is flipped vertically."""
        if getattr(self, "_camera", None) is None:
            from imagine_bench.rendering import MujocoCamera

            self._camera = MujocoCamera(self.env.model, self.env.data, camera="corner2")
        return np.ascontiguousarray(self._camera.render()[::-1])

    def close(self) -> None:
        if getattr(self, "_camera", None) is not None:
            self._camera.close()
        self.env.close()
