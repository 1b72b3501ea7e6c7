"""Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"; Fader and Hardie's note).

A customer's order values are ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)`` across customers, so
the mean of ``x`` orders, ``m_x``, has a closed-form marginal likelihood. Only customers with at
least one repeat purchase and positive mean repeat spend enter the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from data.errors import ToolError
from tools.clv.mle import FloatArray, MleResult, maximise

MIN_CUSTOMERS = 10
NAMES = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (shape p; nu ~ Gamma(q, rate gamma))."""

    p: float
    q: float
    gamma: float

    @property
    def mean_order_value(self) -> float:
        """Population mean order value, p * gamma / (q - 1) (infinite when q <= 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")


def log_likelihood(params: FloatArray, x: FloatArray, m: FloatArray) -> tuple[float, FloatArray]:
    """Total log-likelihood of mean spends ``m`` over ``x`` orders, and its gradient in log params."""
    p, q, g = (np.float64(v) for v in params)
    px = p * x
    log_m, log_x = np.log(m), np.log(x)
    log_gmx = np.log(g + m * x)
    ll = np.sum(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * log_m
        + px * log_x
        - (px + q) * log_gmx
    )
    d_p = np.sum(x * (digamma(px + q) - digamma(px) + log_m + log_x - log_gmx))
    d_q = np.sum(digamma(px + q) - digamma(q) + np.log(g) - log_gmx)
    d_g = np.sum(q / g - (px + q) / (g + m * x))
    return float(ll), np.array([d_p * p, d_q * q, d_g * g])


def usable(x: FloatArray, m: FloatArray) -> np.ndarray:
    """Mask of customers the spend model can learn from: repeat purchases with positive spend."""
    return (x > 0) & np.isfinite(m) & (m > 0)


def fit(x: FloatArray, m: FloatArray, *, max_iterations: int = 500) -> tuple[GammaGammaParams, MleResult]:
    """Maximum-likelihood Gamma-Gamma fit on the customers ``usable`` selects.

    Raises:
        ToolError: too few customers with repeat spend, or a fit that does not converge.
    """
    keep = usable(x, m)
    n = int(np.count_nonzero(keep))
    if n < MIN_CUSTOMERS:
        zero = int(np.count_nonzero((x > 0) & (m == 0)))
        extra = f" ({zero} repeat buyers spent nothing)" if zero else ""
        raise ToolError(
            f"the Gamma-Gamma spend model needs at least {MIN_CUSTOMERS} customers with repeat "
            f"purchases and positive spend (got {n}{extra}); expected order values cannot be estimated"
        )
    xs, ms = x[keep], m[keep]
    if float(np.ptp(ms)) <= 1e-12 * float(np.max(ms)):
        raise ToolError(
            "every repeat buyer has the same mean spend: the Gamma-Gamma model cannot separate "
            "customers; use the simple CLV formula with that order value"
        )

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            ll, grad = log_likelihood(np.exp(theta), xs, ms)
        if not np.isfinite(ll):
            return 1e300, np.zeros_like(theta)
        return -ll, -grad

    start = _moment_start(xs, ms)
    result = maximise("Gamma-Gamma", objective, start, max_iterations=max_iterations)
    p, q, g = (float(v) for v in result.params)
    return GammaGammaParams(p=p, q=q, gamma=g), result


def conditional_mean(params: GammaGammaParams, x: FloatArray, m: FloatArray) -> FloatArray:
    """Expected order value per customer: ``p (gamma + x m) / (p x + q - 1)``.

    Customers without usable repeat spend get the population mean (``x = 0`` in the formula); when
    that mean is infinite (q <= 1) they get the mean of the observed repeat spends instead.
    """
    p, q, g = params.p, params.q, params.gamma
    ok = usable(x, m)
    xs = np.where(ok, x, 0.0)
    ms = np.where(ok, m, 0.0)
    denom = p * xs + q - 1.0
    fallback = float(np.mean(m[ok])) if np.any(ok) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = p * (g + xs * ms) / denom
    return np.where((denom > 0) & np.isfinite(value), value, np.where(ok, ms, fallback))


def _moment_start(x: FloatArray, m: FloatArray) -> FloatArray:
    """A starting point from moments: order-value CV fixes p, spread across customers fixes q."""
    mean = float(np.mean(m))
    var_between = float(np.var(m))
    cv2 = var_between / mean**2 if mean > 0 else 1.0
    q = max(2.0 + 1.0 / max(cv2, 1e-3), 2.5)
    p = 2.0
    return np.array([p, q, mean * (q - 1.0) / p])
