"""Evaluation on a fixed, seeded set of episodes per level, many episodes stepped together.

The plan (which task, which start state, which phrasing) depends only on the domain, the level, the number of
episodes per task and ``eval_seed``, never on the training seed, so every run is scored on exactly the same
episodes, and every task of a level gets the same number of them. (Upstream cycled a pointer that persisted across
evaluations, so with 10 episodes and 12-13 tasks some tasks were never scored: bug 37.)

Batched stepping: every (level, task) pair is a *lane* with its own environment and simulator (so memory is the same
as a sequential evaluator's); up to ``in_flight`` lanes run an episode at the same time and the policy is called once
per step on all their observations. A lane that finishes is refilled with that lane's next planned episode and is
never counted twice.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from imagine_bench.domains import Domain
from imagine_bench.env import ImagineBenchEnv
from imagine_bench.language import InstructionEmbedder
from imagine_bench.seeding import episode_seed

Policy = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PlannedEpisode:
    level: str
    task: str
    index: int
    start_seed: int
    instruction_index: int


@dataclass(frozen=True)
class EpisodeResult:
    level: str
    task: str
    index: int
    start_seed: int
    instruction: str
    success: bool
    episode_return: float
    length: int


def evaluation_plan(domain: Domain, level: str, episodes_per_task: int, eval_seed: int = 0) -> list[PlannedEpisode]:
    plan = []
    for task in domain.tasks(level):
        for index in range(episodes_per_task):
            start_seed = episode_seed(eval_seed, "evaluation", f"{level}/{task}", index)
            instruction_index = int(np.random.default_rng(start_seed).integers(2**31 - 1))
            plan.append(PlannedEpisode(level, task, index, start_seed, instruction_index))
    return plan


class Evaluator:
    """Scores a policy on ``levels``; ``evaluator(policy)`` returns per-episode results, ``summarize`` the metrics."""

    def __init__(
        self,
        domain: Domain,
        levels: Sequence[str],
        episodes_per_task: int,
        horizon: int,
        embedder: InstructionEmbedder,
        in_flight: int = 16,
        eval_seed: int = 0,
    ) -> None:
        if episodes_per_task < 1 or in_flight < 1:
            raise ValueError("evaluation needs episodes_per_task >= 1 and in_flight >= 1")
        self.domain, self.levels, self.horizon, self.embedder = domain, tuple(levels), horizon, embedder
        self.in_flight = in_flight
        self.plan = [ep for level in self.levels for ep in evaluation_plan(domain, level, episodes_per_task, eval_seed)]
        self._lanes: dict[tuple[str, str], ImagineBenchEnv] = {}

    def _lane(self, level: str, task: str) -> ImagineBenchEnv:
        if (level, task) not in self._lanes:
            self._lanes[(level, task)] = ImagineBenchEnv(self.domain, level, self.horizon, self.embedder)
        return self._lanes[(level, task)]

    def __call__(self, policy: Policy) -> list[EpisodeResult]:
        queues: dict[tuple[str, str], deque[PlannedEpisode]] = defaultdict(deque)
        for planned in self.plan:
            queues[(planned.level, planned.task)].append(planned)
        waiting = deque(queues)  # lanes in plan order
        running: dict[tuple[str, str], dict[str, Any]] = {}
        results: list[EpisodeResult] = []
        while waiting or running:
            while waiting and len(running) < self.in_flight:
                lane = waiting.popleft()
                running[lane] = self._start(lane, queues[lane].popleft())
            lanes = list(running)
            actions = policy(np.stack([running[lane]["obs"] for lane in lanes]))
            for lane, action in zip(lanes, actions, strict=True):
                episode = running[lane]
                obs, reward, terminated, truncated, info = episode["env"].step(action)
                episode["obs"], episode["return"], episode["length"] = obs, episode["return"] + reward, episode["length"] + 1
                if terminated or truncated:
                    results.append(self._finish(episode, bool(info["is_success"])))
                    del running[lane]
                    if queues[lane]:
                        waiting.appendleft(lane)
        order = {(p.level, p.task, p.index): i for i, p in enumerate(self.plan)}
        return sorted(results, key=lambda r: order[(r.level, r.task, r.index)])

    def _start(self, lane: tuple[str, str], planned: PlannedEpisode) -> dict[str, Any]:
        env = self._lane(*lane)
        obs, info = env.reset(options={"task": planned.task, "start_seed": planned.start_seed,
                                       "instruction": planned.instruction_index})
        return {"env": env, "planned": planned, "instruction": info["instruction"], "obs": obs, "return": 0.0, "length": 0}

    @staticmethod
    def _finish(episode: dict[str, Any], success: bool) -> EpisodeResult:
        p = episode["planned"]
        return EpisodeResult(p.level, p.task, p.index, p.start_seed, episode["instruction"], success,
                             float(episode["return"]), int(episode["length"]))

    def close(self) -> None:
        for env in self._lanes.values():
            env.close()
        self._lanes.clear()


def summarize(results: Sequence[EpisodeResult]) -> dict[str, float]:
    """``eval/<level>/{success,return,length}`` and ``eval/<level>/<task>/{...}`` means.

    A level's numbers are means over its tasks' means, which equal the episode means because every task has the
    same number of episodes.
    """
    groups: dict[str, list[EpisodeResult]] = defaultdict(list)
    for r in results:
        groups[f"eval/{r.level}"].append(r)
        groups[f"eval/{r.level}/{r.task}"].append(r)
    metrics = {}
    for prefix, rs in groups.items():
        metrics[f"{prefix}/success"] = float(np.mean([r.success for r in rs]))
        metrics[f"{prefix}/return"] = float(np.mean([r.episode_return for r in rs]))
        metrics[f"{prefix}/length"] = float(np.mean([r.length for r in rs]))
    return metrics


def as_records(results: Sequence[EpisodeResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def d3rlpy_policy(algo: Any) -> Policy:
    """Greedy actions from a d3rlpy algorithm (``predict`` takes a batch of observations)."""
    return lambda observations: algo.predict(observations.astype(np.float32, copy=False))
