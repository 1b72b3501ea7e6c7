"""``forecast``: weekly revenue, orders and active customers, overall or per group, with a backtest."""

from __future__ import annotations

import time
from datetime import date, timedelta

import duckdb
import numpy as np
from threadpoolctl import threadpool_limits

from data.engine.source import SparkSource
from data.errors import ToolError
from data.features import data_end
from tools.forecast.backtest import rolling_origin, score
from tools.forecast.model import detect_season, fit_forecast
from tools.forecast.models import (
    BacktestSummary,
    ForecastParams,
    ForecastPoint,
    ForecastReport,
    SeriesForecast,
    WeekValue,
)
from tools.forecast.series import FloatArray, weekly_series

MIN_HISTORY_WEEKS = 26


def forecast(con: duckdb.DuckDBPyConnection | SparkSource, params: ForecastParams) -> ForecastReport:
    """Forecast every requested weekly series ``params.horizon`` weeks ahead, with a backtest each.

    Raises:
        ToolError: no transactions, fewer than ``MIN_HISTORY_WEEKS`` complete weeks, or a split
            the data cannot support (no category column, no segments table).
    """
    start = time.perf_counter()
    data = weekly_series(con, list(dict.fromkeys(params.metrics)), params.by, params.as_of)
    n = len(data.weeks)
    if n < MIN_HISTORY_WEEKS:
        raise ToolError(
            f"too little history: {n} complete weeks of transactions; forecasting needs at least "
            f"{MIN_HISTORY_WEEKS} weeks (load more history)"
        )
    if params.season_period is not None and n < 2 * params.season_period:
        raise ToolError(
            f"a {params.season_period}-week season needs at least {2 * params.season_period} weeks of "
            f"history ({n} available): use a shorter --season-period or leave it out"
        )
    notes = list(data.notes)
    # Thousands of tiny optimisations: BLAS threads only add contention (6x slower on 2 busy cores).
    with threadpool_limits(limits=1):
        series = [
            forecast_one(values, data.weeks, metric, group, params)
            for (metric, group), values in data.values.items()
        ]
    if params.backtest_folds and not any(s.backtest for s in series):
        notes.append(
            f"no backtest: {n} weeks leave fewer than {MIN_HISTORY_WEEKS} training weeks before the "
            f"first {params.horizon}-week fold; use a shorter horizon or fewer folds"
        )
    return ForecastReport(
        engine="spark" if isinstance(con, SparkSource) else "duckdb",
        as_of=params.as_of or data_end(con),
        first_week=data.weeks[0],
        last_week=data.weeks[-1],
        weeks=n,
        horizon=params.horizon,
        level=params.level,
        by=params.by,
        series=series,
        backtest=_summary(series),
        seconds=round(time.perf_counter() - start, 3),
        notes=notes,
    )


def forecast_one(
    y: FloatArray, weeks: list[date], metric: str, group: str, params: ForecastParams
) -> SeriesForecast:
    """Detect the season, forecast and backtest one weekly series."""
    log_y = np.log1p(np.maximum(y, 0.0))
    season = detect_season(log_y, params.season_period, params.seasonal)
    fitted = fit_forecast(y, params.horizon, params.level, season)
    errors = (
        rolling_origin(
            y,
            horizon=params.horizon,
            folds=params.backtest_folds,
            level=params.level,
            period=params.season_period,
            seasonal=params.seasonal,
            min_train=MIN_HISTORY_WEEKS,
        )
        if params.backtest_folds
        else None
    )
    folds = 0 if errors is None else errors.actual.size // params.horizon
    ahead = [weeks[-1] + timedelta(days=7 * (h + 1)) for h in range(params.horizon)]
    return SeriesForecast.model_validate(
        {
            "metric": metric,
            "group": group,
            "history": [WeekValue(week=w, value=round(float(v), 2)) for w, v in zip(weeks, y, strict=True)],
            "forecast": [
                ForecastPoint(
                    week=w, forecast=round(float(m), 2), lower=round(float(lo), 2), upper=round(float(hi), 2)
                )
                for w, m, lo, hi in zip(ahead, fitted.mean, fitted.lower, fitted.upper, strict=True)
            ],
            "season_period": season.period,
            "seasonal_strength": round(season.strength, 4),
            "seasonal_peak": _peak(season.component, season.period, weeks),
            "growth_pct_per_week": round(fitted.growth_per_week * 100.0, 3),
            "backtest": None
            if errors is None
            else score(errors, folds=folds, horizon=params.horizon, period=season.period),
            "method": "STL + damped Holt on log(1+y)"
            if season.period
            else "damped Holt on log(1+y) (no seasonality)",
        }
    )


def _peak(component: FloatArray, period: int | None, weeks: list[date]) -> date | None:
    if period is None:
        return None
    last_cycle = component[-period:]
    return weeks[len(weeks) - period + int(np.argmax(last_cycle))]


def _summary(series: list[SeriesForecast]) -> BacktestSummary | None:
    scored = [s.backtest for s in series if s.backtest is not None]
    if not scored:
        return None
    mapes = [b.mape for b in scored if b.mape is not None]
    base_mapes = [b.baseline_mape for b in scored if b.baseline_mape is not None]
    return BacktestSummary(
        series=len(scored),
        smape=round(float(np.mean([b.smape for b in scored])), 3),
        baseline_smape=round(float(np.mean([b.baseline_smape for b in scored])), 3),
        mape=round(float(np.mean(mapes)), 3) if mapes else None,
        baseline_mape=round(float(np.mean(base_mapes)), 3) if base_mapes else None,
        coverage=round(float(np.mean([b.coverage for b in scored])), 4),
        beats_baseline=sum(b.smape < b.baseline_smape for b in scored),
    )
