"""The vectorised replay buffer: d3rlpy transition semantics, exact real/imaginary mix, seeding, compact storage."""

from __future__ import annotations

import numpy as np
import pytest

from imagine_bench.data import load_datasets
from imagine_bench.data.buffer import FlatReplayBuffer, to_d3rlpy_episodes
from imagine_bench.imagination import ScriptedImagination
from imagine_bench.language import HashingEmbedder


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory):
    cache = tmp_path_factory.mktemp("buffer_cache")
    return load_datasets("toy", "hard", imagination=ScriptedImagination(), real_episodes_per_task=6, imaginary_episodes_per_task=6, cache_dir=cache,
                         progress=False)


def test_same_fields_as_d3rlpy_for_the_same_transitions(toy_data):
    """Transition k of our buffer equals d3rlpy's BasicTransitionPicker on the equivalent d3rlpy episode."""
    from d3rlpy.dataset import BasicTransitionPicker

    real, imaginary = toy_data
    embedder = HashingEmbedder(8)
    buffer = FlatReplayBuffer(real, imaginary, embedder, imaginary_share=None)
    data = buffer.rollouts
    episodes = to_d3rlpy_episodes(data, embedder)
    picker = BasicTransitionPicker()
    assert sum(ep.transition_count for ep in episodes) == buffer.transition_count
    batch = buffer.gather(np.arange(buffer.transition_count))
    k = 0
    for episode in episodes:
        for t in range(episode.transition_count):
            ref = picker(episode, t)
            np.testing.assert_allclose(batch.observations[k], ref.observation, rtol=0, atol=0)
            np.testing.assert_allclose(batch.next_observations[k], ref.next_observation, rtol=0, atol=0)
            np.testing.assert_array_equal(batch.actions[k], ref.action)
            np.testing.assert_array_equal(batch.next_actions[k], ref.next_action)
            np.testing.assert_array_equal(batch.rewards[k], ref.reward)
            assert batch.terminals[k, 0] == ref.terminal
            assert batch.intervals[k, 0] == ref.interval == 1
            k += 1
    assert k == buffer.transition_count


def test_to_d3rlpy_replay_buffer_holds_exactly_the_suites_transitions(toy_data):
    """``Rollouts.to_d3rlpy`` -> d3rlpy's own ReplayBuffer and transition picker give every FlatReplayBuffer transition,
    field by field, including the last step of each timed-out episode (terminal 0, real next observation)."""
    from d3rlpy.dataset import ReplayBuffer

    real, imaginary = toy_data
    embedder = HashingEmbedder(8)
    flat = FlatReplayBuffer(real, imaginary, embedder, imaginary_share=None)
    replay = flat.rollouts.to_d3rlpy(embedder)
    assert isinstance(replay, ReplayBuffer) and replay.transition_count == flat.transition_count
    assert not all(ep.terminated for ep in replay.episodes) and any(ep.terminated for ep in replay.episodes)
    batch = flat.gather(np.arange(flat.transition_count))
    fields = ("observation", "action", "reward", "next_observation", "next_action", "terminal", "interval")
    picked = [replay.transition_picker(ep, t) for ep in replay.episodes for t in range(ep.transition_count)]
    ours = dict(observation=batch.observations, action=batch.actions, reward=batch.rewards,
                next_observation=batch.next_observations, next_action=batch.next_actions,
                terminal=batch.terminals[:, 0], interval=batch.intervals[:, 0])
    for name in fields:
        np.testing.assert_array_equal(np.stack([np.asarray(getattr(t, name)) for t in picked]).reshape(
            ours[name].shape), ours[name], err_msg=name)


def test_timeouts_bootstrap_and_terminals_do_not(toy_data):
    real, imaginary = toy_data
    buffer = FlatReplayBuffer(real, imaginary, HashingEmbedder(8), imaginary_share=None)
    data = buffer.rollouts
    last = data.starts + data.lengths - 1
    batch = buffer.gather(last)
    ended_by_success = data.terminated
    assert ended_by_success.any() and (~ended_by_success).any(), "fixture needs both kinds of episode end"
    assert (batch.terminals[:, 0] == ended_by_success).all()
    # a time-out's last transition keeps its real next state (non-zero), a terminal one gets zeros
    assert np.abs(batch.next_observations[~ended_by_success]).sum(axis=1).min() > 0
    assert np.abs(batch.next_observations[ended_by_success]).sum() == 0


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_every_batch_has_the_exact_imaginary_share(toy_data, share):
    real, imaginary = toy_data
    buffer = FlatReplayBuffer(real, imaginary, HashingEmbedder(8), imaginary_share=share, seed=3)
    for batch_size in (1, 7, 256):
        for _ in range(5):
            idx = buffer.sample_indices(batch_size)
            assert len(idx) == batch_size
            assert (idx >= buffer.n_real).sum() == round(batch_size * share)


def test_same_seed_same_batches_and_different_seed_differs(toy_data):
    real, imaginary = toy_data
    make = lambda seed: FlatReplayBuffer(real, imaginary, HashingEmbedder(8), imaginary_share=0.5, seed=seed)  # noqa: E731
    a, b, c = make(1), make(1), make(2)
    for _ in range(3):
        ba, bb, bc = (x.sample_transition_batch(64) for x in (a, b, c))
        np.testing.assert_array_equal(ba.observations, bb.observations)
        np.testing.assert_array_equal(ba.actions, bb.actions)
    assert not np.array_equal(ba.observations, bc.observations)


def test_memory_per_transition_does_not_grow_with_embedding_size(toy_data):
    real, imaginary = toy_data
    small = FlatReplayBuffer(real, imaginary, HashingEmbedder(8)).memory_bytes()
    large = FlatReplayBuffer(real, imaginary, HashingEmbedder(1024)).memory_bytes()
    assert small["per_transition_arrays"] == large["per_transition_arrays"]
    assert small["states"] == large["states"]


def test_bad_mix_settings_are_rejected(toy_data):
    real, imaginary = toy_data
    with pytest.raises(ValueError, match="imaginary_share"):
        FlatReplayBuffer(real, imaginary, HashingEmbedder(8), imaginary_share=1.5)
    with pytest.raises(ValueError, match="no imaginary data"):
        FlatReplayBuffer(real, None, HashingEmbedder(8), imaginary_share=0.5)


def test_prefetching_gives_the_same_batches(toy_data):
    real, imaginary = toy_data
    make = lambda prefetch: FlatReplayBuffer(  # noqa: E731
        real, imaginary, HashingEmbedder(8), imaginary_share=0.25, seed=5, prefetch=prefetch)
    plain, ahead, again = make(False), make(True), make(True)
    try:
        for _ in range(4):  # constant batch size, as in d3rlpy's fit: exactly the unprefetched sequence
            a, b = plain.sample_transition_batch(32), ahead.sample_transition_batch(32)
            np.testing.assert_array_equal(a.observations, b.observations)
            np.testing.assert_array_equal(a.next_actions, b.next_actions)
        ahead.sample_transition()  # d3rlpy's shape probe does not draw from the sampler
        np.testing.assert_array_equal(plain.sample_transition_batch(32).rewards, ahead.sample_transition_batch(32).rewards)
        for _ in range(5):  # changing sizes: still reproducible for the same seed and calls
            again.sample_transition_batch(32)
        for size in (7, 32, 7):
            np.testing.assert_array_equal(ahead.sample_transition_batch(size).observations,
                                          again.sample_transition_batch(size).observations)
    finally:
        ahead.close()
        again.close()


def test_task_views_and_merged_tables(toy_data):
    """Per-task subsets are index arrays into the shared flat data; concatenation remaps task/instruction ids."""
    from imagine_bench.data.rollouts import concatenate

    real, imaginary = toy_data
    both = concatenate([real, imaginary])
    assert both.tasks == ["left", "right", "down"]  # first-seen order: real tasks, then imaginary
    episode_of = both.transition_episode()
    for task in both.tasks:
        idx = both.transitions_of_tasks([task])
        assert len(idx) and (np.array(both.tasks)[both.task_ids[episode_of[idx]]] == task).all()
    assert len(both.transitions_of_tasks(both.tasks)) == both.n_transitions
    original = [real.instructions[k] for k in real.instruction_ids] + \
               [imaginary.instructions[k] for k in imaginary.instruction_ids]
    assert [both.instructions[k] for k in both.instruction_ids] == original
