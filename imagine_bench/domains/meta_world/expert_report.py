"""Print the scripted experts' success and the state-vs-simulator success agreement for every Meta-World task.

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.meta_world.expert_report --episodes 20 --horizon 100

Columns: ``success`` = episodes whose simulator flag fired within the horizon (episodes stop at the first success),
``median_t`` = median first-success step (seeds 0..episodes-1), ``agree`` = share of steps of expert rollouts that
are not stopped at success (``--agree-episodes`` per task, ``--agree-horizon`` steps, seeds 10000+) where
``domain.success`` on the state equals the simulator's flag, ``flagged`` = share of those steps the simulator flagged
as success (both outcomes must occur for the agreement to mean something), ``s/ep`` = wall time per expert episode
(stopped at success), ``cpu/ep`` = CPU time of this process per expert episode.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def run(task: str, episodes: int, horizon: int, agree_episodes: int, agree_horizon: int) -> dict[str, float]:
    from imagine_bench.domains import get_domain

    domain = get_domain("metaworld")
    horizon = domain.task_horizon(task, horizon)  # composite tasks get two horizons
    sim = domain.make_simulator(task, horizon)
    firsts: list[int] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for ep in range(episodes):
        sim.reset(ep)
        first = -1
        for t in range(horizon):
            _, ok = sim.step(sim.expert_action())
            if ok:
                first = t + 1
                break
        firsts.append(first)
    per_episode = (time.perf_counter() - t0) / max(episodes, 1)
    cpu_per_episode = (time.process_time() - c0) / max(episodes, 1)
    agree = total = flagged = 0
    for ep in range(agree_episodes):
        state, goal = sim.reset(10_000 + ep)
        for _ in range(agree_horizon):
            state, ok = sim.step(sim.expert_action())
            agree += int(domain.success(task, goal, state) == ok)
            flagged += int(ok)
            total += 1
    sim.close()
    ok_steps = [f for f in firsts if f > 0]
    return {
        "success": float(np.mean([f > 0 for f in firsts])),
        "median_t": float(np.median(ok_steps)) if ok_steps else float("nan"),
        "agree": agree / max(total, 1),
        "flag_share": flagged / max(total, 1),
        "s_per_ep": per_episode,
        "cpu_per_ep": cpu_per_episode,
    }


def main() -> None:
    from imagine_bench.domains import get_domain

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--horizon", type=int, default=100)
    parser.add_argument("--agree-episodes", type=int, default=3)
    parser.add_argument("--agree-horizon", type=int, default=200)
    parser.add_argument("--tasks", nargs="*", default=None)
    args = parser.parse_args()
    domain = get_domain("metaworld")
    rows = []
    columns = ("success", "median_t", "agree", "flagged", "s/ep", "cpu/ep")
    print(f"{'level':6s} {'task':18s} " + " ".join(f"{c:>8s}" for c in columns))
    for level in ("real", "easy", "hard"):
        for task in domain.tasks(level):
            if args.tasks and task not in args.tasks:
                continue
            r = run(task, args.episodes, args.horizon, args.agree_episodes, args.agree_horizon)
            rows.append(r)
            print(
                f"{level:6s} {task:18s} {r['success']:8.2f} {r['median_t']:8.1f} {r['agree']:8.3f} "
                f"{r['flag_share']:8.2f} {r['s_per_ep']:8.3f} {r['cpu_per_ep']:8.3f}",
                flush=True,
            )
    if rows:
        wall, cpu = np.mean([r["s_per_ep"] for r in rows]), np.mean([r["cpu_per_ep"] for r in rows])
        print(f"mean per expert episode: {wall:.3f} s wall, {cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
