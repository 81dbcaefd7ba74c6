"""The minigrid side of the BabyAI domain: the room (a ``MiniGridEnv``), its custom seven-action step, and the
:class:`BabyAISimulator` the generic env drives. Imported only when a simulator is made (minigrid is not cheap).

The room keeps minigrid's own objects (``Ball``, ``Box``, ``Key``, ``Door``, ``Wall``) in a minigrid ``Grid``, is
seeded through minigrid/Gymnasium's ``np_random``, and renders with minigrid's renderer. Its success check
(:meth:`BabyAIRoom.verified`) reads those objects directly, independently of the state vector and of
:mod:`.tasks`; the tests check that both agree along expert and random rollouts.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
from minigrid.core.constants import COLOR_TO_IDX
from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Ball, Box, Door, Key
from minigrid.minigrid_env import MiniGridEnv

from imagine_bench.domains.babyai.experts import expert_action
from imagine_bench.domains.babyai.instructions import TRAINING, NOVEL, slots_for
from imagine_bench.domains.babyai.layout import (
    COLORS,
    DOOR,
    DROP,
    GRID_SIZE,
    HI,
    KEY,
    LO,
    MOVES,
    N_ACTIONS,
    PICK_UP,
    TOGGLE,
    World,
    encode_goal,
)
from imagine_bench.domains.babyai.tasks import ALL_TASKS, SUCCESS
from imagine_bench.domains.base import TaskSimulator

MAX_START_TRIES = 1000  # rejection sampling of start states that already satisfy the goal (needs ~1-3 tries)


def sample_goal(task: str, rand_int) -> tuple[int, int]:
    """The objects this episode's instruction names (``rand_int(lo, hi)`` draws from the room's seeded RNG)."""
    if task == "go-to":
        return rand_int(0, 4), -1  # ball, box, key or door
    if task == "pick-up":
        return rand_int(0, 3), -1
    if task == "put-next":
        moved = rand_int(0, 3)
        return moved, (moved + rand_int(1, 3)) % 3  # any other item
    if task == "open-door":
        return DOOR, -1
    return -1, -1


class BabyAIRoom(MiniGridEnv):
    """One ``GRID_SIZE`` x ``GRID_SIZE`` room: a ball, a box and a key inside, a door in one of its walls."""

    def __init__(self, task: str, max_steps: int = 64, render_mode: str | None = None) -> None:
        if task not in ALL_TASKS:
            raise ValueError(f"unknown BabyAI task {task!r}; expected one of {', '.join(ALL_TASKS)}")
        self.task = task
        self.goal_ids: tuple[int, int] = (-1, -1)
        self.items: list[Any] = []
        self.door: Door | None = None
        super().__init__(
            mission_space=MissionSpace(mission_func=lambda: task), grid_size=GRID_SIZE, max_steps=int(max_steps),
            see_through_walls=True, render_mode=render_mode,
        )

    # ------------------------------------------------------------------------------------------------ generation
    def _gen_grid(self, width: int, height: int) -> None:
        interior = (HI - LO + 1, HI - LO + 1)
        for _ in range(MAX_START_TRIES):
            self.grid = Grid(width, height)
            self.grid.wall_rect(0, 0, width, height)
            self.agent_pos, self.carrying = (-1, -1), None
            colors = [self._rand_int(0, len(COLORS)) for _ in range(4)]  # ball, box, key, door: all independent
            locked = self.task == "unlock-door"
            if locked:
                colors[DOOR] = colors[KEY]
            side, offset = self._rand_int(0, 4), self._rand_int(LO, HI + 1)
            door_cell = [(width - 1, offset), (offset, height - 1), (0, offset), (offset, 0)][side]
            self.door = Door(COLORS[colors[DOOR]], is_open=False, is_locked=locked)
            self.put_obj(self.door, *door_cell)
            self.items = [Ball(COLORS[colors[0]]), Box(COLORS[colors[1]]), Key(COLORS[colors[2]])]
            for obj in self.items:
                self.place_obj(obj, top=(LO, LO), size=interior)
            self.place_agent(top=(LO, LO), size=interior)
            self.goal_ids = sample_goal(self.task, self._rand_int)
            if not SUCCESS[self.task](self.world(), *self.goal_ids):
                return
        raise RuntimeError(f"no start state for {self.task!r} in {MAX_START_TRIES} tries")

    # ------------------------------------------------------------------------------------------------- dynamics
    def act(self, action: int) -> None:
        """One of the seven absolute actions (see the package docstring); invalid moves leave the room unchanged."""
        x, y = int(self.agent_pos[0]), int(self.agent_pos[1])
        if action < 4:
            self.agent_dir = action
            nx, ny = x + MOVES[action][0], y + MOVES[action][1]
            cell = self.grid.get(nx, ny)
            if cell is None or cell.can_pickup():  # items can be stepped over; walls and the door cannot
                self.agent_pos = (nx, ny)
        elif action == PICK_UP:
            cell = self.grid.get(x, y)
            if self.carrying is None and cell is not None and cell.can_pickup():
                self.carrying = cell
                cell.cur_pos = (-1, -1)
                self.grid.set(x, y, None)
        elif action == DROP:
            if self.carrying is not None and self.grid.get(x, y) is None:
                self.grid.set(x, y, self.carrying)
                self.carrying.cur_pos = (x, y)
                self.carrying = None
        elif action == TOGGLE:
            for dx, dy in MOVES:
                cell = self.grid.get(x + dx, y + dy)
                if cell is not None and cell.type == "door":
                    cell.toggle(self, (x + dx, y + dy))
        self.step_count += 1

    # -------------------------------------------------------------------------------------------------- reading
    def world(self) -> World:
        agent = (int(self.agent_pos[0]), int(self.agent_pos[1]))
        cells, carried = [], -1
        for index, obj in enumerate(self.items):
            if obj is self.carrying:
                cells.append(agent)
                carried = index
            else:
                cells.append((int(obj.cur_pos[0]), int(obj.cur_pos[1])))
        door = self.door
        return World(
            colors=tuple(COLOR_TO_IDX[obj.color] for obj in (*self.items, door)),  # type: ignore[arg-type]
            items=tuple(cells),  # type: ignore[arg-type]
            door=(int(door.cur_pos[0]), int(door.cur_pos[1])),
            door_open=bool(door.is_open),
            door_locked=bool(door.is_locked),
            agent=agent,
            carried=carried,
        )

    def _neighbours(self, x: int, y: int) -> list[Any]:
        return [self.grid.get(x + dx, y + dy) for dx, dy in MOVES]

    def verified(self) -> bool:
        """The task's success, judged from minigrid's grid objects (not from the state vector)."""
        task, (first, second) = self.task, self.goal_ids
        x, y = int(self.agent_pos[0]), int(self.agent_pos[1])
        under = self.grid.get(x, y)  # an item lying where the agent stands, or None
        if task == "go-to":
            if first == DOOR:
                return any(cell is self.door for cell in self._neighbours(x, y))
            return under is self.items[first]
        if task in ("open-door", "unlock-door"):
            return self.door.is_open
        if task == "pick-up":
            return self.carrying is self.items[first]
        if task == "put-next":
            moved, fixed = self.items[first], self.items[second]
            if self.carrying in (moved, fixed):
                return False
            return any(cell is moved for cell in self._neighbours(*fixed.cur_pos))
        if task == "open-then-go-to":
            return self.door.is_open and under is not None and under.can_pickup()
        if task == "open-then-pick-up":
            return self.door.is_open and self.carrying is not None
        if task == "go-to-wall":
            return any(cell is not None and cell.type in ("wall", "door") for cell in self._neighbours(x, y))
        if task == "go-to-center":
            middle = (self.width - 1) // 2  # the centre cells are as far from the walls as any cell can be
            return min(x, self.width - 1 - x) == middle and min(y, self.height - 1 - y) == middle
        if self.carrying is not None:  # put-in-line / put-in-pile need all three items on the floor
            return False
        if task == "put-in-line":
            for obj in self.items:
                ox, oy = obj.cur_pos
                rest = [o for o in self.items if o is not obj]
                for ends in (((ox - 1, oy), (ox + 1, oy)), ((ox, oy - 1), (ox, oy + 1))):
                    if {id(self.grid.get(*c)) for c in ends} == {id(o) for o in rest}:
                        return True
            return False
        if task == "put-in-pile":
            for bx in range(self.width - 1):
                for by in range(self.height - 1):
                    block = [self.grid.get(bx + i, by + j) for i in (0, 1) for j in (0, 1)]
                    if sum(any(cell is o for o in self.items) for cell in block) == 3:
                        return True
            return False
        raise ValueError(task)


def _as_action(action: Any) -> int:
    value = np.asarray(action).reshape(-1)
    if value.size != 1:
        raise ValueError(f"a BabyAI action is one integer in 0..{N_ACTIONS - 1}, got {action!r}")
    a = int(value[0])
    if not 0 <= a < N_ACTIONS or a != value[0]:
        raise ValueError(f"a BabyAI action is one integer in 0..{N_ACTIONS - 1}, got {action!r}")
    return a


class BabyAISimulator(TaskSimulator):
    """One task of the domain on a :class:`BabyAIRoom`; ``reset(seed)`` alone decides the episode."""

    def __init__(self, task: str, horizon: int = 64, render_mode: str | None = None) -> None:
        self.task = task
        self.room = BabyAIRoom(task, max_steps=horizon, render_mode=render_mode)
        self._world: World | None = None

    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        with contextlib.redirect_stdout(io.StringIO()):  # minigrid's generators may print rejection notices
            self.room.reset(seed=int(seed))
        self._world = self.room.world()
        first, second = self.room.goal_ids
        templates = TRAINING.get(self.task) or NOVEL[self.task]
        self.room.mission = templates[0].format(**slots_for(self.task, first, second, self._world))
        return self._world.to_state(), encode_goal(first, second)

    def step(self, action: Any) -> tuple[np.ndarray, bool]:
        if self._world is None:
            raise RuntimeError("call reset(seed) before step()")
        self.room.act(_as_action(action))
        self._world = self.room.world()
        return self._world.to_state(), bool(self.room.verified())

    def expert_action(self) -> int:
        if self._world is None:
            raise RuntimeError("call reset(seed) before expert_action()")
        return expert_action(self.task, *self.room.goal_ids, self._world)

    def instruction_slots(self) -> dict[str, str]:
        if self._world is None:
            raise RuntimeError("call reset(seed) before instruction_slots()")
        return slots_for(self.task, *self.room.goal_ids, self._world)

    @property
    def world(self) -> World:
        if self._world is None:
            raise RuntimeError("call reset(seed) first")
        return self._world

    def render(self, tile_size: int = 32) -> np.ndarray:
        """An RGB picture of the room (minigrid's renderer), e.g. for videos."""
        return self.room.get_frame(highlight=False, tile_size=tile_size)

    def close(self) -> None:
        self.room.close()
