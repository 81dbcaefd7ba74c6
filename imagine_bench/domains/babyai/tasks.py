"""The rules of the BabyAI domain as pure functions of :class:`~imagine_bench.domains.babyai.layout.World` values.

* :func:`transition`: the dynamics of the seven actions (the minigrid simulator implements the same rules on its own
  grid objects; the tests step both side by side and compare).
* ``SUCCESS[task](world, first, second)``: each task's success test. ``first`` / ``second`` are the objects the
  goal names (indices into ``OBJECTS``, ``-1`` when unused).
* ``COST[task](world, first, second)``: the number of actions an optimal agent still needs (0 exactly when the task
  is solved). It is the potential of the shaped reward and what the experts descend, so an expert step always earns
  the same shaping bonus.

The tasks (see the package docstring for the wording and the level of each):

========================  ==========================================================================================
``go-to``                 stand on the target item's cell; for the door, on the interior cell in front of it
``open-door``             the door is open
``pick-up``               carrying the target item
``put-next``              the moved item and the fixed item both on the floor, 4-adjacent
``open-then-go-to``       the door is open and the agent stands on an item lying on the floor
``open-then-pick-up``     the door is open and the agent carries any item (upstream's version could never succeed)
``go-to-wall``            the agent is on an interior cell touching the outer wall
``go-to-center``          the agent is on one of the four centre cells
``unlock-door``           the (locked, key-coloured) door is open; it opens only while carrying the key
``put-in-line``           all three items on the floor in three consecutive cells of one row or one column
``put-in-pile``           all three items on the floor inside one 2 x 2 block (an L of three touching cells)
========================  ==========================================================================================
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from imagine_bench.domains.babyai.layout import (
    CENTER,
    DOOR,
    DROP,
    GRID_SIZE,
    HI,
    KEY,
    LO,
    MOVES,
    PICK_UP,
    TOGGLE,
    Cell,
    World,
)

REAL_TASKS: tuple[str, ...] = ("go-to", "open-door", "pick-up", "put-next")
EASY_TASKS: tuple[str, ...] = ("open-then-go-to", "open-then-pick-up", "go-to-wall", "go-to-center")
HARD_TASKS: tuple[str, ...] = ("unlock-door", "put-in-line", "put-in-pile")
ALL_TASKS: tuple[str, ...] = REAL_TASKS + EASY_TASKS + HARD_TASKS
ARRANGEMENT_TASKS: dict[str, str] = {"put-in-line": "line", "put-in-pile": "pile"}

SUCCESS_REWARD = 1.0  # paid on the step that solves the task
SHAPING = 0.1  # per action of progress: reward += SHAPING * (cost_to_go(s) - cost_to_go(s'))

FAR = 64  # cost of a goal that names no valid object, or has no plan (never the case in simulator episodes)


def l1(a: Cell, b: Cell) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def inside(cell: Cell) -> bool:
    return LO <= cell[0] <= HI and LO <= cell[1] <= HI


def nearest_inside(cell: Cell) -> Cell:
    return (min(max(cell[0], LO), HI), min(max(cell[1], LO), HI))


def approach(door: Cell) -> Cell:
    """The interior cell in front of a door in the wall (the only cell from which it can be toggled)."""
    return nearest_inside(door)


def floor_items(w: World) -> list[int]:
    return [i for i in range(3) if i != w.carried]


def item_at(w: World, cell: Cell) -> int:
    """The item lying on the floor at ``cell``, or -1."""
    for i in floor_items(w):
        if w.items[i] == cell:
            return i
    return -1


# --------------------------------------------------------------------------------------------------------- dynamics
def transition(w: World, action: int) -> World:
    """The next world after ``action`` (see the action table in the package docstring)."""
    a = int(action)
    if 0 <= a < 4:
        x, y = w.agent[0] + MOVES[a][0], w.agent[1] + MOVES[a][1]
        if not inside((x, y)):  # walls and the door (open or not) block; items do not
            return w
        if w.carried < 0:
            return w._replace(agent=(x, y))
        items = tuple((x, y) if i == w.carried else cell for i, cell in enumerate(w.items))  # the load moves along
        return w._replace(agent=(x, y), items=items)
    if a == PICK_UP:
        found = item_at(w, w.agent) if w.carried < 0 else -1
        return w._replace(carried=found) if found >= 0 else w
    if a == DROP:
        return w._replace(carried=-1) if w.carried >= 0 and item_at(w, w.agent) < 0 else w
    if a == TOGGLE:
        if l1(w.agent, w.door) != 1:
            return w
        if w.door_locked:
            if w.carried == KEY and w.colors[KEY] == w.colors[DOOR]:
                return w._replace(door_locked=False, door_open=True)
            return w
        return w._replace(door_open=not w.door_open)
    raise ValueError(f"BabyAI actions are integers 0..6, got {action!r}")


# ------------------------------------------------------------------------------------------------- success tests
def _go_to(w: World, first: int, second: int) -> bool:
    if first == DOOR:
        return w.agent == approach(w.door)
    return 0 <= first < 3 and w.carried != first and w.agent == w.items[first]


def _pick_up(w: World, first: int, second: int) -> bool:
    return 0 <= first < 3 and w.carried == first


def _put_next(w: World, first: int, second: int) -> bool:
    if not (0 <= first < 3 and 0 <= second < 3) or first == second or w.carried in (first, second):
        return False
    return l1(w.items[first], w.items[second]) == 1


def _open_then_go_to(w: World, first: int, second: int) -> bool:
    return w.door_open and item_at(w, w.agent) >= 0


def _open_then_pick_up(w: World, first: int, second: int) -> bool:
    return w.door_open and w.carried >= 0


def _go_to_wall(w: World, first: int, second: int) -> bool:
    x, y = w.agent
    return inside(w.agent) and (x in (LO, HI) or y in (LO, HI))


def _go_to_center(w: World, first: int, second: int) -> bool:
    return CENTER[0] <= w.agent[0] <= CENTER[1] and CENTER[0] <= w.agent[1] <= CENTER[1]


def _door_open(w: World, first: int, second: int) -> bool:
    return w.door_open


def in_line(cells: list[Cell]) -> bool:
    xs, ys = sorted(c[0] for c in cells), sorted(c[1] for c in cells)
    row = ys[0] == ys[-1] and xs == list(range(xs[0], xs[0] + 3))
    column = xs[0] == xs[-1] and ys == list(range(ys[0], ys[0] + 3))
    return row or column


def in_pile(cells: list[Cell]) -> bool:
    xs, ys = [c[0] for c in cells], [c[1] for c in cells]
    return len(set(cells)) == 3 and max(xs) - min(xs) <= 1 and max(ys) - min(ys) <= 1


def _put_in_line(w: World, first: int, second: int) -> bool:
    return w.carried < 0 and in_line(list(w.items))


def _put_in_pile(w: World, first: int, second: int) -> bool:
    return w.carried < 0 and in_pile(list(w.items))


Rule = Callable[[World, int, int], bool]
SUCCESS: dict[str, Rule] = {
    "go-to": _go_to,
    "open-door": _door_open,
    "pick-up": _pick_up,
    "put-next": _put_next,
    "open-then-go-to": _open_then_go_to,
    "open-then-pick-up": _open_then_pick_up,
    "go-to-wall": _go_to_wall,
    "go-to-center": _go_to_center,
    "unlock-door": _door_open,
    "put-in-line": _put_in_line,
    "put-in-pile": _put_in_pile,
}


# ------------------------------------------------------------------------------------------------- cost to go
def _release(w: World) -> World:
    """The same world with the carried item put down where the agent stands (one action, if the cell is free)."""
    return w._replace(carried=-1)


def _cost_go_to(w: World, first: int, second: int) -> float:
    if first == DOOR:
        return l1(w.agent, approach(w.door))
    if not 0 <= first < 3:
        return FAR
    return l1(w.agent, w.items[first]) + (1 if w.carried == first else 0)


def _cost_open_door(w: World, first: int, second: int) -> float:
    return 0 if w.door_open else l1(w.agent, approach(w.door)) + 1


def _cost_pick_up(w: World, first: int, second: int) -> float:
    if not 0 <= first < 3:
        return FAR
    if w.carried == first:
        return 0
    return l1(w.agent, w.items[first]) + 1 + (1 if w.carried >= 0 else 0)


def drop_cells_next_to(w: World, moved: int, fixed: int) -> list[Cell]:
    """Interior cells 4-adjacent to ``fixed`` where ``moved`` could be put down (no other item lies there). A
    position off the interior (noisy imagined states only) is first moved onto its nearest interior cell."""
    fx, fy = nearest_inside(w.items[fixed])
    cells = []
    for dx, dy in MOVES:
        cell = (fx + dx, fy + dy)
        if inside(cell) and item_at(w, cell) in (-1, moved):
            cells.append(cell)
    return cells


def _cost_put_next(w: World, first: int, second: int) -> float:
    if not (0 <= first < 3 and 0 <= second < 3) or first == second:
        return FAR
    if _put_next(w, first, second):
        return 0
    if w.carried >= 0 and w.carried != first:  # holding the wrong item: put it down first
        return 1 + _cost_put_next(_release(w), first, second)
    cells = drop_cells_next_to(w, first, second)
    if not cells:
        return FAR
    if w.carried == first:
        return min(l1(w.agent, c) for c in cells) + 1
    start = w.items[first]
    return l1(w.agent, start) + 1 + min(l1(start, c) for c in cells) + 1


def _cost_open_then_go_to(w: World, first: int, second: int) -> float:
    items = [w.items[i] for i in floor_items(w)]
    if w.door_open:
        return min(l1(w.agent, c) for c in items)
    door = approach(w.door)
    return l1(w.agent, door) + 1 + min(l1(door, c) for c in items)


def _cost_open_then_pick_up(w: World, first: int, second: int) -> float:
    door = approach(w.door)
    if w.carried >= 0:
        return 0 if w.door_open else l1(w.agent, door) + 1
    items = [w.items[i] for i in floor_items(w)]
    if w.door_open:
        return min(l1(w.agent, c) for c in items) + 1
    item_first = min(l1(w.agent, c) + l1(c, door) for c in items)
    door_first = l1(w.agent, door) + min(l1(door, c) for c in items)
    return min(item_first, door_first) + 2


def _cost_go_to_wall(w: World, first: int, second: int) -> float:
    x, y = w.agent
    return max(0, min(x - LO, HI - x, y - LO, HI - y))


def _cost_go_to_center(w: World, first: int, second: int) -> float:
    x, y = w.agent
    return max(0, CENTER[0] - x, x - CENTER[1]) + max(0, CENTER[0] - y, y - CENTER[1])


def _cost_unlock_door(w: World, first: int, second: int) -> float:
    if w.door_open:
        return 0
    door = approach(w.door)
    if not w.door_locked or w.carried == KEY:
        return l1(w.agent, door) + 1
    if w.carried >= 0:
        return 1 + _cost_unlock_door(_release(w), first, second)
    key = w.items[KEY]
    return l1(w.agent, key) + 1 + l1(key, door) + 1


# ------------------------------------------------------------------------- arrangements: put-in-line / put-in-pile
def _layouts(kind: str) -> np.ndarray:
    """Every set of three target cells for ``kind``: (n, 3, 2)."""
    cells = []
    if kind == "line":
        for a in range(LO, HI + 1):
            for b in range(LO, HI - 1):
                cells.append([(b, a), (b + 1, a), (b + 2, a)])
                cells.append([(a, b), (a, b + 1), (a, b + 2)])
    elif kind == "pile":
        for x in range(LO, HI):
            for y in range(LO, HI):
                block = [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
                cells.extend([c for c in block if c != left_out] for left_out in block)
    else:
        raise ValueError(kind)
    return np.array(cells, np.int64)


ORDERS = np.array(list(itertools.permutations(range(3))), np.int64)  # (6, 3): the order items are moved in
_XY = np.array([(i % GRID_SIZE, i // GRID_SIZE) for i in range(GRID_SIZE * GRID_SIZE)], np.int64)
_DIST = np.abs(_XY[:, None] - _XY[None]).sum(-1)  # L1 distance between cell ids x + GRID_SIZE * y
_CANDIDATES: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _candidates(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``targets (K, 3, 2)``: target cell of every item for every (layout, assignment of items to its cells);
    ``items (K * 6, 3)``: which item each candidate moves at each of its three steps (one row per order);
    ``goals (K * 6, 3)``: the cell id that item goes to."""
    if kind not in _CANDIDATES:
        layouts = _layouts(kind)
        targets = layouts[:, ORDERS].reshape(-1, 3, 2)  # item i goes to layout cell ORDERS[p, i]
        cell_ids = targets[..., 0] + GRID_SIZE * targets[..., 1]  # (K, 3)
        items = np.tile(ORDERS, (len(targets), 1))
        goals = cell_ids[np.repeat(np.arange(len(targets)), len(ORDERS))[:, None], items]
        _CANDIDATES[kind] = (targets, items, goals)
    return _CANDIDATES[kind]


def _cell_id(cell: Cell) -> int:
    """Cell id for the distance table; cells off the grid (noisy states) are clamped onto its border."""
    return min(max(cell[0], 0), GRID_SIZE - 1) + GRID_SIZE * min(max(cell[1], 0), GRID_SIZE - 1)


@lru_cache(maxsize=1 << 16)
def arrangement_plan(kind: str, w: World) -> tuple[float, tuple[Cell, Cell, Cell], tuple[int, int, int]]:
    """Cheapest way to bring the three items into a ``kind`` arrangement, without temporary drops.

    Each item either already lies on its target or is fetched (walk, pick up), carried to its target and dropped
    there; items are handled one after another, and an item may only be dropped on a cell that no not-yet-moved
    item occupies. Returns ``(cost, targets, order)``, minimised over every layout, assignment of the items to its
    cells and order (a few thousand candidates, evaluated at once; ties go to the first candidate).
    """
    targets, items, goals = _candidates(kind)
    carried, agent = w.carried, _cell_id(w.agent)
    cells = np.array([agent if i == carried else _cell_id(c) for i, c in enumerate(w.items)], np.int64)
    on_floor = np.array([i != carried for i in range(3)])
    start, loose = cells[items], on_floor[items]  # (N, 3): where each step's item is, and whether it is on the floor
    placed = loose & (start == goals)
    carry = _DIST[start, goals] + np.where(loose, 2, 1)  # pick up (if on the floor), carry, drop
    loc = np.full(len(items), agent)
    cost = np.zeros(len(items), np.int64)
    for j in range(3):
        cost += np.where(placed[:, j], 0, _DIST[loc, start[:, j]] + carry[:, j])
        loc = np.where(placed[:, j], loc, goals[:, j])
    # Hands full: the carried item is delivered first. A drop needs its cell free of items not moved yet.
    feasible = items[:, 0] == carried if carried >= 0 else np.ones(len(items), bool)
    for j, later in ((0, 1), (0, 2), (1, 2)):
        feasible &= placed[:, j] | ~((start[:, later] == goals[:, j]) & loose[:, later] & ~placed[:, later])
    cost = np.where(feasible, cost, np.iinfo(np.int64).max)
    best = int(np.argmin(cost))
    k, o = divmod(best, len(ORDERS))
    value = float(cost[best]) if feasible[best] else float(FAR)
    plan_targets = tuple((int(x), int(y)) for x, y in targets[k])
    return value, plan_targets, tuple(int(i) for i in ORDERS[o])  # type: ignore[return-value]


def _cost_arrangement(kind: str) -> Callable[[World, int, int], float]:
    def cost(w: World, first: int, second: int) -> float:
        return arrangement_plan(kind, w)[0]

    return cost


Cost = Callable[[World, int, int], float]
COST: dict[str, Cost] = {
    "go-to": _cost_go_to,
    "open-door": _cost_open_door,
    "pick-up": _cost_pick_up,
    "put-next": _cost_put_next,
    "open-then-go-to": _cost_open_then_go_to,
    "open-then-pick-up": _cost_open_then_pick_up,
    "go-to-wall": _cost_go_to_wall,
    "go-to-center": _cost_go_to_center,
    "unlock-door": _cost_unlock_door,
    "put-in-line": _cost_arrangement("line"),
    "put-in-pile": _cost_arrangement("pile"),
}

assert set(SUCCESS) == set(COST) == set(ALL_TASKS)


def reward(cost_before: float, cost_after: float, success: bool) -> float:
    """``SUCCESS_REWARD`` on the solving step plus ``SHAPING`` per action of progress on the cost to go (potential-based
    shaping: it does not change which policies are optimal)."""
    return SUCCESS_REWARD * float(success) + SHAPING * (cost_before - cost_after)
