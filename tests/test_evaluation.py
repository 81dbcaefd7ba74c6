"""Evaluation: fixed seeded plan, equal episodes per task, batched stepping identical to sequential."""

from __future__ import annotations

import numpy as np
import pytest

from imagine_bench.domains import get_domain
from imagine_bench.evaluation import Evaluator, evaluation_plan, summarize
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


def test_batched_matches_sequential_on_metaworld():
    """Real simulators: 10 lanes in flight give the same per-episode outcome as one at a time."""
    from imagine_bench.domains.meta_world.layout import LAYOUT

    domain = get_domain("metaworld")
    hand, goal = LAYOUT["hand"], LAYOUT["goal"]

    def reach_for_goal(observations):
        delta = observations[:, goal] - observations[:, hand][:, :3]
        return np.concatenate([np.clip(delta * 20, -1, 1), -np.ones((len(delta), 1))], axis=1)

    make = lambda k: Evaluator(domain, ["real"], 1, 30, HashingEmbedder(8), in_flight=k)  # noqa: E731
    sequential, batched = make(1)(reach_for_goal), make(10)(reach_for_goal)
    assert [(r.task, r.success, r.length, r.episode_return) for r in batched] == \
           [(r.task, r.success, r.length, r.episode_return) for r in sequential]
    assert any(r.success for r in batched) and not all(r.success for r in batched)
