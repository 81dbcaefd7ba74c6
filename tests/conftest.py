"""Shared fixtures: one CPU thread, offline W&B, a headless MUJOCO_GL, a session-wide dataset/embedding cache, Hydra
compose helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["WANDB_MODE"] = "offline"
os.environ.setdefault("WANDB_SILENT", "true")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))  # launch.py

import imagine_bench  # noqa: E402,F401
import toy_domain  # noqa: E402,F401  (registers the toy domain)
from imagine_bench.paths import configs_dir  # noqa: E402
from imagine_bench.rendering import choose_gl_backend  # noqa: E402

CONFIGS = configs_dir()

# MuJoCo fixes its OpenGL backend at its first import, so the session's MUJOCO_GL is chosen here, before any test
# imports mujoco: the user's value if set, else the first of egl, osmesa that renders headless and cleanly (osmesa on
# the 2-core CPU VM, whose Mesa EGL renders but errors when freeing its context). None: rendering tests skip.
GL_BACKEND = choose_gl_backend()

# Small, fast settings shared by the end-to-end tests (a few hundred steps, tiny datasets, short horizon).
TINY = [
    "data.real_episodes_per_task=2", "data.imaginary_episodes_per_task=2",
    "eval.episodes_per_task=1", "eval.workers=0", "env.horizon=40", "steps=200", "eval.interval=100", "progress=false",
    "encoder.state_hidden=[32]", "encoder.instruction_hidden=[16]", "encoder.fusion_hidden=[32]",
]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """Datasets and embeddings shared by every test in the session (generated once)."""
    path = tmp_path_factory.mktemp("imagine_bench_cache")
    os.environ["IMAGINE_BENCH_CACHE"] = str(path)
    return path


@pytest.fixture()
def compose_cfg(cache_dir):
    """``compose_cfg(*overrides)``: the launch config composed with Hydra's compose API."""
    from hydra import compose, initialize_config_dir

    def _compose(*overrides: str):
        with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
            return compose("config", overrides=[f"data.cache_dir={cache_dir}", *overrides])

    return _compose


@pytest.fixture(scope="session")
def minilm():
    from imagine_bench.language import CachedEmbedder, MiniLMEmbedder

    return CachedEmbedder(MiniLMEmbedder(), None)


@pytest.fixture()
def launch(cache_dir, monkeypatch):
    """Run ``launch.py`` in-process with the given overrides; returns the run's results.json as a dict."""
    import json

    import launch as launch_module

    def _launch(run_dir: Path, *overrides: str) -> dict:
        argv = ["launch.py", f"data.cache_dir={cache_dir}", f"hydra.run.dir={run_dir}", *overrides]
        monkeypatch.setattr(sys, "argv", argv)
        launch_module.main()
        return json.loads((run_dir / "results.json").read_text())

    return _launch


def subprocess_env(cache_dir: Path) -> dict:
    env = dict(os.environ, IMAGINE_BENCH_CACHE=str(cache_dir), OMP_NUM_THREADS="1", WANDB_MODE="offline")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    return env
