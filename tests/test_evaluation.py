"""Evaluation: fixed seeded plan, equal episodes per task, batched stepping identical to sequential."""

from __future__ import annotations

import multiprocessing
import os
import signal

import numpy as np
import pytest

from imagine_bench.domains import get_domain
from imagine_bench.evaluation import Evaluator, evaluation_plan, summarize
from imagine_bench.evaluation.workers import resolve_workers
from imagine_bench.language import HashingEmbedder


def goal_seeking_policy(observations: np.ndarray) -> np.ndarray:
    """Deterministic and row-independent, so batching cannot change any action."""
    return np.clip((observations[:, 2:4] - observations[:, 0:2]) / 0.1, -1, 1) * 0.5


def test_plan_is_fixed_and_equal_per_task():
    domain = get_domain("toy")
    plan = evaluation_plan(domain, "real", episodes_per_task=4)
    assert plan == evaluation_plan(domain, "real", episodes_per_task=4)
    assert {t: sum(p.task == t for p in plan) for t in domain.tasks("real")} == {"left": 4, "right": 4}
    assert len({p.start_seed for p in plan}) == len(plan)
    assert plan != evaluation_plan(domain, "real", episodes_per_task=4, eval_seed=1)


@pytest.mark.parametrize("in_flight", [2, 3, 16])
def test_batched_matches_sequential_episode_by_episode(in_flight):
    domain = get_domain("toy")
    make = lambda k: Evaluator(domain, ["real", "hard"], 5, 10, HashingEmbedder(8), in_flight=k)  # noqa: E731
    sequential = make(1)(goal_seeking_policy)
    batched = make(in_flight)(goal_seeking_policy)
    assert batched == sequential
    assert len(batched) == 5 * (2 + 1)  # every planned episode exactly once
    assert len({(r.level, r.task, r.index) for r in batched}) == len(batched)
    assert 0 < np.mean([r.success for r in batched]) < 1


def test_policy_called_once_per_step_with_all_running_episodes():
    domain = get_domain("toy")
    sizes = []

    def policy(obs):
        sizes.append(len(obs))
        return goal_seeking_policy(obs)

    Evaluator(domain, ["real"], 3, 30, HashingEmbedder(8), in_flight=4)(policy)
    assert max(sizes) == 2  # two lanes (tasks) at level real, so at most two episodes in flight


def test_summary_metrics_per_level_and_task():
    domain = get_domain("toy")
    results = Evaluator(domain, ["real", "easy"], 2, 30, HashingEmbedder(8))(goal_seeking_policy)
    metrics = summarize(results)
    for key in ("eval/real/success", "eval/real/return", "eval/real/length", "eval/real/left/success",
                "eval/easy/up/length"):
        assert key in metrics
    assert metrics["eval/real/success"] == pytest.approx(np.mean([r.success for r in results if r.level == "real"]))


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_over_episodes_unless_disabled(capsys, progress):
    evaluator = Evaluator(get_domain("toy"), ["real", "hard"], 2, 10, HashingEmbedder(8), progress=progress)
    results = evaluator(goal_seeking_policy, description="evaluation at step 7")
    err = capsys.readouterr().err
    assert len(results) == 6
    if progress:
        assert "evaluation at step 7" in err and "/6" in err  # one bar over the 6 planned episodes
    else:
        assert err == ""


def toy_evaluator(in_flight: int, workers: int | str = 0, episodes: int = 5) -> Evaluator:
    return Evaluator(get_domain("toy"), ["real", "hard"], episodes, 10, HashingEmbedder(8), in_flight=in_flight,
                     workers=workers)


def eval_workers() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name.startswith("imagine-bench-eval")]


@pytest.mark.parametrize("in_flight", [4, 10])
def test_worker_processes_match_sequential_episode_by_episode(in_flight):
    evaluator = toy_evaluator(in_flight, workers=2)
    try:
        assert evaluator(goal_seeking_policy) == toy_evaluator(1)(goal_seeking_policy)
        assert evaluator(goal_seeking_policy) == toy_evaluator(1)(goal_seeking_policy)  # the pool is reused
        assert len(eval_workers()) == 2
    finally:
        evaluator.close()
    assert eval_workers() == []  # close() joined every worker


def test_worker_error_carries_the_worker_traceback():
    evaluator = toy_evaluator(4, workers=2, episodes=1)
    with pytest.raises(RuntimeError, match=r"evaluation worker \d \(pid \d+\) failed on lane real/left") as error:
        evaluator(lambda obs: np.zeros((len(obs), 3)))  # the toy simulator cannot add a 3-d move to a 2-d point
    assert "Traceback" in str(error.value) and "could not be broadcast" in str(error.value)
    assert eval_workers() == []  # a failed exchange closes the pool
    evaluator.close()


def test_dead_worker_is_reported_and_the_next_evaluation_starts_a_new_pool():
    evaluator = toy_evaluator(4, workers=1, episodes=1)
    try:
        expected = evaluator(goal_seeking_policy)
        os.kill(eval_workers()[0].pid, signal.SIGKILL)
        with pytest.raises(RuntimeError, match=r"evaluation worker 0 \(pid \d+\) died"):
            evaluator(goal_seeking_policy)
        assert evaluator(goal_seeking_policy) == expected
    finally:
        evaluator.close()


def evaluate_in_a_worker_process() -> tuple[str, list]:
    import toy_domain  # noqa: F401  (a joblib worker is a fresh interpreter: register the toy domain there too)

    evaluator = toy_evaluator(4, workers=1, episodes=1)
    try:
        return multiprocessing.get_start_method(), evaluator(goal_seeking_policy)
    finally:
        evaluator.close()


def test_worker_processes_start_inside_a_joblib_job():
    """A joblib (loky) job's default start method is ``loky``, unknown to the interpreter an evaluation worker is
    spawned into; the worker must start anyway (Hydra's joblib launcher runs every job this way)."""
    from joblib import Parallel, delayed
    from joblib.externals.loky import get_reusable_executor

    try:
        [(start_method, results)] = Parallel(n_jobs=2, backend="loky")(
            delayed(evaluate_in_a_worker_process)() for _ in range(1))
    finally:
        get_reusable_executor().shutdown(wait=True)
    assert start_method == "loky"  # the situation under test
    assert results == toy_evaluator(1, episodes=1)(goal_seeking_policy)


def test_auto_workers_follow_the_usable_cpus(monkeypatch, compose_cfg):
    def with_cpus(n):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)

    with_cpus(2)
    assert resolve_workers("auto", in_flight=16) == 2
    assert resolve_workers("auto", in_flight=1) == 1
    with_cpus(64)
    assert resolve_workers("auto", in_flight=16) == 8 and resolve_workers("auto", in_flight=5) == 5
    with_cpus(1)
    assert resolve_workers("auto", in_flight=16) == 0  # one core: workers would only add messages
    assert resolve_workers(3, in_flight=16) == 3 and resolve_workers("0", in_flight=16) == 0
    for bad in (-1, "many"):
        with pytest.raises(ValueError):
            resolve_workers(bad, in_flight=16)
    assert compose_cfg().eval.workers == "auto"
    with_cpus(2)
    assert toy_evaluator(16, workers="auto").workers == 2
    assert toy_evaluator(16, workers=8).workers == 3  # never more workers than lanes (real: 2 tasks, hard: 1)


def test_batched_matches_sequential_on_metaworld():
    """Real simulators: 10 lanes in flight in this process, or 4 in 2 worker processes, give the same per-episode
    results as one at a time."""
    from imagine_bench.domains.meta_world.layout import LAYOUT

    domain = get_domain("metaworld")
    hand, goal = LAYOUT["hand"], LAYOUT["goal"]

    def reach_for_goal(observations):
        delta = observations[:, goal] - observations[:, hand][:, :3]
        return np.concatenate([np.clip(delta * 20, -1, 1), -np.ones((len(delta), 1))], axis=1)

    make = lambda k, w=0: Evaluator(domain, ["real"], 1, 30, HashingEmbedder(8), in_flight=k, workers=w)  # noqa: E731
    sequential, batched = make(1)(reach_for_goal), make(10)(reach_for_goal)
    assert [(r.task, r.success, r.length, r.episode_return) for r in batched] == \
           [(r.task, r.success, r.length, r.episode_return) for r in sequential]
    assert any(r.success for r in batched) and not all(r.success for r in batched)
    in_workers = make(4, w=2)
    try:
        assert in_workers(reach_for_goal) == sequential
    finally:
        in_workers.close()
