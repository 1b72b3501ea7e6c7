"""Qini curves and coefficients: how many extra conversions a ranking buys as it targets more.

Customers are sorted by score, highest first. After the top ``k`` of ``N``, with ``n_t``, ``n_c``
treated and control customers and ``y_t``, ``y_c`` conversions among them, the Qini curve is
(Radcliffe 2007)

    Q(k) = y_t(k) - y_c(k) * n_t(k) / n_c(k)

the treated conversions minus what the control says they would have made anyway. Plotted
against the share targeted ``k / N`` and divided by ``N``, its area above the straight line from
(0, 0) to (1, Q(N) / N) is the Qini coefficient: 0 for a random ranking, larger for a ranking that
puts the customers the campaign changes first. With planted truth, :func:`uplift_gain` does the
same with each customer's true uplift instead of observed outcomes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from data.errors import ToolError

FloatArray = NDArray[np.float64]


def _order(score: FloatArray, seed: int) -> NDArray[np.int64]:
    """Indices by descending score; ties broken in a seeded random order (not by row position)."""
    shuffle = np.random.default_rng(seed).permutation(score.size)
    return shuffle[np.argsort(-score[shuffle], kind="stable")].astype(np.int64)


def qini_curve(
    score: FloatArray, treated: NDArray[np.bool_], converted: NDArray[np.bool_], *, seed: int = 0
) -> tuple[FloatArray, FloatArray]:
    """Share targeted (0..1) and incremental conversions per customer of the whole list, Q(k)/N.

    Raises:
        ToolError: lengths differ, or there is no treated or no control customer.
    """
    score = np.asarray(score, dtype=np.float64)
    treated = np.asarray(treated, dtype=bool)
    converted = np.asarray(converted, dtype=bool)
    if not score.size == treated.size == converted.size:
        raise ToolError("score, treatment and outcome must have one value per customer")
    if treated.all() or not treated.any():
        raise ToolError("a Qini curve needs both treated and control customers")
    order = _order(score, seed)
    t, y = treated[order], converted[order]
    n_t = np.cumsum(t)
    n_c = np.cumsum(~t)
    y_t = np.cumsum(y & t)
    y_c = np.cumsum(y & ~t)
    ratio = np.divide(n_t, n_c, out=np.zeros(score.size), where=n_c > 0)
    q = (y_t - y_c * ratio) / score.size
    share = np.arange(1, score.size + 1) / score.size
    return np.concatenate([[0.0], share]), np.concatenate([[0.0], q])


def area_over_random(share: FloatArray, gain: FloatArray) -> float:
    """Area between a gain curve and the straight line to its end point (trapezoid rule)."""
    area = float(np.sum((gain[1:] + gain[:-1]) / 2.0 * np.diff(share)))
    return area - float(gain[-1]) / 2.0


def qini_coefficient(
    score: FloatArray, treated: NDArray[np.bool_], converted: NDArray[np.bool_], *, seed: int = 0
) -> float:
    """Qini coefficient of ``score`` on observed outcomes (0: no better than random)."""
    share, q = qini_curve(score, treated, converted, seed=seed)
    return area_over_random(share, q)


def uplift_gain(
    score: FloatArray, true_uplift: FloatArray, *, seed: int = 0
) -> tuple[FloatArray, FloatArray]:
    """Share targeted and the true incremental conversions per customer of the list (planted truth)."""
    score = np.asarray(score, dtype=np.float64)
    true_uplift = np.asarray(true_uplift, dtype=np.float64)
    if score.size != true_uplift.size or score.size == 0:
        raise ToolError("score and true uplift must have one value per customer")
    order = _order(score, seed)
    gain = np.cumsum(true_uplift[order]) / score.size
    share = np.arange(1, score.size + 1) / score.size
    return np.concatenate([[0.0], share]), np.concatenate([[0.0], gain])


def true_qini(score: FloatArray, true_uplift: FloatArray, *, seed: int = 0) -> float:
    """Qini coefficient of ``score`` computed on the customers' true uplift."""
    return area_over_random(*uplift_gain(score, true_uplift, seed=seed))


def gain_at(share: FloatArray, gain: FloatArray, fraction: float) -> float:
    """The curve's value after targeting ``fraction`` of the list (linear between points)."""
    return float(np.interp(fraction, share, gain))
