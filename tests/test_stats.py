"""Statistics over seeds against hand-computed examples (exact bootstrap distributions of tiny samples), beyond the
basic cases in test_table.py: where the interval's percentile falls inside a probability mass, and what
stratification changes."""

from __future__ import annotations

import numpy as np
import pytest

from imagine_bench.stats import bootstrap_ci, iqm, iqm_with_ci


def test_bootstrap_ci_percentiles_of_the_exact_bootstrap_distribution():
    # (0, 0, 0, 1): a resample's mean is k/4 with k ~ Binomial(4, 1/4): P(k = 0) = 0.316, P(k <= 2) = 0.949,
    # P(k <= 3) = 0.996, so the 2.5th percentile is 0 and the 97.5th is 3/4.
    assert bootstrap_ci([0, 0, 0, 1]) == pytest.approx((0.0, 0.75))
    # At 50% confidence (25th and 75th percentiles): 0 (P(k = 0) = 0.316 > 0.25) and 1/2 (P(k <= 1) = 0.738 < 0.75).
    assert bootstrap_ci([0, 0, 0, 1], confidence=0.5) == pytest.approx((0.0, 0.5))


def test_bootstrap_ci_is_seeded():
    values = np.random.default_rng(0).uniform(size=7)
    assert bootstrap_ci(values) == bootstrap_ci(values)
    low, high = bootstrap_ci(values)
    assert low < np.mean(values) < high


def test_iqm_is_the_25_percent_trimmed_mean():
    assert iqm(np.array([[0, 10], [1, 1], [0, 2]])) == pytest.approx(1.0)  # 6 scores, 1 dropped each side: 0, 1, 1, 2
    assert iqm(np.array([0, 0, 1, 1, 10])) == pytest.approx(2 / 3)  # 5 scores, floor(1.25) = 1 dropped each side
    scipy_stats = pytest.importorskip("scipy.stats")
    scores = np.random.default_rng(1).uniform(size=(7, 3))
    assert iqm(scores) == pytest.approx(scipy_stats.trim_mean(scores, 0.25, axis=None))


def test_iqm_interval_resamples_seeds_within_each_domain():
    # Seeds x domains [[0, 1], [1, 0]]. Stratified: each domain draws its two seeds on its own, so the number of ones
    # is k ~ Binomial(4, 1/2) and the IQM (mean of the middle two of four) is 0 for k <= 1 (5/16), 0.5 for k = 2
    # (6/16) and 1 for k >= 3 (5/16): the 95% interval is [0, 1]. Resampling whole seeds would always give k = 2.
    point, low, high = iqm_with_ci({"a": np.array([[0.0, 1.0], [1.0, 0.0]])})["a"]
    assert (point, low, high) == pytest.approx((0.5, 0.0, 1.0))
    # [[0, 0.5], [0, 0.7]]: domain 0 always gives (0, 0); the IQM is 0.25 unless domain 1 draws 0.7 twice
    # (probability 1/4, IQM 0.35), so the interval is [0.25, 0.35].
    point, low, high = iqm_with_ci({"b": np.array([[0.0, 0.5], [0.0, 0.7]])})["b"]
    assert (point, low, high) == pytest.approx((0.25, 0.25, 0.35))


def test_iqm_interval_is_reproducible_and_independent_of_other_rows():
    # rliable draws its resamples from numpy's global generator; the wrapper must pin it per matrix.
    rng = np.random.default_rng(3)
    a, b = rng.uniform(size=(3, 4)), rng.uniform(size=(3, 4))
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    first = iqm_with_ci({"a": a, "b": b}, reps=500)
    assert np.random.random() == before  # the caller's global stream is left as it was
    assert iqm_with_ci({"a": a, "b": b}, reps=500) == first
    assert iqm_with_ci({"a": a}, reps=500)["a"] == first["a"]
