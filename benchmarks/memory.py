"""Bytes per stored transition: upstream-style layouts (embedding copied into every step) vs the suite's.

    python benchmarks/memory.py --quick [--json out.json]
"""

from __future__ import annotations

from common import metaworld_rollouts, parser, setup, write_json


def upstream_bytes(rollouts, embedder) -> dict[str, float]:
    from imagine_bench.data.buffer import to_d3rlpy_episodes

    padded = rollouts.to_padded(embedder, horizon=int(rollouts.lengths.max()))
    padded_bytes = sum(v.nbytes for k, v in padded.items() if k not in ("instructions", "tasks"))
    episodes = to_d3rlpy_episodes(rollouts, embedder)
    d3_bytes = sum(ep.observations.nbytes + ep.actions.nbytes + ep.rewards.nbytes for ep in episodes)
    n = rollouts.n_transitions
    return {"imaginebench_padded": padded_bytes / n, "d3rlpy_episodes": d3_bytes / n}


def suite_bytes(real, imaginary, embedder) -> float:
    from imagine_bench.data.buffer import FlatReplayBuffer

    buffer = FlatReplayBuffer(real, imaginary, embedder, imaginary_share=None)
    return sum(buffer.memory_bytes().values()) / buffer.transition_count


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    setup(args)
    from imagine_bench.data.rollouts import concatenate
    from imagine_bench.language import HashingEmbedder, default_embedder

    real, imaginary = metaworld_rollouts(5 if args.quick else 50, args.cache_dir)
    both = concatenate([real, imaginary])
    rows = {}
    for label, embedder in (("minilm-384", default_embedder(args.cache_dir)), ("synthetic-768", HashingEmbedder(768)),
                            ("synthetic-1536", HashingEmbedder(1536))):
        upstream = upstream_bytes(both, embedder)
        suite = suite_bytes(real, imaginary, embedder)
        rows[label] = {**upstream, "suite": suite, "ratio_vs_d3rlpy_episodes": upstream["d3rlpy_episodes"] / suite,
                       "ratio_vs_padded": upstream["imaginebench_padded"] / suite}
        print(f"embedding {label:<15} upstream padded {upstream['imaginebench_padded']:8.0f} B/transition   "
              f"embedding-per-step {upstream['d3rlpy_episodes']:8.0f}   suite {suite:6.0f}   "
              f"({rows[label]['ratio_vs_d3rlpy_episodes']:.1f}x / {rows[label]['ratio_vs_padded']:.1f}x smaller)")
    print(f"{both.n_transitions} Meta-World transitions, state {both.states.shape[1]} floats; the suite's bytes per "
          "transition include the amortised embedding table, which is the only part that depends on its size")
    write_json(args.json, {"benchmark": "memory", "transitions": both.n_transitions, "results": rows})


if __name__ == "__main__":
    main()
