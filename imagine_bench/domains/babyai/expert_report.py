"""Print the scripted experts' success on every BabyAI task, with checks that the domain's pieces agree.

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.babyai.expert_report --episodes 200

Columns: ``success`` = share of episodes whose simulator flag fired within the horizon (episodes stop at the first
success), ``mean_t`` / ``max_t`` = steps to success, ``agree`` = share of steps where the state-based
``domain.success`` equals the simulator's own flag, ``ms/ep`` = wall time per expert episode (reset, expert,
simulator step and reward). Start seeds are ``0..episodes-1``, the same for every task.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def run(task: str, episodes: int, horizon: int) -> dict[str, float]:
    from imagine_bench.domains import get_domain

    domain = get_domain("babyai")
    sim = domain.make_simulator(task, horizon)
    solved, steps, agree, total = [], [], 0, 0
    started = time.perf_counter()
    for seed in range(episodes):
        state, goal = sim.reset(seed)
        ok, t = False, 0
        for t in range(1, horizon + 1):
            next_state, ok = sim.step(sim.expert_action())
            domain.reward(task, goal, state, next_state, ok)
            agree += int(domain.success(task, goal, next_state) == ok)
            total += 1
            state = next_state
            if ok:
                break
        solved.append(ok)
        if ok:
            steps.append(t)
    elapsed = time.perf_counter() - started
    sim.close()
    return {
        "success": float(np.mean(solved)),
        "mean_t": float(np.mean(steps)) if steps else float("nan"),
        "max_t": float(max(steps)) if steps else float("nan"),
        "agree": agree / max(total, 1),
        "ms_per_ep": 1000 * elapsed / max(episodes, 1),
    }


def main(argv: list[str] | None = None) -> None:
    from imagine_bench.domains import get_domain

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--horizon", type=int, default=None, help="default: the domain's horizon (64)")
    args = parser.parse_args(argv)
    domain = get_domain("babyai")
    horizon = args.horizon or domain.default_horizon
    print(f"BabyAI experts: {args.episodes} episodes per task, horizon {horizon}")
    print(f"{'level':<7}{'task':<20}{'success':>8}{'mean_t':>8}{'max_t':>7}{'agree':>7}{'ms/ep':>8}")
    for level in ("real", "easy", "hard"):
        for task in domain.tasks(level):
            r = run(task, args.episodes, horizon)
            print(f"{level:<7}{task:<20}{r['success']:>8.3f}{r['mean_t']:>8.1f}{r['max_t']:>7.0f}{r['agree']:>7.3f}"
                  f"{r['ms_per_ep']:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
