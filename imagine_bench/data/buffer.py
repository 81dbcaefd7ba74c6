"""Training data for d3rlpy: flat arrays, index views for real vs imaginary, and a vectorised sampler.

:class:`FlatReplayBuffer` is a d3rlpy ``ReplayBufferBase`` so ``algo.fit`` takes it directly. Compared with d3rlpy's
stock buffer (one Python ``Transition`` per sampled index) it gathers a whole batch with a few
numpy index operations, and it draws an *exact* number of imaginary transitions per batch when ``imaginary_share``
is set (d3rlpy's ``MixedReplayBuffer`` draws the mix per transition; upstream ImagineBench had no knob at all).

Semantics match d3rlpy's ``BasicTransitionPicker``: ``interval`` is always 1 (so TD targets use gamma; upstream set
``interval = terminal``, i.e. gamma**0 = 1: undiscounted targets); a terminal transition gets a zero next observation
and zero next action; an episode cut by the time limit is *not* terminal and its last transition bootstraps from the
stored final state (upstream marked every episode terminal).

Instructions are stored once: each transition keeps an int32 index into a table of unique instruction embeddings,
and the observation ``state ++ embedding`` is assembled per batch, so memory per stored transition does not depend
on the embedding size.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from d3rlpy.constants import ActionSpace
from d3rlpy.dataset import (
    DatasetInfo,
    ReplayBufferBase,
    Signature,
    Transition,
    TransitionMiniBatch,
)

from imagine_bench.data.rollouts import (  # noqa: F401  (the d3rlpy conversions are also reached from here)
    Rollouts, concatenate, to_d3rlpy_episodes, to_d3rlpy_replay_buffer,
)
from imagine_bench.language import InstructionEmbedder


class FlatReplayBuffer(ReplayBufferBase):
    """Real (and optionally imaginary) rollouts as one flat table with an exact-mix vectorised sampler.

    Args:
        real: real rollouts. imaginary: imaginary rollouts or ``None``.
        embedder: maps the instruction strings to vectors (called once, for the unique strings).
        imaginary_share: fraction of every batch drawn from imaginary transitions (``round(B * share)`` exactly);
            ``None`` samples uniformly over all transitions, i.e. in proportion to the dataset sizes.
        seed: seeds the sampler's own generator, so the batch sequence is reproducible.
        action_size: number of discrete actions (default: inferred from the data) or the action dimension.
        prefetch: build the next batch on a background thread while the caller trains on the current one (torch
            releases the GIL during the update). One worker and one generator: at a constant batch size (as in
            ``fit``) the batches are exactly those drawn without prefetching; a change of batch size discards the
            speculative batch, so the sequence then differs but is still the same for the same seed and calls.
    """

    def __init__(
        self,
        real: Rollouts,
        imaginary: Rollouts | None,
        embedder: InstructionEmbedder,
        imaginary_share: float | None = 0.5,
        seed: int = 0,
        action_size: int | None = None,
        prefetch: bool = False,
    ) -> None:
        parts = [real] if imaginary is None else [real, imaginary]
        data = concatenate(parts) if len(parts) > 1 else real
        self.n_real = real.n_transitions
        self.n_imaginary = 0 if imaginary is None else imaginary.n_transitions
        if imaginary_share is not None and not 0.0 <= imaginary_share <= 1.0:
            raise ValueError(f"imaginary_share must be in [0, 1] or None, got {imaginary_share}")
        if imaginary_share and self.n_imaginary == 0:
            raise ValueError("imaginary_share > 0 but there is no imaginary data (level=real trains on real data only)")
        self.imaginary_share = imaginary_share if self.n_imaginary else None
        self.rollouts = data
        self.embed_dim = embedder.dim
        self.state_dim = data.states.shape[1]
        self.embeddings = embedder.embed(data.instructions).astype(np.float32)
        self.state_index = data.transition_state_index()
        self.instruction_index = data.instruction_ids[data.transition_episode()].astype(np.int32)
        self.terminals = data.per_step_terminals()
        self.discrete = data.is_discrete
        self.actions = data.actions.astype(np.float32).reshape(data.n_transitions, -1)
        self.rewards = data.rewards.reshape(-1, 1)
        last_step = np.zeros(data.n_transitions, bool)
        last_step[data.starts + data.lengths - 1] = True
        self.has_next_action = ~last_step
        self._rng = np.random.default_rng(seed)
        self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sampler") if prefetch else None
        self._pending: tuple[int, Future] | None = None
        self._terminals_f = self.terminals.astype(np.float32)[:, None]
        self._info = DatasetInfo(
            observation_signature=Signature(dtype=[np.dtype(np.float32)], shape=[(self.state_dim + self.embed_dim,)]),
            action_signature=Signature(dtype=[np.dtype(np.float32)], shape=[(1 if self.discrete else self.actions.shape[1],)]),
            reward_signature=Signature(dtype=[np.dtype(np.float32)], shape=[(1,)]),
            action_space=ActionSpace.DISCRETE if self.discrete else ActionSpace.CONTINUOUS,
            action_size=int(action_size or (data.actions.max() + 1 if self.discrete else self.actions.shape[1])),
        )

    # ------------------------------------------------------------------------------------------------ sampling
    def sample_indices(self, batch_size: int) -> np.ndarray:
        """Transition indices for one batch: real ones are ``< n_real``, imaginary ones ``>= n_real``."""
        if self.imaginary_share is None:
            return self._rng.integers(0, self.transition_count, batch_size)
        n_imaginary = int(round(batch_size * self.imaginary_share))
        return np.concatenate([
            self._rng.integers(0, self.n_real, batch_size - n_imaginary),
            self._rng.integers(self.n_real, self.n_real + self.n_imaginary, n_imaginary),
        ])

    def observations(self, state_rows: np.ndarray, transitions: np.ndarray) -> np.ndarray:
        """``state ++ instruction embedding`` for the given state rows (of the given transitions)."""
        out = np.empty((len(transitions), self.state_dim + self.embed_dim), np.float32)
        # mode="clip" lets numpy write straight into the strided output (mode="raise" buffers); indices are in range
        np.take(self.rollouts.states, state_rows, axis=0, out=out[:, : self.state_dim], mode="clip")
        np.take(self.embeddings, self.instruction_index[transitions], axis=0, out=out[:, self.state_dim :], mode="clip")
        return out

    def gather(self, indices: np.ndarray) -> TransitionMiniBatch:
        """The mini-batch for the given transition indices (d3rlpy field semantics, see module docstring)."""
        rows = self.state_index[indices]
        terminal = self._terminals_f[indices]
        observations = self.observations(rows, indices)
        next_observations = np.empty_like(observations)
        np.take(self.rollouts.states, rows + 1, axis=0, out=next_observations[:, : self.state_dim], mode="clip")
        next_observations[:, self.state_dim :] = observations[:, self.state_dim :]  # same episode, same instruction
        ended = np.flatnonzero(terminal[:, 0])
        if len(ended):
            next_observations[ended] = 0.0
        has_next = self.has_next_action[indices]
        next_actions = self.actions[np.where(has_next, indices + 1, indices)]
        next_actions[~has_next] = 0.0
        return TransitionMiniBatch(
            observations=observations,
            actions=self.actions[indices],
            rewards=self.rewards[indices],
            next_observations=next_observations,
            next_actions=next_actions,
            terminals=terminal,
            intervals=np.ones_like(terminal),
            transitions=[],  # only read for returns-to-go, which none of the suite's algorithms uses
        )

    def sample_transition_batch(self, batch_size: int) -> TransitionMiniBatch:
        if self._prefetcher is None:
            return self.gather(self.sample_indices(batch_size))
        if self._pending is None or self._pending[0] != batch_size:
            if self._pending is not None:
                self._pending[1].result()  # keep the generator's draws in order
            self._pending = (batch_size, self._prefetcher.submit(self._draw, batch_size))
        batch = self._pending[1].result()[1]
        self._pending = (batch_size, self._prefetcher.submit(self._draw, batch_size))
        return batch

    def _draw(self, batch_size: int) -> tuple[dict[str, Any], TransitionMiniBatch]:
        """The generator's state before this draw (what :meth:`sampler_state` reports while it is pending), and
        the batch."""
        before = self._rng.bit_generator.state
        return before, self.gather(self.sample_indices(batch_size))

    def sampler_state(self) -> dict[str, Any]:
        """The sampler's generator state after the batches handed out so far (a prefetched batch not yet handed out
        is not counted), so a buffer restored from it continues with the same batches."""
        if self._pending is not None:
            return self._pending[1].result()[0]
        return self._rng.bit_generator.state

    def restore_sampler_state(self, state: dict[str, Any]) -> None:
        if self._pending is not None:
            self._pending[1].result()  # the prefetch thread must not draw while the state is replaced
            self._pending = None
        self._rng.bit_generator.state = state

    def close(self) -> None:
        """Stop the prefetch thread (also happens when the buffer is garbage-collected)."""
        if self._prefetcher is not None:
            self._prefetcher.shutdown(wait=True, cancel_futures=True)
            self._prefetcher, self._pending = None, None

    def sample_transition(self) -> Transition:
        batch = self.gather(np.zeros(1, np.int64))  # fixed: d3rlpy reads shapes from it; no draw from the sampler
        return Transition(
            observation=batch.observations[0], action=batch.actions[0], reward=batch.rewards[0],
            next_observation=batch.next_observations[0], next_action=batch.next_actions[0],
            terminal=float(batch.terminals[0, 0]), interval=1, rewards_to_go=batch.rewards[0:1],
        )

    # ------------------------------------------------------------------------------------------------ bookkeeping
    @property
    def transition_count(self) -> int:
        return self.n_real + self.n_imaginary

    def size(self) -> int:
        return self.rollouts.n_episodes

    @property
    def dataset_info(self) -> DatasetInfo:
        return self._info

    def fit_scalers(self, algo: Any) -> None:
        """Fit the algorithm's unfitted observation/action scalers from the flat arrays.

        d3rlpy fits scalers by walking ``dataset.episodes`` one transition at a time; this buffer has no per-episode
        objects, and d3rlpy skips scalers that are already built, so they are fitted here first. Supported:
        ``StandardObservationScaler``, ``MinMaxObservationScaler``, ``MinMaxActionScaler``.
        """
        from d3rlpy.preprocessing import MinMaxActionScaler, MinMaxObservationScaler, StandardObservationScaler

        obs_scaler, act_scaler = algo.observation_scaler, algo.action_scaler
        if obs_scaler is not None and not obs_scaler.built:
            observations = self.observations(self.state_index, np.arange(self.transition_count))
            if isinstance(obs_scaler, StandardObservationScaler):
                obs_scaler.mean, obs_scaler.std = observations.mean(0), observations.std(0)
            elif isinstance(obs_scaler, MinMaxObservationScaler):
                obs_scaler.minimum, obs_scaler.maximum = observations.min(0), observations.max(0)
            else:
                raise ValueError(f"observation scaler {obs_scaler.get_type()!r} cannot be fitted from a "
                                 "FlatReplayBuffer; use 'standard' or 'min_max', or pass a fitted scaler")
        if act_scaler is not None and not act_scaler.built:
            if not isinstance(act_scaler, MinMaxActionScaler):
                raise ValueError(f"action scaler {act_scaler.get_type()!r} cannot be fitted from a FlatReplayBuffer")
            act_scaler.minimum, act_scaler.maximum = self.actions.min(0), self.actions.max(0)
        if getattr(algo, "reward_scaler", None) is not None and not algo.reward_scaler.built:
            raise ValueError("reward scalers must be passed fitted when training from a FlatReplayBuffer")

    def memory_bytes(self) -> dict[str, int]:
        """Bytes held per component; the per-transition part does not grow with the embedding size."""
        per_transition = sum(a.nbytes for a in (self.state_index, self.instruction_index, self.terminals, self.actions,
                                                self.rewards, self.has_next_action))
        return {"states": self.rollouts.states.nbytes, "per_transition_arrays": per_transition,
                "embedding_table": self.embeddings.nbytes}

    def _unsupported(self, what: str) -> Any:
        raise NotImplementedError(f"FlatReplayBuffer is a read-only offline dataset; {what} is not supported "
                                  "(use to_d3rlpy_replay_buffer for d3rlpy's stock buffer)")

    def append(self, observation: Any, action: Any, reward: Any) -> None:
        self._unsupported("append")

    def append_episode(self, episode: Any) -> None:
        self._unsupported("append_episode")

    def clip_episode(self, terminated: bool) -> None:
        self._unsupported("clip_episode")

    def sample_trajectory(self, length: int) -> Any:
        return self._unsupported("trajectory sampling (Decision Transformer)")

    def sample_trajectory_batch(self, batch_size: int, length: int) -> Any:
        return self._unsupported("trajectory sampling (Decision Transformer)")

    def dump(self, f: Any) -> None:
        self._unsupported("dump (datasets are stored by imagine_bench.data.store)")

    @classmethod
    def from_episode_generator(cls, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("build a FlatReplayBuffer from Rollouts")

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("load Rollouts with imagine_bench.data.store.load")

    @property
    def episodes(self) -> Sequence[Any]:
        return self._unsupported("per-episode access (scalers are fitted by fit_scalers)")

    @property
    def buffer(self) -> Any:
        return self._unsupported("buffer access")

    @property
    def transition_picker(self) -> Any:
        return self._unsupported("transition pickers")

    @property
    def trajectory_slicer(self) -> Any:
        return self._unsupported("trajectory slicers")
