"""Saved models and cached checkpoints load without running code from the file: planted pickles are refused."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch
from conftest import TINY

import imagine_bench
from imagine_bench.domains import get_domain
from imagine_bench.safe_load import UnsafeFileError


class Payload:
    """Unpickling this object runs a shell command (what an attacker would plant)."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, cache_dir):
    from hydra import compose, initialize_config_dir
    from conftest import CONFIGS

    from imagine_bench.runner import run

    run_dir = tmp_path_factory.mktemp("safe_load_run")
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("config", overrides=[f"data.cache_dir={cache_dir}", "env.name=toy", "logger=none",
                                           "embedder=hashing", "level=real", "algo=td3_plus_bc", *TINY])
    assert run(cfg, run_dir)["status"] == "completed"
    return run_dir


def test_load_policy_restores_the_trained_model(trained_run):
    import d3rlpy

    import algos  # noqa: F401
    import encoders  # noqa: F401

    safe = imagine_bench.load_policy(trained_run / "model.d3")
    reference = d3rlpy.load_learnable(str(trained_run / "model.d3"))  # our own file, just written
    observations = np.random.default_rng(0).normal(size=(5, safe.impl.observation_shape[0])).astype(np.float32)
    np.testing.assert_array_equal(safe.predict(observations), reference.predict(observations))
    periodic = imagine_bench.load_policy(trained_run / "d3rlpy" / "model_200.d3")  # checkpoints load the same way
    np.testing.assert_array_equal(periodic.predict(observations), safe.predict(observations))


@pytest.mark.parametrize("where", ["outer", "weights"])
def test_planted_model_file_runs_no_code_and_names_the_file(trained_run, tmp_path, where):
    marker = tmp_path / "marker"
    planted = tmp_path / "model.d3"
    if where == "outer":
        planted.write_bytes(pickle.dumps({"torch": b"", "config": Payload(marker), "version": "2.8.0"}))
    else:  # a well-formed outer dict whose weights blob is a malicious torch pickle
        original = pickle.loads((trained_run / "model.d3").read_bytes())  # our own file, just written
        import io

        blob = io.BytesIO()
        torch.save({"policy": Payload(marker)}, blob)
        planted.write_bytes(pickle.dumps({**original, "torch": blob.getvalue()}))
    with pytest.raises(UnsafeFileError) as info:
        imagine_bench.load_policy(planted)
    assert str(planted) in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("file_name", ["model.pt", "train_state.pt"])
def test_planted_kalm_checkpoint_runs_no_code_and_names_the_file(tmp_path, file_name):
    from test_kalm import real_data, tiny_backend

    domain = get_domain("toy")
    backend = tiny_backend(tmp_path, steps=4)
    real = real_data(domain, tmp_path)
    directory = backend.checkpoint_dir(domain, real)
    directory.mkdir(parents=True)
    marker = tmp_path / "marker"
    torch.save({"state_dict": {}, "stats": Payload(marker)}, directory / file_name)
    with pytest.raises(UnsafeFileError) as info:
        backend.prepare(domain, real, progress=False)
    assert str(directory / file_name) in str(info.value)
    assert not marker.exists()
