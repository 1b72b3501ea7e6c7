"""One series, one model: STL seasonality + damped-trend exponential smoothing on log(1 + y).

Seasonality is measured with STL (statsmodels; seasonal smoother over 13 cycles) and its strength
``F_s = max(0, 1 - Var(remainder) / Var(season + remainder))`` (Hyndman and Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., section 4.2); a period is used when F_s passes
``SEASONAL_THRESHOLD``. The seasonally adjusted log series is fitted with additive damped-trend
exponential smoothing (Holt, statsmodels ``ExponentialSmoothing``); the prediction interval is the
analytic one of the equivalent ETS(A,Ad,N) state-space model (FPP3 table 8.8):
``var_h = sigma^2 (1 + sum_{j<h} (alpha + alpha*beta*phi_j)^2)``, ``phi_j = phi + ... + phi^j``.
Forecasts and bounds are transformed back with ``expm1`` (the point forecast is the median) and
never go below zero.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.seasonal import STL

FloatArray = NDArray[np.float64]

CANDIDATE_PERIODS = (52, 13)
SEASONAL_THRESHOLD = 0.6
STL_SEASONAL_SMOOTHER = 13  # cycles the seasonal LOESS spans: a stable season, not week-to-week noise
MIN_TREND_WEEKS = 10
GROWTH_WINDOW = 26
FIT_FTOL = 1e-6


@dataclass(frozen=True)
class Season:
    """A detected (or requested) seasonal pattern on the log scale."""

    period: int | None
    strength: float
    component: FloatArray  # seasonal component over the history (zeros without a season)


@dataclass(frozen=True)
class Fitted:
    """A forecast on the original scale with its interval."""

    mean: FloatArray
    lower: FloatArray
    upper: FloatArray
    season: Season
    growth_per_week: float


def seasonal_strength(log_y: FloatArray, period: int) -> tuple[float, FloatArray]:
    """STL seasonal component and its strength for ``period``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = STL(log_y, period=period, seasonal=STL_SEASONAL_SMOOTHER).fit()
    seasonal = np.asarray(result.seasonal, dtype=np.float64)
    resid = np.asarray(result.resid, dtype=np.float64)
    total = float(np.var(seasonal + resid))
    strength = 0.0 if total <= 0 else max(0.0, 1.0 - float(np.var(resid)) / total)
    return strength, seasonal


def detect_season(log_y: FloatArray, period: int | None, seasonal: bool) -> Season:
    """The requested period, or the strongest candidate period the history supports (2 full cycles)."""
    none = Season(period=None, strength=0.0, component=np.zeros_like(log_y))
    if not seasonal:
        return none
    candidates = [period] if period is not None else [p for p in CANDIDATE_PERIODS if log_y.size >= 2 * p]
    best = none
    for p in candidates:
        if log_y.size < 2 * p or np.ptp(log_y) == 0:
            continue
        strength, component = seasonal_strength(log_y, p)
        if strength > best.strength and (period is not None or strength >= SEASONAL_THRESHOLD):
            best = Season(period=p, strength=strength, component=component)
    return best


def seasonal_ahead(season: Season, n: int, horizon: int) -> FloatArray:
    """The last full cycle of the seasonal component, continued ``horizon`` weeks past week ``n``."""
    if season.period is None:
        return np.zeros(horizon)
    m = season.period
    steps = np.arange(1, horizon + 1)
    source = n - 1 + steps - m * np.ceil(steps / m).astype(np.int64)
    return np.asarray(season.component[source], dtype=np.float64)


def fit_forecast(y: FloatArray, horizon: int, level: float, season: Season) -> Fitted:
    """Fit the trend model to ``y`` (deseasonalised on the log scale) and forecast ``horizon`` weeks."""
    log_y = np.log1p(np.maximum(y, 0.0))
    adjusted = log_y - season.component
    n = adjusted.size
    mean, var = _damped_holt(adjusted, horizon)
    z = float(norm.ppf(0.5 + level / 2.0))
    centre = mean + seasonal_ahead(season, n, horizon)
    half = z * np.sqrt(var)
    window = adjusted[-min(GROWTH_WINDOW, n) :]
    slope = float(np.polyfit(np.arange(window.size), window, 1)[0]) if window.size >= 3 else 0.0
    return Fitted(
        mean=np.maximum(np.expm1(centre), 0.0),
        lower=np.maximum(np.expm1(centre - half), 0.0),
        upper=np.maximum(np.expm1(centre + half), 0.0),
        season=season,
        growth_per_week=float(np.expm1(slope)),
    )


def _damped_holt(x: FloatArray, horizon: int) -> tuple[FloatArray, FloatArray]:
    """Point forecast and forecast variance of additive damped-trend smoothing on ``x``."""
    n = x.size
    if np.ptp(x) == 0:
        return np.full(horizon, x[-1]), np.zeros(horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n >= MIN_TREND_WEEKS:
            model = ExponentialSmoothing(x, trend="add", damped_trend=True, initialization_method="heuristic")
        else:
            model = ExponentialSmoothing(x, initialization_method="estimated")
        # ftol 1e-6 on the SSE: about 40% fewer iterations, SSE within 0.1% of the default's
        fit = model.fit(use_brute=False, minimize_kwargs={"options": {"ftol": FIT_FTOL}})
    params = fit.params
    alpha = float(params.get("smoothing_level", 0.0) or 0.0)
    beta_star = float(params.get("smoothing_trend", 0.0) or 0.0)
    phi = float(params.get("damping_trend", 1.0) or 1.0) if n >= MIN_TREND_WEEKS else 1.0
    resid = x - np.asarray(fit.fittedvalues, dtype=np.float64)
    k = 5 if n >= MIN_TREND_WEEKS else 2
    sigma2 = float(np.sum(resid**2) / max(n - k, 1))
    mean = np.asarray(fit.forecast(horizon), dtype=np.float64)
    phi_j = np.cumsum(phi ** np.arange(1, horizon))
    c = alpha * (1.0 + beta_star * phi_j) if n >= MIN_TREND_WEEKS else np.full(horizon - 1, alpha)
    var = sigma2 * (1.0 + np.concatenate([[0.0], np.cumsum(c**2)]))
    return mean, var
