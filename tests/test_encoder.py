"""LLaTA encoder: shapes for every d3rlpy entry point, registration, and save/load in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import d3rlpy
import numpy as np
import pytest
import torch

from encoders import LLaTAEncoderFactory

STATE, EMBED = 6, 10


@pytest.fixture()
def factory():
    return LLaTAEncoderFactory(state_dim=STATE, state_hidden=[16], instruction_hidden=[8], fusion_hidden=[24, 12])


def test_shapes(factory):
    x = torch.randn(5, STATE + EMBED)
    assert factory.create((STATE + EMBED,))(x).shape == (5, 12)
    assert factory.create_with_action((STATE + EMBED,), 3)(x, torch.randn(5, 3)).shape == (5, 12)
    discrete = factory.create_with_action((STATE + EMBED,), 4, discrete_action=True)
    assert discrete(x, torch.randint(0, 4, (5, 1))).shape == (5, 12)


def test_state_and_instruction_take_separate_paths(factory):
    encoder = factory.create((STATE + EMBED,))
    assert encoder.towers.state_tower[0].in_features == STATE
    assert encoder.towers.instruction_tower[0].in_features == EMBED


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="state_dim"):
        LLaTAEncoderFactory(state_dim=20).create((10,))
    with pytest.raises(ValueError, match="activation"):
        LLaTAEncoderFactory(state_dim=2, activation="sigmoidish")
    with pytest.raises(ValueError, match="flat observations"):
        LLaTAEncoderFactory(state_dim=2).create((3, 4))


def test_registered_with_d3rlpy():
    from d3rlpy.models.encoders import register_encoder_factory

    with pytest.raises(AssertionError, match="already registered"):  # d3rlpy refuses a second registration
        register_encoder_factory(LLaTAEncoderFactory)
    config = d3rlpy.algos.BCConfig(encoder_factory=LLaTAEncoderFactory(state_dim=3))
    restored = d3rlpy.algos.BCConfig.deserialize(config.serialize())
    assert restored.encoder_factory == config.encoder_factory


@pytest.mark.parametrize("config_cls", [d3rlpy.algos.TD3PlusBCConfig, d3rlpy.algos.IQLConfig])
def test_critics_build_with_the_encoder(factory, config_cls):
    fields = {f"{role}_encoder_factory": factory for role in ("actor", "critic", "value")
              if f"{role}_encoder_factory" in config_cls.__dataclass_fields__}
    algo = config_cls(**fields).create(device="cpu")
    algo.create_impl((STATE + EMBED,), 3)
    obs = np.random.randn(4, STATE + EMBED).astype(np.float32)
    assert algo.predict(obs).shape == (4, 3)
    assert algo.predict_value(obs, algo.predict(obs)).shape == (4,)


def test_saved_model_loads_back_in_a_fresh_process(factory, tmp_path):
    algo = d3rlpy.algos.TD3PlusBCConfig(actor_encoder_factory=factory, critic_encoder_factory=factory).create("cpu")
    algo.create_impl((STATE + EMBED,), 3)
    obs = np.random.default_rng(0).normal(size=(4, STATE + EMBED)).astype(np.float32)
    np.save(tmp_path / "obs.npy", obs)
    np.save(tmp_path / "expected.npy", algo.predict(obs))
    algo.save(str(tmp_path / "model.d3"))
    script = (
        "import numpy as np, d3rlpy, encoders\n"
        f"algo = d3rlpy.load_learnable({str(tmp_path / 'model.d3')!r})\n"
        f"obs = np.load({str(tmp_path / 'obs.npy')!r}); exp = np.load({str(tmp_path / 'expected.npy')!r})\n"
        "np.testing.assert_array_equal(algo.predict(obs), exp)\n"
        "print(type(algo.config.actor_encoder_factory).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("LLaTAEncoderFactory")
