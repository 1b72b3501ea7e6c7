"""Pooled channel rates: interval coverage of planted per-segment rates, and no data counted twice."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta as beta_dist

from tools.channel.pooling import pooled_cells


def _simulate(rng: np.random.Generator, groups: int, mean: float, strength: float) -> tuple[np.ndarray, ...]:
    """Planted rates p_g ~ Beta(mean s, (1 - mean) s); sends log-uniform 10..3,000; Binomial conversions."""
    rates = rng.beta(mean * strength, (1 - mean) * strength, size=groups)
    sent = np.exp(rng.uniform(np.log(10), np.log(3000), size=groups)).astype(np.int64)
    conv = rng.binomial(sent, rates)
    return rates, sent, conv


def test_intervals_cover_the_planted_segment_rates() -> None:
    rng = np.random.default_rng(3)
    hits = raw_hits = total = 0
    pooled_error = raw_error = 0.0
    for rep in range(300):
        mean, strength = (0.04, 60.0) if rep % 2 else (0.09, 25.0)
        groups = 4 + rep % 9  # 4 to 12 segments: few segments are the hard case
        rates, sent, conv = _simulate(rng, groups, mean, strength)
        a, b, _ = pooled_cells(sent[:, None], conv[:, None], 20.0)
        low, high = beta_dist.ppf([[0.05], [0.95]], a[:, 0], b[:, 0])
        hits += int(np.sum((low <= rates) & (rates <= high)))
        raw_low, raw_high = beta_dist.ppf([[0.05], [0.95]], 1 + conv, 1 + sent - conv)
        raw_hits += int(np.sum((raw_low <= rates) & (rates <= raw_high)))
        pooled_error += float(np.sum((a[:, 0] / (a[:, 0] + b[:, 0]) - rates) ** 2))
        raw_error += float(np.sum((conv / sent - rates) ** 2))
        total += rates.size
    coverage = hits / total
    # About 2,400 nominal 90% intervals: coverage within a few points of 90% (binomial sd ~0.6 point).
    assert 0.87 <= coverage <= 0.95, coverage
    assert raw_hits / total >= 0.85  # unpooled intervals cover too, but the pooled means are closer:
    assert pooled_error < 0.8 * raw_error, (pooled_error, raw_error)


def test_a_segments_own_sends_never_enter_its_prior() -> None:
    rng = np.random.default_rng(5)
    _, sent, conv = _simulate(rng, 6, 0.05, 40.0)
    sent[0] = 16
    _, _, fits = pooled_cells(sent[:, None], conv[:, None], 20.0)
    changed = conv.copy()
    changed[0] = 0  # the audience's own 16 sends convert nobody: its prior stays the same
    a, b, refit = pooled_cells(sent[:, None], changed[:, None], 20.0)
    assert abs(refit[0][0].mean - fits[0][0].mean) < 1e-12
    assert abs(refit[0][0].strength - fits[0][0].strength) < 1e-9
    assert abs(refit[1][0].mean - fits[1][0].mean) > 1e-6  # ... while the other segments' priors use it
    # 16 sends and 0 conversions in a base converting ~5% keep the estimate near the base rate.
    assert 0.02 < a[0, 0] / (a[0, 0] + b[0, 0]) < 0.06
    assert refit[0][0].method == "pooled over 5 other segments"


def test_few_segments_fall_back_to_a_stated_prior() -> None:
    sent = np.array([[100, 0], [0, 0]])
    conv = np.array([[7, 0], [0, 0]])
    a, b, fits = pooled_cells(sent, conv, 20.0)
    assert fits[1][0].method == "one other segment" and fits[1][0].mean == 0.07
    assert (a[1, 0], b[1, 0]) == pytest.approx((0.07 * 20, 0.93 * 20))  # no sends of its own: the prior
    assert fits[0][1].method == "other channels" and fits[1][1].method == "default rate"
