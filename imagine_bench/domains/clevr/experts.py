"""Scripted experts: a look-ahead planner over the real push primitive, with one planning cost per task family.

Every decision simulates each candidate push (all 8 directions on every ball the goal names) on a scratch copy of the
live simulator state, so predictions are exact, and takes the push whose outcome has the lowest planning cost; a push
that reaches the goal wins outright. When no single push lowers the cost, or the cost has not dropped by
``STALL_GAIN`` over the last ``STALL`` pushes, a beam search looks ``BEAM_DEPTH`` pushes ahead (``BEAM_WIDTH`` states
kept per depth). When that finds nothing better either, the planner pushes a ball of an unmet sub-goal in a random
direction (seeded per episode, so experts are deterministic) and starts over.

Planning costs aim at the middle of each success region rather than its edge, and they are continuous (a sub-goal that
holds still counts its distance to the aim), so the planner can trade a little slack on one sub-goal for progress on
another. Two geometric facts shape them: a ball centre cannot pass within two radii of another ball, so distances to
an aim next to a reference ball are measured *around* that ball (tangent + arc + tangent); and aims outside the area
the walls leave for ball centres cost their distance to it, which makes the planner move a reference ball away from a
wall rather than push against it.

* relation ``(A, B, d)`` (summed over the relations of the multi-relation families): path length from ``A`` around
  ``B`` to ``B + 0.31 * u_d`` (``u_d`` the direction's unit vector);
* ``push``: the task residual (distance of the displacement to its success set);
* ``gather``: for each non-green ball not yet within the radius, its distance to green beyond 0.28;
* ``line``: for each consecutive pair, the path length from the next ball around the previous one to the nearest of
  three aims (straight right, or up/down-right at 34 degrees), plus half the distances of red from the left wall and
  of cyan from the right wall (the row needs most of the table's width).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from imagine_bench.domains.clevr import tasks as T
from imagine_bench.domains.clevr.layout import BALL_RADIUS, CENTRE_X, CENTRE_Y, N_BALLS, PUSH_DIRECTIONS


class PushModel(Protocol):
    """What the planner predicts pushes with: the live scene (:class:`.simulator.Table`), whose pushes it replays on
    scratch copies of the current state."""

    def ball_xy(self) -> np.ndarray: ...

    def simulate(self, action: int) -> np.ndarray: ...

    def snapshot(self) -> Any: ...

    def push_from(self, state: Any, action: int) -> tuple[np.ndarray, Any]: ...

RELATION_AIM = 0.31  # between contact (0.26) and the success limit (0.39)
GATHER_AIM = 0.28  # inside the gather radius (0.325)
LINE_AIMS = ((0.28, 0.0), (0.22, 0.15), (0.22, -0.15))  # 0 or 34 degrees off +x, 0.27-0.28 long
LINE_ANCHOR = 0.5  # weight pulling red to the left wall and cyan to the right one
IMPROVEMENT = 1e-3
STALL = 4
STALL_GAIN = 0.02
BEAM_DEPTH = 2
BEAM_WIDTH = 8
WALL_MARGIN = 0.03
CONTACT = 2 * BALL_RADIUS
_BOX = (CENTRE_X[0] + WALL_MARGIN, CENTRE_X[1] - WALL_MARGIN, CENTRE_Y[0] + WALL_MARGIN, CENTRE_Y[1] - WALL_MARGIN)

CostFn = Callable[[np.ndarray], float]


def around(start: tuple[float, float], end: tuple[float, float], centre: tuple[float, float],
           radius: float = CONTACT) -> float:
    """Length of the shortest path from ``start`` to ``end`` that keeps out of the disc around ``centre``: straight
    when the segment clears the disc, else tangent + arc + tangent."""
    ax, ay = start[0] - centre[0], start[1] - centre[1]
    bx, by = end[0] - centre[0], end[1] - centre[1]
    na, nb = math.hypot(ax, ay), math.hypot(bx, by)
    da, db = max(na, radius), max(nb, radius)
    cos = (ax * bx + ay * by) / (max(na, 1e-9) * max(nb, 1e-9))
    theta = math.acos(min(1.0, max(-1.0, cos)))
    alpha_a, alpha_b = math.acos(radius / da), math.acos(radius / db)
    if theta <= alpha_a + alpha_b:
        return math.hypot(end[0] - start[0], end[1] - start[1])
    return (math.sqrt(da * da - radius * radius) + math.sqrt(db * db - radius * radius)
            + radius * (theta - alpha_a - alpha_b))


def outside(point: tuple[float, float]) -> float:
    """How far ``point`` lies outside the area ball centres can reach (shrunk by ``WALL_MARGIN``)."""
    x, y = point
    dx = max(_BOX[0] - x, 0.0, x - _BOX[1])
    dy = max(_BOX[2] - y, 0.0, y - _BOX[3])
    return math.hypot(dx, dy)


def _points(xy: np.ndarray) -> list[tuple[float, float]]:
    flat = np.asarray(xy, np.float64).tolist()
    return [(flat[2 * i], flat[2 * i + 1]) for i in range(N_BALLS)]


def _relation_cost(goal: np.ndarray) -> CostFn:
    aims = [(s, r, float(T.DIRECTION_VECTORS[d][0]) * RELATION_AIM, float(T.DIRECTION_VECTORS[d][1]) * RELATION_AIM)
            for s, r, d in T.decode_relations(goal)]

    def cost(xy: np.ndarray) -> float:
        pts = _points(xy)
        total = 0.0
        for s, r, ox, oy in aims:
            aim = (pts[r][0] + ox, pts[r][1] + oy)
            total += around(pts[s], aim, pts[r]) + outside(aim)
        return total

    return cost


def _push_cost(goal: np.ndarray) -> CostFn:
    ball, direction, start = T.decode_push(goal)
    return lambda xy: T.push_residual(xy, ball, direction, start)


def _gather_cost(goal: np.ndarray) -> CostFn:
    def cost(xy: np.ndarray) -> float:
        pts = _points(xy)
        gx, gy = pts[T.GATHER_CENTRE]
        total = 0.0
        for j in T.GATHER_OTHERS:
            d = math.hypot(pts[j][0] - gx, pts[j][1] - gy)
            if d >= T.GATHER_RADIUS:
                total += d - GATHER_AIM
        return total

    return cost


def _line_cost(goal: np.ndarray) -> CostFn:
    def cost(xy: np.ndarray) -> float:
        pts = _points(xy)
        total = 0.0
        for i in range(N_BALLS - 1):
            px, py = pts[i]
            total += min(around(pts[i + 1], (px + ox, py + oy), pts[i]) + outside((px + ox, py + oy))
                         for ox, oy in LINE_AIMS)
        return total + LINE_ANCHOR * (abs(pts[0][0] - CENTRE_X[0]) + abs(pts[-1][0] - CENTRE_X[1]))

    return cost


COSTS: dict[str, Callable[[np.ndarray], CostFn]] = {
    "relation": _relation_cost, "two-relations": _relation_cost, "three-relations": _relation_cost,
    "push": _push_cost, "gather": _gather_cost, "line": _line_cost,
}


def named_balls(task: str, goal: np.ndarray) -> list[int]:
    if task in T.RELATION_COUNT:
        return sorted({b for s, r, _ in T.decode_relations(goal) for b in (s, r)})
    if task == "push":
        return [T.decode_push(goal)[0]]
    return list(range(N_BALLS))


def unmet_balls(task: str, goal: np.ndarray, xy: np.ndarray) -> list[int]:
    """Balls named by a sub-goal that does not hold yet (the ones worth shaking when the planner is stuck)."""
    held = T.subgoals_held(task, goal, xy)
    if task in T.RELATION_COUNT:
        relations = T.decode_relations(goal)
        out = {b for k, h in enumerate(held) if not h for b in relations[k][:2]}
    elif task == "push":
        out = {T.decode_push(goal)[0]}
    elif task == "line":
        out = {b for i, h in enumerate(held) if not h for b in (i, i + 1)}
    else:
        out = {T.GATHER_CENTRE} | {j for j, h in zip(T.GATHER_OTHERS, held, strict=True) if not h}
    return sorted(out) or named_balls(task, goal)


class Planner:
    """Chooses pushes for one episode of ``task`` towards ``goal`` on ``table`` (never changing its live state)."""

    def __init__(self, table: PushModel, task: str, goal: np.ndarray, seed: int) -> None:
        self.table, self.task, self.goal = table, task, np.asarray(goal)
        self.cost = COSTS[task](self.goal)
        self.rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xC1E7]))
        self.history: list[float] = []
        self.candidates = [b * len(PUSH_DIRECTIONS) + k for b in named_balls(task, self.goal)
                           for k in range(len(PUSH_DIRECTIONS))]

    def score(self, xy: np.ndarray) -> float:
        """Planning cost of a state; -1 for a state that reaches the goal."""
        return -1.0 if T.success(self.task, self.goal, xy) else self.cost(xy)

    def act(self) -> int:
        table = self.table
        xy = table.ball_xy()
        current = self.score(xy)
        self.history.append(current)
        outcomes = sorted((self.score(table.simulate(a)), a) for a in self.candidates)
        best_score, best_action = outcomes[0]
        if best_score < 0:
            return best_action
        h = self.history
        stuck = len(h) > STALL and min(h[-STALL:]) > min(h[:-STALL]) - STALL_GAIN
        if best_score < current - IMPROVEMENT and not stuck:
            return best_action
        score, first = self._beam(table.snapshot())
        if score < (min(h) - STALL_GAIN if stuck else current - IMPROVEMENT):
            return first
        # Nothing within reach helps: push a ball of an unmet sub-goal at random and start the stall count afresh.
        self.history.clear()
        loose = unmet_balls(self.task, self.goal, xy)
        return int(self.rng.choice([a for a in self.candidates if a // len(PUSH_DIRECTIONS) in loose]))

    def _beam(self, root: tuple[np.ndarray, np.ndarray]) -> tuple[float, int]:
        """Lowest score reachable within ``BEAM_DEPTH`` pushes and the first push of that sequence."""
        best = (math.inf, -1)
        frontier = [(0.0, -1, root)]
        for _ in range(BEAM_DEPTH):
            children = []
            for _, first, state in frontier:
                for action in self.candidates:
                    xy, after = self.table.push_from(state, action)
                    score = self.score(xy)
                    head = action if first < 0 else first
                    children.append((score, head, after))
                    if score < best[0]:
                        best = (score, head)
                        if score < 0:
                            return best
            children.sort(key=lambda c: c[0])
            frontier = children[:BEAM_WIDTH]
        return best


def main(argv: list[str] | None = None) -> None:
    from imagine_bench.domains.expert_table import main as print_table

    print_table("clevr", argv, default_episodes=50)


if __name__ == "__main__":
    main()
