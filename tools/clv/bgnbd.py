"""BG/NBD purchase model (Fader, Hardie and Lee 2005, "Counting your customers the easy way").

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after each
repeat purchase they drop out with probability ``p ~ Beta(a, b)``. A customer's history is
``(x, t_x, T)``: repeat purchases, time of the last one and age, all from the first purchase.
Everything is vectorised over customers and computed in log space (gammaln, betaln, logaddexp).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, expit, gammaln, hyp1f1, hyp2f1

from data.errors import ToolError
from tools.clv.mle import FloatArray, MleResult, maximise

#: Fewest customers, and customers with a repeat purchase, a fit is attempted on.
MIN_CUSTOMERS = 10
MIN_REPEATERS = 3
NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters (time in the summary's unit)."""

    r: float
    alpha: float
    a: float
    b: float

    @property
    def mean_purchase_rate(self) -> float:
        """Mean purchase rate of the population while alive, r / alpha per time unit."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """Mean probability of dropping out after a repeat purchase, a / (a + b)."""
        return self.a / (self.a + self.b)


@dataclass(frozen=True)
class Histories:
    """Customer histories arranged for fast likelihood evaluation.

    Terms that depend on x only (gammaln, betaln, digamma of r+x, b+x, a+b+x) are evaluated once per
    distinct purchase count and weighted by how many customers have it; only the few terms that
    involve recency and age are evaluated per history. A history may stand for many customers:
    ``weights`` counts the customers per distinct (x, t_x, T) (the compressed sufficient
    statistics, so a fit on 1B customers costs what their distinct histories cost).
    """

    levels: FloatArray  # distinct x values
    counts: FloatArray  # customers per level
    x: FloatArray  # buyers only (x > 0), with their recency, age and weight
    t_x: FloatArray
    T: FloatArray
    w: FloatArray
    level_of: NDArray[np.intp]  # each buyer's index into levels
    T_zero: FloatArray  # ages of customers without repeat purchases, and their weights
    w_zero: FloatArray

    @classmethod
    def of(
        cls, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray | None = None
    ) -> Histories:
        """Arrange raw (x, t_x, T) arrays; ``weights`` (default 1) counts customers per row."""
        w = np.ones_like(x, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
        levels, inverse = np.unique(x, return_inverse=True)
        counts = np.bincount(inverse, weights=w, minlength=levels.size)
        buyer = x > 0
        return cls(
            levels=levels.astype(np.float64),
            counts=counts.astype(np.float64),
            x=x[buyer],
            t_x=t_x[buyer],
            T=T[buyer],
            w=w[buyer],
            level_of=inverse[buyer],
            T_zero=T[~buyer],
            w_zero=w[~buyer],
        )


def log_likelihood(
    params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[float, FloatArray]:
    """Total log-likelihood and its gradient with respect to ``log(r, alpha, a, b)``."""
    return histories_log_likelihood(params, Histories.of(x, t_x, T))


def histories_log_likelihood(params: FloatArray, h: Histories) -> tuple[float, FloatArray]:
    """FHL 2005 equation (6) summed over customers, with its gradient in log parameters.

    Per customer: ``ll = A1 + A2 + log(exp(A3) + [x > 0] exp(A4))``; with ``d = A4 - A3`` the last
    term is ``A3 + softplus(d)`` and the weight of the "dropped out at t_x" branch is ``sigmoid(d)``.
    """
    r, alpha, a, b = (np.float64(v) for v in params)
    n = float(h.counts.sum())
    lv, cnt = h.levels, h.counts
    # Terms in x only, once per level.
    a12 = cnt @ (gammaln(r + lv) + gammaln(b + lv) - gammaln(a + b + lv))
    a12 += n * (-gammaln(r) + r * np.log(alpha) - gammaln(b) + gammaln(a + b))
    dr_x = cnt @ digamma(r + lv) + n * (np.log(alpha) - digamma(r))
    dab_x = cnt @ digamma(a + b + lv)
    da_x = n * digamma(a + b) - dab_x
    db_x = cnt @ digamma(b + lv) - dab_x + n * (digamma(a + b) - digamma(b))
    # Customers without repeat purchases: A3 only.
    log_at0 = np.log(alpha + h.T_zero)
    sum_log_at0 = float(h.w_zero @ log_at0)
    # Buyers: both branches.
    rx = r + h.x
    log_at = np.log(alpha + h.T)
    log_atx = np.log(alpha + h.t_x)
    bx1 = b + h.x - 1.0
    d = np.log(a) - np.log(bx1) - rx * (log_atx - log_at)
    w4 = expit(d)
    w = h.w
    ll = a12 - r * sum_log_at0 + float(w @ (-rx * log_at + np.logaddexp(0.0, d)))
    d_r = dr_x - sum_log_at0 + float(w @ (-log_at + w4 * (log_at - log_atx)))
    d_alpha = n * r / alpha - r * float(h.w_zero @ (1.0 / (alpha + h.T_zero)))
    d_alpha -= float(w @ (rx * ((1.0 - w4) / (alpha + h.T) + w4 / (alpha + h.t_x))))
    w4_sum = float(w @ w4)
    d_a = da_x + w4_sum / a
    d_b = db_x - float(w @ (w4 / bx1))
    grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b], dtype=np.float64)
    return float(ll), grad


def fit(
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    weights: FloatArray | None = None,
    max_iterations: int = 500,
) -> tuple[BgNbdParams, MleResult]:
    """Maximum-likelihood BG/NBD fit; ``weights`` counts the customers of each row (default 1 each).

    Raises:
        ToolError: too few customers or repeat purchases, or a fit that does not converge.
    """
    w = np.ones_like(x, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
    _check_inputs(x, t_x, T, w)
    histories = Histories.of(x, t_x, T, w)
    scale = float(w @ T / w.sum()) or 1.0

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            ll, grad = histories_log_likelihood(np.exp(theta), histories)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(theta)
        return -ll, -grad

    start = np.array([1.0, scale, 1.0, 1.0])
    result = maximise("BG/NBD", objective, start, max_iterations=max_iterations)
    r, alpha, a, b = (float(v) for v in result.params)
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b), result


def p_alive(params: BgNbdParams, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    """Probability each customer is still alive at T (1 for customers without repeat purchases)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    buyer = x > 0
    bx1 = np.where(buyer, b + x - 1.0, 1.0)
    log_odds_dead = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(buyer, expit(-log_odds_dead), 1.0)


def expected_purchases(
    params: BgNbdParams, t: float | FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """Expected repeat purchases in (T, T + t] given each history (FHL 2005, equation 10).

    The paper's ``((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))`` overflows
    for heavy buyers; see ``_growth`` for the stable form used instead.
    """
    horizon = np.broadcast_to(np.asarray(t, dtype=np.float64), x.shape)
    bracket = _growth(params, horizon, x, T, params.a + params.b + x - 1.0)
    result = np.where(horizon > 0, bracket * p_alive(params, x, t_x, T), 0.0)
    if not np.all(np.isfinite(result)):
        raise ToolError("expected purchases are not finite for some customers: try a shorter horizon")
    return np.asarray(np.maximum(result, 0.0), dtype=np.float64)


def expected_purchases_new(params: BgNbdParams, t: float | FloatArray) -> FloatArray:
    """Expected purchases in (0, t] of a randomly chosen new customer (FHL 2005, equation 7)."""
    horizon = np.atleast_1d(np.asarray(t, dtype=np.float64))
    zero = np.zeros_like(horizon)
    value = _growth(params, horizon, zero, zero, np.full_like(horizon, params.a + params.b - 1.0))
    return np.asarray(value.reshape(np.shape(t)), dtype=np.float64)


#: Below this distance from a = 1 the growth term is interpolated between a = 1 +- A_STEP.
A_STEP = 1e-4


def _growth(params: BgNbdParams, t: FloatArray, x: FloatArray, T: FloatArray, c: FloatArray) -> FloatArray:
    """``c/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; c; z)]`` with z = t/(alpha+T+t).

    Euler's transformation ``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` cancels the
    prefactor exactly: the bracket becomes ``1 - u^(1-a) 2F1(a-1, a+b-1-r; c; z)`` with
    ``u = (alpha+T+t)/(alpha+T)``. Only c grows with x (which speeds the series up), z stays in
    [0, 1), and no huge power is formed. The factor 1/(a-1) cancels digits near a = 1 (a removable
    singularity), so there the value is interpolated between a = 1 - A_STEP and 1 + A_STEP
    (error O(A_STEP^2)).
    """
    a = params.a
    if abs(a - 1.0) >= A_STEP:
        return _growth_at(params, a, t, x, T, c)
    low = _growth_at(params, 1.0 - A_STEP, t, x, T, c - a + 1.0 - A_STEP)
    high = _growth_at(params, 1.0 + A_STEP, t, x, T, c - a + 1.0 + A_STEP)
    return np.asarray(low + (high - low) * (a - 1.0 + A_STEP) / (2.0 * A_STEP), dtype=np.float64)


def _growth_at(
    params: BgNbdParams, a: float, t: FloatArray, x: FloatArray, T: FloatArray, c: FloatArray
) -> FloatArray:
    r, alpha, b = params.r, params.alpha, params.b
    z = t / (alpha + T + t)
    log_u = np.log1p(t / (alpha + T))
    with np.errstate(all="ignore"):
        value = c / (a - 1.0) * (1.0 - np.exp((1.0 - a) * log_u) * hyp2f1(a - 1.0, a + b - 1.0 - r, c, z))
        bad = ~np.isfinite(value)
        if np.any(bad):
            # r and alpha so large that rates barely vary (the Poisson limit): the posterior rate is
            # (r+x)/(alpha+T) with certainty, and 2F1 tends to 1F1(a-1; c; -rate t); error O(1/(r+x)).
            rate = (r + x[bad]) / (alpha + T[bad])
            value[bad] = c[bad] / (a - 1.0) * (1.0 - hyp1f1(a - 1.0, c[bad], -rate * t[bad]))
    return np.asarray(value, dtype=np.float64)


def _check_inputs(x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> None:
    customers = int(round(float(w.sum())))
    if customers < MIN_CUSTOMERS:
        raise ToolError(
            f"BG/NBD needs at least {MIN_CUSTOMERS} customers with purchases (got {customers}); "
            "load more transaction history"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise ToolError("frequency, recency and age must be finite numbers")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9):
        raise ToolError("need 0 <= recency <= age and frequency >= 0 for every customer")
    if np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ToolError("customer counts (weights) must be positive")
    repeaters = int(round(float(w[x > 0].sum())))
    if repeaters < MIN_REPEATERS:
        raise ToolError(
            f"BG/NBD needs repeat purchases to fit: only {repeaters} of {customers} customers bought "
            f"more than once (need {MIN_REPEATERS}); wait for more history or use the simple CLV formula"
        )
    if np.any(T[x > 0] <= 0):
        raise ToolError("a customer with repeat purchases has age 0: check the as-of date")


def as_array(params: BgNbdParams) -> NDArray[np.float64]:
    """The parameters as ``[r, alpha, a, b]``."""
    return np.array([params.r, params.alpha, params.a, params.b])
