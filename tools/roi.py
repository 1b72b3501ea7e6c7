"""Campaign ROI = (revenue - cost) / cost: actual (from the engagements table) and forecast.

Actual: per campaign (optionally per channel, variant or segment) the sends, conversions,
cost (summed over all events) and revenue (summed over conversions) of the contacted customers;
rows of held-out control customers are left out (the incremental readout is ``mkt abtest``).
Zero cost has no defined ROI: the row reports ``roi = None`` with a note, never an infinity or NaN.

Forecast for a planned campaign: audience (given, a segment from the ``segments`` table, or all
customers; only consenting customers for email, SMS and push) x response rate (given, else the
channel's conversion rate in the history, for that segment when it has history) x value per
conversion (CLV or order value given, else mean revenue per conversion in the history, else mean
transaction amount), minus cost (per message, from the history unless given, plus a fixed cost).
When the rate comes from the history, a 90% interval follows from its Beta(1 + conversions,
1 + non-conversions) posterior.
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
import pandas as pd
from pydantic import BaseModel, Field

from data.errors import ToolError
from data.testgroups import contacted
from tools.segment.store import read_membership

Channel = Literal["email", "sms", "push", "social", "ads"]
GroupBy = Literal["campaign", "channel", "variant", "segment"]
CONSENT_COLUMN = {"email": "consent_email", "sms": "consent_sms", "push": "consent_push"}
_COLUMN = {"campaign": "campaign_id", "channel": "channel", "variant": "variant", "segment": "segment"}


class RoiRow(BaseModel):
    """Results of one group of sends."""

    group: dict[str, str]
    sent: int
    conversions: int
    conversion_rate: float
    cost: float
    revenue: float
    profit: float
    roi: float | None = Field(description="(revenue - cost) / cost; None when nothing was spent.")
    note: str | None = None


class RoiReport(BaseModel):
    """Actual ROI per group and in total."""

    by: list[str]
    rows: list[RoiRow]
    total: RoiRow


class RoiForecastParams(BaseModel):
    """A planned campaign; anything not given is estimated from the workspace data."""

    channel: Channel
    segment: str | None = Field(default=None, description="Target segment from the segments table.")
    audience: int | None = Field(default=None, ge=0, description="Audience size (overrides segment).")
    response_rate: float | None = Field(default=None, ge=0.0, le=1.0, description="P(convert | sent).")
    order_value: float | None = Field(default=None, ge=0.0, description="Expected revenue per conversion.")
    clv: float | None = Field(
        default=None, ge=0.0, description="Value per conversion (overrides order value)."
    )
    cost_per_message: float | None = Field(default=None, ge=0.0)
    fixed_cost: float = Field(default=0.0, ge=0.0, description="Creative, tooling and other fixed costs.")


class ChannelRoi(BaseModel):
    """Expected outcome of the planned campaign, with where each input came from."""

    channel: str
    segment: str | None
    audience: int
    response_rate: float
    response_rate_source: str
    response_rate_interval: tuple[float, float] | None
    value_per_conversion: float
    value_source: str
    cost_per_message: float
    cost_source: str
    expected_conversions: float
    expected_revenue: float
    cost: float
    expected_profit: float
    roi: float | None
    roi_interval: tuple[float, float] | None
    notes: list[str] = Field(default_factory=list)


def actual_roi(
    con: duckdb.DuckDBPyConnection, by: list[GroupBy] | None = None, campaigns: list[str] | None = None
) -> RoiReport:
    """ROI of past campaigns grouped by ``by`` (default: campaign).

    Raises:
        ToolError: no engagements (for these campaigns), or grouping by segment without segments.
    """
    keys = list(dict.fromkeys(by or ["campaign"]))
    events = _events(con, campaigns)
    if "segment" in keys:
        membership = read_membership(con)
        if membership is None:
            raise ToolError(
                "no segments table: run `mkt segment` first, or group by campaign/channel/variant"
            )
        events = events.merge(membership, on="customer_id", how="left")
        events["segment"] = events["segment"].fillna("(no segment)")
    if "variant" in keys:
        events["variant"] = events["variant"].fillna("(none)")
    columns = [_COLUMN[k] for k in keys]
    grouped = events.groupby(columns, sort=True, dropna=False).agg(
        sent=("sent", "sum"),
        conversions=("converted", "sum"),
        cost=("cost", "sum"),
        revenue=("revenue", "sum"),
    )
    rows = [
        _row(dict(zip(keys, (str(v) for v in (idx if isinstance(idx, tuple) else (idx,))), strict=True)), rec)
        for idx, rec in grouped.iterrows()
    ]
    totals = events[["sent", "converted", "cost", "revenue"]].sum()
    total = _row({k: "all" for k in keys}, totals.rename({"converted": "conversions"}))
    return RoiReport(by=keys, rows=rows, total=total)


def _events(con: duckdb.DuckDBPyConnection, campaigns: list[str] | None) -> pd.DataFrame:
    frame: pd.DataFrame = con.execute(
        f"""
        SELECT CAST(customer_id AS VARCHAR) AS customer_id, campaign_id, channel, variant,
               CAST(event = 'sent' AS INTEGER) AS sent, CAST(event = 'converted' AS INTEGER) AS converted,
               coalesce(cost, 0) AS cost, coalesce(revenue, 0) AS revenue
        FROM engagements
        WHERE ($all OR list_contains($ids, campaign_id)) AND {contacted(con)}
        """,
        {"all": not campaigns, "ids": campaigns or []},
    ).df()
    if frame.empty:
        which = f" for campaign(s) {', '.join(campaigns)}" if campaigns else ""
        raise ToolError(f"no engagement events{which}: load an engagements table first")
    return frame


def _row(group: dict[str, str], rec: pd.Series) -> RoiRow:
    sent, conversions = int(rec["sent"]), int(rec["conversions"])
    cost, revenue = float(rec["cost"]), float(rec["revenue"])
    roi, note = None, None
    if cost > 0:
        roi = round((revenue - cost) / cost, 4)
    else:
        note = "no cost recorded: ROI undefined" + (
            f" (revenue {revenue:,.2f} at zero cost)" if revenue else ""
        )
    return RoiRow(
        group=group,
        sent=sent,
        conversions=conversions,
        conversion_rate=round(conversions / sent, 6) if sent else 0.0,
        cost=round(cost, 4),
        revenue=round(revenue, 2),
        profit=round(revenue - cost, 2),
        roi=roi,
        note=note,
    )


def forecast_roi(con: duckdb.DuckDBPyConnection, params: RoiForecastParams) -> ChannelRoi:
    """Expected conversions, revenue, cost and ROI of a planned campaign.

    Raises:
        ToolError: an unknown segment, or an input that is neither given nor estimable from the data.
    """
    notes: list[str] = []
    audience = _audience(con, params, notes)
    history = _channel_history(con, params.channel, params.segment)
    rate, rate_source, rate_interval = _response_rate(params, history)
    value, value_source = _value(con, params, history)
    unit_cost, cost_source = _unit_cost(params, history)
    conversions = audience * rate
    revenue = conversions * value
    cost = audience * unit_cost + params.fixed_cost
    roi, roi_interval = None, None
    if cost > 0:
        roi = round((revenue - cost) / cost, 4)
        if rate_interval is not None:
            low, high = (round((audience * r * value - cost) / cost, 4) for r in rate_interval)
            roi_interval = (low, high)
    else:
        notes.append("the campaign costs nothing: ROI is undefined; look at expected profit instead")
    if audience == 0:
        notes.append("the audience is empty: nobody can be reached on this channel")
    return ChannelRoi(
        channel=params.channel,
        segment=params.segment,
        audience=audience,
        response_rate=round(rate, 6),
        response_rate_source=rate_source,
        response_rate_interval=rate_interval,
        value_per_conversion=round(value, 2),
        value_source=value_source,
        cost_per_message=round(unit_cost, 4),
        cost_source=cost_source,
        expected_conversions=round(conversions, 2),
        expected_revenue=round(revenue, 2),
        cost=round(cost, 2),
        expected_profit=round(revenue - cost, 2),
        roi=roi,
        roi_interval=roi_interval,
        notes=notes,
    )


def _audience(con: duckdb.DuckDBPyConnection, params: RoiForecastParams, notes: list[str]) -> int:
    if params.audience is not None:
        return params.audience
    consent = CONSENT_COLUMN.get(params.channel)
    reachable = f"coalesce({consent}, false)" if consent else "true"
    if params.segment is None:
        row = _one(con, f"SELECT count(*) FILTER (WHERE {reachable}), count(*) FROM customers")
        label = "all customers"
    else:
        membership = read_membership(con)
        if membership is None:
            raise ToolError("no segments table: run `mkt segment` first or give --audience")
        known = sorted(membership["segment"].unique())
        if params.segment not in known:
            raise ToolError(f"unknown segment {params.segment!r} (known: {', '.join(known)})")
        ids = membership.loc[membership["segment"] == params.segment, ["customer_id"]]
        con.register("roi_audience", ids)
        try:
            row = _one(
                con,
                f"SELECT count(*) FILTER (WHERE {reachable}), count(*) FROM customers "
                "SEMI JOIN roi_audience USING (customer_id)",
            )
        finally:
            con.unregister("roi_audience")
        label = f"segment {params.segment!r}"
    reach, size = (int(row[0]), int(row[1])) if row else (0, 0)
    if consent:
        notes.append(f"{reach:,} of {size:,} customers in {label} consented to {params.channel}")
    return reach


def _channel_history(con: duckdb.DuckDBPyConnection, channel: str, segment: str | None) -> dict[str, float]:
    """sent, conversions, cost and revenue of the channel (in the segment when it has history)."""
    sql = """
        SELECT count(*) FILTER (WHERE event = 'sent'), count(*) FILTER (WHERE event = 'converted'),
               coalesce(sum(cost), 0), coalesce(sum(revenue), 0)
        FROM engagements e WHERE channel = $channel AND {contacted} {extra}
    """
    sql = sql.replace("{contacted}", contacted(con))
    found = _one(con, sql.format(extra=""), {"channel": channel})
    history = dict(
        zip(("sent", "conversions", "cost", "revenue"), map(float, found or (0, 0, 0, 0)), strict=True)
    )
    history["scope"] = 0.0
    membership = read_membership(con) if segment is not None else None
    if membership is not None:
        ids = membership.loc[membership["segment"] == segment, ["customer_id"]]
        con.register("roi_segment", ids)
        try:
            seg = _one(
                con,
                sql.format(extra="AND customer_id IN (SELECT customer_id FROM roi_segment)"),
                {"channel": channel},
            )
        finally:
            con.unregister("roi_segment")
        if seg is not None and seg[0] > 0:
            history.update(
                dict(zip(("sent", "conversions", "cost", "revenue"), map(float, seg), strict=True)), scope=1.0
            )
    return history


def _response_rate(
    params: RoiForecastParams, history: dict[str, float]
) -> tuple[float, str, tuple[float, float] | None]:
    if params.response_rate is not None:
        return params.response_rate, "given", None
    sent, conv = history["sent"], history["conversions"]
    if sent == 0:
        raise ToolError(f"no {params.channel} sends in the history: give --response-rate")
    where = f"segment {params.segment!r}" if history["scope"] else "all customers"
    from scipy.stats import beta  # scipy.stats costs 0.5 s to import: paid when a rate is estimated

    low, high = beta.ppf([0.05, 0.95], 1 + conv, 1 + sent - conv)
    source = f"history: {int(conv):,} conversions / {int(sent):,} {params.channel} sends ({where})"
    return conv / sent, source, (round(float(low), 6), round(float(high), 6))


def _value(
    con: duckdb.DuckDBPyConnection, params: RoiForecastParams, history: dict[str, float]
) -> tuple[float, str]:
    if params.clv is not None:
        return params.clv, "given CLV"
    if params.order_value is not None:
        return params.order_value, "given order value"
    if history["conversions"] > 0 and history["revenue"] > 0:
        return history["revenue"] / history["conversions"], "history: mean revenue per conversion"
    row = _one(con, "SELECT avg(amount) FROM transactions")
    if row is None or row[0] is None:
        raise ToolError("no revenue history and no transactions: give --order-value or --clv")
    return float(row[0]), "mean transaction amount"


def _unit_cost(params: RoiForecastParams, history: dict[str, float]) -> tuple[float, str]:
    if params.cost_per_message is not None:
        return params.cost_per_message, "given"
    if history["sent"] == 0:
        raise ToolError(f"no {params.channel} sends in the history to estimate cost: give --cost-per-message")
    return history["cost"] / history["sent"], "history: mean cost per send"


def _one(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result fully consumed (so the connection is free again)."""
    rows = con.execute(sql, params or {}).fetchall()
    return tuple(rows[0]) if rows else None
