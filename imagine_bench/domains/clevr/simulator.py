"""The CLEVR-Robot table scene on the official ``mujoco`` bindings (the MJCF and the push) and :class:`ClevrSimulator`.

Physical constants follow the upstream scene (google-research/clevr_robot_env): five rubber spheres of radius 0.13 and density 1 on a plane at z = -0.325, four invisible walls
that stop the balls but not the pusher, a point-mass pusher (radius 0.05) on two slide joints driven by two motors,
timestep 0.01 with the Euler integrator. The MJCF is written here from those numbers, built once per simulator, and
reused: a reset only writes ball positions into ``qpos``.

The push primitive (action ``a`` in ``[0, 40)``): ball ``a // 8`` and direction ``PUSH_DIRECTIONS[a % 8]``. The pusher
is placed ``0.15 * direction`` behind the ball's *current* centre (read from ``qpos``, which ``mj_step`` keeps up to
date; the upstream env read a cached scene graph, so its first push after a reset started from stale positions),
its velocity is zeroed, the transient solver state is cleared the way dm_control's reset context did (``mj_resetData``,
then the positions and velocities are written back and ``mj_forward`` runs), and the motors apply ``direction`` for 40
substeps (0.4 s). Ball velocities carry over from one push to the next, as upstream.

The state layout, the walls and the start-state sampler are in :mod:`.layout`. ``mujoco`` is imported when a
:class:`Table` is built; the domain imports this module only when it makes a simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from imagine_bench.domains.base import TaskSimulator
from imagine_bench.domains.clevr import instructions, tasks
from imagine_bench.domains.clevr.experts import Planner
from imagine_bench.domains.clevr.layout import (
    BALL_RADIUS, COLOURS, N_ACTIONS, N_BALLS, PUSH_DIRECTIONS, WALL_X, WALL_Y, decode_action,
)

# ---- scene constants ---------------------------------------------------------------------------------------------
RGBA: tuple[str, ...] = ("1 0.1 0.1 1", "0.2 0.5 1 1", "0.2 1 0 1", "0.8 0.2 1 1", "0.2 1 1 1")
TABLE_Z = -0.325
BALL_Z = TABLE_Z + BALL_RADIUS  # -0.195, centre height of a resting ball
PUSHER_Z = -0.2
PUSHER_RADIUS = 0.05
TIMESTEP = 0.01
PUSH_OFFSET = 0.15  # the pusher starts 0.15 * direction behind the ball centre
PUSH_SUBSTEPS = 40
SavedState = tuple[np.ndarray, np.ndarray]  # (qpos, qvel): all a push depends on


def scene_xml() -> str:
    """The MJCF of the table scene (balls start at placeholder positions; resets write real ones into qpos)."""
    balls = []
    for i, (colour, rgba) in enumerate(zip(COLOURS, RGBA, strict=True)):
        x = -0.4 + 0.2 * i
        balls.append(
            f'<body name="{colour}" pos="{x} 0.1 {BALL_Z}">'
            f'<joint name="{colour}_free" type="free" damping="0.75" limited="false"/>'
            f'<geom name="{colour}" type="sphere" size="{BALL_RADIUS}" density="1" rgba="{rgba}"'
            ' contype="1" conaffinity="1"/></body>'
        )
    # Wall planes face the table centre; contype 1 / conaffinity 0 makes them hit the balls (conaffinity 1) and
    # never the pusher (conaffinity 0). The rotation 1.57 (not pi/2) is the upstream value.
    walls = [
        ("wall_left", f"{-WALL_X} 0 0", "0 1.57 0"),
        ("wall_right", f"{WALL_X} 0 0", "0 -1.57 0"),
        ("wall_far", f"0 {WALL_Y[1]} 0", "1.57 0 0"),
        ("wall_near", f"0 {WALL_Y[0]} 0", "-1.57 0 0"),
    ]
    wall_xml = "".join(
        f'<geom name="{n}" type="plane" pos="{p}" euler="{e}" size="2 2 0.1" contype="1" conaffinity="0"'
        ' rgba="1 1 1 0"/>'
        for n, p, e in walls
    )
    return f"""<mujoco model="clevr_table">
  <compiler inertiafromgeom="true" angle="radian"/>
  <option timestep="{TIMESTEP}" gravity="0 0 -9.81" iterations="20" integrator="Euler"/>
  <default>
    <joint armature="0.04" damping="1" limited="true"/>
    <geom friction="0.8 0.1 0.1" density="300" margin="0.002" condim="3" contype="0" conaffinity="0"/>
  </default>
  <worldbody>
    <geom name="table" type="plane" pos="0 0.5 {TABLE_Z}" size="1 1 0.1" contype="1" conaffinity="1"/>
    {wall_xml}
    {"".join(balls)}
    <body name="pusher" pos="0 0 {PUSHER_Z}">
      <joint name="pusher_x" type="slide" axis="1 0 0" range="-10.3213 10.3" damping="0.5"/>
      <joint name="pusher_y" type="slide" axis="0 1 0" range="-10.3213 10.3" damping="0.5"/>
      <geom name="pusher" type="sphere" size="{PUSHER_RADIUS}" density="0.5" contype="1" conaffinity="0"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="pusher_x" ctrlrange="-2 2" ctrllimited="true"/>
    <motor joint="pusher_y" ctrlrange="-2 2" ctrllimited="true"/>
  </actuator>
</mujoco>
"""


class Table:
    """The scene's ``MjModel`` and one ``MjData``, with ball placement, the push primitive and cheap state copies."""

    def __init__(self) -> None:
        import mujoco

        self._mj = mujoco
        self.model = mujoco.MjModel.from_xml_string(scene_xml())
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._ball_qpos = np.array([m.jnt_qposadr[m.joint(f"{c}_free").id] for c in COLOURS])
        self._ball_qvel = np.array([m.jnt_dofadr[m.joint(f"{c}_free").id] for c in COLOURS])
        self._pusher_qpos = np.array([m.jnt_qposadr[m.joint(n).id] for n in ("pusher_x", "pusher_y")])
        self._pusher_qvel = np.array([m.jnt_dofadr[m.joint(n).id] for n in ("pusher_x", "pusher_y")])
        self._xy_index = (self._ball_qpos[:, None] + np.arange(2)).reshape(-1)
        self._scratch: Any = None
        self.last_push_start = np.zeros(2)  # where the most recent push (live or look-ahead) put the pusher

    # -- state ------------------------------------------------------------------------------------------------------
    def place(self, xy: np.ndarray) -> None:
        """Put the balls at rest at ``xy`` (10 values), upright, and the pusher at the origin."""
        mj, d = self._mj, self.data
        mj.mj_resetData(self.model, d)
        pts = np.asarray(xy, np.float64).reshape(N_BALLS, 2)
        for i, adr in enumerate(self._ball_qpos):
            d.qpos[adr:adr + 7] = (pts[i, 0], pts[i, 1], BALL_Z, 1.0, 0.0, 0.0, 0.0)
        d.qpos[self._pusher_qpos] = 0.0
        d.qvel[:] = 0.0
        mj.mj_forward(self.model, d)

    def ball_xy(self, data: Any = None) -> np.ndarray:
        """The ten ball coordinates, read from ``qpos`` (always current, unlike the body positions after a step)."""
        d = self.data if data is None else data
        return d.qpos[self._xy_index].copy()

    def pusher_xy(self, data: Any = None) -> np.ndarray:
        d = self.data if data is None else data
        return d.qpos[self._pusher_qpos].copy()

    # -- the push ---------------------------------------------------------------------------------------------------
    def push(self, action: int, data: Any = None) -> np.ndarray:
        """Apply push ``action`` to ``data`` (default: the live data); returns the ten ball coordinates after it."""
        mj, m = self._mj, self.model
        d = self.data if data is None else data
        ball, direction = decode_action(action)
        centre = d.qpos[self._ball_qpos[ball]:self._ball_qpos[ball] + 2]
        start = centre - PUSH_OFFSET * direction
        qpos, qvel = d.qpos.copy(), d.qvel.copy()
        qpos[self._pusher_qpos] = start  # the pusher body sits at the origin of its slide joints
        self.last_push_start = start.copy()
        qvel[self._pusher_qvel] = 0.0
        mj.mj_resetData(m, d)  # clears time, controls and the solver warm start, as dm_control's reset context did
        d.qpos[:] = qpos
        d.qvel[:] = qvel
        mj.mj_forward(m, d)
        d.ctrl[:] = direction
        mj.mj_step(m, d, nstep=PUSH_SUBSTEPS)
        return self.ball_xy(d)

    def simulate(self, action: int, start: Any = None) -> np.ndarray:
        """Ball coordinates after ``action`` from ``start`` (an ``MjData``, default the live one), leaving it as is."""
        if self._scratch is None:
            self._scratch = self._mj.MjData(self.model)
        _copy_state(self._scratch, self.data if start is None else start)
        return self.push(action, self._scratch)

    def push_from(self, state: SavedState, action: int) -> tuple[np.ndarray, SavedState]:
        """Look-ahead from a saved ``(qpos, qvel)``: the ball coordinates and the saved state after ``action``."""
        if self._scratch is None:
            self._scratch = self._mj.MjData(self.model)
        d = self._scratch
        d.qpos[:], d.qvel[:] = state
        xy = self.push(action, d)
        return xy, (d.qpos.copy(), d.qvel.copy())

    def snapshot(self) -> SavedState:
        return self.data.qpos.copy(), self.data.qvel.copy()


def _copy_state(dst: Any, src: Any) -> None:
    """Copy what a push depends on. A push only reads ``qpos`` and ``qvel`` (it resets everything else), so a push
    on the copy gives bit-for-bit the result the same push would give on the original."""
    dst.qpos[:] = src.qpos
    dst.qvel[:] = src.qvel


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
        if task not in tasks.FAMILY_CODES:
            raise ValueError(f"unknown CLEVR task {task!r}; expected one of {sorted(tasks.FAMILY_CODES)}")
        self.task, self.horizon = task, int(horizon)
        self.table = Table()
        self.goal: np.ndarray | None = None
        self.state: np.ndarray | None = None
        self._planner: Any = None
        self._slots: dict[str, str] = {}

    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        xy, goal = tasks.sample_episode(self.task, np.random.default_rng(int(seed)))
        self.table.place(xy)
        self.goal = goal
        self.state = self.table.ball_xy().astype(np.float32)
        self._planner = Planner(self.table, self.task, goal, int(seed))
        push = tasks.decode_push(goal)[:2] if self.task == "push" else None
        self._slots = instructions.slots_for(self.task, tasks.decode_relations(goal), push)
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
