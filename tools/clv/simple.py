"""The simple CLV formula: ``CLV = sum over t = 1..N of M_t / (1 + d)^t``.

``M_t`` is the margin the customer brings in period t (given, or derived from a per-period value,
a retention rate and a margin share) and ``d`` the discount rate per period. The first period is
discounted once: money arrives at the end of each period.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from data.errors import ToolError
from tools.clv.mle import FloatArray


def simple_clv(margins: Sequence[float], discount_rate: float) -> float:
    """Present value of the per-period margins ``margins[0] = M_1, ...`` at rate ``discount_rate``.

    Raises:
        ToolError: no periods, a non-finite margin, or a discount rate outside [0, 1).
    """
    _check_rate(discount_rate)
    values = np.asarray(margins, dtype=np.float64)
    if values.size == 0:
        raise ToolError("give at least one period's margin M_t")
    if not np.all(np.isfinite(values)):
        raise ToolError("every margin M_t must be a finite number")
    return float(np.dot(values, discount_factors(values.size, discount_rate)))


def derive_margins(
    value_per_period: float, periods: int, *, retention: float = 1.0, margin: float = 1.0
) -> list[float]:
    """``M_t = value_per_period * margin * retention^(t-1)`` for t = 1..periods.

    Raises:
        ToolError: periods < 1, or retention / margin outside [0, 1].
    """
    if periods < 1:
        raise ToolError("the horizon must be at least one period")
    if not (0.0 <= retention <= 1.0 and 0.0 <= margin <= 1.0):
        raise ToolError("retention and margin are shares between 0 and 1")
    if not math.isfinite(value_per_period):
        raise ToolError("the value per period must be a finite number")
    return [value_per_period * margin * retention**t for t in range(periods)]


def discount_factors(periods: int, discount_rate: float) -> FloatArray:
    """``1 / (1 + d)^t`` for t = 1..periods."""
    _check_rate(discount_rate)
    return np.asarray((1.0 + discount_rate) ** -np.arange(1, periods + 1, dtype=np.float64))


def simple_clv_many(value_per_period: FloatArray, periods: int, discount_rate: float) -> FloatArray:
    """Vectorised formula for a constant ``M_t`` per customer: ``M * sum_t (1 + d)^-t``."""
    return np.asarray(value_per_period * float(discount_factors(periods, discount_rate).sum()))


def _check_rate(discount_rate: float) -> None:
    if not (0.0 <= discount_rate < 1.0) or not math.isfinite(discount_rate):
        raise ToolError(f"the discount rate per period must be in [0, 1) (got {discount_rate})")
