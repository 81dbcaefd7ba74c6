"""The scripted imagination backend: expert rollouts of the level's tasks, corrupted by an explicit error model.

It stands in for KALM's fine-tuned language model (Liu et al., NeurIPS 2024), whose imagined rollouts are plausible
but imperfect. Instead of an opaque generator, every kind of imagination error is a knob:

* ``state_drift``: a random walk added to the imagined states, per step, in units of each state dimension's
  standard deviation over the clean rollouts (so one setting means the same across domains);
* ``action_noise``: continuous actions get Gaussian noise of this std (in action units, then clipped to the action
  space); discrete actions are replaced by a uniformly random one with this probability;
* ``jump_prob`` / ``jump_scale``: per step, the chance of a physically implausible teleport of the state by
  ``jump_scale`` standard deviations, which persists afterwards;
* ``truncation_prob``: per episode, the chance the rollout stops at a uniformly random step (an imaginer that
  stops early).

Each knob has a documented range (:data:`KNOB_LIMITS`): probabilities in [0, 1], ``state_drift`` at most 1 standard
deviation per step, ``action_noise`` at most 2 (the whole [-1, 1] action range), ``jump_scale`` at most 10 standard
deviations. Beyond those the "imagined" data is noise, and values like 1e30 overflow the simulators.

The start state is always a real one (KALM prompts its model with real initial states). Rewards, success and the
terminal step are then recomputed from the imagined states by the domain's own state-based functions
(:func:`imagine_bench.imagination.base.relabel`). Preset ``perfect`` has no error: it gives the upper bound a perfect
imaginer would reach.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from imagine_bench.data.collect import run_expert_episode
from imagine_bench.data.rollouts import Rollouts, RolloutWriter
from imagine_bench.domains import Domain
from imagine_bench.imagination.base import ImaginationBackend, relabel
from imagine_bench.seeding import episode_seed


#: the largest accepted value of each error knob (all must be finite and >= 0); see the module docstring
KNOB_LIMITS: dict[str, float] = {
    "state_drift": 1.0, "action_noise": 2.0, "jump_prob": 1.0, "jump_scale": 10.0, "truncation_prob": 1.0,
}


@dataclasses.dataclass(frozen=True)
class ErrorModel:
    state_drift: float = 0.0
    action_noise: float = 0.0
    jump_prob: float = 0.0
    jump_scale: float = 0.0
    truncation_prob: float = 0.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value, high = getattr(self, field.name), KNOB_LIMITS[field.name]
            if not np.isfinite(value) or not 0 <= value <= high:
                raise ValueError(f"imagination.{field.name}={value!r} is invalid: must be a finite number in "
                                 f"[0, {high:g}]")


PRESETS: dict[str, ErrorModel] = {
    "perfect": ErrorModel(),
    "default": ErrorModel(state_drift=0.02, action_noise=0.1, jump_prob=0.01, jump_scale=1.0, truncation_prob=0.1),
    "noisy": ErrorModel(state_drift=0.05, action_noise=0.3, jump_prob=0.03, jump_scale=2.0, truncation_prob=0.25),
}


def _known_preset(name: str, setting: str = "imagination.preset") -> str:
    if name not in PRESETS:
        raise ValueError(f"{setting}={name!r} is invalid: unknown scripted imagination preset {name!r}; expected one "
                         f"of {sorted(PRESETS)}")
    return name


def _domain_error_model(knobs: Mapping[str, float]) -> ErrorModel:
    """A domain's calibrated error model given as knobs (``scripted_default`` in configs/env/<domain>.yaml); errors
    name that setting, since the knobs were not typed as ``imagination.*`` overrides."""
    unknown = sorted(set(knobs) - set(KNOB_LIMITS))
    if unknown:
        raise ValueError(f"env.scripted_default has unknown knobs {unknown}; the knobs are {sorted(KNOB_LIMITS)}")
    try:
        return ErrorModel(**{k: float(v) for k, v in knobs.items()})
    except (TypeError, ValueError) as error:
        raise ValueError(f"env.scripted_default={dict(knobs)!r} is invalid: {error}") from error


class ScriptedImagination(ImaginationBackend):
    name = "scripted"

    def __init__(self, preset: str = "default", domain_default: str | Mapping[str, float] | None = None,
                 **overrides: float) -> None:
        """``domain_default``: the domain's calibrated error model (``scripted_default`` in configs/env/<domain>.yaml, a
        preset name or the knobs), which preset ``default`` means for that domain; without it ``default`` is
        :data:`PRESETS` ``["default"]``.
        ``overrides``: single knobs replacing the preset's value (``None`` keeps it)."""
        self.preset = _known_preset(preset)
        unknown = sorted(set(overrides) - set(KNOB_LIMITS))
        if unknown:
            raise ValueError(f"unknown scripted imagination settings {unknown}; the knobs are {sorted(KNOB_LIMITS)}")
        for key, value in overrides.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"imagination.{key}={value!r} is invalid: must be a finite number in "
                                 f"[0, {KNOB_LIMITS[key]:g}]")
        base = PRESETS[preset]
        if preset == "default" and domain_default:
            base = (PRESETS[_known_preset(domain_default, "env.scripted_default")] if isinstance(domain_default, str)
                    else _domain_error_model(domain_default))
        self.errors = dataclasses.replace(base, **{k: float(v) for k, v in overrides.items() if v is not None})

    def settings(self) -> dict[str, Any]:
        return {"backend": self.name, "preset": self.preset, **dataclasses.asdict(self.errors)}

    def generate(
        self, domain: Domain, level: str, episodes_per_task: int, horizon: int, seed: int, progress: bool = True,
        *, real: Rollouts | None = None,
    ) -> Rollouts:
        clean = self._clean_episodes(domain, level, episodes_per_task, horizon, seed, progress)
        all_states = np.concatenate([ep["states"] for ep in clean])
        scale = all_states.std(axis=0)
        writer = RolloutWriter(domain.state_dim, domain.goal_dim, domain.is_discrete)
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x1A6]))
        for ep in clean:
            states, actions = self._corrupt(ep["states"], ep["actions"], scale, domain, rng)
            length, solved, rewards = relabel(domain, ep["task"], ep["goal"], states)
            writer.add(
                task=ep["task"], instruction=ep["instruction"], goal=ep["goal"], states=states[: length + 1],
                actions=actions[:length], rewards=rewards, terminated=solved, success=solved,
            )
        return writer.build()

    @staticmethod
    def _clean_episodes(domain, level, episodes_per_task, horizon, seed, progress) -> list[dict[str, Any]]:
        tasks = domain.tasks(level)
        episodes = []
        bar = tqdm(total=len(tasks) * episodes_per_task, desc=f"{domain.name}/{level} imagination", unit="ep",
                   disable=not progress, leave=False)
        for task in tasks:
            sim = domain.make_simulator(task, domain.task_horizon(task, horizon))
            try:
                for index in range(episodes_per_task):
                    start = episode_seed(seed, "imaginary", task, index)
                    episodes.append(run_expert_episode(domain, sim, task, level, horizon, start))
                    bar.update()
            finally:
                sim.close()
        bar.close()
        return episodes

    def _corrupt(self, states, actions, scale, domain: Domain, rng: np.random.Generator):
        err = self.errors
        steps = len(actions)
        states = np.array(states, np.float32)
        actions = np.array(actions)
        if err.truncation_prob and rng.random() < err.truncation_prob:
            steps = int(rng.integers(1, steps + 1))
            states, actions = states[: steps + 1], actions[:steps]
        offset = np.zeros((steps + 1, states.shape[1]), np.float32)
        if err.state_drift:
            offset[1:] += np.cumsum(rng.normal(0.0, err.state_drift, (steps, states.shape[1])), axis=0)
        if err.jump_prob:
            jumps = rng.random(steps) < err.jump_prob
            kicks = rng.normal(0.0, err.jump_scale, (steps, states.shape[1])) * jumps[:, None]
            offset[1:] += np.cumsum(kicks, axis=0)
        states = states + (offset * scale).astype(np.float32)  # scale is 0 on constant dims: empty slots stay empty
        if err.action_noise:
            space = domain.action_space
            if domain.is_discrete:
                swap = rng.random(steps) < err.action_noise
                actions = np.where(swap, rng.integers(space.n, size=steps), actions)
            else:
                noisy = actions + rng.normal(0.0, err.action_noise, actions.shape)
                actions = np.clip(noisy, space.low, space.high).astype(np.float32)
        return states, actions
