"""Instruction phrasings of the LIBERO tasks, written for this suite (ImagineBench's own strings are not reused).

Every task has at least 10 phrasings. ``real`` holds the training phrasings of the pick and place tasks, ``rephrase``
held-out paraphrases of the same tasks built on other verbs and sentence shapes (none shared with ``real``), and
``easy`` / ``hard`` the phrasings of the novel tasks. Objects are named in plain words ("alphabet soup", not
ImagineBench's "alphabet_soup"), so the sentence encoder reads them as words.
"""

from __future__ import annotations

from imagine_bench.domains.libero import tasks as T
from imagine_bench.domains.libero.layout import OBJECTS

WORDS = {name: name.replace("_", " ") for name in OBJECTS}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "real": {
        "pick": (
            "Pick up the {o}.", "Lift the {o} off the floor.", "Grab the {o} and raise it.", "Take hold of the {o}.",
            "Pick the {o} up.", "Use the gripper to pick up the {o}.", "Grasp the {o} and lift it up.",
            "Raise the {o} from the ground.", "Get the {o} into the gripper and lift it.", "Lift up the {o}.",
            "Please pick up the {o}.", "Seize the {o} and hold it up.",
        ),
        "place": (
            "Put the {o} in the basket.", "Place the {o} into the basket.", "Move the {o} into the basket.",
            "Drop the {o} in the basket.", "Put the {o} inside the basket.", "Load the {o} into the basket.",
            "Get the {o} into the basket.", "Store the {o} in the basket.", "Place the {o} in the basket.",
            "Carry the {o} over to the basket and let go of it there.", "Please put the {o} into the basket.",
            "Deposit the {o} in the basket.",
        ),
    },
    "rephrase": {
        "pick": (
            "Hoist the {o} into the air.", "Clutch the {o} with the hand and elevate it.",
            "Could you raise the {o} a little?", "The {o} should end up off the ground, held by the robot.",
            "Close the fingers around the {o} and bring it up.", "Snatch the {o} and keep it aloft.",
            "Elevate the {o}.", "I need the {o} held above the floor.", "Scoop up the {o}.",
            "Heave the {o} upward.", "Collect the {o} from the floor and keep hold of it.",
        ),
        "place": (
            "Stow the {o} in the basket.", "The {o} belongs in the basket.", "Tuck the {o} away in the basket.",
            "Transfer the {o} so that it rests in the basket.", "Could you drop the {o} into the basket?",
            "Pop the {o} into the basket.", "Bring the {o} to the basket and release it inside.",
            "Let the {o} fall into the basket.", "The basket should contain the {o}.", "Pack the {o} into the basket.",
            "Make sure the {o} ends up in the basket.",
        ),
    },
    "easy": {
        "pick-and-place": (
            "Pick up the {o} and put it in the basket.", "Grab the {o}, then drop it into the basket.",
            "Lift the {o} from the floor and place it in the basket.", "Take the {o} and move it into the basket.",
            "Pick the {o} off the floor and load it into the basket.", "Grasp the {o} and put it inside the basket.",
            "Raise the {o} and set it down in the basket.", "Fetch the {o} and leave it in the basket.",
            "Collect the {o} and deposit it in the basket.", "Get hold of the {o} and place it into the basket.",
        ),
        "pick-place-to": (
            "Pick up the {o1} and put it next to the {o2}.", "Move the {o1} beside the {o2}.",
            "Place the {o1} by the {o2}.", "Grab the {o1} and set it down near the {o2}.",
            "Take the {o1} over to the {o2} and put it down.", "Put the {o1} right next to the {o2}.",
            "Lift the {o1} and place it close to the {o2}.", "Carry the {o1} to the {o2} and leave it there.",
            "Set the {o1} down beside the {o2}.", "Bring the {o1} close to the {o2}.",
        ),
        "reach": (
            "Reach for the {o}.", "Move the gripper to the {o}.", "Get close to the {o}.", "Touch the {o}.",
            "Go to the {o} with the hand.", "Bring the gripper next to the {o}.", "Put the hand at the {o}.",
            "Move toward the {o} until you are at it.", "Approach the {o}.",
            "Point the gripper at the {o} and go there.",
        ),
    },
    "hard": {
        "sequential": (
            "Put the {o1} in the basket, then the {o2}.", "First place the {o1} into the basket, and after that the {o2}.",
            "Load the {o1} into the basket and then the {o2}.", "Move the {o1} to the basket first, then the {o2}.",
            "Pick up the {o1} and drop it in the basket; next do the same with the {o2}.",
            "Start with the {o1}: put it in the basket. Then put the {o2} in too.",
            "Fill the basket with the {o1} and then the {o2}.", "The {o1} goes in the basket first, the {o2} second.",
            "Place the {o1} in the basket, followed by the {o2}.", "Get the {o1} into the basket, then the {o2} as well.",
        ),
        "all": (
            "Put the alphabet soup, the cream cheese and the salad dressing in the basket.",
            "Place all three items in the basket, one at a time.", "Load every object on the floor into the basket.",
            "Fill the basket with the soup, the cream cheese and the dressing.",
            "Move each of the three objects into the basket.", "Put everything into the basket.",
            "One by one, drop the alphabet soup, cream cheese and salad dressing into the basket.",
            "All three objects should end up in the basket.", "Clear the floor by putting every item in the basket.",
            "Pack the three groceries into the basket.",
        ),
        "aside": (
            "Pick up the {o} and put it down somewhere else.", "Move the {o} to the other side.",
            "Shift the {o} away from where it is.", "Take the {o} and set it down a little further away.",
            "Relocate the {o}.", "Lift the {o} and place it aside.", "Put the {o} aside.",
            "Move the {o} out of its current spot.", "Carry the {o} a short way and put it down.",
            "Set the {o} down away from its starting place.",
        ),
        "pick-out-of": (
            "The basket is on fire: get the {o} out of it.", "Take the {o} out of the basket.",
            "Remove the {o} from the basket.", "Lift the {o} out of the basket and carry it away.",
            "Get the {o} out of the basket and far from it.", "Pull the {o} out of the basket.",
            "Empty the {o} out of the basket.", "Rescue the {o} from the basket.",
            "Grab the {o} inside the basket and move it away from the basket.",
            "The {o} must not stay in the basket: take it out.",
        ),
    },
}


def _family_key(task: str) -> str:
    spec = T.spec(task)
    return "all" if task == "sequential-pick-and-place-all" else spec.family


def _phrase(level: str, task: str) -> tuple[str, ...]:
    spec = T.spec(task)
    words = {f"o{i + 1}": WORDS[o] for i, o in enumerate(spec.objects)}
    words["o"] = WORDS[spec.objects[0]]
    return tuple(template.format(**words) for template in TEMPLATES[level][_family_key(task)])


PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    level: {task: _phrase(level, task) for task in T.LEVEL_TASKS["real" if level == "rephrase" else level]}
    for level in ("real", "rephrase", "easy", "hard")
}
