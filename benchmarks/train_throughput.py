"""Training steps/s with d3rlpy's stock replay buffer vs the suite's FlatReplayBuffer, same data, same model.

Both paths run d3rlpy's own loop body (``sample_transition_batch`` then ``update``), interleaved repeat by repeat so
machine noise hits both alike; the sampling share is the fraction of a step spent waiting for the batch (with the
suite's prefetch thread, the batch is built while the previous update runs).

    python benchmarks/train_throughput.py --quick [--json out.json] [--device cuda --compile-graph]
"""

from __future__ import annotations

import time

import numpy as np
from common import metaworld_rollouts, parser, setup, write_json

ALGOS = ("bc", "cql", "td3_plus_bc", "iql")


def make_algo(name: str, state_dim: int, obs_dim: int, action_dim: int, device: str, compile_graph: bool):
    import d3rlpy

    from encoders import LLaTAEncoderFactory

    enc = LLaTAEncoderFactory(state_dim=state_dim)
    kw = {"compile_graph": compile_graph}
    config = {
        "bc": lambda: d3rlpy.algos.BCConfig(batch_size=256, encoder_factory=enc, **kw),
        "cql": lambda: d3rlpy.algos.CQLConfig(actor_encoder_factory=enc, critic_encoder_factory=enc, **kw),
        "td3_plus_bc": lambda: d3rlpy.algos.TD3PlusBCConfig(actor_encoder_factory=enc, critic_encoder_factory=enc, **kw),
        "iql": lambda: d3rlpy.algos.IQLConfig(actor_encoder_factory=enc, critic_encoder_factory=enc,
                                              value_encoder_factory=enc, **kw),
    }[name]()
    d3rlpy.seed(0)
    algo = config.create(device=device)
    algo.create_impl((obs_dim,), action_dim)
    return algo


def time_steps(algo, buffer, steps: int) -> tuple[float, float]:
    """Seconds spent sampling and updating over ``steps`` steps."""
    sample_s = update_s = 0.0
    batch_size = algo.config.batch_size
    for _ in range(steps):
        t0 = time.perf_counter()
        batch = buffer.sample_transition_batch(batch_size)
        t1 = time.perf_counter()
        algo.update(batch)
        t2 = time.perf_counter()
        sample_s, update_s = sample_s + t1 - t0, update_s + t2 - t1
    return sample_s, update_s


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    p.add_argument("--compile-graph", action="store_true", help="d3rlpy compile_graph (CUDA only)")
    p.add_argument("--no-prefetch", action="store_true", help="the suite's buffer without its prefetch thread")
    args = p.parse_args()
    setup(args)
    from imagine_bench.data.buffer import FlatReplayBuffer, to_d3rlpy_replay_buffer
    from imagine_bench.data.rollouts import concatenate
    from imagine_bench.language import default_embedder

    episodes = 5 if args.quick else 50
    steps = {"bc": 150, "cql": 15, "td3_plus_bc": 60, "iql": 60} if args.quick else \
            {"bc": 1000, "cql": 100, "td3_plus_bc": 400, "iql": 400}
    repeats = 3
    real, imaginary = metaworld_rollouts(episodes, args.cache_dir)
    embedder = default_embedder(args.cache_dir)
    both = concatenate([real, imaginary])
    paths = {
        "stock_d3rlpy": to_d3rlpy_replay_buffer(both, embedder),
        "suite": FlatReplayBuffer(real, imaginary, embedder, imaginary_share=None, seed=0, prefetch=not args.no_prefetch),
    }
    state_dim, obs_dim = both.states.shape[1], both.states.shape[1] + embedder.dim
    print(f"data: {both.n_transitions} transitions, observation {obs_dim} = state {state_dim} + embedding "
          f"{embedder.dim}; device {args.device}; {repeats} interleaved repeats")
    results = {}
    for name in args.algos:
        algos = {path: make_algo(name, state_dim, obs_dim, both.actions.shape[1], args.device, args.compile_graph)
                 for path in paths}
        for path, buffer in paths.items():
            time_steps(algos[path], buffer, 20 if args.device == "cpu" else 60)  # warm-up (and CUDA-graph capture)
        totals = {path: [0.0, 0.0] for path in paths}
        for _ in range(repeats):
            for path, buffer in paths.items():
                s, u = time_steps(algos[path], buffer, steps[name])
                totals[path][0] += s
                totals[path][1] += u
        row = {}
        for path, (s, u) in totals.items():
            n = steps[name] * repeats
            row[path] = {"steps_per_s": n / (s + u), "sample_ms": 1e3 * s / n, "update_ms": 1e3 * u / n,
                         "sampling_share": s / (s + u)}
        row["speedup"] = row["suite"]["steps_per_s"] / row["stock_d3rlpy"]["steps_per_s"]
        results[name] = row
        print(f"{name:<12} stock {row['stock_d3rlpy']['steps_per_s']:8.1f} steps/s "
              f"(sampling {100 * row['stock_d3rlpy']['sampling_share']:4.1f}%)   suite "
              f"{row['suite']['steps_per_s']:8.1f} steps/s (sampling {100 * row['suite']['sampling_share']:4.1f}%)   "
              f"speedup {row['speedup']:.2f}x", flush=True)
    for buffer in paths.values():
        getattr(buffer, "close", lambda: None)()
    write_json(args.json, {"benchmark": "train_throughput", "quick": args.quick, "device": args.device,
                           "prefetch": not args.no_prefetch,
                           "compile_graph": args.compile_graph, "transitions": both.n_transitions,
                           "results": results})


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
