"""A trained critic reproduces the discounted values of a small MDP through the suite's data path.

MDP (one action, reward 1 per step, gamma = 0.9, one-hot states):
* a chain s0 -> s1 -> s2 -> s3 -> end, where the step out of s3 is a true terminal: Q(s_k) = sum_{i<4-k} gamma^i;
* a self-loop state s4 whose episodes are cut by a time limit after 3 steps: Q(s4) = 1 / (1 - gamma) = 10.

Upstream ImagineBench's bugs each break it: ``interval = terminal`` makes targets undiscounted (Q(s0) = 4, Q(s4)
diverges), and marking time-outs terminal gives Q(s4) = 2.5. The second test shows the check catches the first.
"""

from __future__ import annotations

import numpy as np
import pytest

from imagine_bench.data.buffer import FlatReplayBuffer
from imagine_bench.data.rollouts import RolloutWriter
from imagine_bench.language import HashingEmbedder

GAMMA = 0.9
N_STATES = 5


def one_hot(k: int) -> np.ndarray:
    return np.eye(N_STATES, dtype=np.float32)[k]


def mdp_rollouts():
    writer = RolloutWriter(state_dim=N_STATES, goal_dim=0, discrete=True)
    common = {"task": "mdp", "instruction": "collect reward", "goal": np.zeros(0)}
    chain = [one_hot(k) for k in range(4)] + [np.zeros(N_STATES, np.float32)]
    writer.add(states=np.stack(chain), actions=np.zeros(4, int), rewards=np.ones(4), terminated=True, success=True,
               **common)
    loop = np.stack([one_hot(4)] * 4)
    writer.add(states=loop, actions=np.zeros(3, int), rewards=np.ones(3), terminated=False, success=False, **common)
    return writer.build()


def true_values() -> np.ndarray:
    chain = [sum(GAMMA**i for i in range(4 - k)) for k in range(4)]
    return np.array(chain + [1.0 / (1.0 - GAMMA)])


def trained_values(buffer: FlatReplayBuffer, embedder: HashingEmbedder) -> np.ndarray:
    import d3rlpy

    d3rlpy.seed(0)
    config = d3rlpy.algos.DiscreteCQLConfig(
        alpha=0.0,  # no conservative term: plain double DQN, whose fixed point is the true Q
        gamma=GAMMA, batch_size=64, learning_rate=3e-3, target_update_interval=25,
        encoder_factory=d3rlpy.models.VectorEncoderFactory(hidden_units=[32]),
    )
    algo = config.create(device="cpu")
    algo.fit(buffer, n_steps=3000, n_steps_per_epoch=3000, show_progress=False, save_interval=10**9,
             logger_adapter=d3rlpy.logging.NoopAdapterFactory())
    emb = embedder.embed(["collect reward"])[0]
    obs = np.stack([np.concatenate([one_hot(k), emb]) for k in range(N_STATES)])
    return algo.predict_value(obs, np.zeros(N_STATES, int))


def close_to_true(values: np.ndarray) -> bool:
    return bool(np.allclose(values, true_values(), rtol=0.05, atol=0.05))


def test_critic_learns_discounted_values_with_bootstrapped_timeouts():
    embedder = HashingEmbedder(4)
    buffer = FlatReplayBuffer(mdp_rollouts(), None, embedder, imaginary_share=None, seed=0, action_size=1)
    values = trained_values(buffer, embedder)
    assert close_to_true(values), f"learned {np.round(values, 2)}, expected {np.round(true_values(), 2)}"


class UpstreamIntervalBug(FlatReplayBuffer):
    """ImagineBench's mini-batch: ``intervals = terminals``, so gamma**0 = 1 on every non-terminal step."""

    def gather(self, indices):
        batch = super().gather(indices)
        object.__setattr__(batch, "intervals", batch.terminals.copy())
        return batch


class TimeoutsAsTerminals(FlatReplayBuffer):
    """ImagineBench's conversion: every episode end is a terminal, time-outs included."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.terminals[self.rollouts.starts + self.rollouts.lengths - 1] = True
        self._terminals_f = self.terminals.astype(np.float32)[:, None]


@pytest.mark.parametrize("buggy", [UpstreamIntervalBug, TimeoutsAsTerminals])
def test_the_check_fails_on_upstream_bugs(buggy):
    embedder = HashingEmbedder(4)
    buffer = buggy(mdp_rollouts(), None, embedder, imaginary_share=None, seed=0, action_size=1)
    values = trained_values(buffer, embedder)
    assert not close_to_true(values), f"{buggy.__name__} went unnoticed: {np.round(values, 2)}"
