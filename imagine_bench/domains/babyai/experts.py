"""Scripted experts for every BabyAI task, as pure functions of a :class:`World` and the goal; run as a script, the
expert table (:mod:`imagine_bench.domains.expert_table`)::

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.babyai.experts --episodes 200

* Arrangement tasks (``put-in-line``, ``put-in-pile``): the cheapest plan of :func:`tasks.arrangement_plan` is
  recomputed from the current world at every step and its next move is taken (walk to the next item in the plan's
  order, pick it up, walk to its target, drop it). Following the cheapest plan lowers the cheapest cost by at least
  one per step, so the expert needs at most ``cost(start)`` actions.
* Every other task: one-step look-ahead on the task's cost to go (``tasks.COST``), which is exact for these tasks,
  so the best action always lowers it by exactly one. Ties go to the lowest action id (east, south, west, north,
  pick up, drop, toggle): moves along x come before moves along y.
"""

from __future__ import annotations

from imagine_bench.domains.babyai.layout import DROP, EAST, N_ACTIONS, NORTH, PICK_UP, SOUTH, WEST, Cell, World
from imagine_bench.domains.babyai.tasks import ARRANGEMENT_TASKS, COST, arrangement_plan, transition


def step_toward(agent: Cell, target: Cell) -> int:
    """A move that brings the agent one cell closer to ``target`` (x first); the interior has no obstacles."""
    if agent[0] != target[0]:
        return EAST if target[0] > agent[0] else WEST
    return SOUTH if target[1] > agent[1] else NORTH


def expert_action(task: str, first: int, second: int, w: World) -> int:
    kind = ARRANGEMENT_TASKS.get(task)
    if kind is not None:
        return _follow_plan(kind, w)
    cost = COST[task]
    best_action, best_cost = 0, float("inf")
    for action in range(N_ACTIONS):
        value = cost(transition(w, action), first, second)
        if value < best_cost:
            best_action, best_cost = action, value
    return best_action


def _follow_plan(kind: str, w: World) -> int:
    _, targets, order = arrangement_plan(kind, w)
    for item in order:
        target = targets[item]
        if w.carried == item:
            return DROP if w.agent == target else step_toward(w.agent, target)
        if w.items[item] == target:
            continue  # already in place
        if w.carried >= 0:  # holding an item the plan does not need next (never the case for a feasible plan)
            return DROP
        return PICK_UP if w.agent == w.items[item] else step_toward(w.agent, w.items[item])
    return DROP if w.carried >= 0 else EAST  # already arranged: nothing left to do


def main(argv: list[str] | None = None) -> None:
    from imagine_bench.domains.expert_table import main as print_table

    print_table("babyai", argv, default_episodes=200)


if __name__ == "__main__":
    main()
