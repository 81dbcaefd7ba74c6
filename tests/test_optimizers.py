"""The suite's optimizer factory: fused on CPU, same updates as d3rlpy's Adam, and saved models load back."""

from __future__ import annotations

import subprocess
import sys

import d3rlpy
import numpy as np
import pytest
import torch
from d3rlpy.dataset import TransitionMiniBatch

from algos import FusedAdamFactory
from encoders import LLaTAEncoderFactory

STATE, EMBED, ACTIONS = 5, 8, 3


def td3_plus_bc(optimizer: d3rlpy.optimizers.OptimizerFactory):
    encoder = LLaTAEncoderFactory(state_dim=STATE, state_hidden=[16], instruction_hidden=[8], fusion_hidden=[16])
    d3rlpy.seed(0)
    algo = d3rlpy.algos.TD3PlusBCConfig(batch_size=32, actor_encoder_factory=encoder, critic_encoder_factory=encoder,
                                        actor_optim_factory=optimizer, critic_optim_factory=optimizer).create("cpu:0")
    algo.create_impl((STATE + EMBED,), ACTIONS)
    return algo


def batch(rng: np.random.Generator, size: int = 32) -> TransitionMiniBatch:
    obs = rng.normal(size=(size, STATE + EMBED)).astype(np.float32)
    ones = np.ones((size, 1), np.float32)
    return TransitionMiniBatch(
        observations=obs, actions=rng.uniform(-1, 1, (size, ACTIONS)).astype(np.float32),
        rewards=rng.normal(size=(size, 1)).astype(np.float32), next_observations=obs[::-1].copy(),
        next_actions=np.zeros((size, ACTIONS), np.float32), terminals=0 * ones, intervals=ones, transitions=[],
    )


def test_fused_kernel_on_cpu():
    optimizer = FusedAdamFactory().create_optimizer([("m", torch.nn.Linear(3, 2))], lr=1e-3)
    assert optimizer.defaults["fused"] is True


def test_same_updates_as_d3rlpy_adam():
    trained = []
    for optimizer in (d3rlpy.optimizers.AdamFactory(), FusedAdamFactory()):
        algo = td3_plus_bc(optimizer)  # seeds torch: same initial networks, same target-smoothing noise
        rng = np.random.default_rng(0)
        losses = [algo.update(batch(rng)) for _ in range(20)]
        trained.append((algo, losses[-1]))
    (stock, stock_loss), (fused, fused_loss) = trained
    assert stock_loss.keys() == fused_loss.keys()
    for name in ("policy", "q_funcs"):
        params = zip(getattr(stock.impl.modules, name).parameters(), getattr(fused.impl.modules, name).parameters())
        for a, b in params:
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_saved_model_with_fused_adam_loads_back_in_a_fresh_process(tmp_path):
    algo = td3_plus_bc(FusedAdamFactory())
    algo.update(batch(np.random.default_rng(0)))
    algo.save(str(tmp_path / "model.d3"))
    script = (
        "import d3rlpy, algos, encoders\n"
        f"algo = d3rlpy.load_learnable({str(tmp_path / 'model.d3')!r})\n"
        "print(type(algo.config.critic_optim_factory).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("FusedAdamFactory")


@pytest.mark.parametrize("group_option", ["adam", "fused_adam"])
def test_optimizer_group_reaches_every_optim_factory(compose_cfg, group_option):
    from algos import build_algo

    cfg = compose_cfg("algo=cql", f"optimizer={group_option}", "encoder=mlp")
    algo = build_algo(cfg.algo, "continuous", "cpu:0")
    expected = FusedAdamFactory if group_option == "fused_adam" else d3rlpy.optimizers.AdamFactory
    for field in ("actor_optim_factory", "critic_optim_factory", "temp_optim_factory", "alpha_optim_factory"):
        assert type(getattr(algo.config, field)) is expected
