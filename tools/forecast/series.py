"""Weekly series from the transactions table: revenue, orders, active customers, per group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.engine.source import SparkSource
from data.errors import ToolError
from data.features import cutoff_text, data_end
from tools.forecast.models import GroupBy, Metric

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class WeeklySeries:
    """Complete weeks (Monday starts) and one value array per (metric, group)."""

    weeks: list[date]
    values: dict[tuple[Metric, str], FloatArray]
    notes: list[str]


Source = duckdb.DuckDBPyConnection | SparkSource


def _columns(con: Source, table: str) -> set[str]:
    if isinstance(con, SparkSource):
        return set(con.columns(table)) if con.has_table(table) else set()
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def weekly_sql(group: str, join: str, orders: str) -> str:
    """Revenue, orders and active customers per (week, group): one query for both engines.

    Binds ``$end`` (timestamp text); weeks start on Monday in both engines.
    """
    return f"""
        SELECT CAST(date_trunc('week', t.ts) AS DATE) AS week, {group} AS grp,
               sum(t.amount) AS revenue, {orders} AS orders,
               count(DISTINCT t.customer_id) AS active_customers
        FROM transactions t {join}
        WHERE t.ts <= CAST($end AS TIMESTAMP)
        GROUP BY ALL
        """


def _query(con: Source, sql: str, **params: object) -> pd.DataFrame:
    if isinstance(con, SparkSource):
        return con.sql(sql, **params).toPandas()
    return con.execute(sql, params).df()


def _group_expression(con: Source, by: GroupBy) -> tuple[str, str]:
    """SQL for the group label and the join it needs."""
    if by == "total":
        return "'total'", ""
    if by == "category":
        if "category" not in _columns(con, "transactions"):
            raise ToolError("transactions have no 'category' column: forecast --by total instead")
        return "coalesce(t.category, 'unknown')", ""
    if isinstance(con, SparkSource):
        raise ToolError("forecast --by segment reads the workspace's segments table: use MKT_ENGINE=duckdb")
    columns = _columns(con, "segments")
    if not columns:
        raise ToolError("no segments table in the workspace: run `mkt segment` first, or use --by category")
    label = next((c for c in ("segment", "segment_name", "name") if c in columns), None)
    if "customer_id" not in columns or label is None:
        raise ToolError("the segments table needs 'customer_id' and 'segment' columns")
    return f"coalesce(CAST(s.{label} AS VARCHAR), 'unassigned')", "LEFT JOIN segments s USING (customer_id)"


def weekly_series(con: Source, metrics: list[Metric], by: GroupBy, as_of: datetime | None) -> WeeklySeries:
    """Aggregate transactions into complete weeks; partial first and last weeks are dropped."""
    end = as_of or data_end(con)
    group, join = _group_expression(con, by)
    orders = "count(DISTINCT t.order_id)" if "order_id" in _columns(con, "transactions") else "count(*)"
    frame = _query(con, weekly_sql(group, join, orders), end=cutoff_text(end))
    if frame.empty:
        raise ToolError("no purchases in the transactions table up to the analysis date: nothing to forecast")
    frame = frame.astype({"revenue": np.float64, "orders": np.float64, "active_customers": np.float64})
    first = _query(con, "SELECT min(ts) AS first_ts FROM transactions")["first_ts"].iloc[0]
    first_ts = None if pd.isna(first) else (pd.Timestamp(first).to_pydatetime(),)
    start = _week_start(first_ts[0] if first_ts else end)
    if first_ts is not None and first_ts[0] > datetime.combine(start, datetime.min.time()):
        start += timedelta(days=7)  # the first week is partial
    last = _week_start(end)
    if end < datetime.combine(last, datetime.min.time()) + timedelta(days=7) - timedelta(seconds=1):
        last -= timedelta(days=7)  # the last week is partial
    weeks = (
        [start + timedelta(days=7 * i) for i in range((last - start).days // 7 + 1)] if last >= start else []
    )
    if not weeks:
        raise ToolError("less than one complete week of transactions: nothing to forecast")
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    frame = frame[(frame["week"] >= weeks[0]) & (frame["week"] <= weeks[-1])]
    values: dict[tuple[Metric, str], FloatArray] = {}
    index = pd.Index(weeks, name="week")
    for metric in metrics:
        wide = frame.pivot_table(index="week", columns="grp", values=metric, aggfunc="sum", fill_value=0.0)
        wide = wide.reindex(index, fill_value=0.0)
        for grp in sorted(wide.columns, key=str):
            values[(metric, str(grp))] = wide[grp].to_numpy(dtype=np.float64)
    notes = [f"weeks start on Monday; {len(weeks)} complete weeks from {weeks[0]} to {weeks[-1]}"]
    return WeeklySeries(weeks=weeks, values=values, notes=notes)


def _week_start(ts: datetime) -> date:
    day = ts.date()
    return day - timedelta(days=day.weekday())
