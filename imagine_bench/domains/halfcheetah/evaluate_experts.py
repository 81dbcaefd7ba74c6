"""Print the success table of the HalfCheetah experts, run through the domain's own task simulators.

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.halfcheetah.evaluate_experts --episodes 100

Start states come from the suite's seeding (purpose ``evaluation``, stream ``experts/<task>``), so the table is
reproducible and independent of the data-generation seeds. Episodes stop at the task's success or at the horizon.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from imagine_bench.domains.halfcheetah import layout as L
from imagine_bench.domains.halfcheetah.domain import HalfCheetahDomain
from imagine_bench.levels import LEVELS
from imagine_bench.seeding import episode_seed


def evaluate(task: str, episodes: int, horizon: int, seed: int = 0) -> dict[str, float]:
    domain = HalfCheetahDomain()
    sim = domain.make_simulator(task, horizon)
    wins, lengths, disps, peaks = [], [], [], []
    try:
        for index in range(episodes):
            state, _ = sim.reset(episode_seed(seed, "evaluation", f"experts/{task}", index))
            success, steps = False, 0
            while not success and steps < horizon:
                state, success = sim.step(sim.expert_action())
                steps += 1
            wins.append(success)
            lengths.append(steps)
            disps.append(float(state[L.DISP]))
            peaks.append(float(state[L.PEAK]))
    finally:
        sim.close()
    return {"success": float(np.mean(wins)), "length": float(np.mean(lengths)), "disp": float(np.mean(disps)),
            "peak": float(np.mean(peaks))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="success rate of every HalfCheetah expert")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--horizon", type=int, default=HalfCheetahDomain.default_horizon)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", action="append", help="only these tasks (repeatable)")
    args = parser.parse_args(argv)
    domain = HalfCheetahDomain()
    rows = [(level, task) for level in LEVELS if level != "rephrase" for task in domain.tasks(level)]
    if args.task:
        rows = [row for row in rows if row[1] in args.task]
    print(f"{'level':6s} {'task':27s} {'success':>8s} {'length':>7s} {'final disp':>10s} {'peak':>6s}  "
          f"({args.episodes} episodes, horizon {args.horizon})", flush=True)
    start = time.time()
    for level, task in rows:
        r = evaluate(task, args.episodes, args.horizon, args.seed)
        print(f"{level:6s} {task:27s} {r['success']:8.2f} {r['length']:7.1f} {r['disp']:10.2f} {r['peak']:6.3f}",
              flush=True)
    print(f"({time.time() - start:.0f}s)")


if __name__ == "__main__":
    main()
