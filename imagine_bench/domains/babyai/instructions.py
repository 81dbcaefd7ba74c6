"""Instruction templates of the BabyAI domain (written for this project) and the words that fill them.

* ``TRAINING[task]``: the phrasings of the four training tasks at level ``real`` (20+ each; the offline data uses them).
* ``REPHRASE[task]``: held-out phrasings of the same tasks for level ``rephrase`` (10+ each, none shared with
  ``TRAINING``); the rephrase level draws from all of them, not only the first (as upstream did).
* ``NOVEL[task]``: phrasings of the easy and hard tasks (10+ each).

Slots: ``{color} {object}`` name the target (go-to, pick-up) or the item to move (put-next); ``{color2} {object2}``
the item to put it next to; for the door tasks ``{color}`` is the door's colour (in ``unlock-door`` the key has the
same colour). Templates that do not use a slot simply ignore it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from functools import lru_cache

from imagine_bench.domains.babyai.layout import COLORS, DOOR, ITEMS, KEY, OBJECTS, World

TRAINING: dict[str, tuple[str, ...]] = {
    "go-to": (
        "go to the {color} {object}",
        "walk to the {color} {object}",
        "move to the {color} {object}",
        "head over to the {color} {object}",
        "make your way to the {color} {object}",
        "get yourself to the {color} {object}",
        "travel to the {color} {object}",
        "reach the {color} {object}",
        "find the {color} {object} and stand at it",
        "go and stand by the {color} {object}",
        "your goal is the {color} {object}, go there",
        "proceed to the {color} {object}",
        "navigate over to the {color} {object}",
        "the {color} {object} is your destination",
        "bring yourself to the {color} {object}",
        "go where the {color} {object} is",
        "get to the {color} {object}",
        "walk over to the {color} {object}",
        "please go to the {color} {object}",
        "head for the {color} {object}",
    ),
    "open-door": (
        "open the {color} door",
        "please open the {color} door",
        "swing the {color} door open",
        "get the {color} door open",
        "open up the {color} door",
        "go open the {color} door",
        "the {color} door should be open",
        "pull the {color} door open",
        "push open the {color} door",
        "toggle the {color} door so that it opens",
        "go to the {color} door and open it",
        "find the {color} door and open it",
        "open the {color} door in the wall",
        "your job is to open the {color} door",
        "make sure the {color} door ends up open",
        "get the {color} door opened",
        "set the {color} door open",
        "throw open the {color} door",
        "walk up to the {color} door and open it",
        "open the door, the {color} one",
    ),
    "pick-up": (
        "pick up the {color} {object}",
        "grab the {color} {object}",
        "take the {color} {object}",
        "lift the {color} {object}",
        "collect the {color} {object}",
        "fetch the {color} {object}",
        "get the {color} {object}",
        "pick the {color} {object} up",
        "go pick up the {color} {object}",
        "retrieve the {color} {object}",
        "hold the {color} {object}",
        "take hold of the {color} {object}",
        "scoop up the {color} {object}",
        "carry the {color} {object}",
        "seize the {color} {object}",
        "pick up the {object} that is {color}",
        "grab the {object}, the {color} one",
        "find the {color} {object} and pick it up",
        "get your hands on the {color} {object}",
        "acquire the {color} {object}",
    ),
    "put-next": (
        "put the {color} {object} next to the {color2} {object2}",
        "place the {color} {object} beside the {color2} {object2}",
        "move the {color} {object} next to the {color2} {object2}",
        "set the {color} {object} down next to the {color2} {object2}",
        "bring the {color} {object} to the {color2} {object2}",
        "drop the {color} {object} beside the {color2} {object2}",
        "put the {color} {object} by the {color2} {object2}",
        "position the {color} {object} adjacent to the {color2} {object2}",
        "carry the {color} {object} over to the {color2} {object2}",
        "take the {color} {object} and put it next to the {color2} {object2}",
        "pick up the {color} {object} and drop it beside the {color2} {object2}",
        "get the {color} {object} next to the {color2} {object2}",
        "leave the {color} {object} beside the {color2} {object2}",
        "the {color} {object} goes next to the {color2} {object2}",
        "place the {color} {object} alongside the {color2} {object2}",
        "move the {color} {object} so it touches the {color2} {object2}",
        "put the {color} {object} right beside the {color2} {object2}",
        "make the {color} {object} a neighbour of the {color2} {object2}",
        "set the {color} {object} beside the {color2} {object2}",
        "place the {color} {object} close to the {color2} {object2}",
    ),
}

REPHRASE: dict[str, tuple[str, ...]] = {
    "go-to": (
        "pay a visit to the {color} {object}",
        "wander over to the {color} {object}",
        "end up at the {color} {object}",
        "set off toward the {color} {object} and arrive there",
        "your task: be at the {color} {object}",
        "hurry to the {color} {object}",
        "stroll to where the {color} {object} is",
        "close the distance to the {color} {object}",
        "arrive at the {color} {object}",
        "track down the {color} {object} and go to it",
    ),
    "open-door": (
        "crack open the {color} door",
        "leave the {color} door standing open",
        "the {color} door is shut, change that",
        "give the {color} door a push so it opens",
        "see to it that the {color} door is opened",
        "work the {color} door until it is open",
        "fling the {color} door wide",
        "get the {color} door out of the way by opening it",
        "have the {color} door opened",
        "turn the {color} door from closed to open",
    ),
    "pick-up": (
        "snatch the {color} {object}",
        "nab the {color} {object}",
        "help yourself to the {color} {object}",
        "raise the {color} {object} off the floor",
        "go and lift up the {color} {object}",
        "keep the {color} {object} in your hands",
        "gather up the {color} {object}",
        "take possession of the {color} {object}",
        "hoist the {color} {object}",
        "the {color} {object} should end up in your grip",
    ),
    "put-next": (
        "relocate the {color} {object} so that it borders the {color2} {object2}",
        "shift the {color} {object} until it sits against the {color2} {object2}",
        "park the {color} {object} at the side of the {color2} {object2}",
        "lay the {color} {object} down in the cell next to the {color2} {object2}",
        "transport the {color} {object} to a spot adjacent to the {color2} {object2}",
        "deposit the {color} {object} beside the {color2} {object2}",
        "the {color2} {object2} needs the {color} {object} as its neighbour",
        "arrange for the {color} {object} to be adjacent to the {color2} {object2}",
        "haul the {color} {object} over and leave it touching the {color2} {object2}",
        "reposition the {color} {object} to lie next to the {color2} {object2}",
    ),
}

NOVEL: dict[str, tuple[str, ...]] = {
    "open-then-go-to": (
        "open the {color} door, then go to any object",
        "first open the door, then walk to any of the objects",
        "open the door and afterwards stand on one of the items",
        "get the {color} door open, then move to an object of your choice",
        "after opening the door, go to whichever object you like",
        "open the {color} door first and then visit any object",
        "once the door is open, go and stand at some object",
        "open the door, then reach any object",
        "swing the door open and then walk over to any item",
        "begin by opening the {color} door and finish at any object",
        "open the door; after that, go to one of the three objects",
    ),
    "open-then-pick-up": (
        "open the {color} door, then pick up any object",
        "open the door and then grab any item",
        "first open the door, then pick up one of the objects",
        "get the {color} door open and pick up an object",
        "after opening the door, lift any object",
        "open the door and then hold any object",
        "open the door, then take whichever object you like",
        "with the door opened, pick up something",
        "open the {color} door and end up carrying an object",
        "the door should be open and you should hold an item",
        "open the door, then collect any one of the objects",
    ),
    "go-to-wall": (
        "go next to a wall",
        "walk until you are beside a wall",
        "move to any cell against the wall",
        "stand next to the wall",
        "get close to one of the walls",
        "go to the edge of the room",
        "head to the side of the room",
        "move to a spot along the wall",
        "put yourself right by a wall",
        "go to the border of the room",
        "reach a wall",
    ),
    "go-to-center": (
        "go to the centre of the room",
        "go to the center of the room",
        "walk to the middle of the room",
        "stand in the middle of the room",
        "move to the room's centre",
        "head to the centre",
        "get to the middle of the floor",
        "position yourself at the centre of the room",
        "go to the middle",
        "find the room's centre and stand there",
        "make your way to the middle of the room",
    ),
    "unlock-door": (
        "pick up the key, then open the locked door",
        "grab the {color} key and unlock the {color} door",
        "use the key to open the locked door",
        "get the key first, then open the door",
        "take the {color} key and open the {color} door with it",
        "the door is locked: fetch the key and open it",
        "unlock the {color} door with the key",
        "collect the key, then go and open the locked door",
        "open the locked door using the {color} key",
        "find the key and unlock the door",
        "carry the key to the locked door and open it",
    ),
    "put-in-line": (
        "put the three objects in a line",
        "line up the ball, the box and the key",
        "arrange the three objects in a row",
        "place all three items in a straight line",
        "set the ball, box and key side by side in a row",
        "make a line out of the three objects",
        "put the objects in a row or a column",
        "lay the three things out in a straight line",
        "align the three objects",
        "arrange the ball, the key and the box in one line",
        "form a straight row with all three items",
    ),
    "put-in-pile": (
        "gather the three objects into a pile",
        "put the three objects together in a heap",
        "bring the ball, the box and the key together",
        "cluster the three objects together",
        "place the three items close together in a clump",
        "gather the ball, box and key into a pile",
        "pile up the three objects",
        "put all three items together in one spot",
        "group the three objects tightly together",
        "heap the ball, the box and the key together",
        "push the three objects into one tight group",
    ),
}


def slots_for(task: str, first: int, second: int, w: World) -> dict[str, str]:
    """The words of this episode's instruction: names and colours of the objects the goal refers to."""
    if task in ("go-to", "pick-up", "put-next"):
        slots = {"color": COLORS[w.colors[first]], "object": OBJECTS[first]}
        if task == "put-next":
            slots.update(color2=COLORS[w.colors[second]], object2=OBJECTS[second])
        return slots
    if task in ("open-door", "open-then-go-to", "open-then-pick-up"):
        return {"color": COLORS[w.colors[DOOR]]}
    if task == "unlock-door":
        return {"color": COLORS[w.colors[KEY]]}
    return {}


def slot_space(task: str) -> list[dict[str, str]]:
    """Every slot filling a task's episodes can produce (colours may repeat across objects)."""
    if task == "go-to":
        return [{"color": c, "object": o} for c in COLORS for o in OBJECTS]
    if task == "pick-up":
        return [{"color": c, "object": o} for c in COLORS for o in ITEMS]
    if task == "put-next":
        return [
            {"color": c, "object": o, "color2": c2, "object2": o2}
            for o, o2 in itertools.permutations(ITEMS, 2)
            for c in COLORS
            for c2 in COLORS
        ]
    if task in ("open-door", "open-then-go-to", "open-then-pick-up", "unlock-door"):
        return [{"color": c} for c in COLORS]
    return [{}]


def fill(templates: tuple[str, ...], slots: Mapping[str, str] | None, task: str) -> list[str]:
    """Fill ``templates`` with ``slots``, or with every slot filling of ``task`` when ``slots`` is ``None``."""
    fillings = slot_space(task) if slots is None else [dict(slots)]
    return list(dict.fromkeys(t.format(**s) for s in fillings for t in templates))


@lru_cache(maxsize=4096)
def phrasings(level: str, task: str, slots: tuple[tuple[str, str], ...] | None) -> tuple[str, ...]:
    """The phrasings of ``task`` at ``level``, filled with ``slots`` (sorted ``(name, word)`` pairs, hashable so the
    result is cached); ``None`` = every slot filling of the task (see :func:`fill`)."""
    table = TRAINING if level == "real" else REPHRASE if level == "rephrase" else NOVEL
    return tuple(fill(table[task], None if slots is None else dict(slots), task))
