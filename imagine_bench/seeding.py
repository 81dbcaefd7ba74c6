"""Deterministic seeds for every episode the suite ever starts, derived from (run seed, purpose, task, index).

Training data, imaginary data and evaluation draw from disjoint streams (different ``purpose``), so evaluation start
states are never the ones the policy was trained on, and are the same for every run whatever its training seed.
"""

from __future__ import annotations

import random
import zlib

import numpy as np

PURPOSES = {"real": 1, "imaginary": 2, "evaluation": 3}


def episode_seed(seed: int, purpose: str, task: str, index: int) -> int:
    entropy = [int(seed), PURPOSES[purpose], zlib.crc32(task.encode()), int(index)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] & 0x7FFFFFFF)


def evaluation_seed(eval_seed: int, level: str, task: str, index: int) -> int:
    """Start seed of the ``index``-th evaluation episode of ``task`` at ``level`` (the evaluation plan's, and the
    expert tables' ones)."""
    return episode_seed(eval_seed, "evaluation", f"{level}/{task}", index)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, torch and d3rlpy's global generators (d3rlpy.seed covers numpy and torch)."""
    import d3rlpy

    random.seed(seed)
    d3rlpy.seed(seed)
