"""Evaluation episodes/s on Meta-World: sequential (one episode at a time) vs batched (many in flight).

Same policy, same fixed evaluation plan, interleaved repeats; also checks both give the same per-episode results.

    python benchmarks/eval_throughput.py --quick [--json out.json]
"""

from __future__ import annotations

import time

from common import parser, setup, write_json


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--in-flight", type=int, default=10)
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
    evaluators = {"sequential": Evaluator(domain, ["real"], episodes_per_task, 100, embedder, in_flight=1),
                  "batched": Evaluator(domain, ["real"], episodes_per_task, 100, embedder, in_flight=args.in_flight)}
    for evaluator in evaluators.values():
        evaluator(policy)  # warm-up: builds the simulators
    seconds = {name: 0.0 for name in evaluators}
    outcomes = {}
    repeats = 2 if args.quick else 3
    for _ in range(repeats):
        for name, evaluator in evaluators.items():
            t0 = time.perf_counter()
            outcomes[name] = evaluator(policy)
            seconds[name] += time.perf_counter() - t0
    n = len(outcomes["sequential"]) * repeats
    rates = {name: n / s for name, s in seconds.items()}
    same = [(r.success, r.length) for r in outcomes["sequential"]] == [(r.success, r.length) for r in outcomes["batched"]]
    steps = sum(r.length for r in outcomes["sequential"]) * repeats
    print(f"{n} episodes ({steps} env steps) per mode; sequential {rates['sequential']:.2f} episodes/s, batched "
          f"({args.in_flight} in flight) {rates['batched']:.2f} episodes/s: {rates['batched'] / rates['sequential']:.2f}x; "
          f"identical per-episode success and length: {same}")
    write_json(args.json, {"benchmark": "eval_throughput", "in_flight": args.in_flight, "episodes": n,
                           "episodes_per_s": rates, "speedup": rates["batched"] / rates["sequential"],
                           "identical_results": same})


if __name__ == "__main__":
    main()
