"""The CLEVR-Robot table scene on the official ``mujoco`` bindings: the MJCF, the start-state sampler and the push.

Physical constants follow the upstream scene (google-research/clevr_robot_env, as summarised in the project's reference
notes, section B): five rubber spheres of radius 0.13 and density 1 on a plane at z = -0.325, four invisible walls
that stop the balls but not the pusher, a point-mass pusher (radius 0.05) on two slide joints driven by two motors,
timestep 0.01 with the Euler integrator. The MJCF is written here from those numbers, built once per simulator, and
reused: a reset only writes ball positions into ``qpos``.

The push primitive (action ``a`` in ``[0, 40)``): ball ``a // 8`` and direction ``PUSH_DIRECTIONS[a % 8]``. The pusher
is placed ``0.15 * direction`` behind the ball's *current* centre (read from ``qpos``, which ``mj_step`` keeps up to
date; the upstream env read a cached scene graph or the body positions of the previous substep, bug 4 of the notes),
its velocity is zeroed, the transient solver state is cleared the way dm_control's reset context did (``mj_resetData``,
then the positions and velocities are written back and ``mj_forward`` runs), and the motors apply ``direction`` for 40
substeps (0.4 s). Ball velocities carry over from one push to the next, as upstream.

``mujoco`` is imported inside functions so that discovering the domain stays cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# ---- scene constants ---------------------------------------------------------------------------------------------
COLOURS: tuple[str, ...] = ("red", "blue", "green", "purple", "cyan")
RGBA: tuple[str, ...] = ("1 0.1 0.1 1", "0.2 0.5 1 1", "0.2 1 0 1", "0.8 0.2 1 1", "0.2 1 1 1")
N_BALLS = 5
BALL_RADIUS = 0.13
TABLE_Z = -0.325
BALL_Z = TABLE_Z + BALL_RADIUS  # -0.195, centre height of a resting ball
PUSHER_Z = -0.2
PUSHER_RADIUS = 0.05
TIMESTEP = 0.01
WALL_X = 0.6  # walls at x = -0.6 and x = +0.6
WALL_Y = (-0.3, 0.7)  # walls at y = -0.3 and y = +0.7
# Where a ball centre can be at all (the walls stop the sphere's surface).
CENTRE_X = (-WALL_X + BALL_RADIUS, WALL_X - BALL_RADIUS)
CENTRE_Y = (WALL_Y[0] + BALL_RADIUS, WALL_Y[1] - BALL_RADIUS)

# ---- actions -----------------------------------------------------------------------------------------------------
PUSH_DIRECTIONS = np.array(
    [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [0.8, 0.8], [-0.8, 0.8], [0.8, -0.8], [-0.8, -0.8]]
)
N_ACTIONS = N_BALLS * len(PUSH_DIRECTIONS)  # 40
PUSH_OFFSET = 0.15  # the pusher starts 0.15 * direction behind the ball centre
PUSH_SUBSTEPS = 40

# ---- start states ------------------------------------------------------------------------------------------------
# Upstream drew x ~ U(-0.5, 0.5), y ~ U(-0.3, 0.5), which can start a ball up to half inside the back wall (y = -0.3)
# or slightly inside a side wall; the walls then fire it out on the first push. Here the box keeps every sphere 0.01
# clear of the walls; the gap rules are upstream's.
START_X = (CENTRE_X[0] + 0.01, CENTRE_X[1] - 0.01)  # (-0.46, 0.46)
START_Y = (CENTRE_Y[0] + 0.01, 0.5)  # (-0.16, 0.5)
MIN_SURFACE_GAP = 0.1  # centres at least 2 * 0.13 + 0.1 = 0.36 apart
MIN_AXIS_OFFSET = 0.01  # no two centres closer than this along x or along y
TRIES_PER_BALL = 10

SavedState = tuple[np.ndarray, np.ndarray]  # (qpos, qvel): all a push depends on


def decode_action(action: int) -> tuple[int, np.ndarray]:
    action = int(action)
    if not 0 <= action < N_ACTIONS:
        raise ValueError(f"CLEVR action must be an integer in [0, {N_ACTIONS}), got {action}")
    return action // len(PUSH_DIRECTIONS), PUSH_DIRECTIONS[action % len(PUSH_DIRECTIONS)]


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


def sample_start(rng: np.random.Generator) -> np.ndarray:
    """Ten ball coordinates ``(x0, y0, ..., x4, y4)`` with upstream's gap rules (restart after 10 tries on a ball)."""
    while True:
        placed: list[tuple[float, float]] = []
        for _ in range(N_BALLS):
            for _ in range(TRIES_PER_BALL):
                x, y = rng.uniform(*START_X), rng.uniform(*START_Y)
                if all(_gap_ok(x - px, y - py) for px, py in placed):
                    placed.append((x, y))
                    break
            else:
                break
        if len(placed) == N_BALLS:
            return np.asarray(placed, np.float64).reshape(-1)


def _gap_ok(dx: float, dy: float) -> bool:
    if np.hypot(dx, dy) - 2 * BALL_RADIUS < MIN_SURFACE_GAP:
        return False
    return abs(dx) >= MIN_AXIS_OFFSET and abs(dy) >= MIN_AXIS_OFFSET


def valid_start(xy: np.ndarray) -> bool:
    """Whether ten coordinates satisfy the start-state rules (for tests)."""
    pts = np.asarray(xy, np.float64).reshape(N_BALLS, 2)
    for i in range(N_BALLS):
        for j in range(i):
            if not _gap_ok(*(pts[i] - pts[j])):
                return False
    return bool(np.all((pts[:, 0] >= START_X[0]) & (pts[:, 0] <= START_X[1])
                       & (pts[:, 1] >= START_Y[0]) & (pts[:, 1] <= START_Y[1])))


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
