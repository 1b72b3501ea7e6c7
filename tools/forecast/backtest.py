"""Rolling-origin backtest: the model and a seasonal-naive baseline forecast the same held-out weeks.

Origins are ``n - horizon * i`` for ``i = folds .. 1`` (non-overlapping windows of ``horizon``
weeks); a fold is kept when the history before its origin still has at least ``min_train`` weeks.
The season is re-detected inside each fold from the fold's own history only (no peeking).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tools.forecast.model import detect_season, fit_forecast
from tools.forecast.models import BacktestScore

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FoldErrors:
    """Actuals and both forecasts over every held-out week of every fold."""

    actual: FloatArray
    model: FloatArray
    baseline: FloatArray
    inside: FloatArray  # 1.0 where the actual lies in the model's interval


def seasonal_naive(history: FloatArray, horizon: int, period: int | None) -> FloatArray:
    """Repeat the last season (``period`` weeks) or, without one, the last value."""
    m = period or 1
    steps = np.arange(1, horizon + 1)
    return np.asarray(
        history[history.size - 1 + steps - m * np.ceil(steps / m).astype(np.int64)], dtype=np.float64
    )


def mape(actual: FloatArray, forecast: FloatArray) -> float | None:
    """Mean absolute percentage error in %, over weeks with a non-zero actual (None if none)."""
    keep = actual != 0
    if not keep.any():
        return None
    return float(np.mean(np.abs(actual[keep] - forecast[keep]) / np.abs(actual[keep])) * 100.0)


def smape(actual: FloatArray, forecast: FloatArray) -> float:
    """Symmetric MAPE in % (a week where both are zero counts as a perfect forecast)."""
    denom = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2.0 * np.abs(actual - forecast), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(np.mean(ratio) * 100.0)


def rolling_origin(
    y: FloatArray,
    *,
    horizon: int,
    folds: int,
    level: float,
    period: int | None,
    seasonal: bool,
    min_train: int,
) -> FoldErrors | None:
    """Forecast the last ``folds`` windows of ``horizon`` weeks from data before each; None if none fit."""
    parts: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]] = []
    for i in range(folds, 0, -1):
        origin = y.size - horizon * i
        if origin < min_train:
            continue
        train, test = y[:origin], y[origin : origin + horizon]
        season = detect_season(np.log1p(np.maximum(train, 0.0)), period, seasonal)
        fitted = fit_forecast(train, horizon, level, season)
        base = seasonal_naive(train, horizon, season.period)
        inside = ((test >= fitted.lower) & (test <= fitted.upper)).astype(np.float64)
        parts.append((test, fitted.mean, base, inside))
    if not parts:
        return None
    return FoldErrors(*(np.concatenate([p[k] for p in parts]) for k in range(4)))


def score(errors: FoldErrors, *, folds: int, horizon: int, period: int | None) -> BacktestScore:
    """Summarise fold errors for the model and the baseline."""
    return BacktestScore(
        folds=folds,
        horizon=horizon,
        mape=_round(mape(errors.actual, errors.model)),
        smape=round(smape(errors.actual, errors.model), 3),
        baseline=f"seasonal naive (m={period})" if period else "naive",
        baseline_mape=_round(mape(errors.actual, errors.baseline)),
        baseline_smape=round(smape(errors.actual, errors.baseline), 3),
        coverage=round(float(errors.inside.mean()), 4),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
