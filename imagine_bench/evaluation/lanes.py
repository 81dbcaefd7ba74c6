"""Evaluation lanes: one environment per (level, task), reset to a planned episode and stepped in batches.

:class:`Lanes` is what the evaluator talks to; :class:`LocalLanes` steps the environments in the calling process (and
is what every worker process of :class:`~imagine_bench.evaluation.workers.WorkerLanes` runs). Lanes return states,
not observations: the environments are built with the zero-dimensional :class:`StateOnlyEmbedder`, and the evaluator
appends each episode's instruction embedding, so a worker never loads the language model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from imagine_bench.domains import Domain
from imagine_bench.env import ImagineBenchEnv
from imagine_bench.language.embedders import StateOnlyEmbedder

Lane = tuple[str, str]  # (level, task)
Start = tuple[Lane, int, int]  # (lane, start seed, instruction index): one planned episode


class StepBatch(NamedTuple):
    """One step of several lanes, row i for the i-th lane stepped: plain arrays, cheap to send between processes."""

    states: np.ndarray  # (n, state_dim) float32
    rewards: np.ndarray  # (n,) float64
    terminated: np.ndarray  # (n,) bool
    truncated: np.ndarray  # (n,) bool
    success: np.ndarray  # (n,) bool: the env's info["is_success"]


class LaneFailure(RuntimeError):
    """An environment raised while resetting or stepping ``lane``; the original exception is the ``__cause__``."""

    def __init__(self, lane: Lane) -> None:
        super().__init__(f"evaluation lane {lane[0]}/{lane[1]} failed")
        self.lane = lane


class Lanes(ABC):
    """Where the lanes' environments run: ``reset`` starts planned episodes, ``step`` advances running ones."""

    #: seconds from starting worker processes to all of them being ready; None where nothing is started
    startup_s: float | None = None

    @abstractmethod
    def reset(self, starts: Sequence[Start]) -> list[tuple[np.ndarray, str]]:
        """Start one planned episode on each lane; returns ``(state, instruction)`` per start, in order."""

    @abstractmethod
    def step(self, lanes: Sequence[Lane], actions: np.ndarray) -> StepBatch:
        """Apply ``actions[i]`` to ``lanes[i]``, each of which is in a running episode."""

    @abstractmethod
    def close(self) -> None:
        """Release the simulators; the lanes rebuild them if used again."""


class LocalLanes(Lanes):
    """Environments stepped one after the other in this process; built on a lane's first episode, then kept."""

    def __init__(self, domain: Domain, horizon: int) -> None:
        self.domain, self.horizon = domain, horizon
        self._envs: dict[Lane, ImagineBenchEnv] = {}

    def reset(self, starts: Sequence[Start]) -> list[tuple[np.ndarray, str]]:
        out = []
        for lane, start_seed, instruction in starts:
            with _blame(lane):
                if lane not in self._envs:
                    self._envs[lane] = ImagineBenchEnv(self.domain, lane[0], self.horizon, StateOnlyEmbedder())
                state, info = self._envs[lane].reset(
                    options={"task": lane[1], "start_seed": start_seed, "instruction": instruction})
            out.append((state, info["instruction"]))
        return out

    def step(self, lanes: Sequence[Lane], actions: np.ndarray) -> StepBatch:
        n = len(lanes)
        states, rewards, flags = [], np.empty(n, np.float64), np.empty((3, n), bool)
        for i, (lane, action) in enumerate(zip(lanes, actions, strict=True)):
            with _blame(lane):
                state, rewards[i], flags[0, i], flags[1, i], info = self._envs[lane].step(action)
                flags[2, i] = info["is_success"]
            states.append(state)
        return StepBatch(np.stack(states), rewards, *flags)

    def close(self) -> None:
        for env in self._envs.values():
            env.close()
        self._envs.clear()


@contextmanager
def _blame(lane: Lane) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        raise LaneFailure(lane) from exc
