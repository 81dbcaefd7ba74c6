"""The Gymnasium environment every domain is seen through: one domain, one level, observation = state ++ instruction.

Compared with upstream ImagineBench (sec. 2.3 and bugs 2, 18, 20, 37 of the reference notes): tasks are not cycled
with a pointer that survives across evaluations; each ``reset`` draws the task and the instruction from the seeded
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
from imagine_bench.levels import check_level


class ImagineBenchEnv(gym.Env):
    """``imagine_bench.make("MetaWorld-v0", level="hard")`` or ``gym.make("MetaWorld-v0", level="hard")``.

    ``reset(options={"task": name, "start_seed": int, "instruction": str | int})`` pins any of the three.
    ``info`` carries ``task``, ``instruction``, ``is_success`` and ``success``.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        domain: Domain | str,
        level: str = "real",
        horizon: int | None = None,
        embedder: InstructionEmbedder | None = None,
        dataset: Mapping[str, Any] | None = None,
    ) -> None:
        self.domain = get_domain(domain) if isinstance(domain, str) else domain
        self.level = check_level(level)
        self.horizon = int(horizon or self.domain.default_horizon)
        self.embedder = embedder if embedder is not None else default_embedder()
        self.tasks = self.domain.tasks(self.level)
        self._dataset_settings = dict(dataset or {})
        self._simulators: dict[str, Any] = {}
        state_dim, embed_dim = self.domain.state_dim, self.embedder.dim
        self.state_dim = state_dim
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (state_dim + embed_dim,), np.float32)
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

    def close(self) -> None:
        for sim in self._simulators.values():
            sim.close()
        self._simulators.clear()

    # ----------------------------------------------------------------------------------------------------------------
    def get_dataset(self, level: str | None = None):
        """``(real, imaginary)`` in the ImagineBench layout for ``level`` (default: this env's level).

        Each is a dict of ``observations (N, T, state+embedding)``, ``actions``, ``rewards (N, T, 1)``, ``masks (N, T)``,
        ``terminals (N, T)`` and ``timeouts (N, T)``; ``imaginary`` is ``None`` for ``level="real"``. Datasets are
        generated into the cache on first use (settings from the ``dataset`` constructor argument).
        """
        from imagine_bench.data import load_datasets

        real, imaginary = load_datasets(self.domain, level or self.level, horizon=self.horizon, **self._dataset_settings)
        return (
            real.to_padded(self.embedder),
            None if imaginary is None else imaginary.to_padded(self.embedder),
        )


def make(env_id: str, level: str = "real", **kwargs: Any) -> ImagineBenchEnv:
    """Build the environment for a domain id (``MetaWorld-v0``), short name (``metaworld``) or alias and a level."""
    return ImagineBenchEnv(env_id, level=level, **kwargs)


def register_gymnasium_ids() -> None:
    """Discover the domain modules; each registers its Gymnasium ids (see ``register_domain``)."""
    from imagine_bench.domains import domain_classes

    domain_classes()
