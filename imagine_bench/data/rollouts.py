"""Rollouts as flat arrays with index views: the one in-memory form every dataset takes.

Episodes are stored back to back. Episode ``i`` owns transitions ``starts[i] : starts[i] + lengths[i]`` and states
``starts[i] + i : starts[i] + i + lengths[i] + 1``: every episode keeps its final state, so the last transition of an
episode cut by the time limit still has a next state and can bootstrap. (d3rlpy drops that transition; upstream
ImagineBench marked it terminal with a zero next state.)

The instruction is stored once per episode as an index into ``instructions``; embeddings are looked up on demand,
so memory per stored step does not grow with the embedding size (upstream stored a 768-d vector in every step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imagine_bench.language import InstructionEmbedder


@dataclass
class Rollouts:
    states: np.ndarray  # (n_transitions + n_episodes, state_dim) float32
    actions: np.ndarray  # (n_transitions, action_dim) float32, or (n_transitions,) int64 for discrete actions
    rewards: np.ndarray  # (n_transitions,) float32
    lengths: np.ndarray  # (n_episodes,) int64, >= 1
    terminated: np.ndarray  # (n_episodes,) bool: ended because the task was solved (a true terminal state)
    task_ids: np.ndarray  # (n_episodes,) int32 into ``tasks``
    instruction_ids: np.ndarray  # (n_episodes,) int32 into ``instructions``
    goals: np.ndarray  # (n_episodes, goal_dim) float32
    success: np.ndarray  # (n_episodes,) bool: the task's success test fired in the episode
    tasks: list[str]
    instructions: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)

    ARRAY_FIELDS = (
        "states", "actions", "rewards", "lengths", "terminated", "task_ids", "instruction_ids", "goals", "success",
    )

    def __post_init__(self) -> None:
        self.validate()

    # ---------------------------------------------------------------------------------------------------- structure
    @property
    def n_episodes(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def n_transitions(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def starts(self) -> np.ndarray:
        """First transition index of every episode."""
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    @property
    def is_discrete(self) -> bool:
        return self.actions.ndim == 1

    def transition_state_index(self) -> np.ndarray:
        """For every transition, the row of its state in ``states`` (its next state is the row after)."""
        episode_of = np.repeat(np.arange(self.n_episodes), self.lengths)
        return (np.arange(self.n_transitions) + episode_of).astype(np.int64)

    def transition_episode(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_episodes, dtype=np.int64), self.lengths)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first inconsistent field (shapes, counts, index ranges, finiteness)."""
        n, m = self.lengths.shape[0], self.rewards.shape[0]
        problems = []
        if self.lengths.ndim != 1 or (n and self.lengths.min() < 1):
            problems.append("lengths must be a 1-d array of positive episode lengths")
        elif int(self.lengths.sum()) != m:
            problems.append(f"lengths sum to {int(self.lengths.sum())} but there are {m} rewards")
        if self.states.ndim != 2 or self.states.shape[0] != m + n:
            problems.append(f"states must be (n_transitions + n_episodes, state_dim) = ({m + n}, ·), got {self.states.shape}")
        if self.actions.shape[0] != m or self.actions.ndim not in (1, 2):
            problems.append(f"actions must have {m} rows (1-d for discrete, 2-d for continuous), got {self.actions.shape}")
        for name in ("terminated", "task_ids", "instruction_ids", "success"):
            if getattr(self, name).shape != (n,):
                problems.append(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        if self.goals.ndim != 2 or self.goals.shape[0] != n:
            problems.append(f"goals must be (n_episodes, goal_dim), got {self.goals.shape}")
        if n and not problems:
            if self.task_ids.min() < 0 or self.task_ids.max() >= len(self.tasks):
                problems.append("task_ids out of range of tasks")
            if self.instruction_ids.min() < 0 or self.instruction_ids.max() >= len(self.instructions):
                problems.append("instruction_ids out of range of instructions")
            if not (np.isfinite(self.states).all() and np.isfinite(self.rewards).all()):
                problems.append("states and rewards must be finite")
        if problems:
            raise ValueError("malformed rollouts: " + "; ".join(problems))

    # ---------------------------------------------------------------------------------------------------- views
    def episode_slice(self, i: int) -> tuple[slice, slice]:
        start = int(self.starts[i])
        length = int(self.lengths[i])
        return slice(start, start + length), slice(start + i, start + i + length + 1)

    def transitions_of_tasks(self, tasks: Sequence[str]) -> np.ndarray:
        """Transition indices (a view's index array, no copy of data) of the named tasks."""
        wanted = [self.tasks.index(t) for t in tasks]
        return np.flatnonzero(np.isin(self.task_ids[self.transition_episode()], wanted))

    def per_step_terminals(self) -> np.ndarray:
        last = self.starts + self.lengths - 1
        out = np.zeros(self.n_transitions, bool)
        out[last[self.terminated]] = True
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "episodes": self.n_episodes,
            "transitions": self.n_transitions,
            "success_rate": float(self.success.mean()) if self.n_episodes else float("nan"),
            "mean_length": float(self.lengths.mean()) if self.n_episodes else float("nan"),
            "tasks": len(self.tasks),
            "instructions": len(self.instructions),
        }

    # ---------------------------------------------------------------------------------------------------- layouts
    def to_padded(self, embedder: InstructionEmbedder, horizon: int | None = None) -> dict[str, np.ndarray]:
        """The ImagineBench layout: ``observations (N, T, state+embedding)``, ``actions (N, T, A)`` (``(N, T)`` for
        discrete), ``rewards (N, T, 1)``, ``masks (N, T, 1)`` (1 = real step, 0 = padding), plus what upstream lacked:
        ``terminals`` and ``timeouts (N, T)`` (1 at a solved / timed-out episode's last step), ``final_observations
        (N, state+embedding)`` (the observation after each episode's last step, which a timed-out episode's last
        transition bootstraps from), and ``instructions`` / ``tasks`` per episode. Memory-heavy by design (one
        embedding per step); :meth:`to_d3rlpy` is the exact conversion for d3rlpy.
        """
        horizon = int(horizon or (self.lengths.max() if self.n_episodes else 0))
        n, state_dim = self.n_episodes, self.states.shape[1]
        embeddings = embedder.embed(self.instructions)
        obs = np.zeros((n, horizon, state_dim + embedder.dim), np.float32)
        act_shape = (n, horizon) if self.is_discrete else (n, horizon, self.actions.shape[1])
        actions = np.zeros(act_shape, self.actions.dtype)
        rewards = np.zeros((n, horizon, 1), np.float32)
        masks = np.zeros((n, horizon, 1), np.float32)
        final_obs = np.zeros((n, state_dim + embedder.dim), np.float32)
        terminals = np.zeros((n, horizon), np.float32)
        timeouts = np.zeros((n, horizon), np.float32)
        for i in range(n):
            steps, states = self.episode_slice(i)
            length = min(int(self.lengths[i]), horizon)
            obs[i, :length, :state_dim] = self.states[states][:length]
            obs[i, :length, state_dim:] = embeddings[self.instruction_ids[i]]
            actions[i, :length] = self.actions[steps][:length]
            rewards[i, :length, 0] = self.rewards[steps][:length]
            masks[i, :length] = 1.0
            final_obs[i, :state_dim] = self.states[states][length]
            final_obs[i, state_dim:] = embeddings[self.instruction_ids[i]]
            (terminals if self.terminated[i] else timeouts)[i, length - 1] = 1.0
        return {
            "observations": obs, "actions": actions, "rewards": rewards, "masks": masks,
            "terminals": terminals, "timeouts": timeouts, "final_observations": final_obs,
            "instructions": np.array([self.instructions[k] for k in self.instruction_ids], dtype=object),
            "tasks": np.array([self.tasks[k] for k in self.task_ids], dtype=object),
        }


    def to_d3rlpy(self, embedder: InstructionEmbedder) -> Any:
        """d3rlpy's stock ``ReplayBuffer`` holding exactly these transitions, with the observation ``state ++
        instruction embedding``: solved episodes end in a terminal, timed-out ones keep their last transition and
        bootstrap from the final state (the same transitions :class:`~imagine_bench.data.buffer.FlatReplayBuffer`
        samples, field by field; tested)."""
        return to_d3rlpy_replay_buffer(self, embedder)


class RolloutWriter:
    """Accumulates episodes one at a time and freezes them into :class:`Rollouts`."""

    def __init__(self, state_dim: int, goal_dim: int, discrete: bool) -> None:
        self.state_dim, self.goal_dim, self.discrete = state_dim, goal_dim, discrete
        self._states: list[np.ndarray] = []
        self._actions: list[np.ndarray] = []
        self._rewards: list[np.ndarray] = []
        self._episodes: list[tuple[int, bool, bool]] = []
        self._task_ids: list[int] = []
        self._instruction_ids: list[int] = []
        self._goals: list[np.ndarray] = []
        self._task_index: dict[str, int] = {}  # name -> position in ``tasks`` (insertion order)
        self._instruction_index: dict[str, int] = {}

    def add(
        self, *, task: str, instruction: str, goal: np.ndarray, states: np.ndarray, actions: np.ndarray,
        rewards: np.ndarray, terminated: bool, success: bool,
    ) -> None:
        length = len(actions)
        if length < 1 or len(states) != length + 1 or len(rewards) != length:
            raise ValueError(f"an episode needs L>=1 actions, L rewards and L+1 states; got {len(actions)}, "
                             f"{len(rewards)}, {len(states)}")
        self._task_ids.append(self._task_index.setdefault(task, len(self._task_index)))
        self._instruction_ids.append(self._instruction_index.setdefault(instruction, len(self._instruction_index)))
        self._states.append(np.asarray(states, np.float32).reshape(length + 1, self.state_dim))
        self._actions.append(np.asarray(actions, np.int64 if self.discrete else np.float32))
        self._rewards.append(np.asarray(rewards, np.float32).reshape(length))
        self._goals.append(np.asarray(goal, np.float32).reshape(self.goal_dim))
        self._episodes.append((length, bool(terminated), bool(success)))

    def build(self, metadata: dict[str, Any] | None = None) -> Rollouts:
        if not self._episodes:
            raise ValueError("no episodes were collected")
        lengths, terminated, success = (np.array(col) for col in zip(*self._episodes, strict=True))
        actions = np.concatenate(self._actions)
        if not self.discrete:
            actions = actions.reshape(len(actions), -1).astype(np.float32)
        return Rollouts(
            states=np.concatenate(self._states), actions=actions, rewards=np.concatenate(self._rewards),
            lengths=lengths.astype(np.int64), terminated=terminated.astype(bool),
            task_ids=np.array(self._task_ids, np.int32), instruction_ids=np.array(self._instruction_ids, np.int32),
            goals=np.stack(self._goals).astype(np.float32), success=success.astype(bool),
            tasks=list(self._task_index), instructions=list(self._instruction_index), metadata=dict(metadata or {}),
        )


def concatenate(parts: Sequence[Rollouts]) -> Rollouts:
    """Join rollouts (e.g. real then imaginary); task and instruction tables are merged, indices remapped."""
    tasks: dict[str, int] = {}  # name -> merged index, in first-seen order
    instructions: dict[str, int] = {}
    for part in parts:
        for t in part.tasks:
            tasks.setdefault(t, len(tasks))
        for text in part.instructions:
            instructions.setdefault(text, len(instructions))
    task_ids = [np.array([tasks[t] for t in p.tasks], np.int32)[p.task_ids] for p in parts]
    instr_ids = [np.array([instructions[s] for s in p.instructions], np.int32)[p.instruction_ids] for p in parts]
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
    return Rollouts(
        states=cat("states"), actions=cat("actions"), rewards=cat("rewards"), lengths=cat("lengths"),
        terminated=cat("terminated"), task_ids=np.concatenate(task_ids), instruction_ids=np.concatenate(instr_ids),
        goals=cat("goals"), success=cat("success"), tasks=list(tasks), instructions=list(instructions),
        metadata={"parts": [p.metadata for p in parts]},
    )


def to_d3rlpy_episodes(rollouts: Rollouts, embedder: InstructionEmbedder) -> list[Any]:
    """d3rlpy ``Episode`` objects with the embedding copied into every observation (the upstream-style layout).

    A time-out episode keeps its final state as an extra observation with a zero action, so d3rlpy (which drops the
    last step of non-terminal episodes) yields exactly the same transitions as
    :class:`~imagine_bench.data.buffer.FlatReplayBuffer`.
    """
    from d3rlpy.dataset import Episode

    embeddings = embedder.embed(rollouts.instructions)
    episodes = []
    for i in range(rollouts.n_episodes):
        steps, states = rollouts.episode_slice(i)
        terminated = bool(rollouts.terminated[i])
        obs_states = rollouts.states[states][:-1] if terminated else rollouts.states[states]
        emb = np.broadcast_to(embeddings[rollouts.instruction_ids[i]], (len(obs_states), embedder.dim))
        actions = rollouts.actions[steps].astype(np.float32).reshape(len(rollouts.actions[steps]), -1)
        rewards = rollouts.rewards[steps].reshape(-1, 1)
        if not terminated:
            actions = np.concatenate([actions, np.zeros_like(actions[:1])])
            rewards = np.concatenate([rewards, np.zeros_like(rewards[:1])])
        episodes.append(Episode(
            observations=np.concatenate([obs_states, emb], axis=1).astype(np.float32),
            actions=actions, rewards=rewards.astype(np.float32), terminated=terminated,
        ))
    return episodes


def to_d3rlpy_replay_buffer(rollouts: Rollouts, embedder: InstructionEmbedder) -> Any:
    """d3rlpy's stock ``ReplayBuffer`` over the same transitions (reference semantics and benchmarks)."""
    from d3rlpy.dataset import BasicTrajectorySlicer, BasicTransitionPicker, InfiniteBuffer, ReplayBuffer

    return ReplayBuffer(
        InfiniteBuffer(), episodes=to_d3rlpy_episodes(rollouts, embedder),
        transition_picker=BasicTransitionPicker(), trajectory_slicer=BasicTrajectorySlicer(),
    )
