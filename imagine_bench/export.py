"""Hand the suite's models and datasets to other tools.

    python -m imagine_bench.export policy outputs/.../model.d3 --format torchscript   # or: export model.d3 --format ...
    python -m imagine_bench.export minari env=metaworld level=hard --dataset-id imagine_bench/metaworld/hard-v0

``policy``: d3rlpy's ``save_policy`` (TorchScript ``.pt`` or ONNX ``.onnx``): the greedy policy with the observation
scaler and action scaler folded in, runnable without d3rlpy or this package. The input is the flat observation
``state ++ instruction embedding``, as in the Gymnasium envs. d3rlpy's own ``d3rlpy export`` command cannot load the
suite's models because it cannot import the plugins that rebuild them; ``import imagine_bench`` (done here) does.

``minari``: the training data of a run configuration (the same Hydra overrides as ``launch.py``) as a Minari dataset.
Each episode keeps all of its ``L + 1`` observations, so the last step of an episode cut by the time limit keeps its
next observation; ``terminations`` is set only at a solved episode's last step and ``truncations`` only at a
timed-out one's. Episode metadata carries ``task``, ``instruction``, ``source`` (real or imaginary) and ``success``.
Minari's ``DataCollector`` needs jax, so the episodes are written with ``minari.create_dataset_from_buffers`` from
hand-built ``EpisodeBuffer``s and the metadata with ``MinariStorage.update_episode_metadata`` (both jax-free).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import imagine_bench  # noqa: F401  (registers the suite's d3rlpy plugins and Gymnasium ids)
from imagine_bench.data.rollouts import Rollouts
from imagine_bench.language import InstructionEmbedder

POLICY_SUFFIXES = {"torchscript": ".pt", "onnx": ".onnx"}


# ------------------------------------------------------------------------------------------------------------ policy
def export_policy(model_path: str | os.PathLike, fmt: str = "torchscript", out: str | os.PathLike | None = None) -> Path:
    """Write the greedy policy of a saved ``model.d3`` as TorchScript or ONNX; returns the written path."""
    from imagine_bench.safe_load import load_policy

    if fmt not in POLICY_SUFFIXES:
        raise ValueError(f"--format must be one of {sorted(POLICY_SUFFIXES)}, got {fmt!r}")
    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"model file {model_path} does not exist (a run writes <run dir>/model.d3)")
    target = Path(out) if out is not None else model_path.with_suffix(POLICY_SUFFIXES[fmt])
    if target.suffix != POLICY_SUFFIXES[fmt]:
        raise ValueError(f"--out for --format {fmt} must end in {POLICY_SUFFIXES[fmt]} (d3rlpy picks the format "
                         f"from the suffix), got {target}")
    if fmt == "onnx":
        _require("onnx", "ONNX export needs the onnx and onnxscript packages (pip install onnx onnxscript)")
    algo = load_policy(model_path, device="cpu:0")  # runs no code from the file, unlike d3rlpy.load_learnable
    target.parent.mkdir(parents=True, exist_ok=True)
    with _traced_onnx_export() if fmt == "onnx" else contextlib.nullcontext():
        algo.save_policy(str(target))
    return target


@contextlib.contextmanager
def _traced_onnx_export():
    """Make d3rlpy's ``save_policy`` ONNX path work on torch >= 2.9 and keep the batch size free.

    d3rlpy traces the policy into a TorchScript function and hands that to ``torch.onnx.export``, whose default since
    torch 2.9 is the ``torch.export`` (dynamo) path, which cannot take a TorchScript function; the TorchScript-based
    exporter (``dynamo=False``) can. d3rlpy also names no dynamic axes, which would fix the batch size at 1.
    """
    import torch

    original = torch.onnx.export

    def export(*args: Any, **kwargs: Any) -> Any:
        names = [*kwargs.get("input_names", []), *kwargs.get("output_names", [])]
        kwargs.setdefault("dynamic_axes", {name: {0: "batch"} for name in names})
        return original(*args, dynamo=False, **kwargs)

    torch.onnx.export = export
    try:
        yield
    finally:
        torch.onnx.export = original


def _require(module: str, message: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise SystemExit(message)


# ------------------------------------------------------------------------------------------------------------ minari
def rollouts_to_episode_buffers(rollouts: Rollouts, embedder: InstructionEmbedder, first_id: int = 0) -> list[Any]:
    """One Minari ``EpisodeBuffer`` per episode: ``L + 1`` observations, ``L`` actions, rewards, terminations and
    truncations (exactly one of the two set, at the last step)."""
    from minari.data_collector import EpisodeBuffer

    embeddings = embedder.embed(rollouts.instructions).astype(np.float32)
    buffers = []
    for i in range(rollouts.n_episodes):
        steps, states = rollouts.episode_slice(i)
        length = int(rollouts.lengths[i])
        obs_states = rollouts.states[states]
        observations = np.concatenate(
            [obs_states, np.broadcast_to(embeddings[rollouts.instruction_ids[i]], (length + 1, embedder.dim))], axis=1)
        end = np.zeros(length, bool)
        end[-1] = True
        terminated = bool(rollouts.terminated[i])
        buffers.append(EpisodeBuffer(
            id=first_id + i, observations=observations.astype(np.float32), actions=rollouts.actions[steps],
            rewards=rollouts.rewards[steps].astype(np.float64), terminations=end & terminated,
            truncations=end & (not terminated), infos={},
        ))
    return buffers


def episode_metadata(rollouts: Rollouts, source: str) -> list[dict[str, Any]]:
    return [
        {"task": rollouts.tasks[rollouts.task_ids[i]], "instruction": rollouts.instructions[rollouts.instruction_ids[i]],
         "source": source, "success": bool(rollouts.success[i]), "goal": rollouts.goals[i]}
        for i in range(rollouts.n_episodes)
    ]


def export_minari(
    dataset_id: str, parts: Sequence[tuple[str, Rollouts]], embedder: InstructionEmbedder, env_id: str, level: str,
    description: str | None = None,
) -> Any:
    """Write ``parts`` (``[("real", rollouts), ("imaginary", rollouts)]``) as one Minari dataset; returns it.

    The dataset lands under ``$MINARI_DATASETS_PATH`` (Minari's default ``~/.minari/datasets``). The env spec recorded
    is the namespaced Gymnasium id with ``level``, so ``dataset.recover_environment()`` rebuilds the env (after
    ``import imagine_bench``).
    """
    import dataclasses
    import warnings

    import gymnasium as gym
    import minari

    from imagine_bench.domains import get_domain
    from imagine_bench.env import observation_space

    spec = gym.spec(env_id)
    spec = dataclasses.replace(spec, kwargs={**spec.kwargs, "level": level})
    domain = get_domain(spec.kwargs["domain"])
    buffers, metadata = [], []
    for source, rollouts in parts:
        buffers += rollouts_to_episode_buffers(rollouts, embedder, first_id=len(buffers))
        metadata += episode_metadata(rollouts, source)
    with warnings.catch_warnings():  # Minari's advice to add a code permalink and an author e-mail
        warnings.filterwarnings("ignore", message=r".*(code_permalink|author_email)` is set to None", category=UserWarning)
        dataset = minari.create_dataset_from_buffers(
            dataset_id, buffers, env=spec, eval_env=spec, observation_space=observation_space(domain, embedder),
            action_space=domain.action_space, author="imagine_bench",
            algorithm_name="imagine_bench scripted experts (real) and imagination backend (imaginary)",
            description=description or f"imagine_bench {env_id} level={level}: " + ", ".join(
                f"{source} ({r.n_episodes} episodes)" for source, r in parts),
            data_format="hdf5",
        )
    dataset.storage.update_episode_metadata(metadata, range(len(metadata)))
    return dataset


def minari_from_config(overrides: Sequence[str], dataset_id: str | None, sources: str) -> Any:
    """Compose the run config (``configs/``) with ``overrides``, load its datasets and export them to Minari."""
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from imagine_bench.data import load_datasets
    from imagine_bench.domains import get_domain
    from imagine_bench.language import CachedEmbedder
    from imagine_bench.levels import Level
    from imagine_bench.paths import configs_dir

    with initialize_config_dir(config_dir=str(configs_dir()), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    domain, level = get_domain(cfg.env.name), Level(cfg.level.name)
    imagination = instantiate(cfg.imagination) if level.uses_imaginary_data else None
    real, imaginary = load_datasets(
        domain, level, horizon=cfg.env.horizon, real_episodes_per_task=cfg.data.real_episodes_per_task,
        imaginary_episodes_per_task=cfg.data.imaginary_episodes_per_task, imagination=imagination,
        seed=cfg.data.seed, cache_dir=cfg.data.cache_dir, progress=cfg.progress,
    )
    parts = [("real", real)] if sources in ("real", "both") else []
    if sources in ("imaginary", "both") and imaginary is not None:
        parts.append(("imaginary", imaginary))
    if not parts:
        raise SystemExit(f"--sources {sources} selects nothing for level={level} (level=real has no imaginary data)")
    embedder = CachedEmbedder(instantiate(cfg.embedder), cfg.data.cache_dir)
    try:
        return export_minari(dataset_id or f"imagine_bench/{domain.name}/{level}-v0", parts, embedder,
                             f"imagine_bench/{domain.env_id}", level)
    finally:
        embedder.flush()


# ------------------------------------------------------------------------------------------------------------ CLI
def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m imagine_bench.export", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    policy = commands.add_parser("policy", help="a saved model.d3 as a TorchScript or ONNX policy")
    policy.add_argument("model", help="path to a model.d3 written by a run")
    policy.add_argument("--format", choices=sorted(POLICY_SUFFIXES), default="torchscript")
    policy.add_argument("--out", default=None, help="output file (default: next to the model, .pt or .onnx)")
    mnr = commands.add_parser("minari", help="a run configuration's datasets as a Minari dataset")
    mnr.add_argument("overrides", nargs="*", help="Hydra overrides as for launch.py (env=..., level=..., data.*)")
    mnr.add_argument("--dataset-id", default=None, help="default imagine_bench/<env>/<level>-v0")
    mnr.add_argument("--sources", choices=("real", "imaginary", "both"), default="both")
    mnr.add_argument("--root", default=None, help="Minari dataset root (default $MINARI_DATASETS_PATH or ~/.minari)")
    if argv and argv[0] not in ("policy", "minari") and not argv[0].startswith("-"):
        argv = ["policy", *argv]  # `export model.d3 --format onnx` reads as the policy command
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "policy":
        print(export_policy(args.model, args.format, args.out))
    else:
        if args.root is not None:
            os.environ["MINARI_DATASETS_PATH"] = str(Path(args.root).resolve())
        dataset = minari_from_config(args.overrides, args.dataset_id, args.sources)
        print(f"{dataset.spec.dataset_id}: {dataset.total_episodes} episodes, {dataset.total_steps} steps "
              f"in {dataset.storage.data_path}")


if __name__ == "__main__":
    main()
