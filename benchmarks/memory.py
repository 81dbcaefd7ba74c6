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


def suite_bytes(real, imaginary, embedder) -> tuple[float, float]:
    """(bytes per transition without the embedding table, the table's bytes amortised per transition)."""
    from imagine_bench.data.buffer import FlatReplayBuffer

    buffer = FlatReplayBuffer(real, imaginary, embedder, imaginary_share=None)
    parts = buffer.memory_bytes()
    n = buffer.transition_count
    return (parts["states"] + parts["per_transition_arrays"]) / n, parts["embedding_table"] / n


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
        per_transition, table = suite_bytes(real, imaginary, embedder)
        suite = per_transition + table
        rows[label] = {**upstream, "suite": suite, "suite_per_transition": per_transition,
                       "suite_embedding_table_amortised": table,
                       "ratio_vs_d3rlpy_episodes": upstream["d3rlpy_episodes"] / suite,
                       "ratio_vs_padded": upstream["imaginebench_padded"] / suite}
        print(f"embedding {label:<15} upstream padded {upstream['imaginebench_padded']:7.0f} B/transition   "
              f"embedding-per-step {upstream['d3rlpy_episodes']:6.0f}   suite {suite:5.0f} = {per_transition:.0f} "
              f"per transition + {table:.0f} table   ({rows[label]['ratio_vs_d3rlpy_episodes']:.1f}x / "
              f"{rows[label]['ratio_vs_padded']:.1f}x smaller)")
    print(f"{both.n_transitions} Meta-World transitions, state {both.states.shape[1]} floats, "
          f"{len(both.instructions)} unique instructions; only the shared table grows with the embedding size")
    write_json(args.json, {"benchmark": "memory", "transitions": both.n_transitions, "results": rows})


if __name__ == "__main__":
    main()
