"""The suite seen from other tools: d3rlpy loading and policy export, Gymnasium ids and rendering, d3rlpy and Minari
datasets, d3rlpy's CSV plots and the Optuna sweeper."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from conftest import CONFIGS, GL_BACKEND, ROOT, TINY, subprocess_env

import imagine_bench
from imagine_bench.language import HashingEmbedder

NAMESPACED_IDS = ["imagine_bench/MetaWorld-v0", "imagine_bench/BabyAI-v0", "imagine_bench/CLEVR-v0",
                  "imagine_bench/HalfCheetah-v0"]
needs_gl = pytest.mark.skipif(GL_BACKEND is None, reason="no headless OpenGL backend for MuJoCo (tried MUJOCO_GL=egl "
                              "and osmesa; apt install libosmesa6 or use a machine with EGL)")


def python(code: str, cache_dir: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """A fresh interpreter in the repository root, so it imports this checkout's packages."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=subprocess_env(cache_dir), capture_output=True,
                          text=True, timeout=timeout)


# ------------------------------------------------------------------------------------------------ d3rlpy models
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """The default algorithm setup (BC, LLaTA encoder, fused Adam) built for a 4-d state + 8-d instruction, saved."""
    from hydra import compose, initialize_config_dir

    from algos import build_algo
    from imagine_bench.runner import fill_runtime_fields

    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("config", overrides=["encoder.state_hidden=[32]", "encoder.instruction_hidden=[16]",
                                           "encoder.fusion_hidden=[32]"])
    fill_runtime_fields(cfg, 4)
    algo = build_algo(cfg.algo, "continuous", "cpu:0")
    algo.create_impl((4 + 8,), 2)
    path = tmp_path_factory.mktemp("model") / "model.d3"
    algo.save(str(path))
    observations = np.random.default_rng(0).uniform(-1, 1, (16, 12)).astype(np.float32)
    return algo, path, observations


IMPORT_ORDERS = {
    # imagine_bench first stays light (no torch, no d3rlpy) and registers once d3rlpy is imported
    "imagine_bench first": "import sys, imagine_bench\nassert not {'torch', 'd3rlpy'} & set(sys.modules)\nimport d3rlpy",
    "d3rlpy first": "import d3rlpy, imagine_bench",
}


@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_load_learnable_after_importing_imagine_bench_only(saved_model, cache_dir, order):
    algo, path, observations = saved_model
    params = json.loads(algo.config.serialize())
    assert params["encoder_factory"]["type"] == "llata" and params["optim_factory"]["type"] == "fused_adam"
    code = (f"{IMPORT_ORDERS[order]}\nimport json, numpy as np\n"
            f"algo = d3rlpy.load_learnable({str(path)!r})\n"
            f"print(json.dumps(algo.predict(np.array({observations.tolist()!r}, np.float32)).tolist()))")
    out = python(code, cache_dir)
    assert out.returncode == 0, out.stderr[-3000:]
    np.testing.assert_allclose(json.loads(out.stdout.strip().splitlines()[-1]), algo.predict(observations), atol=1e-6)


def test_torchscript_export_gives_the_policys_actions(saved_model, cache_dir, tmp_path):
    import torch

    algo, path, observations = saved_model
    target = tmp_path / "policy.pt"
    out = subprocess.run([sys.executable, "-m", "imagine_bench.export", str(path), "--format", "torchscript",
                          "--out", str(target)], cwd=ROOT, env=subprocess_env(cache_dir), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    policy = torch.jit.load(str(target))
    with torch.no_grad():
        actions = policy(torch.from_numpy(observations)).numpy()
    np.testing.assert_allclose(actions, algo.predict(observations), atol=1e-6)


def test_onnx_export_gives_the_policys_actions(saved_model, tmp_path):
    pytest.importorskip("onnxscript", reason="ONNX export needs onnx and onnxscript (optional extra 'onnx')")
    from onnx.reference import ReferenceEvaluator

    from imagine_bench.export import export_policy

    algo, path, observations = saved_model
    target = export_policy(path, "onnx", tmp_path / "policy.onnx")
    [actions] = ReferenceEvaluator(str(target)).run(None, {"input_0": observations})  # a batch of 16: batch size free
    np.testing.assert_allclose(actions, algo.predict(observations), atol=1e-5)


# ------------------------------------------------------------------------------------------------ Gymnasium
def test_namespaced_ids_and_only_collision_free_aliases():
    for env_id in NAMESPACED_IDS:
        assert gym.spec(env_id).entry_point == "imagine_bench.env:ImagineBenchEnv"
    for alias in ("MetaWorld-v0", "BabyAI-v0", "CLEVR-v0", "Ball-v0", "Mujoco-v0"):
        assert gym.spec(alias).entry_point == "imagine_bench.env:ImagineBenchEnv"
    # Gymnasium's own HalfCheetah owns that name: the bare id is left to it
    assert "HalfCheetah-v0" not in gym.registry
    assert imagine_bench.make("imagine_bench/HalfCheetah-v0", embedder=HashingEmbedder(8)).domain.name == "halfcheetah"


def test_make_sets_a_spec_that_rebuilds_the_env():
    env = imagine_bench.make("toy", level="easy", embedder=HashingEmbedder(8))
    assert env.spec.id == "imagine_bench/Toy-v0" and env.spec.kwargs["level"] == "easy"
    again = gym.make(env.spec)
    assert again.unwrapped.level == "easy" and again.observation_space == env.observation_space


@needs_gl
@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum) value is")
@pytest.mark.parametrize("env_id", NAMESPACED_IDS)
def test_check_env_and_an_rgb_frame_for_every_domain(env_id):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, level="hard", render_mode="rgb_array", embedder=HashingEmbedder(8))
    try:
        check_env(env.unwrapped)
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        frame = env.render()
        expected = (256, 256, 3) if "BabyAI" not in env_id else (8 * 32, 8 * 32, 3)
        assert frame.shape == expected and frame.dtype == np.uint8 and frame.std() > 0
    finally:
        env.close()


def test_known_bounds_are_finite():
    for name, state_finite in (("babyai", True), ("clevr", True), ("metaworld", False)):
        space = imagine_bench.make(name, embedder=HashingEmbedder(8)).observation_space
        assert np.isfinite(space.low[-8:]).all() and np.isfinite(space.high[-8:]).all()  # unit-norm embedding
        assert np.isfinite(space.low[:-8]).all() == state_finite


# ------------------------------------------------------------------------------------------------ datasets
@pytest.fixture()
def toy_env(cache_dir):
    return imagine_bench.make("toy", level="hard", embedder=HashingEmbedder(8), horizon=30,
                              dataset={"real_episodes_per_task": 4, "imaginary_episodes_per_task": 4,
                                       "cache_dir": cache_dir, "progress": False})


def test_readme_d3rlpy_conversion_keeps_every_transition(toy_env):
    real, imaginary = toy_env.get_rollouts()
    replay = real.to_d3rlpy(toy_env.embedder)
    assert replay.transition_count == real.n_transitions
    padded, _ = toy_env.get_dataset()
    assert padded["masks"].shape == (*padded["observations"].shape[:2], 1)
    assert int(padded["masks"].sum()) == real.n_transitions
    last = real.starts + real.lengths + np.arange(real.n_episodes)  # row of each episode's final state
    np.testing.assert_array_equal(padded["final_observations"][:, :4], real.states[last])


def test_minari_round_trip(cache_dir, tmp_path, monkeypatch, capsys):
    import minari

    from imagine_bench.data import load_datasets
    from imagine_bench.export import main

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    main(["minari", "env.name=toy", "level=hard", "embedder=hashing", "embedder.dim=8", "env.horizon=30",
          "data.real_episodes_per_task=3", "data.imaginary_episodes_per_task=3", f"data.cache_dir={cache_dir}",
          "progress=false", "--dataset-id", "imagine_bench/toy/hard-v0"])
    assert "imagine_bench/toy/hard-v0" in capsys.readouterr().out
    dataset = minari.load_dataset("imagine_bench/toy/hard-v0")
    real, imaginary = load_datasets("toy", "hard", horizon=30, real_episodes_per_task=3, imaginary_episodes_per_task=3,
                                    cache_dir=cache_dir, progress=False, imagination=_default_imagination())
    assert dataset.total_episodes == real.n_episodes + imaginary.n_episodes
    assert dataset.total_steps == real.n_transitions + imaginary.n_transitions
    metadata = list(dataset.storage.get_episode_metadata(range(dataset.total_episodes)))
    embeddings = HashingEmbedder(8)
    for k, episode in enumerate(dataset.iterate_episodes()):
        source, rollouts, i = ("real", real, k) if k < real.n_episodes else ("imaginary", imaginary, k - real.n_episodes)
        steps, states = rollouts.episode_slice(i)
        instruction = rollouts.instructions[rollouts.instruction_ids[i]]
        assert metadata[k]["task"] == rollouts.tasks[rollouts.task_ids[i]] and metadata[k]["instruction"] == instruction
        assert metadata[k]["source"] == source
        np.testing.assert_array_equal(episode.observations[:, :4], rollouts.states[states])  # L + 1 observations
        np.testing.assert_array_equal(episode.observations[0, 4:], embeddings.embed([instruction])[0])
        np.testing.assert_array_equal(episode.actions, rollouts.actions[steps])
        np.testing.assert_allclose(episode.rewards, rollouts.rewards[steps])
        terminated = bool(rollouts.terminated[i])
        assert episode.terminations[-1] == terminated and episode.truncations[-1] == (not terminated)
        assert not episode.terminations[:-1].any() and not episode.truncations[:-1].any()
    assert any(rollouts.terminated.any() and (~rollouts.terminated).any() for rollouts in (real, imaginary))


def _default_imagination():
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return instantiate(compose("config").imagination)


# ------------------------------------------------------------------------------------------------ sweeps and plots
def test_two_trial_optuna_sweep_on_the_toy_domain_and_d3rlpy_plot(cache_dir, tmp_path, monkeypatch):
    """The README's sweep (hparams_search=bc_optuna) shrunk to two trials; each trial returns its training-level
    success to Optuna, and d3rlpy's plot command reads the success CSV a trial wrote."""
    import launch as launch_module

    sweep = tmp_path / "sweep"
    monkeypatch.setattr(sys, "argv", ["launch.py", "hparams_search=bc_optuna", "hydra.sweeper.n_trials=2",
                                      "env.name=toy", "logger=none", f"hydra.sweep.dir={sweep}",
                                      f"data.cache_dir={cache_dir}", *TINY])
    launch_module.main()
    trials = sorted(sweep.glob("*/results.json"))
    assert len(trials) == 2
    results = [json.loads(p.read_text()) for p in trials]
    assert all(r["status"] == "completed" for r in results)
    assert len({r["config"]["algo"]["continuous"]["learning_rate"] for r in results}) == 2  # Optuna varied it
    best = (sweep / "optimization_results.yaml").read_text()
    assert "best_value" in best and float(best.split("best_value:")[1].split()[0]) == max(
        r["success"]["hard"] for r in results)
    csv = trials[0].parent / "d3rlpy" / "eval_hard_success.csv"
    rows = np.loadtxt(csv, delimiter=",", ndmin=2)
    assert rows[:, 1].tolist() == [100, 200] and rows[-1, 2] == results[0]["success"]["hard"]
    out = subprocess.run([str(Path(sys.executable).parent / "d3rlpy"), "plot", str(csv), "--show-steps", "--save",
                          str(tmp_path / "success.png")], env=subprocess_env(cache_dir), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and (tmp_path / "success.png").stat().st_size > 0, out.stderr[-2000:]


def test_tab_completion_for_the_readme_invocation(cache_dir):
    line = ".venv/bin/python launch.py algo="
    script = (f"source completion.bash; COMP_LINE={line!r}; COMP_POINT={len(line)}; "
              "_imagine_bench_launch_complete; echo \"${COMPREPLY[*]}\"")
    env = subprocess_env(cache_dir)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    out = subprocess.run(["bash", "-c", script.replace(".venv/bin/python", sys.executable)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and {"algo=bc", "algo=iql", "algo=td3_plus_bc"} <= set(out.stdout.split()), out.stderr


def test_dataset_files_describe_themselves(tmp_path, toy_env):
    import h5py

    from imagine_bench.data import store

    real, _ = toy_env.get_rollouts()
    path = store.save(tmp_path / "real.h5", real)
    with h5py.File(path, "r") as f:
        assert "episode i owns transitions" in f.attrs["layout"].lower()
        for name in f:
            assert f[name].attrs["description"], name
    assert store.checksum(store.load(path)) == store.checksum(real)


def test_evaluation_videos_go_to_the_run_directory_and_wandb(launch, tmp_path):
    results = launch(tmp_path, "env=babyai", "level=easy", "algo=bc", "logger=wandb", "eval.video=true",
                     "eval.video_episodes=2", *TINY)
    assert results["status"] == "completed"
    import imageio.v3 as iio

    for level in ("real", "easy"):
        frames = iio.imread(tmp_path / "videos" / f"{level}_step200.gif")
        assert frames.ndim == 4 and frames.shape[0] >= 3 and frames.shape[-1] in (3, 4)
    assert len(list(tmp_path.glob("wandb/offline-run-*/files/media/videos/video/*.gif"))) == 2
