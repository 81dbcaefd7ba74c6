"""The imagination-backend contract and the relabelling every backend shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from imagine_bench.data.rollouts import Rollouts
from imagine_bench.domains import Domain


class ImaginationBackend(ABC):
    """Writes imaginary rollouts for the tasks of one level. ``settings()`` is stored in the dataset metadata and
    decides the cache key, so two backends or two settings never share a file.

    A backend that learns from the real dataset (KALM grounds its model on it) sets ``grounded_on_real``; the data
    layer then hands it the real rollouts it has just loaded (``generate(..., real=...)``) and adds the real dataset's
    size to the imaginary dataset's cache key. A backend never loads datasets itself.
    """

    name: str
    grounded_on_real: ClassVar[bool] = False

    @abstractmethod
    def settings(self) -> dict[str, Any]: ...

    @abstractmethod
    def generate(
        self, domain: Domain, level: str, episodes_per_task: int, horizon: int, seed: int, progress: bool = True,
        *, real: Rollouts | None = None,
    ) -> Rollouts:
        """Imaginary rollouts of ``level``'s tasks; ``real`` = the real rollouts of the same horizon and data seed
        (passed to backends that are ``grounded_on_real``)."""


def relabel(
    domain: Domain, task: str, goal: np.ndarray, states: np.ndarray
) -> tuple[int, bool, np.ndarray]:
    """Judge imagined states with the task's own state-based functions (as KALM does for generated rollouts).

    Returns ``(length, solved, rewards)``: the rollout is cut at the first state the success test accepts, which then
    becomes a true terminal; otherwise it keeps its length and ends as a time-out.
    """
    length = len(states) - 1
    solved = False
    for t in range(1, length + 1):
        if domain.success(task, goal, states[t]):
            length, solved = t, True
            break
    rewards = np.array(
        [domain.reward(task, goal, states[t], states[t + 1], solved and t + 1 == length) for t in range(length)],
        np.float32,
    )
    return length, solved, rewards
