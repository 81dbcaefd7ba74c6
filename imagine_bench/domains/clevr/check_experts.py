"""Expert success per task family on the evaluation sets, and push throughput.

    OMP_NUM_THREADS=1 python -m imagine_bench.domains.clevr.check_experts --episodes 50

For every level and family it runs the scripted expert on the first ``--episodes`` planned evaluation episodes (the
same start seeds the evaluator uses with ``eval.seed``) at the domain's horizon, and prints success rate, mean length
and seconds per episode. It then times random pushes (the simulator alone, no planning).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from imagine_bench.domains import get_domain
from imagine_bench.evaluation import evaluation_plan
from imagine_bench.levels import LEVELS


def expert_table(episodes: int, eval_seed: int = 0, levels: tuple[str, ...] = LEVELS) -> list[dict]:
    domain = get_domain("clevr")
    rows = []
    for level in levels:
        plan = evaluation_plan(domain, level, episodes, eval_seed)
        for task in domain.tasks(level):
            sim = domain.make_simulator(task, domain.default_horizon)
            successes, lengths = [], []
            started = time.perf_counter()
            for planned in (p for p in plan if p.task == task):
                state, goal = sim.reset(planned.start_seed)
                success = False
                for t in range(domain.default_horizon):
                    state, success = sim.step(sim.expert_action())
                    if success:
                        break
                successes.append(success)
                lengths.append(t + 1)
            rows.append({"level": level, "task": task, "episodes": len(successes),
                         "success": float(np.mean(successes)), "length": float(np.mean(lengths)),
                         "seconds_per_episode": (time.perf_counter() - started) / len(successes)})
    return rows


def pushes_per_second(pushes: int = 2000, seed: int = 0) -> float:
    from imagine_bench.domains.clevr.physics import N_ACTIONS, Table, sample_start

    rng = np.random.default_rng(seed)
    table = Table()
    started = time.perf_counter()
    for k in range(pushes):
        if k % 50 == 0:
            table.place(sample_start(rng))
        table.push(int(rng.integers(N_ACTIONS)))
    return pushes / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=50, help="evaluation episodes per task family")
    parser.add_argument("--eval-seed", type=int, default=0)
    parser.add_argument("--levels", nargs="*", default=list(LEVELS))
    parser.add_argument("--pushes", type=int, default=2000, help="random pushes for the throughput figure (0: skip)")
    args = parser.parse_args()
    print(f"{'level':<10}{'task':<17}{'episodes':>9}{'success':>9}{'length':>8}{'s/ep':>7}")
    for row in expert_table(args.episodes, args.eval_seed, tuple(args.levels)):
        print(f"{row['level']:<10}{row['task']:<17}{row['episodes']:>9}{row['success']:>9.3f}{row['length']:>8.1f}"
              f"{row['seconds_per_episode']:>7.2f}", flush=True)
    if args.pushes:
        print(f"random pushes per second (1 thread): {pushes_per_second(args.pushes):.0f}")


if __name__ == "__main__":
    main()
