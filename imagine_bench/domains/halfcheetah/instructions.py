"""Instruction phrasings of the HalfCheetah tasks, written for this suite.

``real`` holds the training phrasings of the four training tasks (22 each); ``rephrase`` holds 12 held-out
paraphrases per training task, disjoint from the training ones and built on other verbs (gallop, dash, scamper,
hurry for running; leap, hop, spring, bound, vault for jumping); ``easy`` and ``hard`` hold 12 phrasings per novel
task. Upstream ImagineBench had the jump-forward and jump-backward lists swapped; here every phrasing is
tied to its task and the tests check the direction words.
"""

from __future__ import annotations

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "real": {
        "run-forward": (
            "Break into a forward run.", "Run forwards.", "Run ahead.", "Move forward at a run.", "Go forward quickly.",
            "Head forward at a running pace.", "Run toward the front.", "Keep running forward.",
            "Run in the forward direction.", "Start running forward.", "Run straight ahead.",
            "Go ahead at a steady run.", "Move forward by running.", "Run to the front.",
            "Run the way you are facing.", "Travel forward at a run.", "Run forward along the track.",
            "Make your way forward at a run.", "Please run forward.", "Run forward now.", "Head ahead at a run.",
            "Cover ground forward by running.",
        ),
        "run-backward": (
            "Break into a backward run.", "Run backwards.", "Run in reverse.", "Move backward at a run.", "Go backward quickly.",
            "Head backward at a running pace.", "Run toward the rear.", "Keep running backward.",
            "Run in the backward direction.", "Start running backward.", "Run straight back.",
            "Go back at a steady run.", "Move backward by running.", "Run to the back.",
            "Run opposite to the way you are facing.", "Travel backward at a run.", "Run backward along the track.",
            "Make your way backward at a run.", "Please run backward.", "Run backward now.", "Head back at a run.",
            "Cover ground backward by running.",
        ),
        "jump-forward": (
            "Jump forward.", "Jump forward by one step.", "Jump ahead.", "Make a jump forward.", "Do a forward jump.",
            "Jump toward the front.", "Take a jump forward.", "Jump once and land further forward.",
            "Jump forward and land.", "Leave the ground and land ahead.", "Jump into the air and come down ahead.",
            "Perform a jump forward.", "Jump a little way forward.", "Jump forwards.", "Please jump forward.",
            "Jump up and move forward.", "Jump to a spot in front of you.", "Get airborne and land in front.",
            "Jump forward one step.", "Make a single jump ahead.", "Jump off the ground toward the front.",
            "Land a jump forward.",
        ),
        "jump-backward": (
            "Jump backward.", "Jump backward by one step.", "Jump back.", "Make a jump backward.", "Do a backward jump.",
            "Jump toward the rear.", "Take a jump backward.", "Jump once and land further back.",
            "Jump backward and land.", "Leave the ground and land behind.", "Jump into the air and come down behind.",
            "Perform a jump backward.", "Jump a little way backward.", "Jump backwards.", "Please jump backward.",
            "Jump up and move backward.", "Jump to a spot behind you.", "Get airborne and land behind.",
            "Jump backward one step.", "Make a single jump back.", "Jump off the ground toward the rear.",
            "Land a jump backward.",
        ),
    },
    "rephrase": {
        "run-forward": (
            "Gallop forward.", "Dash ahead.", "Scamper to the front.", "Hurry forward on your legs.",
            "Advance at a gallop.", "Charge onward.", "Make tracks forward.", "Gallop in the direction you are facing.",
            "Press onward at a gallop.", "Hurry ahead.", "Dash toward the front.", "Scurry forward.",
        ),
        "run-backward": (
            "Gallop backward.", "Dash back.", "Scamper to the rear.", "Hurry backward on your legs.",
            "Retreat at a gallop.", "Charge backward.", "Make tracks backward.",
            "Gallop away from the direction you are facing.", "Press rearward at a gallop.", "Hurry rearward.",
            "Dash toward the rear.", "Scurry backward.",
        ),
        "jump-forward": (
            "Leap forward.", "Hop ahead.", "Spring forward.", "Bound ahead once.", "Vault forward.",
            "Take a leap to the front.", "Spring into the air and come down ahead.", "Hop one step to the front.",
            "Leap ahead and touch down.", "Make a bound forward.", "Pounce forward.", "Hop forward.",
        ),
        "jump-backward": (
            "Leap backward.", "Hop back.", "Spring backward.", "Bound back once.", "Vault backward.",
            "Take a leap to the rear.", "Spring into the air and come down behind.", "Hop one step to the rear.",
            "Leap back and touch down.", "Make a bound backward.", "Pounce backward.", "Hop backward.",
        ),
    },
    "easy": {
        "run-forward-fast": (
            "Run forward faster.", "Run forward more quickly.", "Run forward at a higher speed.",
            "Speed up and run forward.", "Run ahead faster than usual.", "Sprint forward.",
            "Run forward as fast as you can.", "Pick up the pace and run forward.", "Run forward with more speed.",
            "Go forward at a faster run.", "Run forward quicker.", "Race ahead at full speed.",
        ),
        "run-backward-fast": (
            "Run backward faster.", "Run backward more quickly.", "Run backward at a higher speed.",
            "Speed up and run backward.", "Run back faster than usual.", "Sprint backward.",
            "Run backward as fast as you can.", "Pick up the pace and run backward.", "Run backward with more speed.",
            "Go backward at a faster run.", "Run backward quicker.", "Race back at full speed.",
        ),
    },
    "hard": {
        "run-forward-then-backward": (
            "Run forward, then run backward.", "Run ahead first and then run back.",
            "First run forward, then switch direction and run backward.",
            "Run forward for a while, then run backward.", "Go forward at a run, then come back running.",
            "Run forward and afterwards run backward.", "Run to the front, then run to the back.",
            "Move forward by running, then reverse and run backward.", "Start by running forward, then run backward.",
            "Run ahead, slow down, and run back.", "Run forward before running backward.",
            "Run forward first; once you have gone far, run backward.",
        ),
        "run-backward-then-forward": (
            "Run backward, then run forward.", "Run back first and then run ahead.",
            "First run backward, then switch direction and run forward.",
            "Run backward for a while, then run forward.", "Go backward at a run, then come forward running.",
            "Run backward and afterwards run forward.", "Run to the back, then run to the front.",
            "Move backward by running, then reverse and run forward.", "Start by running backward, then run forward.",
            "Run back, slow down, and run ahead.", "Run backward before running forward.",
            "Run backward first; once you have gone far, run forward.",
        ),
        "jump-in-place": (
            "Jump in place.", "Jump on the spot.", "Jump without moving forward or backward.",
            "Jump straight up and land where you started.", "Jump and come down in the same place.",
            "Do a jump on the spot.", "Jump up and land where you took off.", "Leap in place.", "Hop on the spot.",
            "Jump in the same place.", "Jump up without going anywhere.",
            "Jump vertically and land at your starting point.",
        ),
    },
}
