"""Joint training of the four grounding tasks on the real dataset (training tasks, training instructions only).

Every optimiser step draws one batch per grounding task, adds the tasks' weighted losses and takes one AdamW step
(linear warm-up, cosine decay to a tenth of the peak rate, gradient-norm clipping). The loop can be resumed from a
training-state checkpoint (model, optimiser, step, sampler state).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from imagine_bench.data.rollouts import Rollouts
from imagine_bench.imagination.kalm.model import KALMModel, collate
from imagine_bench.imagination.kalm.prompts import GROUNDING_TASKS, Example, PromptBuilder


@dataclass
class TrainSettings:
    steps: int = 600
    lr: float = 3e-3
    warmup: int = 50
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    action_loss_weight: float = 0.5  # KALM's weight of the action loss next to the state loss
    tasks: tuple[str, ...] = GROUNDING_TASKS
    batch: dict[str, int] = field(default_factory=lambda: {"rollout": 8, "dynamics": 32, "terminal": 16,
                                                           "explanation": 4})
    loss_weights: dict[str, float] = field(default_factory=lambda: {"rollout": 1.0, "dynamics": 1.0, "terminal": 0.5,
                                                                    "explanation": 0.5})
    seed: int = 0
    checkpoint_every: int = 200

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)
        unknown = set(self.tasks) - set(GROUNDING_TASKS)
        if unknown or not self.tasks:
            raise ValueError(f"kalm train.tasks must be a non-empty subset of {GROUNDING_TASKS}, got {self.tasks}")
        self.batch = {**TrainSettings.__dataclass_fields__["batch"].default_factory(), **dict(self.batch)}
        self.loss_weights = {**TrainSettings.__dataclass_fields__["loss_weights"].default_factory(),
                             **dict(self.loss_weights)}
        if self.steps < 0 or self.lr <= 0:
            raise ValueError(f"imagination.train.steps={self.steps!r} / imagination.train.lr={self.lr!r} are "
                             "invalid: steps must be >= 0 and lr > 0")

    def as_dict(self) -> dict[str, Any]:
        return {"steps": int(self.steps), "lr": float(self.lr), "warmup": int(self.warmup),
                "weight_decay": float(self.weight_decay), "grad_clip": float(self.grad_clip),
                "action_loss_weight": float(self.action_loss_weight), "tasks": list(self.tasks),
                "batch": {k: int(v) for k, v in sorted(self.batch.items())},
                "loss_weights": {k: float(v) for k, v in sorted(self.loss_weights.items())}, "seed": int(self.seed)}


class GroundingData:
    """Samples grounding-task examples from the real dataset (normalised once up front)."""

    def __init__(self, real: Rollouts, model: KALMModel, builder: PromptBuilder) -> None:
        self.builder = builder
        self.episodes: list[tuple[str, np.ndarray, np.ndarray]] = []
        for i in range(real.n_episodes):
            steps, states = real.episode_slice(i)
            self.episodes.append((
                real.instructions[int(real.instruction_ids[i])], model.norm_states(real.states[states]),
                model.norm_actions(real.actions[steps]),
            ))
        self.transitions = [(i, t) for i, (_, _, a) in enumerate(self.episodes) for t in range(len(a))]
        solved = np.flatnonzero(real.success)
        self.terminal_episodes = solved if len(solved) else np.arange(real.n_episodes)

    def sample(self, task: str, n: int, rng: np.random.Generator) -> list[Example]:
        b = self.builder
        if task == "dynamics":
            picks = rng.integers(len(self.transitions), size=n)
            out = []
            for k in picks:
                i, t = self.transitions[k]
                _, states, actions = self.episodes[i]
                out.append(b.dynamics(states[t], actions[t], states[t + 1]))
            return out
        if task == "terminal":
            out = []
            for i in rng.choice(self.terminal_episodes, size=n):
                instruction, states, _ = self.episodes[i]
                out.append(b.terminal(instruction, states[0], states[-1]))
            return out
        make = b.rollout if task == "rollout" else b.explanation
        return [make(*self.episodes[i]) for i in rng.integers(len(self.episodes), size=n)]


def learning_rate(step: int, settings: TrainSettings) -> float:
    if step < settings.warmup:
        return settings.lr * (step + 1) / settings.warmup
    span = max(settings.steps - settings.warmup, 1)
    progress = min((step - settings.warmup) / span, 1.0)
    return settings.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(
    model: KALMModel,
    data: GroundingData,
    settings: TrainSettings,
    *,
    device: torch.device,
    resume: dict[str, Any] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    full_checkpoint: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Train in place; returns ``{"history": {task: [loss per step]}, "seconds": ...}``.

    ``resume`` is a state previously handed to ``checkpoint`` (every ``checkpoint_every`` steps): model weights,
    optimiser, step, sampler state and the loss history so far.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    rng = np.random.default_rng(np.random.SeedSequence([settings.seed, 0x4A1]))
    history: dict[str, list[float]] = {task: [] for task in settings.tasks}
    start = 0
    if resume is not None:
        model.load_state_dict(resume["model"], strict=False)
        optimizer.load_state_dict(resume["optimizer"])
        rng.bit_generator.state = resume["rng"]
        history = resume["history"]
        start = int(resume["step"])
    model.train()
    discrete, action_dim = model.discrete, model.action_dim
    started = time.perf_counter()
    bar = tqdm(range(start, settings.steps), desc="kalm grounding", unit="step", disable=not progress, leave=False,
               initial=start, total=settings.steps)
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, settings)
        optimizer.zero_grad(set_to_none=True)
        for task in settings.tasks:
            examples = data.sample(task, int(settings.batch[task]), rng)
            batch = collate(examples, data.builder.pad_id, action_dim, discrete, device)
            losses = model.losses(batch, settings.action_loss_weight)
            (settings.loss_weights[task] * losses["total"]).backward()
            history[task].append(float(losses["total"].detach()))
        if settings.grad_clip:
            torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
        optimizer.step()
        if progress and step % 10 == 0:
            bar.set_postfix({t[:4]: f"{history[t][-1]:.3f}" for t in settings.tasks})
        done = step + 1
        if checkpoint is not None and settings.checkpoint_every and done % settings.checkpoint_every == 0 \
                and done < settings.steps:
            checkpoint({"model": model.checkpoint_state_dict(full=full_checkpoint), "optimizer": optimizer.state_dict(),
                        "rng": rng.bit_generator.state, "history": history, "step": done})
    bar.close()
    model.eval()
    return {"history": history, "seconds": time.perf_counter() - started, "resumed_from": start}
