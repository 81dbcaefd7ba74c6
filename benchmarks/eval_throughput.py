"""Evaluation episodes/s on Meta-World: sequential, batched in-process, and batched with simulator worker processes.

Same policy, same fixed evaluation plan, interleaved repeats; also checks that all three give the same per-episode
results. Starting the workers and building the simulators happen in a warm-up evaluation outside the timing; the
pool's start-up time is printed separately.

    python benchmarks/eval_throughput.py --quick [--workers auto|N] [--json out.json]
"""

from __future__ import annotations

import time


def main() -> None:
    # Imported here, not at the top: spawned worker processes re-import this file as their __main__, and common
    # imports torch, which a worker does not need.
    from common import parser, setup, write_json

    p = parser(__doc__.splitlines()[0])
    p.add_argument("--in-flight", type=int, default=10)
    p.add_argument("--workers", default="auto", help="worker processes for the third mode: auto (default) or N")
    args = p.parse_args()
    setup(args)
    import d3rlpy

    from encoders import LLaTAEncoderFactory
    from imagine_bench.domains import get_domain
    from imagine_bench.evaluation import Evaluator, d3rlpy_policy
    from imagine_bench.language import default_embedder

    domain = get_domain("metaworld")
    embedder = default_embedder(args.cache_dir)
    d3rlpy.seed(0)
    algo = d3rlpy.algos.BCConfig(encoder_factory=LLaTAEncoderFactory(state_dim=domain.state_dim)).create(args.device)
    algo.create_impl((domain.state_dim + embedder.dim,), 4)
    policy = d3rlpy_policy(algo)
    episodes_per_task = 1 if args.quick else 3

    def evaluator(in_flight: int, workers: int | str) -> Evaluator:
        return Evaluator(domain, ["real"], episodes_per_task, 100, embedder, in_flight=in_flight, workers=workers)

    evaluators = {"sequential": evaluator(1, 0), "batched": evaluator(args.in_flight, 0),
                  "workers": evaluator(args.in_flight, args.workers)}
    warmup = {}
    for name, ev in evaluators.items():
        t0 = time.perf_counter()
        ev(policy)  # warm-up: starts the workers, builds the simulators
        warmup[name] = time.perf_counter() - t0
    seconds = {name: 0.0 for name in evaluators}
    outcomes = {}
    repeats = 5  # short interleaved repeats: drift in the machine's speed hits every mode alike
    for _ in range(repeats):
        for name, ev in evaluators.items():
            t0 = time.perf_counter()
            outcomes[name] = ev(policy)
            seconds[name] += time.perf_counter() - t0
    workers, startup = evaluators["workers"].workers, evaluators["workers"].lanes.startup_s
    for ev in evaluators.values():
        ev.close()
    n = len(outcomes["sequential"]) * repeats
    rates = {name: n / s for name, s in seconds.items()}
    speedups = {name: rate / rates["sequential"] for name, rate in rates.items()}
    # Success and length must agree everywhere; returns may differ in the last bits between batch sizes (the policy's
    # matrix products round differently for 1 and 10 rows) but not between the two batched modes.
    outcome = {name: [(r.task, r.index, r.success, r.length) for r in rs] for name, rs in outcomes.items()}
    same = outcome["sequential"] == outcome["batched"] == outcome["workers"]
    same_batched = outcomes["batched"] == outcomes["workers"]
    steps = sum(r.length for r in outcomes["sequential"]) * repeats
    print(f"{n} episodes ({steps} env steps) per mode; sequential {rates['sequential']:.2f} episodes/s; "
          f"batched ({args.in_flight} in flight) in-process {rates['batched']:.2f} episodes/s: "
          f"{speedups['batched']:.2f}x; with {workers} workers {rates['workers']:.2f} episodes/s: "
          f"{speedups['workers']:.2f}x; identical per-episode success and length in all three: {same}, every field "
          f"(returns too) in both batched modes: {same_batched}")
    print(f"worker pool start-up {_seconds(startup)}; warm-up evaluations (simulators built, untimed): "
          + ", ".join(f"{name} {s:.1f} s" for name, s in warmup.items()))
    write_json(args.json, {"benchmark": "eval_throughput", "in_flight": args.in_flight, "workers": workers,
                           "episodes": n, "episodes_per_s": rates, "speedup": speedups,
                           "identical_results": same, "identical_batched_results": same_batched,
                           "worker_startup_s": startup, "warmup_s": warmup})


def _seconds(value: float | None) -> str:
    return "n/a (in-process)" if value is None else f"{value:.2f} s"


if __name__ == "__main__":
    main()
