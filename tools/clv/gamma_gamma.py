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


@dataclass(frozen=True)
class Spends:
    """Repeat buyers' (x, m) arranged so terms in x alone are evaluated once per distinct x."""

    x: FloatArray
    m: FloatArray
    w: FloatArray  # customers per row (1 each, or counts per distinct (x, m))
    mx: FloatArray  # m * x, the customer's total repeat spend
    levels: FloatArray
    counts: FloatArray
    sum_x_log_mx: float  # sum of x (log m + log x)
    sum_log_m: float

    @classmethod
    def of(cls, x: FloatArray, m: FloatArray, weights: FloatArray | None = None) -> Spends:
        """Arrange customers with x > 0 and m > 0; ``weights`` (default 1) counts customers per row."""
        w = np.ones_like(x, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
        levels, inverse = np.unique(x, return_inverse=True)
        counts = np.bincount(inverse, weights=w, minlength=levels.size)
        return cls(
            x=x,
            m=m,
            w=w,
            mx=m * x,
            levels=levels.astype(np.float64),
            counts=counts.astype(np.float64),
            sum_x_log_mx=float(w @ (x * (np.log(m) + np.log(x)))),
            sum_log_m=float(w @ np.log(m)),
        )


def log_likelihood(params: FloatArray, x: FloatArray, m: FloatArray) -> tuple[float, FloatArray]:
    """Total log-likelihood of mean spends ``m`` over ``x`` orders, and its gradient in log params."""
    return spends_log_likelihood(params, Spends.of(x, m))


def spends_log_likelihood(params: FloatArray, s: Spends) -> tuple[float, FloatArray]:
    """Per customer ``lnG(px+q) - lnG(px) - lnG(q) + q ln g + (px-1) ln m + px ln x - (px+q) ln(g+mx)``."""
    p, q, g = (np.float64(v) for v in params)
    n = float(s.counts.sum())
    plv = p * s.levels
    log_gmx = np.log(g + s.mx)
    px = p * s.x
    ll = s.counts @ (gammaln(plv + q) - gammaln(plv)) - n * gammaln(q) + n * q * np.log(g)
    w = s.w
    ll += p * s.sum_x_log_mx - s.sum_log_m - float(w @ ((px + q) * log_gmx))
    d_p = s.counts @ (s.levels * (digamma(plv + q) - digamma(plv))) + s.sum_x_log_mx
    d_p -= float((w * s.x) @ log_gmx)
    d_q = s.counts @ digamma(plv + q) - n * digamma(q) + n * np.log(g) - float(w @ log_gmx)
    d_g = n * q / g - float(w @ ((px + q) / (g + s.mx)))
    return float(ll), np.array([d_p * p, d_q * q, d_g * g], dtype=np.float64)


def usable(x: FloatArray, m: FloatArray) -> np.ndarray:
    """Mask of customers the spend model can learn from: repeat purchases with positive spend."""
    return (x > 0) & np.isfinite(m) & (m > 0)


def fit(
    x: FloatArray, m: FloatArray, *, weights: FloatArray | None = None, max_iterations: int = 500
) -> tuple[GammaGammaParams, MleResult]:
    """Maximum-likelihood Gamma-Gamma fit on the customers ``usable`` selects.

    ``weights`` counts the customers of each row (default 1 each): a fit on the counts per distinct
    (x, m) equals the fit on the customers.

    Raises:
        ToolError: too few customers with repeat spend, or a fit that does not converge.
    """
    w_all = np.ones_like(x, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = usable(x, m)
    n = int(round(float(w_all[keep].sum())))
    if n < MIN_CUSTOMERS:
        zero = int(round(float(w_all[(x > 0) & (m == 0)].sum())))
        extra = f" ({zero} repeat buyers spent nothing)" if zero else ""
        raise ToolError(
            f"the Gamma-Gamma spend model needs at least {MIN_CUSTOMERS} customers with repeat "
            f"purchases and positive spend (got {n}{extra}); expected order values cannot be estimated"
        )
    xs, ms, ws = x[keep], m[keep], w_all[keep]
    if float(np.ptp(ms)) <= 1e-12 * float(np.max(ms)):
        raise ToolError(
            "every repeat buyer has the same mean spend: the Gamma-Gamma model cannot separate "
            "customers; use the simple CLV formula with that order value"
        )

    spends = Spends.of(xs, ms, ws)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            ll, grad = spends_log_likelihood(np.exp(theta), spends)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(theta)
        return -ll, -grad

    start = _moment_start(ms, ws)
    result = maximise("Gamma-Gamma", objective, start, max_iterations=max_iterations)
    p, q, g = (float(v) for v in result.params)
    return GammaGammaParams(p=p, q=q, gamma=g), result


def conditional_mean(
    params: GammaGammaParams, x: FloatArray, m: FloatArray, *, fallback: float | None = None
) -> FloatArray:
    """Expected order value per customer: ``p (gamma + x m) / (p x + q - 1)``.

    Customers without usable repeat spend get the population mean (``x = 0`` in the formula); when
    that mean is infinite (q <= 1) they get ``fallback``, by default the mean of the observed repeat
    spends in ``x, m`` (pass the population's when scoring a part of it).
    """
    p, q, g = params.p, params.q, params.gamma
    ok = usable(x, m)
    xs = np.where(ok, x, 0.0)
    ms = np.where(ok, m, 0.0)
    denom = p * xs + q - 1.0
    if fallback is None:
        fallback = float(np.mean(m[ok])) if np.any(ok) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = p * (g + xs * ms) / denom
    return np.where((denom > 0) & np.isfinite(value), value, np.where(ok, ms, fallback))


def _moment_start(m: FloatArray, w: FloatArray) -> FloatArray:
    """A starting point from moments: order-value CV fixes p, spread across customers fixes q."""
    total = float(w.sum())
    mean = float(w @ m) / total
    var_between = float(w @ (m - mean) ** 2) / total
    cv2 = var_between / mean**2 if mean > 0 else 1.0
    q = max(2.0 + 1.0 / max(cv2, 1e-3), 2.5)
    p = 2.0
    return np.array([p, q, mean * (q - 1.0) / p])
