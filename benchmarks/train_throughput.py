"""Training steps/s: stock d3rlpy vs the suite's training path, same data, same model (the suite's algo YAMLs).

Three paths, each running d3rlpy's own loop body (``sample_transition_batch`` then ``update``), interleaved repeat by
repeat so machine noise hits all alike:

- ``stock_d3rlpy``: d3rlpy's ``ReplayBuffer`` (embedding copied into every observation) and d3rlpy's ``AdamFactory``;
- ``suite_data``: the suite's ``FlatReplayBuffer`` (vectorised gather, prefetched) with the stock optimizer, which
  isolates the data path;
- ``suite``: the suite's defaults, i.e. ``FlatReplayBuffer`` plus ``optimizer=fused_adam`` (same Adam update rule).

The sampling share is the fraction of a step spent waiting for the batch. With the suite's prefetch thread (default;
``--no-prefetch`` gathers inline) the batch is built while the previous update runs; on a 2-vCPU VM that concurrent
gather slowed the update by about as much as it saved, so compare the steps/s of both settings, not only the share.

    python benchmarks/train_throughput.py --quick [--json out.json] [--device cuda --compile-graph]
"""

from __future__ import annotations

import time

import numpy as np
from common import CONFIGS, metaworld_rollouts, parser, setup, write_json

ALGOS = ("bc", "cql", "td3_plus_bc", "iql")


def make_algo(name: str, optimizer: str, state_dim: int, obs_dim: int, action_dim: int, device: str,
              compile_graph: bool):
    """The algorithm exactly as the runner builds it from ``configs/`` (``algo=<name> optimizer=<optimizer>``)."""
    import d3rlpy
    from hydra import compose, initialize_config_dir

    from algos import build_algo
    from imagine_bench.runner import fill_runtime_fields

    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("config", overrides=[f"algo={name}", f"optimizer={optimizer}", f"compile_graph={compile_graph}"])
    fill_runtime_fields(cfg, state_dim)
    d3rlpy.seed(0)
    algo = build_algo(cfg.algo, "continuous", device)
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
    # Many short interleaved repeats: drift in the machine's speed (frequent on shared VMs) then hits all paths alike.
    steps = {"bc": 50, "cql": 5, "td3_plus_bc": 20, "iql": 20} if args.quick else \
            {"bc": 200, "cql": 20, "td3_plus_bc": 80, "iql": 80}
    repeats = 10
    real, imaginary = metaworld_rollouts(episodes, args.cache_dir)
    embedder = default_embedder(args.cache_dir)
    both = concatenate([real, imaginary])
    suite_buffer = FlatReplayBuffer(real, imaginary, embedder, imaginary_share=None, seed=0,
                                    prefetch=not args.no_prefetch)
    paths = {  # name -> (buffer, optimizer config option)
        "stock_d3rlpy": (to_d3rlpy_replay_buffer(both, embedder), "adam"),
        "suite_data": (suite_buffer, "adam"),
        "suite": (suite_buffer, "fused_adam"),
    }
    state_dim, obs_dim = both.states.shape[1], both.states.shape[1] + embedder.dim
    print(f"data: {both.n_transitions} transitions, observation {obs_dim} = state {state_dim} + embedding "
          f"{embedder.dim}; device {args.device}; {repeats} interleaved repeats")
    results = {}
    for name in args.algos:
        algos = {path: make_algo(name, optimizer, state_dim, obs_dim, both.actions.shape[1], args.device,
                                 args.compile_graph) for path, (_, optimizer) in paths.items()}
        for path, (buffer, _) in paths.items():
            time_steps(algos[path], buffer, 20 if args.device == "cpu" else 60)  # warm-up (and CUDA-graph capture)
        totals = {path: [0.0, 0.0] for path in paths}
        for _ in range(repeats):
            for path, (buffer, _) in paths.items():
                s, u = time_steps(algos[path], buffer, steps[name])
                totals[path][0] += s
                totals[path][1] += u
        row = {}
        for path, (s, u) in totals.items():
            n = steps[name] * repeats
            row[path] = {"steps_per_s": n / (s + u), "sample_ms": 1e3 * s / n, "update_ms": 1e3 * u / n,
                         "sampling_share": s / (s + u)}
        stock = row["stock_d3rlpy"]["steps_per_s"]
        row["speedup_data_path"] = row["suite_data"]["steps_per_s"] / stock
        row["speedup"] = row["suite"]["steps_per_s"] / stock
        results[name] = row
        print(f"{name:<12} steps/s: stock {stock:7.1f} (sampling {100 * row['stock_d3rlpy']['sampling_share']:4.1f}%)"
              f"  suite data path {row['suite_data']['steps_per_s']:7.1f} ({row['speedup_data_path']:.2f}x)"
              f"  suite {row['suite']['steps_per_s']:7.1f} (sampling {100 * row['suite']['sampling_share']:4.1f}%,"
              f" {row['speedup']:.2f}x)", flush=True)
    suite_buffer.close()
    write_json(args.json, {"benchmark": "train_throughput", "quick": args.quick, "device": args.device,
                           "prefetch": not args.no_prefetch,
                           "compile_graph": args.compile_graph, "transitions": both.n_transitions,
                           "results": results})


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
