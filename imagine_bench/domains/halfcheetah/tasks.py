"""The nine HalfCheetah tasks: state-based success tests and rewards (pure functions of the 24-d state of
:mod:`.layout`, so imagined rollouts can be relabelled with them).

Every success test also asks that the cheetah be on its feet (``cos(pitch) >= 0.5``, torso within 60 degrees of
level, up to whole turns): running or landing on its back does not count.

=============================  ======  ================================================================================
task                           level   success when (disp = net forward displacement since reset, m; see layout)
=============================  ======  ================================================================================
run-forward                    real    ``disp >= +8`` reached within the first 5 s (100 steps): mean speed >= 1.6 m/s
run-backward                   real    ``disp <= -8`` within the first 5 s
jump-forward                   real    the body has been >= 0.3 m clear of the ground (``peak``), it is back on the
                                       ground (``clearance <= 0.01``) and ``disp >= +1``
jump-backward                  real    the same with ``disp <= -1``
run-forward-fast               easy    ``disp >= +16`` within the first 5 s: twice run-forward's distance (3.2 m/s)
run-backward-fast              easy    ``disp <= -16`` within the first 5 s
run-forward-then-backward      hard    ``disp_max >= 5`` and ``disp <= disp_max - 5``: at least 5 m forward, then at
                                       least 5 m back from the furthest point reached
run-backward-then-forward      hard    ``disp_min <= -5`` and ``disp >= disp_min + 5``
jump-in-place                  hard    jumped (``peak >= 0.3``), landed and ``|disp| <= 0.5``
=============================  ======  ================================================================================

Why these need the behaviour: standing still keeps ``disp`` near 0 and ``peak`` near 0, so it solves nothing (nor does
flailing in place: tested). A jump needs the *whole body* (feet included) 30 cm off the ground; the training-speed
run experts never get that high (largest clearance over 50 runs of 200 steps: 0.07 m forward, 0.21 m backward), and
the initial drop from a spawn pose that floats above the floor is excluded (``peak`` counts only after the first
ground contact). The order of a there-and-back run is checked by the state itself: the return leg is measured from
the furthest point reached, so going back first and then forward ends at ``disp == disp_max`` and fails
run-forward-then-backward. The fast tasks need twice the distance in the same 5 s window, and the training run
experts (about 2.6 m/s, about 12 m in 5 s) solve none of them.

Reward (identical form for every task, a pure function of the two states)::

    r(s, s') = PROGRESS_SCALE * (Phi(s') - Phi(s)) + SUCCESS_BONUS * success(s')

with ``PROGRESS_SCALE = 10`` and ``SUCCESS_BONUS = 10``. ``Phi`` measures progress toward the task's test, in metres,
minus ``UPRIGHT_PENALTY = 1`` while the cheetah is not on its feet:

* run tasks: ``dir * disp`` (dir = +1 forward, -1 backward), i.e. the step's displacement in the task's direction;
* jumps: ``JUMP_HEIGHT_WEIGHT * min(peak, 0.3) + min(dir * disp, 1)`` (jump-in-place: ``... - |disp|``);
* there-and-back runs: ``min(dir * extreme, 5) + [dir * extreme >= 5] * min(dir * (extreme - disp), 5)`` where
  extreme = ``disp_max`` (forward first) or ``disp_min`` (backward first), so the return leg earns nothing until the
  first leg is complete.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imagine_bench.domains.halfcheetah import layout as L

RUN_WINDOW = 5.0  # seconds
RUN_DISTANCE = 8.0
FAST_DISTANCE = 16.0
LEG_DISTANCE = 5.0  # each leg of a there-and-back run
JUMP_CLEARANCE = 0.3
JUMP_STEP = 1.0
IN_PLACE_TOLERANCE = 0.5
UPRIGHT_COS = 0.5

PROGRESS_SCALE = 10.0
SUCCESS_BONUS = 10.0
UPRIGHT_PENALTY = 1.0
JUMP_HEIGHT_WEIGHT = 4.0

_TIME_TOL = 1e-3  # elapsed is stored in float32


@dataclass(frozen=True)
class TaskSpec:
    kind: str  # "run", "jump", "there-and-back"
    direction: int  # +1 forward, -1 backward, 0 in place
    distance: float = 0.0


TASKS: dict[str, TaskSpec] = {
    "run-forward": TaskSpec("run", +1, RUN_DISTANCE),
    "run-backward": TaskSpec("run", -1, RUN_DISTANCE),
    "jump-forward": TaskSpec("jump", +1, JUMP_STEP),
    "jump-backward": TaskSpec("jump", -1, JUMP_STEP),
    "run-forward-fast": TaskSpec("run", +1, FAST_DISTANCE),
    "run-backward-fast": TaskSpec("run", -1, FAST_DISTANCE),
    "run-forward-then-backward": TaskSpec("there-and-back", +1, LEG_DISTANCE),
    "run-backward-then-forward": TaskSpec("there-and-back", -1, LEG_DISTANCE),
    "jump-in-place": TaskSpec("jump", 0, IN_PLACE_TOLERANCE),
}

LEVEL_TASKS: dict[str, tuple[str, ...]] = {
    "real": ("run-forward", "run-backward", "jump-forward", "jump-backward"),
    "easy": ("run-forward-fast", "run-backward-fast"),
    "hard": ("run-forward-then-backward", "run-backward-then-forward", "jump-in-place"),
}


def spec(task: str) -> TaskSpec:
    if task not in TASKS:
        raise ValueError(f"unknown HalfCheetah task {task!r}; expected one of {', '.join(TASKS)}")
    return TASKS[task]


def upright(state: np.ndarray) -> bool:
    return bool(np.cos(float(state[L.PITCH])) >= UPRIGHT_COS)


def success(task: str, state: np.ndarray) -> bool:
    s, state = spec(task), np.asarray(state)
    if not upright(state):
        return False
    disp = float(state[L.DISP])
    if s.kind == "run":
        return bool(s.direction * disp >= s.distance and float(state[L.ELAPSED]) <= RUN_WINDOW + _TIME_TOL)
    if s.kind == "jump":
        jumped = float(state[L.PEAK]) >= JUMP_CLEARANCE and float(state[L.CLEARANCE]) <= L.GROUND_CONTACT
        if s.direction == 0:
            return bool(jumped and abs(disp) <= s.distance)
        return bool(jumped and s.direction * disp >= s.distance)
    extreme = float(state[L.DISP_MAX] if s.direction > 0 else state[L.DISP_MIN])
    return bool(s.direction * extreme >= s.distance and s.direction * (extreme - disp) >= s.distance)


def potential(task: str, state: np.ndarray) -> float:
    s, state = spec(task), np.asarray(state)
    disp = float(state[L.DISP])
    if s.kind == "run":
        phi = s.direction * disp
    elif s.kind == "jump":
        height = JUMP_HEIGHT_WEIGHT * min(float(state[L.PEAK]), JUMP_CLEARANCE)
        phi = height - abs(disp) if s.direction == 0 else height + min(s.direction * disp, JUMP_STEP)
    else:
        extreme = s.direction * float(state[L.DISP_MAX] if s.direction > 0 else state[L.DISP_MIN])
        phi = min(extreme, s.distance)
        if extreme >= s.distance:
            phi += min(extreme - s.direction * disp, s.distance)
    return phi - (0.0 if upright(state) else UPRIGHT_PENALTY)


def reward(task: str, state: np.ndarray, next_state: np.ndarray, succeeded: bool) -> float:
    progress = potential(task, next_state) - potential(task, state)
    return float(PROGRESS_SCALE * progress + (SUCCESS_BONUS if succeeded else 0.0))
