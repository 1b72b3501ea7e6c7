"""Shifted-beta-geometric (sBG) retention for contractual customers (Fader & Hardie 2007).

Each subscriber churns at the end of any period with a constant probability ``theta`` of their
own; across subscribers ``theta ~ Beta(alpha, beta)``. Periods are whole renewal periods (months
for monthly plans). With ``B`` the beta function:

- P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta), t = 1, 2, ...: churn at the end of t.
- S(t) = B(alpha, beta + t) / B(alpha, beta): still a subscriber after t periods.
- A subscriber who has stayed n periods stays k more with probability S(n + k) / S(n).

The likelihood of individual data (each subscriber's tenure in periods and whether they churned)
is the sum of ln P(T = tenure) for churners and ln S(tenure) for those still active; cohort
counts (alive after each period) are the same likelihood with counts as weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma

from data.errors import ToolError
from tools.clv.mle import FloatArray, MleResult, maximise

NAMES = ("alpha", "beta")


@dataclass(frozen=True)
class SbgParams:
    """Beta(alpha, beta) heterogeneity of the per-period churn probability."""

    alpha: float
    beta: float

    @property
    def mean_churn(self) -> float:
        """Mean churn probability per period across subscribers, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


def fit(
    tenure: FloatArray, churned: np.ndarray, *, weights: FloatArray | None = None, max_iterations: int = 500
) -> tuple[SbgParams, MleResult]:
    """Maximum-likelihood sBG from tenures (whole periods) and churn flags.

    Args:
        tenure: periods each subscriber has been observed (churners: the period they left in,
            at least 1; active: periods completed, 0 or more).
        churned: True where the subscriber has left.
        weights: how many subscribers each row stands for (cohort counts); default 1 each.
        max_iterations: optimiser iteration cap.

    Raises:
        ToolError: no churners, nobody still active, or a fit that does not converge.
    """
    t = np.asarray(tenure, dtype=np.float64)
    gone = np.asarray(churned, dtype=bool)
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=np.float64)
    if np.any(t[gone] < 1) or np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ToolError("tenure must be whole periods >= 0 (>= 1 for churned subscribers)")
    if w[gone].sum() == 0 or w[~gone].sum() == 0:
        raise ToolError(
            "the sBG retention model needs both churned and still-active subscribers to learn from"
        )

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        a, b = np.exp(theta)
        base = betaln(a, b)
        d_base_a, d_base_b = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
        # churners: ln B(a + 1, b + t - 1) - ln B(a, b); active: ln B(a, b + t) - ln B(a, b)
        bc = b + t[gone] - 1.0
        ll_gone = betaln(a + 1.0, bc) - base
        ll_stay = betaln(a, b + t[~gone]) - base
        total = a + b + t[gone]
        ga = np.concatenate(
            [digamma(a + 1.0) - digamma(total) - d_base_a, _d_stay_a(a, b, t[~gone]) - d_base_a]
        )
        gb = np.concatenate([digamma(bc) - digamma(total) - d_base_b, _d_stay_b(a, b, t[~gone]) - d_base_b])
        ww = np.concatenate([w[gone], w[~gone]])
        ll = float(ww @ np.concatenate([ll_gone, ll_stay]))
        grad = np.array([a * float(ww @ ga), b * float(ww @ gb)])
        return -ll, -grad

    result = maximise("sBG", objective, np.array([1.0, 1.0]), max_iterations=max_iterations)
    return SbgParams(*map(float, result.params)), result


def _d_stay_a(a: float, b: float, t: FloatArray) -> FloatArray:
    return np.asarray(digamma(a) - digamma(a + b + t), dtype=np.float64)


def _d_stay_b(a: float, b: float, t: FloatArray) -> FloatArray:
    return np.asarray(digamma(b + t) - digamma(a + b + t), dtype=np.float64)


def survival(params: SbgParams, t: FloatArray) -> FloatArray:
    """S(t): the share of a new cohort still subscribed after ``t`` periods."""
    periods = np.asarray(t, dtype=np.float64)
    return np.asarray(np.exp(betaln(params.alpha, params.beta + periods) - betaln(params.alpha, params.beta)))


def retention_rate(params: SbgParams, t: FloatArray) -> FloatArray:
    """r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1): rises with tenure."""
    periods = np.asarray(t, dtype=np.float64)
    return (params.beta + periods - 1.0) / (params.alpha + params.beta + periods - 1.0)


def discounted_remaining(params: SbgParams, tenure: FloatArray, horizon: int, discount: float) -> FloatArray:
    """Expected discounted number of further periods paid, over ``horizon`` periods, given tenure.

    sum_{k=1..horizon} [S(n + k) / S(n)] / (1 + discount)^k for a subscriber active after n periods
    (each period paid at its end, if still subscribed then).
    """
    n = np.asarray(tenure, dtype=np.float64)[:, None]
    k = np.arange(1, horizon + 1, dtype=np.float64)[None, :]
    a, b = params.alpha, params.beta
    stay = np.exp(betaln(a, b + n + k) - betaln(a, b + n))
    return np.asarray(stay @ (1.0 + discount) ** -k[0], dtype=np.float64)


def cohort_data(alive: list[float]) -> tuple[FloatArray, np.ndarray, FloatArray]:
    """Cohort counts alive after periods 0..n as (tenure, churned, weights) rows for :func:`fit`."""
    counts = np.asarray(alive, dtype=np.float64)
    lost = counts[:-1] - counts[1:]
    if np.any(lost < 0):
        raise ToolError("a cohort cannot grow: counts alive must not increase")
    n = counts.size - 1
    tenure = np.concatenate([np.arange(1, n + 1, dtype=np.float64), [float(n)]])
    churned = np.concatenate([np.ones(n, dtype=bool), [False]])
    return tenure, churned, np.concatenate([lost, [counts[-1]]])
