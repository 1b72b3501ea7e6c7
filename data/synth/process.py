"""Vectorised draws from the planted purchase process (BG/NBD + Gamma-Gamma, per segment)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from data.synth.truth import SegmentTruth

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Population:
    """Latent traits per customer, index-aligned."""

    segment: IntArray
    age_weeks: FloatArray  # T: time from first purchase (signup) to as_of
    purchase_rate: FloatArray  # lambda, purchases per week while alive
    dropout: FloatArray  # p, probability of becoming inactive after each repeat purchase
    spend_rate: FloatArray  # nu, Gamma-Gamma rate; mean order value = p_gg / nu


@dataclass(frozen=True)
class Purchases:
    """All purchases, sorted by customer then time; ``weeks`` since that customer's signup."""

    customer: IntArray
    weeks: FloatArray
    amount: FloatArray


def draw_population(
    rng: np.random.Generator, segments: list[SegmentTruth], n: int, max_age_weeks: float
) -> Population:
    """Draw segment membership and each customer's latent purchase and spend traits."""
    shares = np.array([s.share for s in segments], dtype=np.float64)
    segment = rng.choice(len(segments), size=n, p=shares / shares.sum()).astype(np.int64)
    r = np.array([s.bgnbd.r for s in segments])[segment]
    alpha = np.array([s.bgnbd.alpha for s in segments])[segment]
    a = np.array([s.bgnbd.a for s in segments])[segment]
    b = np.array([s.bgnbd.b for s in segments])[segment]
    q = np.array([s.gamma_gamma.q for s in segments])[segment]
    gamma = np.array([s.gamma_gamma.gamma for s in segments])[segment]
    return Population(
        segment=segment,
        age_weeks=rng.uniform(1.0, max_age_weeks, size=n),
        purchase_rate=rng.gamma(shape=r, scale=1.0 / alpha),
        dropout=rng.beta(a, b),
        spend_rate=rng.gamma(shape=q, scale=1.0 / gamma),
    )


def draw_purchases(rng: np.random.Generator, pop: Population, segments: list[SegmentTruth]) -> Purchases:
    """Simulate BG/NBD purchase times and Gamma-Gamma amounts.

    The first purchase is at signup (t = 0). Repeat purchases follow a Poisson process of rate
    lambda on (0, T]; after each repeat purchase the customer drops out with probability p.
    """
    n = pop.segment.size
    potential = rng.poisson(pop.purchase_rate * pop.age_weeks)
    dies_after = rng.geometric(pop.dropout)
    repeats = np.minimum(potential, dies_after)
    # Given K events of a Poisson process on (0, T], their times are K sorted uniforms on (0, T].
    owner = np.repeat(np.arange(n, dtype=np.int64), potential)
    times = rng.uniform(0.0, 1.0, size=owner.size) * pop.age_weeks[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    starts = np.repeat(np.cumsum(potential) - potential, potential)
    rank = np.arange(owner.size) - starts
    keep = rank < repeats[owner]
    customer = np.concatenate([np.arange(n, dtype=np.int64), owner[keep]])
    weeks = np.concatenate([np.zeros(n), times[keep]])
    order = np.lexsort((weeks, customer))
    customer, weeks = customer[order], weeks[order]
    p_gg = np.array([s.gamma_gamma.p for s in segments])[pop.segment[customer]]
    amount = rng.gamma(shape=p_gg, scale=1.0 / pop.spend_rate[customer])
    return Purchases(customer=customer, weeks=weeks, amount=np.maximum(np.round(amount, 2), 0.01))
