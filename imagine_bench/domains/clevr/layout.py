"""The CLEVR-Robot state layout and the table's geometry: ten ball coordinates, the walls, the push actions and the
start-state region (pure numpy; the MuJoCo scene built from these numbers is in :mod:`.simulator`).

State: ``(x, y)`` of the red, blue, green, purple and cyan balls, in that order (float32). Action ``a`` in ``[0, 40)``
pushes ball ``a // 8`` in direction ``PUSH_DIRECTIONS[a % 8]``.
"""

from __future__ import annotations

import numpy as np

# ---- balls and walls ----------------------------------------------------------------------------------------------
COLOURS: tuple[str, ...] = ("red", "blue", "green", "purple", "cyan")
N_BALLS = 5
BALL_RADIUS = 0.13
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

# ---- start states ------------------------------------------------------------------------------------------------
# Upstream drew x ~ U(-0.5, 0.5), y ~ U(-0.3, 0.5), which can start a ball up to half inside the back wall (y = -0.3)
# or slightly inside a side wall; the walls then fire it out on the first push. Here the box keeps every sphere 0.01
# clear of the walls; the gap rules are upstream's.
START_X = (CENTRE_X[0] + 0.01, CENTRE_X[1] - 0.01)  # (-0.46, 0.46)
START_Y = (CENTRE_Y[0] + 0.01, 0.5)  # (-0.16, 0.5)
MIN_SURFACE_GAP = 0.1  # centres at least 2 * 0.13 + 0.1 = 0.36 apart
MIN_AXIS_OFFSET = 0.01  # no two centres closer than this along x or along y
TRIES_PER_BALL = 10


def decode_action(action: int) -> tuple[int, np.ndarray]:
    action = int(action)
    if not 0 <= action < N_ACTIONS:
        raise ValueError(f"CLEVR action must be an integer in [0, {N_ACTIONS}), got {action}")
    return action // len(PUSH_DIRECTIONS), PUSH_DIRECTIONS[action % len(PUSH_DIRECTIONS)]


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
