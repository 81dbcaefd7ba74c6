"""BabyAI domain of imagine_bench (``env=babyai``, ``imagine_bench.make("BabyAI-v0", level=...)``): language-conditioned
tasks in one minigrid room, with discrete actions.

The room
    An 8 x 8 minigrid grid: walls on the border, a 6 x 6 interior (cells 1..6 on both axes). Every episode places
    one ball, one box and one key on distinct interior cells, the agent on a free interior cell, and a door in one of
    the four walls (any non-corner cell). Ball, box, key and door colours are drawn independently per episode from
    minigrid's six colours (so two objects may share a colour; there is exactly one object of each kind). The door
    starts closed, and locked in the key's colour for ``unlock-door``. Everything is drawn from minigrid's seeded RNG:
    ``reset(seed)`` alone decides the episode. Start states that already satisfy the task are redrawn (rejection
    sampling: 1.0-2.3 draws per episode on average, ``go-to-wall`` being the worst), so no episode is solved
    before the agent acts.

Actions: ``Discrete(7)``
    ======  ========  ======================================================================================
    id      name      effect
    ======  ========  ======================================================================================
    0       east      face east (+x) and step one cell
    1       south     face south (+y) and step one cell
    2       west      face west (-x) and step one cell
    3       north     face north (-y) and step one cell
    4       pick_up   pick up the item lying in the agent's own cell (hands must be empty)
    5       drop      put the carried item down in the agent's own cell (the cell must hold no item)
    6       toggle    open / close the door if it is 4-adjacent; a locked door opens only while carrying the
                      key of its colour
    ======  ========  ======================================================================================

    Moves are absolute (no turning in place; ids 0-3 follow minigrid's direction order). The agent may step onto
    cells holding items (it stands "on" them); walls and the door block it, open or not, so it never leaves the room.
    An action that cannot apply leaves the state unchanged.

State: 19 float32 values, minigrid ``(x, y)`` coordinates
    =====  ===============  ==============================================================================
    index  name             meaning
    =====  ===============  ==============================================================================
    0-2    ball             colour index, x, y
    3-5    box              colour index, x, y
    6-8    key              colour index, x, y
    9-13   door             colour index, x, y, open (0/1), locked (0/1)
    14-15  agent            x, y
    16-18  carrying         one flag per item: ball, box, key (all 0 with empty hands)
    =====  ===============  ==============================================================================

    Colour index = minigrid ``COLOR_TO_IDX`` (red 0, green 1, blue 2, purple 3, yellow 4, grey 5). A carried item
    reports the agent's cell as its position. The agent's facing direction is not part of the state (no action
    depends on it). State-based tests round positions and threshold flags at 0.5, so noisy imagined states are
    judged without error (:class:`~imagine_bench.domains.babyai.layout.World`).

Goal: 8 float32 values
    Two one-hot blocks over (ball, box, key, door): ``goal[0:4]`` = the object the instruction names first (the
    target of go-to / pick-up, the door for open-door, the item to move for put-next), ``goal[4:8]`` = the item to put
    it next to (put-next only). All zeros for the easy and hard tasks, whose instructions name no variable target.
    The goal is not part of the observation: a policy sees the state and the instruction embedding only.

Tasks (each with a success test, a shaped reward and a scripted expert; see :mod:`.tasks` for the exact tests)
    * real / rephrase: ``go-to`` (ball, box, key or door, drawn per episode), ``open-door``, ``pick-up`` (ball, box
      or key), ``put-next`` (an ordered pair of different items).
    * easy: ``open-then-go-to``, ``open-then-pick-up``, ``go-to-wall``, ``go-to-center``.
    * hard: ``unlock-door`` (pick up the key, then open the locked door), ``put-in-line`` (three consecutive cells
      of a row or column), ``put-in-pile`` (three cells of one 2 x 2 block).

Reward (a pure function of ``(task, goal, state, next_state)``, so imagined rollouts are relabelled the same way)
    ``r = 1.0 * success + 0.1 * (cost(state) - cost(next_state))``, where ``cost`` is the number of actions an optimal
    agent still needs (:data:`.tasks.COST`; 0 exactly when solved). The shaping is potential-based, so it does not
    change which policies are optimal; an expert step always earns +0.1, the solving step 1.1.

Experts
    Exact planners (:mod:`.experts`): one-step look-ahead on the cost to go, or, for the two arrangement tasks, the
    cheapest layout / assignment / order plan recomputed every step. They solve every episode of every task well
    within the default horizon (64): see ``python -m imagine_bench.domains.babyai.experts``.

Instructions (:mod:`.instructions`)
    20 training phrasings per training task, 10 held-out rephrasings per training task (disjoint from the training
    ones; the rephrase level draws from all of them), 11 phrasings per novel task. Slots carry this episode's colours
    and object names.

Compared with upstream ImagineBench: ``open-then-pick-up`` can succeed (upstream's test inverted a None check and
never passed); non-target colours are redrawn every episode and each training task varies its target per episode
(upstream froze the colours after the first reset and fixed each training task's target); rephrase evaluation uses
every held-out phrasing, not only the first (in :mod:`imagine_bench.env`); start states that already satisfy the goal
are rejected; tasks are drawn per episode, not cycled from index 1. The
room has one door in any of its four walls instead of a fixed east wall, the novel tasks have experts (upstream had
none), and there is no second room.
"""

from imagine_bench.domains.babyai.domain import BabyAIDomain
from imagine_bench.domains.babyai.layout import ACTION_NAMES, GOAL_DIM, STATE_DIM, STATE_FIELDS, World
from imagine_bench.domains.babyai.tasks import ALL_TASKS, EASY_TASKS, HARD_TASKS, REAL_TASKS

__all__ = [
    "BabyAIDomain",
    "World",
    "STATE_DIM",
    "STATE_FIELDS",
    "GOAL_DIM",
    "ACTION_NAMES",
    "REAL_TASKS",
    "EASY_TASKS",
    "HARD_TASKS",
    "ALL_TASKS",
]
