"""``mkt roi``: actual ROI of past campaigns, and ``mkt roi forecast`` for a planned one."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from agent.cli._params import FileOpt, JsonOpt, build
from agent.cli.output import console, print_json, print_table
from data.loader import open_source
from data.settings import load_settings
from data.workspace import Workspace
from tools.roi import GroupBy, RoiForecastParams, actual_roi, forecast_roi

app = typer.Typer(
    help="Campaign ROI = (revenue - cost) / cost: actual from engagements, or a forecast.",
    invoke_without_command=True,
)
GROUPS = ("campaign", "channel", "variant", "segment")


def _workspace() -> Workspace:
    return Workspace.from_settings(load_settings())


@app.callback()
def actual(
    ctx: typer.Context,
    by: Annotated[
        list[str] | None, typer.Option(help="Group by campaign, channel, variant or segment (repeatable).")
    ] = None,
    campaign: Annotated[list[str] | None, typer.Option(help="Only these campaign ids (repeatable).")] = None,
    customers: FileOpt = None,
    engagements: FileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Actual ROI per past campaign (and per channel/variant/segment with --by)."""
    if ctx.invoked_subcommand is not None:
        return
    keys = by or ["campaign"]
    bad = [k for k in keys if k not in GROUPS]
    if bad:
        raise typer.BadParameter(f"--by must be one of {', '.join(GROUPS)} (got {bad[0]!r})")
    if (customers is None) != (engagements is None):
        raise typer.BadParameter("give both --customers and --engagements (or neither, to use the workspace)")
    files = {"customers": customers, "engagements": engagements} if customers or engagements else None
    con = open_source(_workspace(), files)
    try:
        report = actual_roi(con, cast(list[GroupBy], keys), campaign)
    finally:
        con.close()
    if as_json:
        print_json(report)
        return
    rows = [
        (
            *r.group.values(),
            r.sent,
            r.conversions,
            r.conversion_rate,
            r.cost,
            r.revenue,
            r.profit,
            "n/a" if r.roi is None else f"{r.roi:,.2f}",
        )
        for r in [*report.rows, report.total]
    ]
    print_table(
        "Campaign ROI = (revenue - cost) / cost",
        [*report.by, "sent", "conversions", "conv. rate", "cost", "revenue", "profit", "ROI"],
        rows,
    )
    for r in report.rows:
        if r.note:
            console.print(f"note ({', '.join(r.group.values())}): {r.note}")


@app.command()
def forecast(
    channel: Annotated[str, typer.Option(help="email, sms, push, social or ads.")],
    segment: Annotated[str | None, typer.Option(help="Target segment (from `mkt segment`).")] = None,
    audience: Annotated[
        int | None, typer.Option(help="Audience size (default: segment or all, consenting).")
    ] = None,
    response_rate: Annotated[
        float | None, typer.Option(help="P(convert | sent) (default: from history).")
    ] = None,
    order_value: Annotated[
        float | None, typer.Option(help="Revenue per conversion (default: history).")
    ] = None,
    clv: Annotated[float | None, typer.Option(help="Customer lifetime value per conversion.")] = None,
    cost_per_message: Annotated[float | None, typer.Option(help="Cost per send (default: history).")] = None,
    fixed_cost: Annotated[float, typer.Option(help="Fixed campaign cost.")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Forecast ROI of a planned campaign from audience, response rate, value and cost."""
    params = build(
        RoiForecastParams,
        channel=channel,
        segment=segment,
        audience=audience,
        response_rate=response_rate,
        order_value=order_value,
        clv=clv,
        cost_per_message=cost_per_message,
        fixed_cost=fixed_cost,
    )
    con = open_source(_workspace())
    try:
        result = forecast_roi(con, params)
    finally:
        con.close()
    if as_json:
        print_json(result)
        return
    interval = result.roi_interval
    print_table(
        f"Forecast: {result.channel} to {result.segment or 'all customers'}",
        ["quantity", "value", "source"],
        [
            (
                "audience",
                result.audience,
                "given" if params.audience is not None else "customers (consenting)",
            ),
            ("response rate", result.response_rate, result.response_rate_source),
            ("value per conversion", result.value_per_conversion, result.value_source),
            ("cost per message", result.cost_per_message, result.cost_source),
            ("expected conversions", result.expected_conversions, ""),
            ("expected revenue", result.expected_revenue, ""),
            ("cost", result.cost, f"incl. fixed {params.fixed_cost:,.2f}"),
            ("expected profit", result.expected_profit, ""),
            (
                "ROI",
                "n/a" if result.roi is None else f"{result.roi:,.2f}",
                "" if interval is None else f"90% interval {interval[0]:,.2f} to {interval[1]:,.2f}",
            ),
        ],
    )
    for note in result.notes:
        console.print(f"note: {note}")


@app.command()
def holdout(
    campaign: Annotated[str, typer.Argument(help="A past campaign that held out a control group.")],
    margin: Annotated[
        float | None, typer.Option(help="Share of revenue kept (default: MKT_MARGIN; unset: revenue).")
    ] = None,
    discount: Annotated[float, typer.Option(help="Discount %% the treatment group got.")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Incremental ROI of a past campaign: treatment minus control, with 90% intervals."""
    from agent.cli.abtest_cmd import show_holdout
    from tools.abtest.holdout import HoldoutParams, holdout_readout

    settings = load_settings()
    con = open_source(Workspace.from_settings(settings))
    try:
        params = HoldoutParams(
            campaign_id=campaign,
            margin=margin if margin is not None else settings.margin,
            discount_percent=discount,
        )
        result = holdout_readout(con, params)
    finally:
        con.close()
    show_holdout(result, as_json)
