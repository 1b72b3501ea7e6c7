"""Plot of a forecast: history, forecast and prediction interval per series of one metric."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from data.errors import ToolError
from tools.forecast.models import ForecastReport, Metric
from tools.plotting import png_figure

MAX_LINES = 8


def plot_forecast(report: ForecastReport, path: Path, metric: Metric | None = None) -> Path:
    """Write a PNG of ``metric`` (default: the first forecast metric) for up to 8 series."""
    chosen = metric or report.series[0].metric
    series = [s for s in report.series if s.metric == chosen][:MAX_LINES]
    if not series:
        raise ToolError(f"no '{chosen}' series in this forecast: plot one of the forecast metrics")
    title = f"Weekly {chosen.replace('_', ' ')}: history, {report.horizon}-week forecast, {report.level:.0%} interval"
    with png_figure(path, title=title, size=(9.0, 5.0)) as ax:
        for s in series:
            hist_weeks = _days([p.week for p in s.history])
            (line,) = ax.plot(hist_weeks, [p.value for p in s.history], linewidth=1.2, label=s.group)
            weeks = _days([p.week for p in s.forecast])
            ax.plot(weeks, [p.forecast for p in s.forecast], linestyle="--", color=line.get_color())
            ax.fill_between(
                weeks,
                [p.lower for p in s.forecast],
                [p.upper for p in s.forecast],
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
        ax.axvline(
            _dt(report.last_week),  # type: ignore[arg-type]
            color="grey",
            linewidth=0.8,
            linestyle=":",
        )
        ax.set_xlabel("week")
        ax.set_ylabel(chosen.replace("_", " "))
        ax.legend(loc="upper left", fontsize="small")
    return path


def _dt(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _days(days: list[date]) -> NDArray[np.datetime64]:
    return np.array(days, dtype="datetime64[D]")
