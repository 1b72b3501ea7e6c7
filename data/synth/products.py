"""Which product each synthetic transaction gets: segment taste, co-purchase pairs, category trends.

Purchase timing and amounts come from ``process.py`` and are not touched here. Products are
assigned in three steps:

1. segment taste (the original assignment, drawn from the generator's main random stream so that
   every later draw of the generator is unchanged): 70% of purchases come from the segment's
   favourite categories, the rest uniformly from the catalogue;
2. co-purchase pairs (``CO_PURCHASE_PAIRS``): after buying one product of a pair, a customer's next
   purchase is its partner with probability ``follow_probability``;
3. category mix over calendar time: a purchase in observation week w (0 = ``as_of`` - 104 weeks)
   becomes a ``growing_category`` product with probability rising linearly from
   ``growing_share_start`` to ``growing_share_end``, else a ``seasonal_category`` product with
   probability ``seasonal_amplitude * (1 + cos(2 pi (w - seasonal_peak_week) / seasonal_period_weeks)) / 2``.

Steps 2 and 3 use their own random stream (``default_rng([seed, 101])``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.synth import documents
from data.synth.truth import CategoryTrendTruth, CoPurchaseTruth, ProductTruth, SegmentTruth

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

PRODUCT_STREAM = 101
FAVOURITE_SHARE = 0.7

# Pairs within one category, so the category mix of step 3 is exactly as planted.
CO_PURCHASE_PAIRS: list[tuple[str, str]] = [
    ("P101", "P105"),  # Ridgeback 3 trail shoe -> Summit GTX
    ("P102", "P107"),  # Cloudline 2 road shoe -> Recovery Slide
    ("P201", "P204"),  # Trail Shell jacket -> Thermal tights
    ("P203", "P205"),  # Split shorts -> Race singlet
    ("P301", "P302"),  # Hydration vest -> Headlamp
    ("P401", "P402"),  # Energy gels -> Electrolyte tabs
    ("P501", "P503"),  # Pace 2 GPS watch -> Heart rate strap
]

DEFAULT_PRODUCT_TRUTH = ProductTruth(
    trend=CategoryTrendTruth(
        growing_category="gps watches",
        growing_share_start=0.0,
        growing_share_end=0.25,
        seasonal_category="nutrition",
        seasonal_amplitude=0.3,
        seasonal_period_weeks=13.0,
        seasonal_peak_week=6.0,
    ),
    co_purchase=CoPurchaseTruth(pairs=[list(p) for p in CO_PURCHASE_PAIRS], follow_probability=0.5),
)


def segment_taste(
    rng: np.random.Generator,
    tx_segment: IntArray,
    segments: list[SegmentTruth],
    catalogue: pd.DataFrame,
) -> IntArray:
    """Catalogue row per purchase from segment taste (step 1; draws on the generator's main stream)."""
    n = tx_segment.size
    by_category = {c: catalogue.index[catalogue["category"] == c].to_numpy() for c in documents.CATEGORIES}
    product_row = rng.integers(0, len(catalogue), size=n)
    favourite = rng.random(n) < FAVOURITE_SHARE
    pick = rng.random(n)
    for s_index, seg in enumerate(segments):
        for c_index, category in enumerate(seg.favourite_categories):
            rows = by_category[category]
            share = (c_index + 1) / len(seg.favourite_categories)
            lower = c_index / len(seg.favourite_categories)
            mask = favourite & (tx_segment == s_index) & (pick >= lower) & (pick < share)
            product_row[mask] = rows[rng.integers(0, rows.size, size=int(mask.sum()))]
    return product_row.astype(np.int64)


def plant_structure(
    rng: np.random.Generator,
    product_row: IntArray,
    customer: IntArray,
    week: FloatArray,
    catalogue: pd.DataFrame,
    truth: ProductTruth,
) -> IntArray:
    """Apply co-purchase pairs (step 2) then the category trend and seasonality (step 3).

    Args:
        rng: the product stream, separate from the generator's main stream.
        product_row: catalogue row per purchase from ``segment_taste``.
        customer: customer index per purchase, sorted by customer then time.
        week: observation week of each purchase (0 = start of the observation window).
        catalogue: the product catalogue.
        truth: what to plant.
    """
    rows = _follow_pairs(rng, product_row.copy(), customer, catalogue, truth.co_purchase)
    return _category_mix(rng, rows, week, catalogue, truth.trend)


def _follow_pairs(
    rng: np.random.Generator,
    rows: IntArray,
    customer: IntArray,
    catalogue: pd.DataFrame,
    co: CoPurchaseTruth,
) -> IntArray:
    row_of = {pid: i for i, pid in enumerate(catalogue["product_id"])}
    partner = np.full(len(catalogue), -1, dtype=np.int64)
    for a, b in co.pairs:
        partner[row_of[a]], partner[row_of[b]] = row_of[b], row_of[a]
    n = rows.size
    follow = rng.random(n) < co.follow_probability
    if n == 0:
        return rows
    first = np.r_[True, customer[1:] != customer[:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(1, int(rank.max()) + 2))
    for k in range(1, bounds.size):
        idx = by_rank[bounds[k - 1] : bounds[k]]
        target = partner[rows[idx - 1]]
        switch = follow[idx] & (target >= 0)
        rows[idx[switch]] = target[switch]
    return rows


def _category_mix(
    rng: np.random.Generator,
    rows: IntArray,
    week: FloatArray,
    catalogue: pd.DataFrame,
    trend: CategoryTrendTruth,
) -> IntArray:
    p_grow, p_season = category_probabilities(trend, week)
    u = rng.random(rows.size)
    for category, mask in (
        (trend.growing_category, u < p_grow),
        (trend.seasonal_category, (u >= p_grow) & (u < p_grow + p_season)),
    ):
        members = catalogue.index[catalogue["category"] == category].to_numpy()
        rows[mask] = members[rng.integers(0, members.size, size=int(mask.sum()))]
    return rows


def category_probabilities(trend: CategoryTrendTruth, week: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P(a purchase is forced into the growing / the seasonal category) at observation ``week``."""
    span = trend.observation_weeks
    p_grow = trend.growing_share_start + (trend.growing_share_end - trend.growing_share_start) * np.clip(
        week / span, 0.0, 1.0
    )
    phase = 2.0 * np.pi * (week - trend.seasonal_peak_week) / trend.seasonal_period_weeks
    p_season = trend.seasonal_amplitude * (1.0 + np.cos(phase)) / 2.0
    return p_grow, p_season
