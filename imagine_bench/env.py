"""The Gymnasium environment every domain is seen through: one domain, one level, observation = state ++ instruction.

Compared with upstream ImagineBench: tasks are not cycled with a pointer that starts at index 1 and survives across
evaluations (which left some tasks unscored); each ``reset`` draws the task and the instruction from the seeded
RNG unless ``options`` pin them, so an evaluator can ask for an exact (task, start seed, instruction) triple. Every
phrasing of the level can be drawn, not only the first. ``terminated`` means the simulator judged the task solved;
``truncated`` means the horizon ran out (``domain.task_horizon``: multi-stage tasks may get a multiple of the configured
horizon), and the two are never conflated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from imagine_bench.domains import Domain, get_domain
from imagine_bench.language import InstructionEmbedder, default_embedder
from imagine_bench.levels import Level


class ImagineBenchEnv(gym.Env):
    """``imagine_bench.make("MetaWorld-v0", level="hard")`` or ``gym.make("MetaWorld-v0", level="hard")``.

    ``reset(options={"task": name, "start_seed": int, "instruction": str | int})`` pins any of the three.
    ``info`` carries ``task``, ``instruction``, ``is_success`` and ``success``.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        domain: Domain | str,
        level: str = "real",
        horizon: int | None = None,
        embedder: InstructionEmbedder | None = None,
        dataset: Mapping[str, Any] | None = None,
        render_mode: str | None = None,
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        if render_mode == "rgb_array":
            from imagine_bench.rendering import choose_gl_backend

            choose_gl_backend()  # MuJoCo domains render offscreen; must happen before mujoco is imported
        self.domain = get_domain(domain) if isinstance(domain, str) else domain
        self.domain.check_available()
        self.level = Level(level)
        self.horizon = int(horizon or self.domain.default_horizon)
        self.embedder = embedder if embedder is not None else default_embedder()
        self.tasks = self.domain.tasks(self.level)
        self._dataset_settings = dict(dataset or {})
        self._simulators: dict[str, Any] = {}
        self.state_dim = self.domain.state_dim
        self.observation_space = observation_space(self.domain, self.embedder)
        self.action_space = self.domain.action_space
        self._episode: dict[str, Any] | None = None

    # ----------------------------------------------------------------------------------------------------------------
    def simulator(self, task: str):
        if task not in self._simulators:
            if task not in self.tasks:
                raise ValueError(f"task {task!r} is not part of level {self.level!r}; expected one of {self.tasks}")
            self._simulators[task] = self.domain.make_simulator(task, self.domain.task_horizon(task, self.horizon))
        return self._simulators[task]

    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        task = options.get("task") or self.tasks[int(self.np_random.integers(len(self.tasks)))]
        start_seed = options.get("start_seed")
        if start_seed is None:
            start_seed = int(self.np_random.integers(2**31 - 1))
        sim = self.simulator(task)
        state, goal = sim.reset(int(start_seed))
        phrasings = self.domain.instructions(self.level, task, sim.instruction_slots())
        instruction = options.get("instruction")
        if instruction is None:
            instruction = phrasings[int(self.np_random.integers(len(phrasings)))]
        elif isinstance(instruction, (int, np.integer)):
            instruction = phrasings[int(instruction) % len(phrasings)]
        embedding = self.embedder.embed([instruction])[0]
        self._episode = {
            "task": task, "sim": sim, "goal": goal, "state": state, "t": 0, "done": False,
            "horizon": self.domain.task_horizon(task, self.horizon),
            "instruction": instruction, "embedding": embedding,
        }
        info = {"task": task, "instruction": instruction, "start_seed": int(start_seed), "goal": goal}
        return self._observe(state), info

    def step(self, action):
        ep = self._episode
        if ep is None or ep["done"]:
            raise RuntimeError("step() called before reset() or after the episode ended; call reset() first")
        next_state, success = ep["sim"].step(action)
        reward = self.domain.reward(ep["task"], ep["goal"], ep["state"], next_state, bool(success))
        ep["state"], ep["t"] = next_state, ep["t"] + 1
        terminated = bool(success)
        truncated = not terminated and ep["t"] >= ep["horizon"]
        ep["done"] = terminated or truncated
        info = {"task": ep["task"], "instruction": ep["instruction"], "is_success": terminated, "success": terminated}
        return self._observe(next_state), float(reward), terminated, truncated, info

    def _observe(self, state: np.ndarray) -> np.ndarray:
        return np.concatenate([state.astype(np.float32, copy=False), self._episode["embedding"]])

    def render(self) -> np.ndarray | None:
        """The current frame as ``(H, W, 3)`` uint8 when ``render_mode="rgb_array"`` (Gymnasium's contract)."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array' to make()")
            return None
        if self._episode is None:
            raise RuntimeError("render() called before reset(); call reset() first")
        return self._episode["sim"].render()

    def close(self) -> None:
        for sim in self._simulators.values():
            sim.close()
        self._simulators.clear()

    # ----------------------------------------------------------------------------------------------------------------
    def get_dataset(self, level: str | None = None):
        """``(real, imaginary)`` in the ImagineBench layout for ``level`` (default: this env's level).

        Each is a dict of ``observations (N, T, state+embedding)``, ``actions``, ``rewards (N, T, 1)``,
        ``masks (N, T, 1)``, ``terminals (N, T)``, ``timeouts (N, T)`` and ``final_observations (N, state+embedding)``
        (see ``Rollouts.to_padded``); ``imaginary`` is ``None`` for ``level="real"``. Datasets are generated into the
        cache on first use (settings from the ``dataset`` constructor argument;
        its ``imagination`` defaults to the scripted backend). For d3rlpy use
        ``get_rollouts()`` and ``Rollouts.to_d3rlpy``, which keep every transition exactly.
        """
        real, imaginary = self.get_rollouts(level)
        return (
            real.to_padded(self.embedder),
            None if imaginary is None else imaginary.to_padded(self.embedder),
        )

    def get_rollouts(self, level: str | None = None):
        """``(real, imaginary)`` as flat :class:`~imagine_bench.data.Rollouts` (``imaginary`` is ``None`` for
        ``level="real"``); ``real.to_d3rlpy(env.embedder)`` gives d3rlpy's ``ReplayBuffer``."""
        from imagine_bench.data import load_datasets

        level = Level(level or self.level)
        settings = dict(self._dataset_settings)
        if level.uses_imaginary_data and settings.get("imagination") is None:
            from imagine_bench.imagination import ScriptedImagination

            # The configs' default backend (imagination=scripted), with the domain's calibrated error model.
            settings["imagination"] = ScriptedImagination(domain_default=calibrated_scripted_default(self.domain.name))
        return load_datasets(self.domain, level, horizon=self.horizon, **settings)


def calibrated_scripted_default(domain_name: str) -> str | dict | None:
    """``scripted_default`` of ``configs/env/<domain>.yaml``: what the scripted preset ``default`` means for the
    domain, read from the one place launch.py reads it from (``None`` where the domain keeps the suite-wide one)."""
    from omegaconf import OmegaConf

    from imagine_bench.paths import configs_dir

    path = configs_dir() / "env" / f"{domain_name}.yaml"
    value = OmegaConf.load(path).get("scripted_default") if path.is_file() else None
    return OmegaConf.to_container(value) if OmegaConf.is_config(value) else value


def observation_space(domain: Domain, embedder: InstructionEmbedder) -> gym.spaces.Box:
    """``state ++ embedding`` with the domain's state bounds and [-1, 1] for unit-norm embeddings (else unbounded)."""
    low, high = domain.state_bounds
    emb = 1.0 if embedder.unit_norm else np.inf
    lows = np.concatenate([np.full(domain.state_dim, low), np.full(embedder.dim, -emb)]).astype(np.float32)
    highs = np.concatenate([np.full(domain.state_dim, high), np.full(embedder.dim, emb)]).astype(np.float32)
    return gym.spaces.Box(lows, highs, dtype=np.float32)


def make(env_id: str, level: str = "real", **kwargs: Any) -> ImagineBenchEnv:
    """Build the environment for a domain id (``MetaWorld-v0``, ``imagine_bench/MetaWorld-v0``), short name
    (``metaworld``) or alias and a level. Unlike ``gymnasium.make`` no wrappers are added; ``env.spec`` is the
    namespaced Gymnasium spec with these arguments, so ``gymnasium.make(env.spec)`` rebuilds the same env."""
    import dataclasses

    from imagine_bench.domains import namespaced

    env = ImagineBenchEnv(env_id, level=level, **kwargs)
    spec = gym.spec(namespaced(env.domain.env_id))
    env.spec = dataclasses.replace(spec, kwargs={**spec.kwargs, "level": level, **kwargs})
    return env


def register_gymnasium_ids() -> None:
    """Discover the domain modules; each registers its Gymnasium ids (see ``register_domain``)."""
    from imagine_bench.domains import domain_classes

    domain_classes()
