"""Grid geometry, action ids, the 19-d state layout and :class:`World`, the plain-Python view of one state.

Nothing here imports minigrid: the domain's success tests, rewards and experts work on :class:`World` values built
from state vectors, so they also judge imagined (noisy, non-integer) states.

Coordinates are minigrid's ``(x, y)`` = (column, row), x growing east and y growing south. The room is the
``GRID_SIZE`` x ``GRID_SIZE`` grid with walls on its border; the agent and the three items live in the interior
cells ``LO..HI`` on both axes; the door sits in one of the four walls (never a corner).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

GRID_SIZE = 8  # walls included: a 6 x 6 interior, as upstream's room
LO, HI = 1, GRID_SIZE - 2  # interior cells on each axis
CENTER = ((GRID_SIZE - 1) // 2, GRID_SIZE // 2)  # the two middle rows / columns: 3 and 4

# Colour index = minigrid's COLOR_TO_IDX (red 0 ... grey 5); checked against minigrid in the tests.
COLORS: tuple[str, ...] = ("red", "green", "blue", "purple", "yellow", "grey")
ITEMS: tuple[str, ...] = ("ball", "box", "key")  # the pickable objects, exactly one of each per episode
OBJECTS: tuple[str, ...] = (*ITEMS, "door")  # everything an instruction can name
BALL, BOX, KEY, DOOR = range(4)

# Actions: 0-3 face minigrid direction d (DIR_TO_VEC order) and step one cell that way.
EAST, SOUTH, WEST, NORTH, PICK_UP, DROP, TOGGLE = range(7)
N_ACTIONS = 7
ACTION_NAMES: tuple[str, ...] = ("east", "south", "west", "north", "pick_up", "drop", "toggle")
MOVES: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (-1, 0), (0, -1))

STATE_FIELDS: tuple[str, ...] = (
    "ball_color", "ball_x", "ball_y",
    "box_color", "box_x", "box_y",
    "key_color", "key_x", "key_y",
    "door_color", "door_x", "door_y", "door_open", "door_locked",
    "agent_x", "agent_y",
    "carrying_ball", "carrying_box", "carrying_key",
)
STATE_DIM = len(STATE_FIELDS)  # 19
INDEX = {name: i for i, name in enumerate(STATE_FIELDS)}
COLOR_SLOTS = tuple(INDEX[f"{name}_color"] for name in OBJECTS)  # 0, 3, 6, 9
ITEM_XY = tuple((INDEX[f"{name}_x"], INDEX[f"{name}_y"]) for name in ITEMS)  # (1, 2), (4, 5), (7, 8)
DOOR_XY = (INDEX["door_x"], INDEX["door_y"])
AGENT_XY = (INDEX["agent_x"], INDEX["agent_y"])
CARRYING = tuple(INDEX[f"carrying_{name}"] for name in ITEMS)  # 16, 17, 18

# Goal: which object(s) the episode's instruction names, as two one-hot blocks over OBJECTS.
GOAL_DIM = 2 * len(OBJECTS)  # 8

Cell = tuple[int, int]


class World(NamedTuple):
    """One state in plain Python values (integers and booleans)."""

    colors: tuple[int, int, int, int]  # colour index of ball, box, key, door
    items: tuple[Cell, Cell, Cell]  # cells of ball, box, key; a carried item reports the agent's cell
    door: Cell
    door_open: bool
    door_locked: bool
    agent: Cell
    carried: int  # index into ITEMS, or -1 when the agent's hands are empty

    def to_state(self) -> np.ndarray:
        state = np.zeros(STATE_DIM, np.float32)
        for slot, color in zip(COLOR_SLOTS, self.colors, strict=True):
            state[slot] = color
        for (ix, iy), (x, y) in zip(ITEM_XY, self.items, strict=True):
            state[ix], state[iy] = x, y
        state[list(DOOR_XY)] = self.door
        state[INDEX["door_open"]] = float(self.door_open)
        state[INDEX["door_locked"]] = float(self.door_locked)
        state[list(AGENT_XY)] = self.agent
        if self.carried >= 0:
            state[CARRYING[self.carried]] = 1.0
        return state

    @classmethod
    def from_state(cls, state: Sequence[float] | np.ndarray) -> World:
        """Read a state vector; positions and colours are rounded and flags thresholded at 0.5, so imagined states
        with noise on every entry still give a well-defined world (the most-likely carried item wins)."""
        s = np.asarray(state, dtype=np.float64)
        if s.shape != (STATE_DIM,):
            raise ValueError(f"a BabyAI state has shape ({STATE_DIM},), got {s.shape}")
        s = np.clip(np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0), -1e6, 1e6)  # wild imagined values
        r = np.rint(s).astype(np.int64).tolist()
        carry = s[list(CARRYING)]
        carried = int(np.argmax(carry)) if carry.max() > 0.5 else -1
        return cls(
            colors=tuple(r[i] for i in COLOR_SLOTS),  # type: ignore[arg-type]
            items=tuple((r[ix], r[iy]) for ix, iy in ITEM_XY),  # type: ignore[arg-type]
            door=(r[DOOR_XY[0]], r[DOOR_XY[1]]),
            door_open=bool(s[INDEX["door_open"]] > 0.5),
            door_locked=bool(s[INDEX["door_locked"]] > 0.5),
            agent=(r[AGENT_XY[0]], r[AGENT_XY[1]]),
            carried=carried,
        )


def encode_goal(first: int = -1, second: int = -1) -> np.ndarray:
    """Goal vector naming ``first`` (the target, or the item to move) and ``second`` (the item to put it next to)."""
    goal = np.zeros(GOAL_DIM, np.float32)
    if first >= 0:
        goal[first] = 1.0
    if second >= 0:
        goal[len(OBJECTS) + second] = 1.0
    return goal


def decode_goal(goal: Sequence[float] | np.ndarray) -> tuple[int, int]:
    g = np.asarray(goal, dtype=np.float64).reshape(-1)
    if g.shape != (GOAL_DIM,):
        raise ValueError(f"a BabyAI goal has shape ({GOAL_DIM},), got {g.shape}")
    n = len(OBJECTS)
    first = int(np.argmax(g[:n])) if g[:n].max() > 0.5 else -1
    second = int(np.argmax(g[n:])) if g[n:].max() > 0.5 else -1
    return first, second
