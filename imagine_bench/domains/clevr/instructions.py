"""Instructions of the CLEVR-Robot domain, written for this project (none are taken from upstream).

* ``real``: 12 templates x 2 wordings per direction for "ball A to the <direction> of ball B" (24 per goal, 1,920 over
  the 80 goals);
* ``rephrase``: the same goals in 10 different templates with their own direction wordings (compass words, "far/near
  side"), so no rephrase string equals a training string (20 per goal, 1,600 in all);
* ``easy``: 8 templates x 2 direction wordings for a single push of a named ball (320 in all);
* ``hard``: 6 templates that join two or three relation clauses (each clause worded with the training wordings), and
  8 fixed phrasings each for ``line`` and ``gather``.

Slots (``TaskSimulator.instruction_slots``): ``a``/``b``/``direction`` for ``relation``, ``a``/``direction`` for
``push``, ``a1``/``b1``/``direction1``... for the multi-relation families, none for ``line`` and ``gather``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from imagine_bench.domains.clevr.layout import COLOURS
from imagine_bench.domains.clevr.tasks import DIRECTION_NAMES, LEVEL_TASKS, RELATION_COUNT

REAL_WORDS: dict[str, tuple[str, ...]] = {
    "behind": ("behind", "to the back of"),
    "left": ("to the left of", "left of"),
    "front": ("in front of", "to the front of"),
    "right": ("to the right of", "right of"),
}
REAL_TEMPLATES: tuple[str, ...] = (
    "Push the {a} ball {rel} the {b} ball.",
    "Move the {a} ball {rel} the {b} ball.",
    "Put the {a} ball {rel} the {b} ball.",
    "Place the {a} ball {rel} the {b} ball.",
    "Get the {a} ball {rel} the {b} ball.",
    "Can you push the {a} ball {rel} the {b} ball?",
    "Could you move the {a} ball {rel} the {b} ball?",
    "Please put the {a} ball {rel} the {b} ball.",
    "Bring the {a} ball {rel} the {b} ball.",
    "Slide the {a} ball {rel} the {b} ball.",
    "The {a} ball should end up {rel} the {b} ball.",
    "Make the {a} ball sit {rel} the {b} ball.",
)

REPHRASE_WORDS: dict[str, tuple[str, ...]] = {
    "behind": ("on the far side of", "to the north of"),
    "left": ("on the left-hand side of", "to the west of"),
    "front": ("on the near side of", "to the south of"),
    "right": ("on the right-hand side of", "to the east of"),
}
REPHRASE_TEMPLATES: tuple[str, ...] = (
    "I'd like the {a} sphere {rel} the {b} sphere.",
    "Nudge the {a} one until it rests {rel} the {b} one.",
    "Rearrange things so the {a} orb is {rel} the {b} orb.",
    "Your goal: the {a} ball has to finish {rel} the {b} ball.",
    "Roll the {a} sphere over so that it lies {rel} the {b} sphere.",
    "See the {b} ball? Get the {a} one {rel} it.",
    "The {b} sphere needs the {a} sphere {rel} it.",
    "Steer the {a}-coloured ball {rel} the {b}-coloured ball.",
    "Let the {a} ball come to rest {rel} the {b} ball.",
    "Relocate the {a} ball {rel} the {b} ball, please.",
)

PUSH_WORDS: dict[str, tuple[str, ...]] = {
    "behind": ("backward", "towards the back"),
    "left": ("to the left", "leftward"),
    "front": ("forward", "towards the front"),
    "right": ("to the right", "rightward"),
}
PUSH_TEMPLATES: tuple[str, ...] = (
    "Push the {a} ball {dir}.",
    "Give the {a} ball a push {dir}.",
    "Move the {a} ball {dir} a little.",
    "Shove the {a} ball {dir}.",
    "Can you nudge the {a} ball {dir}?",
    "Roll the {a} ball {dir} once.",
    "Tap the {a} ball so it moves {dir}.",
    "Send the {a} ball {dir}.",
)

CLAUSE = "the {a} ball is {rel} the {b} ball"
MULTI_TEMPLATES: tuple[str, ...] = (
    "Arrange the balls so that {clauses}.",
    "Make sure {clauses}.",
    "Set up the table so that {clauses}.",
    "I want a layout where {clauses}, all at the same time.",
    "Push balls around until {clauses}.",
    "Reach a scene in which {clauses}.",
)

LINE_PHRASES: tuple[str, ...] = (
    "Line up the balls from left to right in the order red, blue, green, purple, cyan.",
    "Arrange all five balls in a row, left to right: red, blue, green, purple, cyan.",
    "Put the balls in a line sorted by colour: red on the left, then blue, green, purple, and cyan on the right.",
    "Make a row of balls going rightwards: red, blue, green, purple, cyan.",
    "Order the balls along a line from left to right as red, blue, green, purple, cyan.",
    "Form a left-to-right line with red first, then blue, green, purple and finally cyan.",
    "Can you set the balls in a line, red leftmost and cyan rightmost, with blue, green and purple between them in "
    "that order?",
    "Each ball should be to the right of the one before it: red, blue, green, purple, cyan.",
)
GATHER_PHRASES: tuple[str, ...] = (
    "Gather all the other balls around the green ball.",
    "Bring every ball close to the green ball.",
    "Use the green ball as the centre and cluster the rest around it.",
    "Collect the red, blue, purple and cyan balls next to the green one.",
    "Make a tight group of balls around the green ball.",
    "Huddle all the balls around the green one.",
    "Push the other four balls right up against the green ball.",
    "Surround the green ball with the other balls.",
)


def _relation(
    templates: Sequence[str], words: Mapping[str, Sequence[str]], a: str, b: str, direction: str
) -> list[str]:
    return [t.format(a=a, b=b, rel=rel) for t in templates for rel in words[direction]]


def _join(clauses: Sequence[str]) -> str:
    return clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]


def _multi(slots: Mapping[str, str], count: int) -> list[str]:
    per_clause = [
        [CLAUSE.format(a=slots[f"a{k}"], b=slots[f"b{k}"], rel=rel) for rel in REAL_WORDS[slots[f"direction{k}"]]]
        for k in range(1, count + 1)
    ]
    return [t.format(clauses=_join(combo)) for t in MULTI_TEMPLATES for combo in itertools.product(*per_clause)]


def _pairs() -> list[tuple[str, str]]:
    return [(a, b) for a in COLOURS for b in COLOURS if a != b]


def phrasings(level: str, task: str, slots: Mapping[str, str] | None = None) -> list[str]:
    """Phrasings of ``task`` at ``level`` for one episode's slots; with ``slots=None``, every phrasing over all slot
    values when that set is finite and small (all families but the multi-relation ones), else an empty list."""
    tasks = LEVEL_TASKS["real" if level == "rephrase" else level] if level in (*LEVEL_TASKS, "rephrase") else ()
    if task not in tasks:
        raise ValueError(f"task {task!r} is not part of level {level!r}; expected one of {tasks}")
    if task == "relation":
        templates, words = (REPHRASE_TEMPLATES, REPHRASE_WORDS) if level == "rephrase" else (REAL_TEMPLATES, REAL_WORDS)
        if slots is None:
            return [s for a, b in _pairs() for d in DIRECTION_NAMES for s in _relation(templates, words, a, b, d)]
        return _relation(templates, words, slots["a"], slots["b"], slots["direction"])
    if task == "push":
        combos = ([(c, d) for c in COLOURS for d in DIRECTION_NAMES] if slots is None
                  else [(slots["a"], slots["direction"])])
        return [t.format(a=a, dir=w) for a, d in combos for t in PUSH_TEMPLATES for w in PUSH_WORDS[d]]
    if task in RELATION_COUNT:
        return [] if slots is None else _multi(slots, RELATION_COUNT[task])
    return list(LINE_PHRASES if task == "line" else GATHER_PHRASES)


def slots_for(task: str, relations: Sequence[tuple[int, int, int]], push: tuple[int, int] | None) -> dict[str, str]:
    if task == "relation":
        (s, r, d), = relations
        return {"a": COLOURS[s], "b": COLOURS[r], "direction": DIRECTION_NAMES[d]}
    if task == "push":
        assert push is not None
        return {"a": COLOURS[push[0]], "direction": DIRECTION_NAMES[push[1]]}
    out: dict[str, str] = {}
    for k, (s, r, d) in enumerate(relations, start=1):
        out.update({f"a{k}": COLOURS[s], f"b{k}": COLOURS[r], f"direction{k}": DIRECTION_NAMES[d]})
    return out
