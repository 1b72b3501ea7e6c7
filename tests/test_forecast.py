"""Trend forecast: recovers the planted category trend and 13-week season, beats seasonal naive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_files, load_into
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.forecast import ForecastParams, ForecastReport, forecast

runner = CliRunner()


@pytest.fixture(scope="module")
def large_con(large_sample: GeneratedData) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    load_into(con, large_sample.tables)
    membership = large_sample.truth_file.parent / "membership.csv"
    con.execute(f"CREATE TABLE segments AS SELECT * FROM read_csv('{membership}')")
    yield con
    con.close()


@pytest.fixture(scope="module")
def by_category(large_con: duckdb.DuckDBPyConnection) -> ForecastReport:
    return forecast(large_con, ForecastParams(by="category", metrics=["orders", "revenue"], horizon=13))


def _planted_peaks(data: GeneratedData) -> list[date]:
    trend = data.truth.products
    assert trend is not None
    t = trend.trend
    start = datetime.combine(data.truth.as_of, time(23, 0)) - timedelta(weeks=t.observation_weeks)
    n = int(t.observation_weeks / t.seasonal_period_weeks) + 1
    return [
        (start + timedelta(weeks=t.seasonal_peak_week + k * t.seasonal_period_weeks)).date() for k in range(n)
    ]


def test_growing_category_is_the_planted_one(
    by_category: ForecastReport, large_sample: GeneratedData
) -> None:
    assert large_sample.truth.products is not None
    planted = large_sample.truth.products.trend.growing_category
    for metric in ("orders", "revenue"):
        ranked = by_category.growing(metric)
        assert ranked[0].group == planted
        assert ranked[0].growth_pct_per_week > 2 * max(ranked[1].growth_pct_per_week, 0.1)
        assert ranked[0].forecast[-1].forecast > ranked[0].history[-13].value


def test_seasonal_category_period_and_peak_recovered(
    by_category: ForecastReport, large_sample: GeneratedData
) -> None:
    assert large_sample.truth.products is not None
    planted = large_sample.truth.products.trend
    orders = {s.group: s for s in by_category.series if s.metric == "orders"}
    seasonal = orders[planted.seasonal_category]
    assert seasonal.season_period == round(planted.seasonal_period_weeks)
    assert seasonal.seasonal_strength == max(s.seasonal_strength for s in orders.values())
    assert seasonal.seasonal_strength > 0.9
    assert seasonal.seasonal_peak is not None
    # the detected peak week (Monday start) holds, or is within a week of, a planted peak
    nearest = min(
        (p - seasonal.seasonal_peak).days
        for p in _planted_peaks(large_sample)
        if p >= seasonal.seasonal_peak - timedelta(days=7)
    )
    assert -7 <= nearest <= 7


def test_no_season_where_none_is_planted(large_con: duckdb.DuckDBPyConnection) -> None:
    report = forecast(large_con, ForecastParams(metrics=["revenue", "orders"], horizon=8))
    assert [s.group for s in report.series] == ["total", "total"]
    assert all(s.season_period is None for s in report.series)


def test_backtest_beats_seasonal_naive_with_honest_intervals(by_category: ForecastReport) -> None:
    summary = by_category.backtest
    assert summary is not None and summary.series == 10
    assert summary.smape < summary.baseline_smape
    assert summary.beats_baseline >= 7
    assert 0.75 <= summary.coverage <= 1.0  # nominal 90%
    for s in by_category.series:
        assert s.backtest is not None and s.backtest.folds == 3
        assert s.backtest.baseline.startswith("seasonal naive") or s.backtest.baseline == "naive"


def test_forecast_shape_and_intervals(by_category: ForecastReport) -> None:
    assert by_category.weeks >= 100
    for s in by_category.series:
        assert len(s.forecast) == 13
        assert s.forecast[0].week == by_category.last_week + timedelta(days=7)
        values = np.array([[p.lower, p.forecast, p.upper] for p in s.forecast])
        assert np.isfinite(values).all() and (values >= 0).all()
        assert (values[:, 0] <= values[:, 1]).all() and (values[:, 1] <= values[:, 2]).all()
        log_widths = np.log1p(values[:, 2]) - np.log1p(values[:, 0])
        assert log_widths[-1] > log_widths[0]  # relative uncertainty grows with the horizon


def test_weeks_are_complete_and_match_the_data(
    large_con: duckdb.DuckDBPyConnection, large_sample: GeneratedData
) -> None:
    report = forecast(large_con, ForecastParams(metrics=["orders"], backtest_folds=0))
    tx = pd.read_parquet(large_sample.tables["transactions"])
    week = tx["ts"].dt.to_period("W-SUN").dt.start_time.dt.date
    last = report.series[0].history[-1]
    assert last.week == report.last_week
    assert last.value == (week == last.week).sum()
    assert report.last_week + timedelta(days=7) > tx["ts"].max().date() - timedelta(days=7)


def test_per_segment_needs_a_segments_table(sample_data: GeneratedData) -> None:
    con = duckdb.connect(":memory:")
    load_into(con, sample_data.tables)
    with pytest.raises(ToolError, match="no segments table"):
        forecast(con, ForecastParams(by="segment"))
    membership = sample_data.truth_file.parent / "membership.csv"
    con.execute(f"CREATE TABLE segments AS SELECT * FROM read_csv('{membership}')")
    report = forecast(con, ForecastParams(by="segment", metrics=["active_customers"], backtest_folds=1))
    assert {s.group for s in report.series} == {s.name for s in sample_data.truth.segments}


def test_too_little_history_and_no_purchases_are_clear(sample_data: GeneratedData) -> None:
    con = duckdb.connect(":memory:")
    load_into(con, sample_data.tables)
    first = con.execute("SELECT min(ts) FROM transactions").fetchone()
    assert first is not None
    with pytest.raises(ToolError, match="too little history: 9 complete weeks"):
        forecast(con, ForecastParams(as_of=first[0] + timedelta(weeks=10)))
    with pytest.raises(ToolError, match="52-week season needs at least 104 weeks"):
        forecast(con, ForecastParams(season_period=52))
    con.execute("DELETE FROM transactions")
    with pytest.raises(ToolError, match="transactions table is empty"):
        forecast(con, ForecastParams())


def test_cli_json_and_plot(sample_data: GeneratedData, isolated_home: Path, tmp_path: Path) -> None:
    load_files(Workspace(isolated_home), sample_data.tables)
    png = tmp_path / "forecast.png"
    result = runner.invoke(
        app, ["forecast", "--by", "category", "--horizon", "6", "--json", "--plot", str(png)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["horizon"] == 6 and len(report["series"]) == 15
    assert png.read_bytes()[:4] == b"\x89PNG"
    human = runner.invoke(app, ["forecast", "--metric", "revenue", "--folds", "2"])
    assert human.exit_code == 0, human.output
    assert "seasonal-naive" in human.output and "revenue" in human.output
    bad = runner.invoke(app, ["forecast", "--by", "segment"])
    assert bad.exit_code == 4 and "mkt segment" in bad.output and "Traceback" not in bad.output
    wrong = runner.invoke(app, ["forecast", "--by", "week"])
    assert wrong.exit_code == 4 and "by: Input should be 'total', 'category' or 'segment'" in wrong.output
