"""The small interface every domain implements.

A domain owns everything that is specific to one simulator: which tasks form each level, how each task is phrased,
the state layout, a scripted expert per task, and *state-based* reward and success functions. The state-based
functions are what lets an imagination backend relabel imagined rollouts (KALM, Liu et al. 2024, sec. 4: rewards of
generated rollouts come from the task's reward function applied to generated states); the real simulator's own
success flag is still what evaluation counts.

Nothing outside the package ``imagine_bench/domains/<name>/`` knows about a particular simulator. Every domain package
has the same files: ``domain.py`` (the registered :class:`Domain`), ``simulator.py`` (the :class:`TaskSimulator` and
physics glue), ``tasks.py`` (task lists, success, reward, goals), ``instructions.py`` (phrasings), ``experts.py``
(scripted experts; ``python -m imagine_bench.domains.<name>.experts`` prints their table) and ``layout.py`` (the state
layout); see ``docs/adding-a-domain.md``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from imagine_bench.levels import LEVELS, Level

Action = Any  # np.ndarray for Box action spaces, int for Discrete ones


class TaskSimulator(ABC):
    """One task of a domain running in its real simulator, seen through the domain's state layout.

    ``reset`` samples a start state (and, for template tasks, a goal) from ``seed`` alone, so the same seed always gives
    the same episode start. ``step`` returns the next state and the *simulator's own* success flag.
    """

    task: str

    @abstractmethod
    def reset(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Start an episode; returns ``(state, goal)``: float32 arrays of the domain's ``state_dim`` / ``goal_dim``."""

    @abstractmethod
    def step(self, action: Action) -> tuple[np.ndarray, bool]:
        """Apply one action; returns ``(next_state, success)`` where success is the simulator's own test."""

    @abstractmethod
    def expert_action(self) -> Action:
        """The scripted expert's action for the current simulator state (chained experts for composite tasks)."""

    def restore(self, state: np.ndarray, goal: np.ndarray) -> None:
        """Put the simulator into the (possibly imagined) ``state``, for replaying imagined actions in the real
        simulator. Optional: domains whose state vector does not determine the simulator state raise
        ``NotImplementedError`` (the default)."""
        raise NotImplementedError(f"{type(self).__name__} cannot restore a simulator state from a state vector")

    def instruction_slots(self) -> Mapping[str, str]:
        """Words that fill the task's instruction templates for the current episode (colours, objects, ...)."""
        return {}

    def render(self) -> np.ndarray:
        """An ``(H, W, 3)`` uint8 picture of the current simulator state (``render_mode="rgb_array"``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot render")

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class Domain(ABC):
    """A family of language-conditioned tasks on one simulator (Meta-World, BabyAI, CLEVR-Robot, HalfCheetah, ...)."""

    name: ClassVar[str]  # Hydra ``env=<name>``
    env_id: ClassVar[str]  # ``imagine_bench.make(<env_id>)`` and Gymnasium id
    aliases: ClassVar[tuple[str, ...]] = ()  # upstream ids kept for compatibility
    default_horizon: ClassVar[int]
    state_dim: ClassVar[int]
    goal_dim: ClassVar[int] = 0  # extra per-episode goal description not visible in the state
    state_bounds: ClassVar[tuple[float, float]] = (-np.inf, np.inf)  # every state component lies in [low, high]
    level_tasks: ClassVar[Mapping[str, tuple[str, ...]]]  # level -> task names; rephrase shares real's tasks
    data_version: ClassVar[int] = 1  # bump when tasks, experts or rewards change: cached datasets are regenerated

    @property
    @abstractmethod
    def action_space(self) -> gym.Space: ...

    @abstractmethod
    def make_simulator(self, task: str, horizon: int) -> TaskSimulator:
        """A simulator for ``task``; heavy simulator imports belong here so importing the domain stays cheap."""

    @abstractmethod
    def instructions(self, level: str, task: str, slots: Mapping[str, str] | None = None) -> Sequence[str]:
        """Phrasings of ``task`` at ``level``: training phrasings for ``real``, held-out ones for ``rephrase``."""

    @abstractmethod
    def success(self, task: str, goal: np.ndarray, state: np.ndarray) -> bool:
        """State-based success test; agrees with the simulator's own flag on real rollouts (tested)."""

    @abstractmethod
    def reward(self, task: str, goal: np.ndarray, state: np.ndarray, next_state: np.ndarray, success: bool) -> float:
        """Reward of the transition ``state -> next_state``; a pure function of states so imagined data can be relabelled."""

    def check_available(self) -> None:
        """Raise ``ImportError`` saying how to install the simulator if it is an optional extra that is missing;
        called before any work (``imagine_bench.make``, ``launch.py``). The built-in simulators are always there."""

    def task_horizon(self, task: str, horizon: int) -> int:
        """Step limit of ``task`` when the configured horizon is ``horizon``; multi-stage tasks may get more."""
        return horizon

    # ----------------------------------------------------------------------------------------------------------------
    def tasks(self, level: str | Level) -> tuple[str, ...]:
        """The tasks of ``level`` (``rephrase`` shares ``real``'s); an unknown level is an error."""
        return tuple(self.level_tasks[Level(level).task_level])

    def all_tasks(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for level in LEVELS:
            seen.update(dict.fromkeys(self.tasks(level)))
        return tuple(seen)

    def all_instructions(self) -> list[str]:
        """Every phrasing of every level without template slots (for precomputing embeddings)."""
        out: dict[str, None] = {}
        for level in LEVELS:
            for task in self.tasks(level):
                out.update(dict.fromkeys(self.instructions(level, task)))
        return list(out)

    @property
    def is_discrete(self) -> bool:
        return isinstance(self.action_space, gym.spaces.Discrete)

    @property
    def action_kind(self) -> str:
        return "discrete" if self.is_discrete else "continuous"
