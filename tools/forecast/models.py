"""Pydantic input and output models of the trend forecaster."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Metric = Literal["revenue", "orders", "active_customers"]
GroupBy = Literal["total", "category", "segment"]
ALL_METRICS: tuple[Metric, ...] = ("revenue", "orders", "active_customers")


class ForecastParams(BaseModel):
    """What to forecast: weekly metrics, split, horizon, interval level, backtest."""

    metrics: list[Metric] = Field(
        default_factory=lambda: list(ALL_METRICS),
        min_length=1,
        description="Weekly series to forecast.",
    )
    by: GroupBy = Field(
        default="total",
        description="'total', one series per 'category', or per 'segment' (needs a segments table).",
    )
    horizon: int = Field(default=13, ge=4, le=26, description="Weeks ahead to forecast (4-26).")
    level: float = Field(default=0.9, gt=0.5, lt=1.0, description="Prediction interval coverage.")
    season_period: int | None = Field(
        default=None,
        ge=2,
        le=52,
        description="Seasonal period in weeks; default: detected (52 or 13) when the history allows.",
    )
    seasonal: bool = Field(default=True, description="Model seasonality (false: trend only).")
    backtest_folds: int = Field(default=3, ge=0, le=8, description="Rolling-origin backtest folds.")
    as_of: datetime | None = Field(default=None, description="Ignore data after this time.")


class WeekValue(BaseModel):
    """One observed week (the week starts on Monday)."""

    week: date
    value: float


class ForecastPoint(BaseModel):
    """One forecast week: point forecast (median) and prediction interval."""

    week: date
    forecast: float
    lower: float
    upper: float


class BacktestScore(BaseModel):
    """Rolling-origin accuracy of the model and of the seasonal-naive baseline on the same folds."""

    folds: int
    horizon: int
    mape: float | None = Field(description="Mean absolute percentage error, % (weeks with actual > 0).")
    smape: float = Field(description="Symmetric MAPE, %.")
    baseline: str = Field(description="'seasonal naive (m=13)' or 'naive' when no season is used.")
    baseline_mape: float | None
    baseline_smape: float
    coverage: float = Field(description="Share of held-out weeks inside the prediction interval.")


class SeriesForecast(BaseModel):
    """Forecast of one weekly series."""

    metric: Metric
    group: str = Field(description="'total', a category or a segment name.")
    history: list[WeekValue]
    forecast: list[ForecastPoint]
    season_period: int | None = Field(description="Seasonal period used (weeks), None if none.")
    seasonal_strength: float = Field(description="1 - Var(remainder)/Var(season + remainder), 0..1.")
    seasonal_peak: date | None = Field(description="Start of the latest week at the seasonal peak.")
    growth_pct_per_week: float = Field(description="Recent trend: % change per week (seasonally adjusted).")
    backtest: BacktestScore | None
    method: str


class BacktestSummary(BaseModel):
    """Mean backtest errors over every series that could be backtested."""

    series: int
    smape: float
    baseline_smape: float
    mape: float | None
    baseline_mape: float | None
    coverage: float
    beats_baseline: int = Field(description="Series where the model's sMAPE is below the baseline's.")


class ForecastReport(BaseModel):
    """All forecast series, their backtests and what was noticed on the way."""

    as_of: datetime
    first_week: date
    last_week: date
    weeks: int
    horizon: int
    level: float
    by: GroupBy
    series: list[SeriesForecast]
    backtest: BacktestSummary | None
    seconds: float
    engine: str = Field(default="duckdb", description="Engine that aggregated the weeks: duckdb or spark.")
    notes: list[str] = Field(default_factory=list)

    def growing(self, metric: Metric = "revenue") -> list[SeriesForecast]:
        """Series of ``metric`` ordered from fastest growing to fastest shrinking."""
        chosen = [s for s in self.series if s.metric == metric]
        return sorted(chosen, key=lambda s: s.growth_pct_per_week, reverse=True)
