"""The fixed entity-slot state vector shared by all 22 Meta-World tasks (float32, 98 values).

Every task writes into the same vector, so an object that a novel task needs (a wall, a nail, a lock on a door that
also has a handle) always has a place, and a slot that a task's scene does not contain stays exactly zero. There is no
random distractor noise (upstream resampled a distractor entity every step), and the previous-frame hand is kept so
that the hand velocity can be read off the state (upstream dropped the previous frame).

=================  =======  ============================================================================================
slot               indices  content
=================  =======  ============================================================================================
``hand``           0-3      end-effector body position (x, y, z) and gripper opening in [0, 1] (Meta-World obs[0:4])
``hand_prev``      4-7      the same four values one control step earlier (equal to ``hand`` right after reset)
``tcp``            8-10     tool-centre point: midpoint of the two finger pads (reach / reach-wall are judged on it)
``goal``           11-13    the task's target location (Meta-World's ``_target_pos``; see "goal per task" below)
``object``         14-20    puck / block of reach, push, pick-place and their -wall versions
``button``         21-27    tip of the push button on the button box (button-press, button-press-wall)
``lock``           28-34    tip of the door lock lever (site ``lockStartUnlock``) and the lock lever's orientation
``door_handle``    35-41    door handle (geom ``handle``) and the door leaf's orientation
``window_handle``  42-48    handle of the sliding window sash (site ``handleOpenStart``); sash orientation
``faucet_handle``  49-55    faucet handle end (site ``handleStartOpen``) and the rotating handle link's orientation
``wall``           56-62    the brick wall of the four -wall tasks
``mug``            63-69    coffee mug body (coffee-push, coffee-button, make-coffee)
``coffee_button``  70-76    front of the coffee machine's button (site ``buttonStart``)
``hammer``         77-83    hammer body
``nail``           84-90    nail (it slides into its block when hit)
``soccer_ball``    91-97    soccer ball
=================  =======  ============================================================================================

Each 7-d entity slot is ``(x, y, z, qw, qx, qy, qz)``: world position and world orientation as a unit quaternion in
MuJoCo's (w, x, y, z) order for every entity (Meta-World itself mixes SciPy's (x, y, z, w) order, MuJoCo's order and
all-zero quaternions; that is normalised here).

Goal per task: the target of the task's success test. For make-coffee it is the mug target (the button's pressed
position is ``goal + (0, 0.03, 0.3)``, fixed by the coffee machine's geometry); for locked-door-open it is the handle
target of door-open (the unlock test is judged in the door's own frame and needs no target).

Entities per task (every other entity slot is zero):

* reach, push, pick-place: object. reach-wall, push-wall, pick-place-wall: object + wall.
* button-press: button. button-press-wall: button + wall.
* door-unlock, door-lock: lock. door-open, door-close: door_handle. locked-door-open: lock + door_handle.
* window-open, window-close: window_handle. faucet-open, faucet-close: faucet_handle.
* coffee-push, coffee-button, make-coffee: mug + coffee_button (both sit in every coffee scene).
* hammer: hammer + nail. soccer: soccer_ball.
"""

from __future__ import annotations

import numpy as np

ENTITY_DIM = 7  # xyz + quaternion (w, x, y, z)

ENTITY_SLOTS: tuple[str, ...] = (
    "object",
    "button",
    "lock",
    "door_handle",
    "window_handle",
    "faucet_handle",
    "wall",
    "mug",
    "coffee_button",
    "hammer",
    "nail",
    "soccer_ball",
)

_HEADER: tuple[tuple[str, int], ...] = (("hand", 4), ("hand_prev", 4), ("tcp", 3), ("goal", 3))


def _build_layout() -> dict[str, slice]:
    layout: dict[str, slice] = {}
    start = 0
    for name, size in _HEADER + tuple((slot, ENTITY_DIM) for slot in ENTITY_SLOTS):
        layout[name] = slice(start, start + size)
        start += size
    return layout


#: slot name -> slice of the state vector (index ranges of the table above).
LAYOUT: dict[str, slice] = _build_layout()
STATE_DIM: int = LAYOUT[ENTITY_SLOTS[-1]].stop  # 98

#: entity slots each task fills; all other entity slots of its state are zero.
TASK_ENTITIES: dict[str, tuple[str, ...]] = {
    "reach": ("object",),
    "push": ("object",),
    "pick-place": ("object",),
    "button-press": ("button",),
    "door-unlock": ("lock",),
    "door-open": ("door_handle",),
    "window-open": ("window_handle",),
    "faucet-open": ("faucet_handle",),
    "coffee-push": ("mug", "coffee_button"),
    "coffee-button": ("mug", "coffee_button"),
    "reach-wall": ("object", "wall"),
    "push-wall": ("object", "wall"),
    "pick-place-wall": ("object", "wall"),
    "button-press-wall": ("button", "wall"),
    "door-lock": ("lock",),
    "door-close": ("door_handle",),
    "window-close": ("window_handle",),
    "faucet-close": ("faucet_handle",),
    "make-coffee": ("mug", "coffee_button"),
    "locked-door-open": ("lock", "door_handle"),
    "hammer": ("hammer", "nail"),
    "soccer": ("soccer_ball",),
}


def pos(state: np.ndarray, slot: str) -> np.ndarray:
    """Position (x, y, z) of a slot as float64 (works for the header slots too)."""
    s = LAYOUT[slot]
    return np.asarray(state[s.start : s.start + 3], dtype=np.float64)


def quat(state: np.ndarray, slot: str) -> np.ndarray:
    """Quaternion (w, x, y, z) of an entity slot as float64."""
    s = LAYOUT[slot]
    return np.asarray(state[s.start + 3 : s.stop], dtype=np.float64)


# -- small quaternion helpers (w, x, y, z) -----------------------------------------------------------------------------
def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ]
    )


def quat_conj(q: np.ndarray) -> np.ndarray:
    return np.array([q[0], -q[1], -q[2], -q[3]])


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector ``v`` by quaternion ``q`` (normalised first, so slightly corrupted quaternions still work)."""
    n = float(np.linalg.norm(q))
    if n < 1e-8:
        return np.asarray(v, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64) / n
    w, r = q[0], q[1:]
    v = np.asarray(v, dtype=np.float64)
    t = 2.0 * np.cross(r, v)
    return v + w * t + np.cross(r, t)
