"""The ``kalm`` imagination backend: a language model grounded on real rollouts writes rollouts of novel tasks.

Pipeline (KALM, Liu et al., NeurIPS 2024):

1. Receive the level-independent REAL dataset (training tasks, training instructions) from the data layer, which has
   just loaded it with the same horizon and data seed as the imaginary dataset being generated.
2. Train the model on the four grounding tasks jointly (:mod:`.training`), or reuse a finished checkpoint from the
   cache (``<cache_dir>/kalm/<domain>/<key>/``, key = hash of the training settings and the real dataset's checksum).
   An interrupted training run resumes from its last training-state checkpoint.
3. For each task of the level and each of its phrasings in turn, start from a REAL start state (``sim.reset`` with the
   suite's ``imaginary`` episode seeds, the scripted backend's protocol) and generate a rollout (:mod:`.generation`),
   stopping early once the task's state-based success test accepts a generated state.
4. Recompute rewards, terminals and success from the generated states with the domain's functions
   (:func:`imagine_bench.imagination.base.relabel`) and write :class:`Rollouts` with metadata (model, checkpoint
   hash, training settings and losses, seed, malformed-output counts, timings).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from filelock import FileLock
from tqdm.auto import tqdm

from imagine_bench.data.rollouts import Rollouts, RolloutWriter
from imagine_bench.domains import Domain
from imagine_bench.imagination.base import ImaginationBackend, relabel
from imagine_bench.imagination.kalm.generation import MALFORMED_KEYS, generate_batch, state_bounds
from imagine_bench.imagination.kalm.model import (
    KALMModel, build_language_model, load_tokenizer, real_statistics,
)
from imagine_bench.imagination.kalm.prompts import PromptBuilder
from imagine_bench.imagination.kalm.training import GroundingData, TrainSettings, train
from imagine_bench.paths import default_cache_dir
from imagine_bench.safe_load import load_torch_file
from imagine_bench.seeding import episode_seed
from imagine_bench.storage import atomic_write

CHECKPOINT_VERSION = 1

DEFAULT_MODEL: dict[str, Any] = {
    "layers": 2, "hidden": 128, "heads": 4, "intermediate": 512, "max_positions": 1024,
    "token_init": "minilm",  # minilm | random: initial token embeddings of the default model
    "freeze_token_embeddings": True,  # unseen words of novel phrasings stay in the space the seen words live in
    "tie_text_head": True,  # the text head reuses the (frozen) token embeddings: no 30k x hidden matrix to train
    "gradient_checkpointing": False,
}
DEFAULT_LORA: dict[str, Any] = {"r": 0, "alpha": 16, "dropout": 0.05}
DEFAULT_GENERATION: dict[str, Any] = {"batch_size": 256, "state_margin": 0.1}


def _plain(value: Any) -> Any:
    """Hydra hands nested settings over as DictConfig / ListConfig; turn them into plain containers."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(value, DictConfig | ListConfig):
            return OmegaConf.to_container(value, resolve=True)
    except ImportError:  # pragma: no cover
        pass
    return copy.deepcopy(value)


def _hash(obj: Any, n: int = 12) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:n]


def file_hash(path: Path, n: int = 16) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:n]


class KALMImagination(ImaginationBackend):
    """See the module docstring. ``model_path=None`` = the small default Llama trained from scratch on CPU."""

    name = "kalm"
    grounded_on_real = True

    def __init__(
        self,
        model_path: str | None = None,
        model: dict[str, Any] | None = None,
        lora: dict[str, Any] | None = None,
        train: dict[str, Any] | None = None,
        generation: dict[str, Any] | None = None,
        precision: str = "auto",
        device: str = "cpu",
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        self.model_path = None if model_path in (None, "", "null") else str(model_path)
        self.model_cfg = {**DEFAULT_MODEL, **(_plain(model) or {})}
        self.lora = {**DEFAULT_LORA, **(_plain(lora) or {})}
        self.train_settings = TrainSettings(**(_plain(train) or {}))
        self.generation_cfg = {**DEFAULT_GENERATION, **(_plain(generation) or {})}
        if precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"kalm precision must be auto, fp32 or bf16, got {precision!r}")
        self.precision = precision
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"kalm device={device} requested but torch sees no CUDA device")
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        if int(self.lora["r"]) > 0 and self.model_path is None:
            raise ValueError("kalm LoRA is meant for a large checkpoint (model_path); the default model trains fully")
        self._check_knobs()
        self.last_training: dict[str, Any] | None = None

    def _check_knobs(self) -> None:
        """Paths and numbers checked here, at construction (before any data is generated); each error names the
        setting, the value and the accepted range."""
        if self.model_path is not None and not Path(self.model_path).expanduser().exists():
            raise ValueError(f"imagination.model_path={self.model_path!r} is invalid: no such file or directory "
                             "(a local Hugging Face causal-LM checkpoint; nothing is downloaded)")
        knobs = [
            ("train.steps", self.train_settings.steps, 0, 10**8), ("train.warmup", self.train_settings.warmup, 0, 10**8),
            ("train.checkpoint_every", self.train_settings.checkpoint_every, 1, 10**8),
            ("generation.batch_size", self.generation_cfg["batch_size"], 1, 10**6), ("lora.r", self.lora["r"], 0, 4096),
            *((f"model.{k}", self.model_cfg[k], 1, 10**6) for k in ("layers", "hidden", "heads", "intermediate",
                                                                     "max_positions")),
            *((f"train.batch.{k}", v, 0, 10**6) for k, v in self.train_settings.batch.items()),
        ]
        for key, value, low, high in knobs:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"imagination.{key}={value!r} is invalid: must be an integer in [{low}, {high}]")
        reals = [
            ("train.lr", self.train_settings.lr, 0.0, 10.0), ("train.grad_clip", self.train_settings.grad_clip, 0.0, 1e6),
            ("train.weight_decay", self.train_settings.weight_decay, 0.0, 10.0),
            ("train.action_loss_weight", self.train_settings.action_loss_weight, 0.0, 1e3),
            ("generation.state_margin", self.generation_cfg["state_margin"], 0.0, 10.0),
            *((f"train.loss_weights.{k}", v, 0.0, 1e3) for k, v in self.train_settings.loss_weights.items()),
        ]
        for key, value, low, high in reals:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"imagination.{key}={value!r} is invalid: must be a finite number in [{low:g}, {high:g}]")

    # ------------------------------------------------------------------------------------------------ settings
    @property
    def dtype(self) -> torch.dtype:
        if self.precision == "bf16" or (self.precision == "auto" and self.device.type == "cuda"):
            if self.device.type != "cuda":
                raise ValueError("kalm precision=bf16 is only supported on CUDA devices")
            return torch.bfloat16
        return torch.float32

    def _model_settings(self) -> dict[str, Any]:
        return {
            "checkpoint_version": CHECKPOINT_VERSION, "model_path": self.model_path,
            "model": dict(self.model_cfg) if self.model_path is None else
            {k: self.model_cfg[k] for k in ("freeze_token_embeddings", "gradient_checkpointing")},
            "lora": dict(self.lora) if int(self.lora["r"]) > 0 else None,
            "train": self.train_settings.as_dict(), "precision": self.precision,
        }

    def training_settings(self, real: Rollouts) -> dict[str, Any]:
        """Everything that decides the trained weights (the checkpoint key, with the real dataset's checksum). The
        real dataset's size per task is redundant with the checksum; it stays in the key so that existing
        checkpoints keep theirs."""
        return {**self._model_settings(), "real_episodes_per_task": real.metadata.get("episodes_per_task")}

    def settings(self) -> dict[str, Any]:
        """The backend's part of the imaginary dataset's cache key (the data layer adds the real dataset's size)."""
        return {"backend": self.name, **self._model_settings(), "generation": dict(self.generation_cfg)}

    def _cache_root(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        return default_cache_dir()

    # ------------------------------------------------------------------------------------------------ model
    def _build(self, domain: Domain, stats: dict[str, np.ndarray], tokenizer) -> KALMModel:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.train_settings.seed)
            lm = build_language_model(self.model_path, self.model_cfg, tokenizer, self.dtype, self.lora)
            model = KALMModel(lm, tokenizer, domain.state_dim, domain.action_space, stats)
        return model.to(self.device)

    def checkpoint_dir(self, domain: Domain, real: Rollouts) -> Path:
        from imagine_bench.data.store import checksum

        key = _hash({"settings": self.training_settings(real), "domain": domain.name, "real": checksum(real)})
        return self._cache_root() / "kalm" / domain.name / key

    def prepare(self, domain: Domain, real: Rollouts, progress: bool = True) -> tuple[KALMModel, PromptBuilder, dict]:
        """The trained model for ``real``: loaded from the cache, or trained (resuming if interrupted) and saved."""
        directory = self.checkpoint_dir(domain, real)
        directory.mkdir(parents=True, exist_ok=True)
        final, partial = directory / "model.pt", directory / "train_state.pt"
        with FileLock(str(directory) + ".lock"):
            tokenizer_dir = directory / "tokenizer"
            tokenizer = load_tokenizer(str(tokenizer_dir) if tokenizer_dir.is_dir() else self.model_path)
            builder = PromptBuilder(tokenizer, domain.is_discrete)
            if final.exists():
                payload = load_torch_file(final, allow_numpy=True)  # weights, numpy statistics, plain info
                model = self._build(domain, payload["stats"], tokenizer)
                model.load_state_dict(payload["state_dict"], strict=payload["full"])
                model.eval()
                info = {**payload["info"], "reused": True}
            else:
                model, info = self._train(domain, real, tokenizer, builder, directory, progress)
                partial.unlink(missing_ok=True)
            info["checkpoint"] = file_hash(final)
            info["checkpoint_dir"] = str(directory)
        self.last_training = info
        return model, builder, info

    def _train(self, domain, real, tokenizer, builder, directory: Path, progress: bool) -> tuple[KALMModel, dict]:
        deltas = []
        for i in range(real.n_episodes):
            _, states = real.episode_slice(i)
            deltas.append(np.diff(real.states[states], axis=0))
        stats = real_statistics(real.states, np.concatenate(deltas))
        model = self._build(domain, stats, tokenizer)
        data = GroundingData(real, model, builder)
        partial = directory / "train_state.pt"
        resume = load_torch_file(partial, map_location=self.device) if partial.exists() else None
        full = int(self.lora["r"]) == 0

        def save_state(state: dict[str, Any]) -> None:
            with atomic_write(partial) as tmp:
                torch.save(state, tmp)

        result = train(model, data, self.train_settings, device=self.device, resume=resume, checkpoint=save_state,
                       full_checkpoint=full, progress=progress)
        history = result["history"]
        window = max(1, min(20, self.train_settings.steps // 10 or 1))
        info = {
            "model": self.describe(model), "training": self.train_settings.as_dict(),
            "training_seconds": round(result["seconds"], 2), "resumed_from_step": result["resumed_from"],
            "loss_first": {t: float(np.mean(v[:window])) for t, v in history.items() if v},
            "loss_last": {t: float(np.mean(v[-window:])) for t, v in history.items() if v},
            "real_episodes": real.n_episodes, "real_transitions": real.n_transitions,
            "static_state_dims": int(stats["static"].sum()),
        }
        if not (directory / "tokenizer").is_dir():
            tmp_dir = directory / ".tokenizer.partial"
            shutil.rmtree(tmp_dir, ignore_errors=True)
            tokenizer.save_pretrained(str(tmp_dir))
            os.replace(tmp_dir, directory / "tokenizer")
        (directory / "settings.json").write_text(json.dumps(self.training_settings(real), indent=2, sort_keys=True))
        (directory / "history.json").write_text(json.dumps(history))
        with atomic_write(directory / "model.pt") as tmp:
            torch.save({"state_dict": model.checkpoint_state_dict(full=full), "full": full, "stats": stats,
                        "info": info}, tmp)
        return model, dict(info)

    def describe(self, model: KALMModel) -> dict[str, Any]:
        config = model.lm.config.get_text_config()
        return {
            "base": self.model_path or "llama-from-config",
            "architecture": type(model.lm).__name__, "layers": int(config.num_hidden_layers),
            "hidden": int(config.hidden_size), "vocab": int(config.vocab_size),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "trainable_parameters": int(sum(p.numel() for p in model.parameters() if p.requires_grad)),
            "tokenizer": "all-MiniLM-L6-v2 WordPiece" if self.model_path is None else self.model_path,
            "dtype": str(self.dtype).replace("torch.", ""), "lora_r": int(self.lora["r"]),
        }

    # ------------------------------------------------------------------------------------------------ generation
    def generate(
        self, domain: Domain, level: str, episodes_per_task: int, horizon: int, seed: int, progress: bool = True,
        *, real: Rollouts | None = None,
    ) -> Rollouts:
        if real is None:
            raise ValueError("the kalm backend grounds its model on the real rollouts: pass them as generate(real=...)")
        model, builder, info = self.prepare(domain, real, progress)
        return self.imagine(model, builder, info, domain, level, episodes_per_task, horizon, seed, real, progress)

    def imagine(
        self, model: KALMModel, builder: PromptBuilder, info: dict[str, Any], domain: Domain, level: str,
        episodes_per_task: int, horizon: int, seed: int, real: Rollouts, progress: bool = True,
        output_hook=None,
    ) -> Rollouts:
        """Generate, check and relabel the level's rollouts with a prepared model."""
        started = time.perf_counter()
        plan = []  # (task, instruction, goal, start state, step limit)
        for task in domain.tasks(level):
            limit = domain.task_horizon(task, horizon)  # multi-stage tasks may get more steps
            sim = domain.make_simulator(task, limit)
            try:
                for index in range(episodes_per_task):
                    state, goal = sim.reset(episode_seed(seed, "imaginary", task, index))
                    phrasings = list(domain.instructions(level, task, sim.instruction_slots()))
                    plan.append((task, phrasings[index % len(phrasings)], np.asarray(goal, np.float32),
                                 np.asarray(state, np.float32), limit))
            finally:
                sim.close()
        low, high = real.states.min(0), real.states.max(0)
        margin = float(self.generation_cfg["state_margin"])
        space = domain.action_space
        action_bounds = None if domain.is_discrete else (np.asarray(space.low, np.float32),
                                                         np.asarray(space.high, np.float32))
        counts = dict.fromkeys(MALFORMED_KEYS, 0)
        writer = RolloutWriter(domain.state_dim, domain.goal_dim, domain.is_discrete)
        size = max(1, int(self.generation_cfg["batch_size"]))
        bar = tqdm(total=len(plan), desc=f"{domain.name}/{level} kalm imagination", unit="ep", disable=not progress,
                   leave=False)
        for begin in range(0, len(plan), size):
            chunk = plan[begin: begin + size]
            starts = np.stack([p[3] for p in chunk])

            def stop(i: int, state: np.ndarray, chunk=chunk) -> bool:
                return bool(domain.success(chunk[i][0], chunk[i][2], state))

            limits = np.array([p[4] for p in chunk])
            states, actions, lengths = generate_batch(
                model, [builder.rollout_prompt(p[1]) for p in chunk], starts, int(limits.max()),
                bounds=state_bounds(low, high, starts, margin), action_bounds=action_bounds, stop=stop,
                pad_id=builder.pad_id, device=self.device, counts=counts, limits=limits, output_hook=output_hook,
            )
            for i, (task, instruction, goal, _, _) in enumerate(chunk):
                length = int(lengths[i])
                if length < 1:
                    counts["dropped_episodes"] += 1
                    continue
                ep_states = states[i, : length + 1]
                cut, solved, rewards = relabel(domain, task, goal, ep_states)
                writer.add(task=task, instruction=instruction, goal=goal, states=ep_states[: cut + 1],
                           actions=actions[i, :cut], rewards=rewards, terminated=solved, success=solved)
            bar.update(len(chunk))
        bar.close()
        if not writer._episodes:
            raise RuntimeError(f"kalm produced no usable episode for {domain.name}/{level} (malformed: {counts})")
        metadata = {
            "model": info.get("model"), "checkpoint": info.get("checkpoint"), "training": info.get("training"),
            "training_seconds": info.get("training_seconds"), "checkpoint_reused": bool(info.get("reused", False)),
            "loss_first": info.get("loss_first"), "loss_last": info.get("loss_last"), "seed": int(seed),
            "malformed": counts, "generated_episodes": len(plan),
            "generation_seconds": round(time.perf_counter() - started, 2),
        }
        return writer.build(metadata)
