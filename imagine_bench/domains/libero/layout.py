"""State layout of the LIBERO domain: ImagineBench's 44-d low-dimensional vector (float32).

``[0:7]`` arm joint angles, ``[7:10]`` end-effector position, ``[10:14]`` end-effector quaternion (xyzw),
``[14:16]`` finger joint positions, then position (3) and quaternion (4, xyzw) of the alphabet soup ``[16:23]``, the
cream cheese ``[23:30]``, the salad dressing ``[30:37]`` and the basket ``[37:44]``. World frame of the LIBERO floor
scene: metres, floor at z = 0, the robot's base at x = -0.6.

The per-episode goal vector (9-d) holds the start positions of the three graspable objects in the same order; the
"aside" tasks measure how far the object moved from it and "pick" measures the lift from it.
"""

from __future__ import annotations

import numpy as np

STATE_DIM = 44
JOINTS = slice(0, 7)
EEF_POS = slice(7, 10)
EEF_QUAT = slice(10, 14)
FINGERS = slice(14, 16)

#: The graspable objects, in state order; the basket follows them.
OBJECTS: tuple[str, ...] = ("alphabet_soup", "cream_cheese", "salad_dressing")
BASKET = "basket"
ENTITIES: tuple[str, ...] = (*OBJECTS, BASKET)
ENTITY_START = {name: 16 + 7 * index for index, name in enumerate(ENTITIES)}

GOAL_DIM = 3 * len(OBJECTS)


def entity_pos(state: np.ndarray, name: str) -> np.ndarray:
    """Position of an object or the basket."""
    start = ENTITY_START[name]
    return np.asarray(state)[start : start + 3]


def entity_quat(state: np.ndarray, name: str) -> np.ndarray:
    start = ENTITY_START[name] + 3
    return np.asarray(state)[start : start + 4]


def eef_pos(state: np.ndarray) -> np.ndarray:
    return np.asarray(state)[EEF_POS]


def eef_quat(state: np.ndarray) -> np.ndarray:
    return np.asarray(state)[EEF_QUAT]


def finger_opening(state: np.ndarray) -> float:
    """Distance between the two fingers (m): ~0.077 fully open, ~0 closed on nothing."""
    fingers = np.asarray(state)[FINGERS]
    return float(fingers[0] - fingers[1])


def start_pos(goal: np.ndarray, name: str) -> np.ndarray:
    """Start position of a graspable object, read from the episode's goal vector."""
    index = OBJECTS.index(name)
    return np.asarray(goal)[3 * index : 3 * index + 3]
