"""The Gymnasium env every domain is seen through (toy domain here; Meta-World in domains/test_meta_world.py)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import imagine_bench
from imagine_bench.language import HashingEmbedder


@pytest.mark.parametrize("level", imagine_bench.LEVELS)
def test_api_for_every_level(level):
    env = imagine_bench.make("toy", level=level, embedder=HashingEmbedder(8))
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs.shape == (4 + 8,)
    assert info["task"] in env.tasks and info["instruction"] in env.domain.instructions(level, info["task"])
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert isinstance(reward, float) and isinstance(terminated, bool) and isinstance(truncated, bool)
    assert set(info) >= {"is_success", "task", "instruction"}


def test_gymnasium_registration_and_unknown_ids():
    env = gym.make("Toy-v0", level="easy", embedder=HashingEmbedder(8))
    env.reset(seed=1)
    with pytest.raises(ValueError, match="unknown env 'Nope-v0'; expected one of"):
        imagine_bench.make("Nope-v0")
    with pytest.raises(ValueError, match="unknown level 'medium'; expected one of real, rephrase, easy, hard"):
        imagine_bench.make("toy", level="medium", embedder=HashingEmbedder(8))


def test_terminated_on_success_truncated_at_horizon():
    env = imagine_bench.make("toy", level="real", horizon=5, embedder=HashingEmbedder(8))
    env.reset(seed=0, options={"task": "left"})
    for _ in range(5):
        _, _, terminated, truncated, _ = env.step(np.zeros(2, np.float32))
    assert truncated and not terminated
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(2, np.float32))
    env = imagine_bench.make("toy", level="real", horizon=30, embedder=HashingEmbedder(8))
    obs, info = env.reset(seed=0, options={"task": "left"})
    sim = env.simulator("left")
    for _ in range(30):
        obs, reward, terminated, truncated, info = env.step(sim.expert_action())
        if terminated or truncated:
            break
    assert terminated and not truncated and info["is_success"] and reward > 1.0


def test_same_seed_same_episode_and_options_pin_everything():
    env = imagine_bench.make("toy", level="real", embedder=HashingEmbedder(8))
    a, info_a = env.reset(seed=7)
    b, info_b = env.reset(seed=7)
    np.testing.assert_array_equal(a, b)
    assert info_a["instruction"] == info_b["instruction"]
    _, info = env.reset(options={"task": "right", "start_seed": 3, "instruction": 1})
    assert info["task"] == "right" and info["instruction"] == env.domain.instructions("real", "right")[1]
    with pytest.raises(ValueError, match="not part of level"):
        env.reset(options={"task": "up"})


def test_get_dataset_layout(cache_dir):
    env = imagine_bench.make("toy", level="hard", embedder=HashingEmbedder(8),
                             dataset={"real_episodes_per_task": 2, "imaginary_episodes_per_task": 2,
                                      "cache_dir": cache_dir, "progress": False})
    real, imaginary = env.get_dataset()
    for data in (real, imaginary):
        n, t, d = data["observations"].shape
        assert d == 4 + 8 and data["rewards"].shape == (n, t, 1) and data["masks"].shape == (n, t, 1)
        assert (data["terminals"] + data["timeouts"]).sum() == n
    assert set(imaginary["tasks"]) == {"down"}
    assert env.get_dataset("real")[1] is None
