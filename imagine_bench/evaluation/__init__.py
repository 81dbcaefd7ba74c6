"""Evaluation on a fixed, seeded set of episodes per level, many episodes stepped together.

The plan (which task, which start state, which phrasing) depends only on the domain, the level, the number of
episodes per task and ``eval_seed``, never on the training seed, so every run is scored on exactly the same
episodes, and every task of a level gets the same number of them. (Upstream cycled a pointer that persisted across
evaluations, so with 10 episodes and 12-13 tasks some tasks were never scored.)

Batched stepping: every (level, task) pair is a *lane* with its own environment and simulator (so memory is the same
as a sequential evaluator's); up to ``in_flight`` lanes run an episode at the same time and the policy is called once
per step on all their observations. A lane that finishes is refilled with that lane's next planned episode and is
never counted twice; results come back in plan order. Each lane's simulator is deterministic given its reset options,
so the per-episode results do not depend on ``in_flight`` or on where the lanes run (tested).

Worker processes (``workers``): batching the policy call alone does not pay on Meta-World, where one simulator step
(MuJoCo plus Meta-World's Python reward code) costs several times a batch-1 policy call (README, "Costs"). So the
simulators run in ``workers`` spawned
processes (:mod:`.workers`) while this process keeps the policy and the instruction embedder: a lane is placed on the
worker running the fewest lanes when it starts its first episode and stays there (Meta-World builds a simulator
slowly, so each is built once), and every step sends each worker *one* message with the actions of all its running
lanes, to every worker before receiving any reply, so the workers step concurrently. Gymnasium's ``AsyncVectorEnv``
keeps one env per worker and exchanges messages per env and step, which made it slower than one process on two
cores; here a message carries all of a worker's lanes, and workers poll briefly for the next one
(:data:`.workers.SPIN_S`). ``benchmarks/eval_throughput.py`` measures the three ways (sequential, batched in-process,
batched with workers).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from imagine_bench.domains import Domain
from imagine_bench.evaluation.lanes import Lane, Lanes, LocalLanes
from imagine_bench.evaluation.workers import WorkerLanes, resolve_workers
from imagine_bench.language import InstructionEmbedder
from imagine_bench.metrics import eval_key
from imagine_bench.seeding import evaluation_seed

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
            start_seed = evaluation_seed(eval_seed, level, task, index)
            instruction_index = int(np.random.default_rng(start_seed).integers(2**31 - 1))
            plan.append(PlannedEpisode(level, task, index, start_seed, instruction_index))
    return plan


class Evaluator:
    """Scores a policy on ``levels``; ``evaluator(policy)`` returns per-episode results, ``summarize`` the metrics.

    ``workers``: 0 steps the simulators in this process; N > 0 in N worker processes (started at the first
    evaluation, kept until :meth:`close`; a script needs the ``if __name__ == "__main__":`` guard, as with any spawned
    process); ``"auto"`` picks N from the usable CPUs (:func:`.workers.resolve_workers`).

    ``progress``: a progress bar over finished episodes with the running success rate (an evaluation takes tens of
    seconds; the bar is updated at most once a second, so it adds nothing per step).
    """

    def __init__(
        self,
        domain: Domain,
        levels: Sequence[str],
        episodes_per_task: int,
        horizon: int,
        embedder: InstructionEmbedder,
        in_flight: int = 16,
        eval_seed: int = 0,
        workers: int | str = 0,
        progress: bool = False,
    ) -> None:
        if episodes_per_task < 1 or in_flight < 1:
            raise ValueError("evaluation needs episodes_per_task >= 1 and in_flight >= 1")
        self.domain, self.levels, self.horizon, self.embedder = domain, tuple(levels), horizon, embedder
        self.in_flight, self.progress = in_flight, progress
        self.plan = [ep for level in self.levels for ep in evaluation_plan(domain, level, episodes_per_task, eval_seed)]
        lane_count = len({(p.level, p.task) for p in self.plan})
        self.workers = min(resolve_workers(workers, in_flight), lane_count)  # a worker without a lane would idle
        self.lanes: Lanes = WorkerLanes(domain, horizon, self.workers) if self.workers else LocalLanes(domain, horizon)

    def __call__(self, policy: Policy, description: str = "evaluation") -> list[EpisodeResult]:
        bar = tqdm(total=len(self.plan), desc=description, unit="ep", disable=not self.progress, leave=False,
                   mininterval=1.0)
        try:
            results = self._run(policy, bar)
        finally:
            bar.close()
        order = {(p.level, p.task, p.index): i for i, p in enumerate(self.plan)}
        return sorted(results, key=lambda r: order[(r.level, r.task, r.index)])

    def _run(self, policy: Policy, bar: tqdm) -> list[EpisodeResult]:
        queues: dict[Lane, deque[PlannedEpisode]] = defaultdict(deque)
        for planned in self.plan:
            queues[(planned.level, planned.task)].append(planned)
        # Longest chains first: a lane runs its episodes one after another, so a late-starting lane of long episodes
        # (composite tasks get a longer horizon) would leave the other workers idle at the end. Ties keep plan order.
        waiting = deque(sorted(queues, key=lambda lane: -len(queues[lane]) * self._horizon(lane[1])))
        running: dict[Lane, _Episode] = {}
        results: list[EpisodeResult] = []
        successes = 0
        while waiting or running:
            starts = []
            while waiting and len(running) + len(starts) < self.in_flight:
                lane = waiting.popleft()
                starts.append((lane, queues[lane].popleft()))
            running.update(self._start(starts))
            lanes = list(running)
            actions = policy(np.stack([running[lane].observation for lane in lanes]))
            batch = self.lanes.step(lanes, actions)
            for i, lane in enumerate(lanes):
                episode = running[lane]
                episode.advance(batch.states[i], batch.rewards[i])
                if batch.terminated[i] or batch.truncated[i]:
                    results.append(episode.result(bool(batch.success[i])))
                    successes += results[-1].success
                    bar.set_postfix_str(f"success {successes / len(results):.2f}", refresh=False)
                    bar.update()
                    del running[lane]
                    if queues[lane]:
                        waiting.appendleft(lane)
        return results

    def _horizon(self, task: str) -> int:
        return self.domain.task_horizon(task, self.horizon)

    def _start(self, starts: list[tuple[Lane, PlannedEpisode]]) -> dict[Lane, _Episode]:
        if not starts:
            return {}
        resets = self.lanes.reset([(lane, p.start_seed, p.instruction_index) for lane, p in starts])
        return {lane: _Episode(planned, instruction, self.embedder.embed([instruction])[0], state)
                for (lane, planned), (state, instruction) in zip(starts, resets, strict=True)}

    def close(self) -> None:
        """Release the simulators and stop the worker processes (the next evaluation would start them again)."""
        self.lanes.close()


class _Episode:
    """A running episode; its observation is built exactly as :class:`ImagineBenchEnv` builds one (state ++
    instruction embedding), with the embedding computed here so that lanes, and worker processes, need no embedder."""

    def __init__(self, planned: PlannedEpisode, instruction: str, embedding: np.ndarray, state: np.ndarray) -> None:
        self.planned, self.instruction, self.embedding = planned, instruction, embedding
        self.episode_return, self.length = 0.0, 0
        self.observation = self._observe(state)

    def _observe(self, state: np.ndarray) -> np.ndarray:
        return np.concatenate([state.astype(np.float32, copy=False), self.embedding])

    def advance(self, state: np.ndarray, reward: float) -> None:
        self.observation = self._observe(state)
        self.episode_return += float(reward)
        self.length += 1

    def result(self, success: bool) -> EpisodeResult:
        p = self.planned
        return EpisodeResult(p.level, p.task, p.index, p.start_seed, self.instruction, success,
                             float(self.episode_return), self.length)


def summarize(results: Sequence[EpisodeResult]) -> dict[str, float]:
    """``eval/<level>/{success,return,length}`` and ``eval/<level>/<task>/{...}`` means (the names are defined in
    :mod:`imagine_bench.metrics`).

    A level's numbers are means over its tasks' means, which equal the episode means because every task has the
    same number of episodes.
    """
    groups: dict[tuple[str, str | None], list[EpisodeResult]] = defaultdict(list)
    for r in results:
        groups[(r.level, None)].append(r)
        groups[(r.level, r.task)].append(r)
    metrics = {}
    for (level, task), rs in groups.items():
        metrics[eval_key(level, "success", task)] = float(np.mean([r.success for r in rs]))
        metrics[eval_key(level, "return", task)] = float(np.mean([r.episode_return for r in rs]))
        metrics[eval_key(level, "length", task)] = float(np.mean([r.length for r in rs]))
    return metrics


def as_records(results: Sequence[EpisodeResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def d3rlpy_policy(algo: Any) -> Policy:
    """Greedy actions from a d3rlpy algorithm (``predict`` takes a batch of observations)."""
    return lambda observations: algo.predict(observations.astype(np.float32, copy=False))
