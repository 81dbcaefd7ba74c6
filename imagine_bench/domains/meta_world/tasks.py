"""The Meta-World tasks: the task list of every level, the composite tasks' stages, and the state-based success tests
and shaped rewards (pure functions of the slot vector).

Success tests re-implement each Meta-World v3 ``evaluate_state`` on the slot vector of :mod:`.layout`, with Meta-World's
own quantities and thresholds (metaworld 3.1.1):

==================  ==========================================================================================
task                success when
==================  ==========================================================================================
reach, reach-wall   ``|tcp - goal| <= 0.05``
push                ``|object - goal| <= 0.05``
push-wall           ``|object - goal| <= 0.07``
pick-place(-wall)   ``|object - goal| <= 0.07``
button-press        ``|button.y - goal.y| <= 0.02`` (``<= 0.03`` for button-press-wall)
door-unlock         ``|lock.x - goal.x| <= 0.02`` (lock tip, site ``lockStartUnlock``)
door-lock           ``|lock'.z - goal.z| <= 0.02``, lock' = site ``lockStartLock`` = lock + R(lock quat)(0, 0, 0.02)
door-open           ``|door_handle.x - goal.x| <= 0.08``
door-close          ``|door_handle - goal| <= 0.08``
window-open         ``|window_handle.x - goal.x| <= 0.05``
window-close        same for the close-side handle point, ``window_handle + R(q)(0.05, 0, 0)``
faucet-open         ``|faucet_handle + (-0.04, 0, 0.02) - goal| <= 0.07``
faucet-close        ``|faucet_handle + R(q)(0.03, 0, 0) + (0, 0, -0.01) - goal| <= 0.07``
coffee-push         ``|mug - goal| <= 0.07``
coffee-button       ``|coffee_button.y - goal.y| <= 0.02``
hammer              nail driven in: ``nail.y - goal.y > -0.01`` (Meta-World: nail slide joint > 0.09)
soccer              ``|soccer_ball - goal| <= 0.07`` (the unscaled distance that ``compute_reward`` returns)
make-coffee         coffee-push's test on the **mug** AND coffee-button's test on the **button**, whose pressed target
                    is ``goal + (0, 0.03, 0.3)`` (the button has no spring and stays in once pushed, so "has been
                    pressed" is part of the state; the order is therefore not checked: pressing first and then
                    delivering the mug also counts, as no state records the order)
locked-door-open    door-unlock's test on the **lock**, evaluated in the door's own frame (the door turns), AND
                    door-open's test on the **door handle**; the simulator lets the door swing only once unlocked
==================  ==========================================================================================

Reward (documented formula, also a pure function of states)::

    r(s, s') = Phi(s') - Phi(s) + SUCCESS_BONUS * success,        SUCCESS_BONUS = 10
    Phi(s)   = -10 * (p_k(s) + STAGE_GAP * (K - 1 - k(s)))

``k(s)`` is the number of completed stages (always 0 for one-stage tasks, K = 1; 0 or 1 for the two composite tasks,
K = 2) and ``p_k`` is the progress distance of the current stage in metres: the error that the stage's success test
measures plus half the distance from the gripper (tcp) to the entity it has to move (no reach term for reach /
reach-wall; for hammer: the nail's remaining travel plus half the tcp-hammer distance). ``STAGE_GAP = 1`` m exceeds
any stage-2 progress distance at the moment stage 1 completes (at most ~0.6 m in these scenes), so finishing stage 1
raises Phi (by ~5 for locked-door-open and ~9 for make-coffee on expert runs), and losing it again lowers Phi by as
much. A policy that leaves everything where it is collects no shaping reward. ``k(s)`` counts stages in order (stage
2 only counts once stage 1 holds), and a state in which every stage holds is a success.
"""

from __future__ import annotations

import numpy as np

from imagine_bench.domains.meta_world.layout import pos, quat, quat_conj, quat_mul, quat_rotate

REAL_TASKS: tuple[str, ...] = (
    "reach", "push", "pick-place", "button-press", "door-unlock",
    "door-open", "window-open", "faucet-open", "coffee-push", "coffee-button",
)  # fmt: skip
EASY_TASKS: tuple[str, ...] = (
    "reach-wall", "push-wall", "pick-place-wall", "button-press-wall",
    "door-lock", "door-close", "window-close", "faucet-close",
)  # fmt: skip
HARD_TASKS: tuple[str, ...] = ("make-coffee", "locked-door-open", "hammer", "soccer")
ALL_TASKS: tuple[str, ...] = REAL_TASKS + EASY_TASKS + HARD_TASKS
#: The composite tasks and their number of stages (skills chained in one scene). Each stage gets one horizon's worth
#: of steps: the chained expert of locked-door-open needs ~185 steps (unlock, move off the lever, open), which a
#: 100-step limit would make unsolvable.
STAGES: dict[str, int] = {"make-coffee": 2, "locked-door-open": 2}

SUCCESS_BONUS = 10.0
POTENTIAL_SCALE = 10.0
STAGE_GAP = 1.0

#: lock tip (site ``lockStartUnlock``) in the lock lever's frame; door-unlock's target is the lever origin + 0.1 in x.
LOCK_TIP_IN_LEVER = np.array([0.09, -0.04, -0.01])
#: coffee machine: pressed-button target relative to the mug target (both fixed to the machine body).
BUTTON_TARGET_FROM_MUG_TARGET = np.array([0.0, 0.03, 0.3])


def _d(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


# -- per-entity quantities ---------------------------------------------------------------------------------------------
def lock_site_for_locking(state: np.ndarray) -> np.ndarray:
    """Site ``lockStartLock`` (door-lock's test point): 0.02 above the lock tip in the lever frame."""
    return pos(state, "lock") + quat_rotate(quat(state, "lock"), np.array([0.0, 0.0, 0.02]))


def lock_unlock_error(state: np.ndarray) -> float:
    """door-unlock's ``|target.x - tip.x|`` measured in the door's frame, from the lock and door orientations.

    The door_handle slot carries the door leaf's orientation, so the lever's rotation relative to the door is
    ``q_rel = conj(q_door) * q_lock``; door-unlock's target sits 0.1 along the door's x axis from the lever's pivot,
    and the lock tip is at ``R(q_rel) @ LOCK_TIP_IN_LEVER`` from the pivot.
    """
    q_rel = quat_mul(quat_conj(quat(state, "door_handle")), quat(state, "lock"))
    return abs(0.1 - float(quat_rotate(q_rel, LOCK_TIP_IN_LEVER)[0]))


def window_close_point(state: np.ndarray) -> np.ndarray:
    return pos(state, "window_handle") + quat_rotate(quat(state, "window_handle"), np.array([0.05, 0.0, 0.0]))


def faucet_open_point(state: np.ndarray) -> np.ndarray:
    return pos(state, "faucet_handle") + np.array([-0.04, 0.0, 0.02])


def faucet_close_point(state: np.ndarray) -> np.ndarray:
    rotated = quat_rotate(quat(state, "faucet_handle"), np.array([0.03, 0.0, 0.0]))
    return pos(state, "faucet_handle") + rotated + np.array([0.0, 0.0, -0.01])


def nail_remaining(state: np.ndarray) -> float:
    """How far (m) the nail still has to travel before hammer's success test passes (0 once it passes)."""
    return max(0.0, (pos(state, "goal")[1] - 0.01) - pos(state, "nail")[1])


# -- stage errors: (error, threshold-test) per task --------------------------------------------------------------------
def _stage_error(task: str, state: np.ndarray, stage: int) -> tuple[float, bool, float]:
    """(progress error in m, stage passed?, gripper-to-entity distance in m) of ``stage`` of ``task``."""
    g, tcp = pos(state, "goal"), pos(state, "tcp")
    if task in ("reach", "reach-wall"):
        e = _d(tcp, g)
        return e, e <= 0.05, 0.0
    if task in ("push", "push-wall", "pick-place", "pick-place-wall"):
        o = pos(state, "object")
        e = _d(o, g)
        return e, e <= (0.05 if task == "push" else 0.07), _d(tcp, o)
    if task in ("button-press", "button-press-wall"):
        b = pos(state, "button")
        e = abs(float(g[1] - b[1]))
        return e, e <= (0.02 if task == "button-press" else 0.03), _d(tcp, b)
    if task == "door-unlock":
        lk = pos(state, "lock")
        e = abs(float(g[0] - lk[0]))
        return e, e <= 0.02, _d(tcp, lk)
    if task == "door-lock":
        lk = lock_site_for_locking(state)
        e = abs(float(g[2] - lk[2]))
        return e, e <= 0.02, _d(tcp, lk)
    if task == "door-open":
        h = pos(state, "door_handle")
        e = abs(float(h[0] - g[0]))
        return e, e <= 0.08, _d(tcp, h)
    if task == "door-close":
        h = pos(state, "door_handle")
        e = _d(h, g)
        return e, e <= 0.08, _d(tcp, h)
    if task == "window-open":
        w = pos(state, "window_handle")
        e = abs(float(w[0] - g[0]))
        return e, e <= 0.05, _d(tcp, w)
    if task == "window-close":
        w = window_close_point(state)
        e = abs(float(w[0] - g[0]))
        return e, e <= 0.05, _d(tcp, w)
    if task == "faucet-open":
        f = faucet_open_point(state)
        e = _d(f, g)
        return e, e <= 0.07, _d(tcp, f)
    if task == "faucet-close":
        f = faucet_close_point(state)
        e = _d(f, g)
        return e, e <= 0.07, _d(tcp, f)
    if task == "coffee-push" or (task == "make-coffee" and stage == 0):
        m = pos(state, "mug")
        e = _d(m, g)
        return e, e <= 0.07, _d(tcp, m)
    if task == "coffee-button":
        b = pos(state, "coffee_button")
        e = abs(float(g[1] - b[1]))
        return e, e <= 0.02, _d(tcp, b)
    if task == "make-coffee":  # stage 1: the machine's button, judged against its own pressed target
        b = pos(state, "coffee_button")
        e = abs(float(g[1] + BUTTON_TARGET_FROM_MUG_TARGET[1] - b[1]))
        return e, e <= 0.02, _d(tcp, b)
    if task == "locked-door-open":
        if stage == 0:  # the lock, in the door's frame
            e = lock_unlock_error(state)
            return e, e <= 0.02, _d(tcp, pos(state, "lock"))
        h = pos(state, "door_handle")  # then the door, judged on its handle
        e = abs(float(h[0] - g[0]))
        return e, e <= 0.08, _d(tcp, h)
    if task == "hammer":
        e = nail_remaining(state)
        return e, float(pos(state, "nail")[1] - g[1]) > -0.01, _d(tcp, pos(state, "hammer"))
    if task == "soccer":
        ball = pos(state, "soccer_ball")
        e = _d(ball, g)
        return e, e <= 0.07, _d(tcp, ball)
    raise KeyError(task)


def n_stages(task: str) -> int:
    return STAGES.get(task, 1)


def stages_done(task: str, state: np.ndarray) -> int:
    """Number of consecutive stages (from the first) whose tests pass in ``state``."""
    done = 0
    for stage in range(n_stages(task)):
        if not _stage_error(task, state, stage)[1]:
            break
        done += 1
    return done


def success(task: str, state: np.ndarray) -> bool:
    """Every stage's test passes at once (composite tasks: each stage judged on its own object)."""
    return stages_done(task, state) == n_stages(task)


def potential(task: str, state: np.ndarray) -> float:
    """``Phi(s)`` of the module docstring."""
    k_total = n_stages(task)
    k = min(stages_done(task, state), k_total - 1)
    err, _, reach = _stage_error(task, state, k)
    return -POTENTIAL_SCALE * (err + 0.5 * reach + STAGE_GAP * (k_total - 1 - k))


def reward(task: str, state: np.ndarray, next_state: np.ndarray, succeeded: bool) -> float:
    return potential(task, next_state) - potential(task, state) + (SUCCESS_BONUS if succeeded else 0.0)

