"""LIBERO tasks per level, their success tests and rewards: pure functions of the 44-d state (and the episode's goal
vector of object start positions), so imagined rollouts can be relabelled.

Task families and success tests (ImagineBench's table, section 6.6 of its LIBERO env, with its bugs fixed):

* ``pick-<o>`` (real): the object is held: within 0.05 m of the end effector **and lifted** at least 0.05 m above its
  start height (upstream only asked for the object to be near the gripper and to have moved, so a nudge counted).
* ``place-<o>`` (real): the object is in the basket: horizontal distance to the basket < 0.14 m and vertical distance
  < 0.155 m (0.22 m for the taller salad dressing). The episode starts with the end effector at the object.
* ``pick-and-place-<o>`` (easy): the place test.
* ``pick-<o1>-and-place-to-<o2>`` (easy): o1 within 0.10 m of o2 horizontally and 0.22 m vertically.
* ``reach-<o>`` (easy): the end effector within 0.05 m of the object.
* ``sequential-pick-and-place-<o1>-and-<o2>`` (hard): both objects in the basket (< 0.14 m, < 0.22 m) **in the same
  state**. Upstream set a sticky flag per object, so an object taken out again still counted; the state decides here.
* ``sequential-pick-and-place-all`` (hard): all three objects in the basket in the same state (upstream tested the
  cream cheese twice and never the salad dressing).
* ``pick-and-place-aside-<o>`` (hard): the object is more than 0.07 m from its start position (the reset state; upstream
  took the state after the first action).
* ``pick-out-of-<o>`` (hard): the object starts in the basket, in the hand (see :mod:`.simulator`), and ends farther
  than 0.45 / 0.35 / 0.40 m from it (soup / cream cheese / dressing, upstream's thresholds) **and let go** (fingers
  open wider than any object: 0.07 m): with the object starting in the hand, the distance alone is met by moving the
  arm away, which a policy after 300 TD3+BC steps did in 3 of 3 evaluation episodes.

Order in the sequential tasks: one state cannot show which object went in first, so the success test accepts both
orders; the reward follows the instruction's order (it pays the shaping of the first object until that one is in the
basket, then the second's).

Rewards: 20 x the progress of a distance potential (ImagineBench's shaping factor), per family as upstream: pick and
reach shape the end-effector-to-object distance (pick also the lift), place the object-to-basket distance, the
pick-and-place families both, aside and pick-out-of the distance from the start or the basket; +1 on the solving step
for pick and place; +1 for every object that enters the basket in the sequential tasks (-1 if one leaves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

from imagine_bench.domains.libero.layout import BASKET, OBJECTS, eef_pos, entity_pos, finger_opening, start_pos

SHAPING = 20.0
HOLD_RADIUS = 0.05
LIFT_HEIGHT = 0.05
REACH_RADIUS = 0.05
BASKET_XY = 0.14
BASKET_Z = {"alphabet_soup": 0.155, "cream_cheese": 0.155, "salad_dressing": 0.22}  # the single-object place test
SEQUENTIAL_BASKET_Z = 0.22
BESIDE_XY = 0.10
BESIDE_Z = 0.22
ASIDE_DISTANCE = 0.07
RELEASED_OPENING = 0.07  # m between the fingers: wider than every object's grip (soup 0.062), below fully open 0.077
OUT_OF_BASKET = {"alphabet_soup": 0.45, "cream_cheese": 0.35, "salad_dressing": 0.40}


@dataclass(frozen=True)
class TaskSpec:
    """A task's family, the objects it names in order, and how its episodes start."""

    family: str
    objects: tuple[str, ...]

    @property
    def start(self) -> str:
        """``floor``: arm at home, objects on the floor; ``at_object``: the end effector at the (first) object, gripper
        open; ``in_basket``: the object lies in the basket."""
        return {"place": "at_object", "pick-out-of": "in_basket"}.get(self.family, "floor")


def _specs() -> dict[str, TaskSpec]:
    specs: dict[str, TaskSpec] = {}
    for o in OBJECTS:
        specs[f"pick-{o}"] = TaskSpec("pick", (o,))
        specs[f"place-{o}"] = TaskSpec("place", (o,))
    for o in OBJECTS:
        specs[f"pick-and-place-{o}"] = TaskSpec("pick-and-place", (o,))
    for o1, o2 in permutations(OBJECTS, 2):
        specs[f"pick-{o1}-and-place-to-{o2}"] = TaskSpec("pick-place-to", (o1, o2))
    for o in OBJECTS:
        specs[f"reach-{o}"] = TaskSpec("reach", (o,))
    for o1, o2 in permutations(OBJECTS, 2):
        specs[f"sequential-pick-and-place-{o1}-and-{o2}"] = TaskSpec("sequential", (o1, o2))
    for o in OBJECTS:
        specs[f"pick-and-place-aside-{o}"] = TaskSpec("aside", (o,))
    specs["sequential-pick-and-place-all"] = TaskSpec("sequential", OBJECTS)
    for o in OBJECTS:
        specs[f"pick-out-of-{o}"] = TaskSpec("pick-out-of", (o,))
    return specs


TASKS: dict[str, TaskSpec] = _specs()


def _of(*families: str) -> tuple[str, ...]:
    return tuple(name for name, spec in TASKS.items() if spec.family in families)


REAL_TASKS = _of("pick", "place")
EASY_TASKS = _of("pick-and-place", "pick-place-to", "reach")
HARD_TASKS = _of("sequential", "aside", "pick-out-of")
LEVEL_TASKS = {"real": REAL_TASKS, "easy": EASY_TASKS, "hard": HARD_TASKS}
assert (len(REAL_TASKS), len(EASY_TASKS), len(HARD_TASKS)) == (6, 12, 13)


def spec(task: str) -> TaskSpec:
    if task not in TASKS:
        raise ValueError(f"unknown libero task {task!r}; expected one of: {', '.join(TASKS)}")
    return TASKS[task]


# -- predicates on one state -------------------------------------------------------------------------------------------
def eef_distance(state: np.ndarray, obj: str) -> float:
    return float(np.linalg.norm(entity_pos(state, obj) - eef_pos(state)))


def lift(state: np.ndarray, goal: np.ndarray, obj: str) -> float:
    """Height of the object above its start position (m)."""
    return float(entity_pos(state, obj)[2] - start_pos(goal, obj)[2])


def held(state: np.ndarray, goal: np.ndarray, obj: str) -> bool:
    return eef_distance(state, obj) < HOLD_RADIUS and lift(state, goal, obj) > LIFT_HEIGHT


def _near(state: np.ndarray, obj: str, target: np.ndarray, max_xy: float, max_z: float) -> bool:
    offset = entity_pos(state, obj) - target
    return bool(np.linalg.norm(offset[:2]) < max_xy and abs(offset[2]) < max_z)


def in_basket(state: np.ndarray, obj: str, max_z: float | None = None) -> bool:
    z_limit = BASKET_Z[obj] if max_z is None else max_z
    return _near(state, obj, entity_pos(state, BASKET), BASKET_XY, z_limit)


def placed_count(state: np.ndarray, objects: tuple[str, ...]) -> int:
    """How many of ``objects``, in the instruction's order, are in the basket before the first one that is not."""
    count = 0
    for obj in objects:
        if not in_basket(state, obj, SEQUENTIAL_BASKET_Z):
            break
        count += 1
    return count


def success(task: str, goal: np.ndarray, state: np.ndarray) -> bool:
    s = spec(task)
    state, goal = np.asarray(state), np.asarray(goal)
    first = s.objects[0]
    if s.family == "pick":
        return held(state, goal, first)
    if s.family in ("place", "pick-and-place"):
        return in_basket(state, first)
    if s.family == "pick-place-to":
        return _near(state, first, entity_pos(state, s.objects[1]), BESIDE_XY, BESIDE_Z)
    if s.family == "reach":
        return eef_distance(state, first) < REACH_RADIUS
    if s.family == "sequential":
        return all(in_basket(state, obj, SEQUENTIAL_BASKET_Z) for obj in s.objects)
    if s.family == "aside":
        return float(np.linalg.norm(entity_pos(state, first) - start_pos(goal, first))) > ASIDE_DISTANCE
    if s.family == "pick-out-of":
        far = float(np.linalg.norm(entity_pos(state, first) - entity_pos(state, BASKET))) > OUT_OF_BASKET[first]
        return far and finger_opening(state) > RELEASED_OPENING
    raise AssertionError(s.family)


# -- rewards -----------------------------------------------------------------------------------------------------------
def _basket_distance(state: np.ndarray, obj: str) -> float:
    return float(np.linalg.norm(entity_pos(state, obj) - entity_pos(state, BASKET)))


def potential(task: str, goal: np.ndarray, state: np.ndarray, stage: int = 0) -> float:
    """The distance potential whose progress the reward pays; ``stage`` picks the object of a sequential task."""
    s = spec(task)
    obj = s.objects[min(stage, len(s.objects) - 1)]
    to_eef = eef_distance(state, obj)
    if s.family == "pick":
        return -to_eef + min(max(lift(state, goal, obj), 0.0), 2 * LIFT_HEIGHT)
    if s.family == "place":
        return -_basket_distance(state, obj)
    if s.family == "reach":
        return -to_eef
    if s.family in ("pick-and-place", "sequential"):
        return -to_eef - _basket_distance(state, obj)
    if s.family == "pick-place-to":
        offset = entity_pos(state, obj) - entity_pos(state, s.objects[1])
        return -to_eef - float(np.linalg.norm(offset[:2]))
    if s.family == "aside":
        return -to_eef + float(np.linalg.norm(entity_pos(state, obj) - start_pos(goal, obj)))
    if s.family == "pick-out-of":  # the object starts in the hand: only its way out of the basket counts
        return min(_basket_distance(state, obj), OUT_OF_BASKET[obj] + 0.05)
    raise AssertionError(s.family)


def reward(task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, succeeded: bool) -> float:
    """20 x the potential's progress over the transition; +1 on success for pick and place; in the sequential tasks the
    shaping follows the object due next in the instruction's order and every change of that count pays +-1."""
    s = spec(task)
    state, next_state, goal = np.asarray(state), np.asarray(next_state), np.asarray(goal)
    if s.family == "sequential":
        stage, next_stage = placed_count(state, s.objects), placed_count(next_state, s.objects)
        progress = potential(task, goal, next_state, stage) - potential(task, goal, state, stage)
        return SHAPING * progress + float(next_stage - stage)
    progress = potential(task, goal, next_state) - potential(task, goal, state)
    bonus = 1.0 if succeeded and s.family in ("pick", "place") else 0.0
    return SHAPING * progress + bonus
