"""Statistics of an A/B test: Wilson intervals, Beta-Binomial P(best) and lift, two-proportion power.

- Wilson score interval for each proportion (Wilson 1927).
- Posterior of each rate: Beta(1 + successes, 1 + failures) (uniform prior); P(best) and the lift's
  credible interval are Monte Carlo estimates from seeded draws.
- Power: two-sided test of two proportions on Cohen's effect size h = 2 asin(sqrt p2) - 2 asin(sqrt p1)
  (statsmodels ``NormalIndPower``), for the observed difference.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower

FloatArray = NDArray[np.float64]


def wilson(successes: int, n: int, confidence: float) -> tuple[float, float, float]:
    """Rate and Wilson score interval of ``successes`` out of ``n`` (n > 0)."""
    z = float(norm.ppf(0.5 + confidence / 2.0))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def posterior_draws(successes: list[int], trials: list[int], draws: int, seed: int) -> FloatArray:
    """Draws x variants from each rate's Beta(1 + s, 1 + n - s) posterior."""
    rng = np.random.default_rng(seed)
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    return rng.beta(1.0 + s, 1.0 + n - s, size=(draws, s.size))


def prob_best(samples: FloatArray) -> FloatArray:
    """P(each column is the largest) from posterior draws (ties split evenly)."""
    top = samples.max(axis=1, keepdims=True)
    is_top = samples == top
    return np.asarray((is_top / is_top.sum(axis=1, keepdims=True)).mean(axis=0), dtype=np.float64)


def lift_interval(samples: FloatArray, variant: int, control: int, confidence: float) -> tuple[float, float]:
    """Credible interval of ``rate_variant / rate_control - 1``."""
    ratio = samples[:, variant] / samples[:, control] - 1.0
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(ratio, [tail, 1.0 - tail])
    return float(low), float(high)


def effect_size(p1: float, p2: float) -> float:
    """Cohen's h between two proportions."""
    return 2.0 * math.asin(math.sqrt(p2)) - 2.0 * math.asin(math.sqrt(p1))


def power(p_control: float, p_variant: float, n_control: int, n_variant: int, alpha: float) -> float:
    """Power of the two-sided two-proportion test to detect the difference at these sample sizes."""
    h = abs(effect_size(p_control, p_variant))
    if h == 0:
        return alpha
    return float(
        NormalIndPower().power(effect_size=h, nobs1=n_control, alpha=alpha, ratio=n_variant / n_control)
    )


def required_per_variant(p_control: float, p_variant: float, alpha: float, target: float) -> int | None:
    """Sample per variant (equal split) giving ``target`` power for this difference; None if none."""
    h = abs(effect_size(p_control, p_variant))
    if h == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=target, ratio=1.0)
    return int(math.ceil(float(n)))


def min_detectable_lift(
    p_control: float, n_control: int, n_variant: int, alpha: float, target: float
) -> float:
    """Smallest relative lift over ``p_control`` detected with ``target`` power at these sizes."""
    z = float(norm.ppf(1 - alpha / 2) + norm.ppf(target))
    h = z * math.sqrt(1.0 / n_control + 1.0 / n_variant)
    angle = min(2.0 * math.asin(math.sqrt(p_control)) + h, math.pi)
    p2 = math.sin(angle / 2.0) ** 2
    return p2 / p_control - 1.0 if p_control > 0 else math.inf
