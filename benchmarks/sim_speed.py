"""Simulator speed of one domain, rendering off: random-action steps per second, the cost of a reset, and (with
``--real-dataset``) the wall time to generate the real dataset at the domain's configured size.

    python benchmarks/sim_speed.py --env libero [--task pick-alphabet_soup] [--real-dataset] [--json out.json]
"""

from __future__ import annotations

import time

import numpy as np
from common import CONFIGS, parser, setup, write_json
from omegaconf import OmegaConf

from imagine_bench.domains import get_domain


def steps_per_second(domain, task: str, steps: int, warmup: int, seed: int = 0) -> dict[str, float]:
    """Random actions from seeded resets; a new episode whenever the task's horizon runs out."""
    horizon = domain.task_horizon(task, domain.default_horizon)
    sim = domain.make_simulator(task, horizon)
    rng = np.random.default_rng(seed)
    try:
        reset_times, step_time, done, t = [], 0.0, 0, 0
        while done < warmup + steps:
            if t == 0:
                start = time.perf_counter()
                sim.reset(int(rng.integers(2**31 - 1)))
                reset_times.append(time.perf_counter() - start)
            action = domain.action_space.sample() if domain.is_discrete else rng.uniform(-1, 1, domain.action_space.shape)
            start = time.perf_counter()
            sim.step(action)
            if done >= warmup:
                step_time += time.perf_counter() - start
            done, t = done + 1, (t + 1) % horizon
    finally:
        sim.close()
    return {"steps_per_s": steps / step_time, "reset_ms": 1000 * float(np.median(reset_times))}


def real_dataset_seconds(domain) -> dict[str, float]:
    from imagine_bench.data.collect import collect_expert_rollouts

    env_cfg = OmegaConf.load(CONFIGS / "env" / f"{domain.name}.yaml")
    episodes = int(env_cfg.episodes_per_task.real)
    start = time.perf_counter()
    rollouts = collect_expert_rollouts(domain, "real", episodes, int(env_cfg.horizon), seed=0, progress=False)
    return {"real_dataset_s": time.perf_counter() - start, "real_episodes_per_task": episodes,
            "real_transitions": rollouts.n_transitions}


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--env", default="libero")
    p.add_argument("--task", default=None, help="default: the first training task")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--real-dataset", action="store_true", help="also time the real dataset's generation")
    args = p.parse_args()
    setup(args)
    domain = get_domain(args.env)
    domain.check_available()
    task = args.task or domain.tasks("real")[0]
    steps = 200 if args.quick else args.steps
    result = {"env": domain.name, "task": task, **steps_per_second(domain, task, steps, warmup=50)}
    print(f"{domain.name} {task}: {result['steps_per_s']:.1f} steps/s, reset {result['reset_ms']:.0f} ms")
    if args.real_dataset:
        result.update(real_dataset_seconds(domain))
        print(f"real dataset ({result['real_episodes_per_task']} episodes per task, {result['real_transitions']} "
              f"transitions): {result['real_dataset_s'] / 60:.1f} min")
    write_json(args.json, result)


if __name__ == "__main__":
    main()
