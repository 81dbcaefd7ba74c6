"""The four ImagineBench levels and which data each one trains and evaluates on.

ImagineBench (Pang et al., 2025, sec. 3): ``real`` = training tasks with training instructions, ``rephrase`` = the same
tasks with unseen paraphrases, ``easy`` = novel simple tasks, ``hard`` = novel compositional tasks. Upstream evaluated
``easy`` and ``hard`` runs on their own level only; here every run also reports ``real`` so that forgetting is visible.
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("real", "rephrase", "easy", "hard")


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return level


def evaluation_levels(train_level: str) -> tuple[str, ...]:
    """Levels a run trained at ``train_level`` is scored on: all four for ``real``, else ``real`` and its own."""
    check_level(train_level)
    return LEVELS if train_level == "real" else ("real", train_level)


def uses_imaginary_data(train_level: str) -> bool:
    return check_level(train_level) != "real"
