"""Trend forecasting: weekly revenue, orders and active customers with intervals and a backtest."""

from tools.forecast.api import MIN_HISTORY_WEEKS, forecast
from tools.forecast.models import ForecastParams, ForecastReport, SeriesForecast

__all__ = ["MIN_HISTORY_WEEKS", "ForecastParams", "ForecastReport", "SeriesForecast", "forecast"]
