"""``mkt forecast``: weekly revenue, orders and active customers ahead, with intervals and a backtest."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.cli._params import FileOpt, build
from agent.cli.output import console, print_json, print_table
from data.engine.open import open_engine
from data.settings import load_settings
from data.workspace import Workspace
from tools.forecast import ForecastParams, forecast
from tools.forecast.plot import plot_forecast


def forecast_command(
    metric: Annotated[
        list[str] | None,
        typer.Option(help="revenue, orders or active_customers (repeat for several; default: all three)."),
    ] = None,
    by: Annotated[str, typer.Option(help="total, category, or segment (needs a segments table).")] = "total",
    horizon: Annotated[int, typer.Option(help="Weeks ahead (4-26).", min=4, max=26)] = 13,
    level: Annotated[float, typer.Option(help="Prediction interval coverage, e.g. 0.9.")] = 0.9,
    season_period: Annotated[
        int | None, typer.Option(help="Seasonal period in weeks (default: detected, 52 or 13).")
    ] = None,
    seasonal: Annotated[bool, typer.Option("--seasonal/--no-seasonal", help="Model seasonality.")] = True,
    folds: Annotated[int, typer.Option(help="Rolling-origin backtest folds (0: none).", min=0, max=8)] = 3,
    as_of: Annotated[datetime | None, typer.Option(help="Ignore data after this time.")] = None,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write history, forecast and interval to this PNG.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Forecast weekly revenue, orders and active customers, overall or per category/segment."""
    params = build(
        ForecastParams,
        metrics=metric or ["revenue", "orders", "active_customers"],
        by=by,
        horizon=horizon,
        level=level,
        season_period=season_period,
        seasonal=seasonal,
        backtest_folds=folds,
        as_of=as_of,
    )
    workspace = Workspace.from_settings(load_settings())
    con = open_engine(workspace, {"customers": customers, "transactions": transactions})
    try:
        with console.status("forecasting and backtesting", spinner="dots") if not as_json else _quiet():
            report = forecast(con, params)
    finally:
        con.close()
    if plot is not None:
        plot_forecast(report, plot)
    if as_json:
        print_json(report)
        return
    rows = []
    for s in report.series:
        ahead = sum(p.forecast for p in s.forecast)
        b = s.backtest
        rows.append(
            (
                s.metric,
                s.group,
                round(s.history[-1].value),
                round(ahead),
                f"{s.growth_pct_per_week:+.2f}",
                s.season_period or "-",
                "-" if b is None else f"{b.smape:.1f}",
                "-" if b is None else f"{b.baseline_smape:.1f}",
            )
        )
    print_table(
        f"Forecast {report.horizon} weeks after {report.last_week} ({report.level:.0%} intervals in --json)",
        [
            "metric",
            "group",
            "last week",
            f"next {report.horizon} wk",
            "growth %/wk",
            "season",
            "sMAPE",
            "baseline",
        ],
        rows,
    )
    if report.backtest is not None:
        overall = report.backtest
        console.print(
            f"backtest ({overall.series} series): sMAPE {overall.smape:.1f}% vs seasonal-naive "
            f"{overall.baseline_smape:.1f}%, better on {overall.beats_baseline}/{overall.series}; "
            f"interval coverage {overall.coverage:.0%}"
        )
    for note in report.notes:
        console.print(f"note: {note}")
    if plot is not None:
        console.print(f"plot: {plot}")


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
