"""The four ImagineBench levels and which data each one trains and evaluates on.

ImagineBench (Pang et al., 2025, sec. 3): ``real`` = training tasks with training instructions, ``rephrase`` = the same
tasks with unseen paraphrases, ``easy`` = novel simple tasks, ``hard`` = novel compositional tasks. Upstream evaluated
``easy`` and ``hard`` runs on their own level only; here every run also reports ``real`` so that forgetting is visible.

A level is a :class:`Level`: a ``str`` enum, so it compares, hashes, prints and serialises (JSON, YAML, W&B) exactly
as its name does, and ``Level(name)`` is the one check of a name; the entry points (the runner's config validation,
:class:`imagine_bench.ImagineBenchEnv`, ``load_datasets``) convert what they are given once.
"""

from __future__ import annotations

from enum import Enum


class Level(str, Enum):
    # Members are named by their values: an Enum hashes its name, so ``hash(Level.real) == hash("real")`` and a level
    # finds the entries of dicts keyed by plain strings (configs, results.json) and the other way round.
    real = "real"
    rephrase = "rephrase"
    easy = "easy"
    hard = "hard"

    __str__ = str.__str__  # "real", not "Level.real" (Python 3.12 formats str enums through __str__)

    @classmethod
    def _missing_(cls, value: object) -> Level:
        raise ValueError(f"unknown level {value!r}; expected one of {', '.join(LEVELS)}")

    @property
    def uses_imaginary_data(self) -> bool:
        """Every level but ``real`` trains on real data plus that level's imaginary data."""
        return self is not Level.real

    @property
    def task_level(self) -> Level:
        """The level whose task list this level uses: ``rephrase`` shares ``real``'s tasks."""
        return Level.real if self is Level.rephrase else self

    def evaluation_levels(self) -> tuple[Level, ...]:
        """Levels a run trained at this level is scored on: all four for ``real``, else ``real`` and its own."""
        return LEVELS if self is Level.real else (Level.real, self)


LEVELS: tuple[Level, ...] = tuple(Level)

