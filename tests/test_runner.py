"""Runner guarantees: same seed = same run, crashes are recorded and close the tracker, runtime fields filled."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY

from imagine_bench.language import CachedEmbedder, HashingEmbedder
from imagine_bench.runner import run

TOY = ["env.name=toy", "logger=none", "embedder=hashing", *TINY]


def losses(run_dir):
    return np.loadtxt(run_dir / "d3rlpy" / "critic_loss.csv", delimiter=",")[:, 2]


def test_same_seed_repeats_exactly_and_another_seed_differs(compose_cfg, tmp_path):
    results = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        cfg = compose_cfg("algo=td3_plus_bc", "level=hard", f"seed={seed}", *TOY)
        results[name] = run(cfg, tmp_path / name)
    assert results["a"]["history"] == [{**h, "eval/seconds": results["a"]["history"][i]["eval/seconds"]}
                                       for i, h in enumerate(results["b"]["history"])]
    np.testing.assert_array_equal(losses(tmp_path / "a"), losses(tmp_path / "b"))
    assert not np.array_equal(losses(tmp_path / "a"), losses(tmp_path / "c"))


def test_crash_is_recorded_and_the_wandb_run_is_closed(compose_cfg, tmp_path, monkeypatch):
    import wandb

    import imagine_bench.runner as runner

    def broken_evaluator(*args, **kwargs):
        raise RuntimeError("simulated crash during evaluation")

    monkeypatch.setattr(runner, "Evaluator", broken_evaluator)
    cfg = compose_cfg("level=real", *[o for o in TOY if o != "logger=none"], "logger=wandb")
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(cfg, tmp_path / "crashed")
    results = json.loads((tmp_path / "crashed" / "results.json").read_text())
    assert results["status"] == "failed" and "simulated crash" in results["error"]
    assert list((tmp_path / "crashed" / "wandb").glob("offline-run-*"))
    assert wandb.run is None  # finished, so the next job of a sweep starts cleanly
    monkeypatch.undo()
    assert run(cfg, tmp_path / "next")["status"] == "completed"


def test_encoder_state_dim_is_filled_from_the_domain(compose_cfg, tmp_path):
    cfg = compose_cfg("level=real", *TOY)
    run(cfg, tmp_path)
    params = json.loads((tmp_path / "d3rlpy" / "params.json").read_text())
    assert params["config"]["params"]["encoder_factory"]["params"]["state_dim"] == 4


def test_embeddings_are_cached_on_disk(tmp_path):
    calls = []

    class Counting(HashingEmbedder):
        def embed(self, texts):
            calls.append(list(texts))
            return super().embed(texts)

    first = CachedEmbedder(Counting(16), tmp_path)
    vectors = first.embed(["pick it up", "put it down", "pick it up"])
    assert calls == [["pick it up", "put it down"]]  # each unique string embedded once
    second = CachedEmbedder(Counting(16), tmp_path)
    np.testing.assert_array_equal(second.embed(["put it down", "pick it up"]), vectors[[1, 0]])
    assert len(calls) == 1  # the new process-like instance read the file instead of embedding again


def test_observation_scaler_is_fitted_from_the_flat_buffer(compose_cfg, tmp_path):
    scaler = "algo.continuous.observation_scaler={_target_:d3rlpy.preprocessing.StandardObservationScaler}"
    cfg = compose_cfg("algo=td3_plus_bc", "level=hard", scaler, *TOY)
    assert run(cfg, tmp_path)["status"] == "completed"
    params = json.loads((tmp_path / "d3rlpy" / "params.json").read_text())["config"]["params"]
    fitted = params["observation_scaler"]
    assert fitted["type"] == "standard" and len(fitted["params"]["mean"]) == 4 + 64
    import d3rlpy

    algo = d3rlpy.load_learnable(str(tmp_path / "model.d3"))
    assert algo.observation_scaler.built
    np.testing.assert_allclose(algo.observation_scaler.mean, fitted["params"]["mean"], rtol=1e-6)
