"""Statistics for result tables: seed means with bootstrap confidence intervals, and rliable's aggregates.

Two estimators, both as the literature reports them:

- **Per cell** (one domain, level, condition, algorithm): the mean success over training seeds with a 95% percentile
  bootstrap confidence interval of that mean (resampling seeds with replacement), and the sample standard deviation
  (``ddof=1``). With three seeds the interval is wide and coarse; it is stated, not hidden.
- **Across domains**: the interquartile mean (IQM) of the (seed x domain) score matrix with a 95% *stratified*
  bootstrap interval, as Agarwal et al. (NeurIPS 2021, "Deep RL at the edge of the statistical precipice") define it
  and their ``rliable`` package computes it: each bootstrap replicate resamples the seeds within every domain.
"""

from __future__ import annotations

import contextlib
import warnings
import zlib
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

CONFIDENCE = 0.95
BOOTSTRAP_REPS = 10_000


def sample_std(values: Sequence[float]) -> float:
    """Sample standard deviation (``ddof=1``); NaN for fewer than two values."""
    values = np.asarray(values, dtype=float)
    return float(np.std(values, ddof=1)) if values.size > 1 else float("nan")


def bootstrap_ci(values: Sequence[float], confidence: float = CONFIDENCE, reps: int = BOOTSTRAP_REPS,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampled with replacement, ``reps`` times).

    One value gives a zero-width interval at that value; no values give (NaN, NaN).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(reps, values.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of all entries (rliable's ``aggregate_iqm``: the 25% trimmed mean of the flattened scores)."""
    from rliable import metrics

    return float(metrics.aggregate_iqm(np.asarray(scores, dtype=float)))


def iqm_with_ci(score_matrices: Mapping[str, np.ndarray], confidence: float = CONFIDENCE,
                reps: int = BOOTSTRAP_REPS, seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """``{name: (iqm, low, high)}`` for each (runs x domains) score matrix, with stratified bootstrap intervals.

    Thin wrapper over ``rliable.library.get_interval_estimates`` (percentile method, runs resampled per domain).
    Each matrix gets its own bootstrap stream, derived from ``seed`` and its name, so an interval depends only on its
    own scores: re-rendering a table, or adding a row to it, leaves the other rows' intervals unchanged.
    """
    from rliable import library as rly
    from rliable import metrics

    estimates = {}
    for name, matrix in score_matrices.items():
        matrix = np.asarray(matrix, dtype=float)
        with _global_numpy_seed(seed + zlib.crc32(name.encode())), warnings.catch_warnings():
            # arch, under rliable, deprecates the RandomState that rliable passes it
            warnings.simplefilter("ignore", FutureWarning)
            points, intervals = rly.get_interval_estimates(
                {name: matrix}, lambda m: np.array([metrics.aggregate_iqm(m)]), reps=reps,
                confidence_interval_size=confidence, random_state=np.random.RandomState(seed),
            )
        estimates[name] = (float(points[name][0]), float(intervals[name][0, 0]), float(intervals[name][1, 0]))
    return estimates


@contextlib.contextmanager
def _global_numpy_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global generator for the block, then put its previous state back.

    rliable 1.2's ``StratifiedBootstrap.update_indices`` draws its resample indices with ``np.random.choice`` and
    ignores the ``random_state`` it is given, so without this its intervals change from call to call.
    """
    saved = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(saved)
