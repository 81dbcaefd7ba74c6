from imagine_bench.language.embedders import (
    CachedEmbedder,
    HashingEmbedder,
    InstructionEmbedder,
    MiniLMEmbedder,
    default_embedder,
)

__all__ = ["InstructionEmbedder", "MiniLMEmbedder", "HashingEmbedder", "CachedEmbedder", "default_embedder"]
