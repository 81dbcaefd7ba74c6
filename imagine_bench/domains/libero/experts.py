"""Scripted Panda experts for every LIBERO task, built from six primitives: approach (hover above the object, gripper
open), descend (to the grasp height), grasp (close), lift, carry (to above the drop point) and release. The expert is
closed-loop on the 44-d state: it moves the end effector toward a waypoint with OSC_POSE position deltas, keeps the
gripper pointing straight down, and goes back to approach whenever a carried object is no longer with the hand.

Run as a script, the expert table (:mod:`imagine_bench.domains.expert_table`)::

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.libero.experts --episodes 100
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imagine_bench.domains.libero import tasks as T
from imagine_bench.domains.libero.layout import BASKET, eef_pos, eef_quat, entity_pos, finger_opening, start_pos

#: OSC_POSE scales an action of 1 to a 0.05 m position delta and a 0.5 rad rotation delta (robosuite's defaults).
POSITION_SCALE = 0.05
ROTATION_SCALE = 0.5
OPEN, CLOSE = -1.0, 1.0
#: Gripper pointing straight down with the fingers closing along the world y axis (the home pose, untilted), xyzw.
DOWN = np.array([1.0, 0.0, 0.0, 0.0])
#: End-effector height for a grasp, relative to the object's position (its body origin, near its centre).
GRASP_OFFSET = {"alphabet_soup": 0.0, "cream_cheese": 0.004, "salad_dressing": 0.02}
MIN_GRASP_Z = 0.012  # the finger tips sit ~0.011 m below the end-effector point
HOVER_ABOVE = 0.15  # approach height above the object
CARRY_Z = 0.30  # carrying height: a held object clears the basket's 0.14 m rim
#: Drop points inside the basket, per object, so that objects placed one after another do not land on each other.
BASKET_SLOT = {"alphabet_soup": (-0.035, -0.03), "cream_cheese": (0.035, 0.035), "salad_dressing": (0.03, -0.035)}
IN_BASKET_Z = 0.14  # hand height over the basket when lowering into it: lower, the hand rests on the rim
BESIDE_GAP = 0.075  # pick X and place it by Y: X's drop point lies this far from Y, on the side X came from
ASIDE_SHIFT = 0.15  # aside: the object is moved this far, away from the basket
OUT_OF_BASKET_SHIFT = 0.55  # pick-out-of: carried this far from the basket (beyond every threshold)
GRIP_STEPS = 10  # steps with the gripper command held to close or open it
AT = 0.012  # waypoint tolerance (m)


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of xyzw quaternions."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ])


def rotation_error(current_xyzw: np.ndarray, target_xyzw: np.ndarray = DOWN) -> np.ndarray:
    """World-frame axis-angle rotation that takes the current orientation to the target (OSC's delta convention)."""
    conjugate = np.asarray(current_xyzw, np.float64) * np.array([-1.0, -1.0, -1.0, 1.0])
    q = quat_multiply(target_xyzw, conjugate)
    if q[3] < 0:
        q = -q
    sin_half = float(np.linalg.norm(q[:3]))
    if sin_half < 1e-9:
        return np.zeros(3)
    return q[:3] / sin_half * 2.0 * np.arctan2(sin_half, q[3])


def move_action(state: np.ndarray, waypoint: np.ndarray, gripper: float) -> np.ndarray:
    """OSC_POSE action toward ``waypoint`` with the gripper pointing down."""
    position = np.clip((np.asarray(waypoint) - eef_pos(state)) / POSITION_SCALE, -1.0, 1.0)
    rotation = np.clip(rotation_error(eef_quat(state)) / ROTATION_SCALE, -1.0, 1.0)
    return np.concatenate([position, rotation, [gripper]]).astype(np.float32)


def grasp_z(state: np.ndarray, obj: str) -> float:
    return max(float(entity_pos(state, obj)[2]) + GRASP_OFFSET[obj], MIN_GRASP_Z)


@dataclass
class Transfer:
    """Pick ``obj`` and take it to a drop point, where the hand opens: ``drop`` is ``"basket"``,
    ``"beside:<other>"``, ``"aside"``, ``"out"`` (of the basket) or ``"hold"`` (pick: lift it and keep it)."""

    obj: str
    drop: str
    lower: bool = False  # lower the object before releasing: near the floor, or into the basket


class TransferExpert:
    """Runs a list of transfers one after another, with a phase per primitive; ``reach_only`` stops at the object
    with the hand open (reach). Call with ``(state, goal)`` for the next action."""

    PHASES = ("approach", "descend", "grasp", "lift", "carry", "lower", "release", "retreat", "done")

    def __init__(self, transfers: list[Transfer], reach_only: bool = False) -> None:
        self.transfers = transfers
        self.reach_only = reach_only
        self.reset()

    def reset(self) -> None:
        self.index = 0
        self.phase = "approach"
        self.counter = 0
        self.drop_point: np.ndarray | None = None

    # -- drop points -------------------------------------------------------------------------------------------------
    def _drop_xy(self, state: np.ndarray, goal: np.ndarray, transfer: Transfer) -> np.ndarray:
        obj = transfer.obj
        here = entity_pos(state, obj)[:2]
        basket = entity_pos(state, BASKET)[:2]
        if transfer.drop == "basket":
            return basket + np.array(BASKET_SLOT[obj])
        if transfer.drop.startswith("beside:"):
            other = entity_pos(state, transfer.drop.split(":", 1)[1])[:2]
            direction = start_pos(goal, obj)[:2] - other
            return other + BESIDE_GAP * direction / max(np.linalg.norm(direction), 1e-6)
        if transfer.drop == "aside":
            direction = start_pos(goal, obj)[:2] - basket
            return start_pos(goal, obj)[:2] + ASIDE_SHIFT * direction / max(np.linalg.norm(direction), 1e-6)
        if transfer.drop == "out":
            # toward the robot's side of the floor, into the gap between the soup's and the cream cheese's places
            direction = np.array([-0.59, -0.81])
            return basket + OUT_OF_BASKET_SHIFT * direction / np.linalg.norm(direction)
        return here  # hold

    # -- one step ----------------------------------------------------------------------------------------------------
    def __call__(self, state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        state, goal = np.asarray(state, np.float64), np.asarray(goal, np.float64)
        if self.index >= len(self.transfers):
            return move_action(state, eef_pos(state), OPEN)
        transfer = self.transfers[self.index]
        for _ in range(len(self.PHASES)):  # phase changes take effect in the same step
            action = self._phase_action(state, goal, transfer)
            if action is not None:
                return action
        return move_action(state, eef_pos(state), OPEN)

    def _advance(self, phase: str) -> None:
        self.phase, self.counter = phase, 0

    def _lost(self, state: np.ndarray, obj: str) -> bool:
        return T.eef_distance(state, obj) > 0.07 or finger_opening(state) < 0.004

    def _phase_action(self, state: np.ndarray, goal: np.ndarray, t: Transfer) -> np.ndarray | None:
        obj_pos = entity_pos(state, t.obj)
        eef = eef_pos(state)
        self.counter += 1
        if self.phase == "approach":
            target = np.array([obj_pos[0], obj_pos[1], obj_pos[2] + HOVER_ABOVE])
            close_xy = np.linalg.norm((eef - target)[:2]) < AT
            if close_xy and eef[2] < target[2] + 0.05 or close_xy and self.counter > 60:
                self._advance("descend")
                return None
            if np.linalg.norm((eef - obj_pos)[:2]) < AT and eef[2] > obj_pos[2]:
                self._advance("descend")  # already above it (a start with the hand at the object)
                return None
            # stay high while travelling so that the hand does not sweep other objects
            travel = target if np.linalg.norm((eef - target)[:2]) < 0.05 else np.r_[target[:2], max(eef[2], target[2])]
            return move_action(state, travel, OPEN)
        if self.phase == "descend":
            target = np.array([obj_pos[0], obj_pos[1], grasp_z(state, t.obj)])
            if self.reach_only:
                target[2] = max(obj_pos[2], MIN_GRASP_Z)
                return move_action(state, target, OPEN)
            if abs(eef[2] - target[2]) < 0.008 or self.counter > 40:
                self._advance("grasp")
                return None
            return move_action(state, target, OPEN)
        if self.phase == "grasp":
            if self.counter > GRIP_STEPS:
                self._advance("lift")
                return None
            return move_action(state, eef, CLOSE)
        if self.phase == "lift":
            if self._lost(state, t.obj):
                self._advance("approach")
                return None
            lift_to = obj_pos[2] + 0.15 if t.drop == "hold" else CARRY_Z
            if eef[2] > lift_to - 0.02:
                if t.drop == "hold":
                    return move_action(state, np.r_[eef[:2], lift_to], CLOSE)
                self.drop_point = self._drop_xy(state, goal, t)
                self._advance("carry")
                return None
            return move_action(state, np.r_[eef[:2], lift_to], CLOSE)
        if self.phase == "carry":
            if self._lost(state, t.obj):
                self._advance("approach")
                return None
            target = np.r_[self.drop_point, CARRY_Z]
            if np.linalg.norm((eef - target)[:2]) < AT:
                self._advance("lower" if t.lower else "release")
                return None
            return move_action(state, target, CLOSE)
        if self.phase == "lower":
            held_gap = eef[2] - obj_pos[2]  # how far the hand sits above the object's origin
            rest_z = start_pos(goal, t.obj)[2] + held_gap + 0.01
            if t.drop == "basket":
                rest_z = IN_BASKET_Z
            target = np.r_[self.drop_point, rest_z]
            if eef[2] < rest_z + 0.01 or self.counter > 40:
                self._advance("release")
                return None
            return move_action(state, target, CLOSE)
        if self.phase == "release":
            if self.counter > GRIP_STEPS:
                self._advance("retreat")
                return None
            return move_action(state, eef, OPEN)
        if self.phase == "retreat":
            if eef[2] > CARRY_Z - 0.03 or self.counter > 30:
                if t.drop == "basket" and not T.in_basket(state, t.obj, T.SEQUENTIAL_BASKET_Z):
                    self._advance("approach")  # it bounced out: fetch it again
                    return move_action(state, eef, OPEN)
                self.index += 1
                self._advance("approach" if self.index < len(self.transfers) else "done")
                return move_action(state, eef, OPEN)
            return move_action(state, np.r_[eef[:2], CARRY_Z], OPEN)
        return move_action(state, eef, OPEN)


def make_expert(task: str) -> TransferExpert:
    """The scripted expert of ``task``."""
    s = T.spec(task)
    first = s.objects[0]
    if s.family == "reach":
        return TransferExpert([Transfer(first, "hold")], reach_only=True)
    if s.family == "pick":
        return TransferExpert([Transfer(first, "hold")])
    if s.family in ("place", "pick-and-place", "sequential"):
        return TransferExpert([Transfer(obj, "basket", lower=True) for obj in s.objects])
    if s.family == "pick-place-to":
        return TransferExpert([Transfer(first, f"beside:{s.objects[1]}", lower=True)])
    if s.family == "aside":
        return TransferExpert([Transfer(first, "aside", lower=True)])
    if s.family == "pick-out-of":
        return TransferExpert([Transfer(first, "out", lower=True)])
    raise AssertionError(s.family)


def main(argv: list[str] | None = None) -> None:
    from imagine_bench.domains.expert_table import main as print_table

    print_table("libero", argv, default_episodes=10)


if __name__ == "__main__":
    main()
