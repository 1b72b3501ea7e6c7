"""Per-customer transaction aggregates shared by the analytics tools (computed in DuckDB)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pandas as pd

from data.errors import ToolError

SUMMARY_COLUMNS = (
    "customer_id",
    "first_ts",
    "last_ts",
    "n_transactions",
    "n_purchase_days",
    "total_amount",
    "mean_amount",
    "repeat_mean_amount",
    "recency_days",
    "span_days",
    "age_days",
)


def data_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """The last transaction timestamp: the default ``as_of`` of every analysis."""
    row = con.execute("SELECT max(ts) FROM transactions").fetchone()
    if row is None or row[0] is None:
        raise ToolError("the transactions table is empty: load transactions first")
    value = row[0]
    assert isinstance(value, datetime)
    return value


def transaction_summary(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | None = None,
    *,
    include_inactive: bool = False,
    customer_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per customer with purchases up to ``as_of`` (default: the data's end).

    Columns (times in fractional days): ``n_purchase_days`` counts distinct calendar days with a
    purchase; ``repeat_mean_amount`` is the mean daily spend over repeat purchase days (the
    Gamma-Gamma monetary value, NaN without repeats); ``recency_days`` = as_of - last purchase;
    ``span_days`` = last - first purchase; ``age_days`` = as_of - first purchase.
    With ``include_inactive`` customers without purchases are kept with zero counts;
    ``customer_ids`` restricts the result to those customers.
    """
    cutoff = as_of or data_end(con)
    frame = con.execute(
        """
        WITH tx AS (
            SELECT customer_id, ts, amount FROM transactions
            WHERE ts <= $cutoff AND ($ids IS NULL OR list_contains($ids, customer_id))
        ), days AS (
            SELECT customer_id, CAST(ts AS DATE) AS day, sum(amount) AS spend,
                   row_number() OVER (PARTITION BY customer_id ORDER BY CAST(ts AS DATE)) AS nth
            FROM tx GROUP BY customer_id, CAST(ts AS DATE)
        ), per_day AS (
            SELECT customer_id, count(*) AS n_purchase_days,
                   avg(spend) FILTER (WHERE nth > 1) AS repeat_mean_amount
            FROM days GROUP BY customer_id
        ), per_tx AS (
            SELECT customer_id, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n_transactions,
                   sum(amount) AS total_amount, avg(amount) AS mean_amount
            FROM tx GROUP BY customer_id
        )
        SELECT c.customer_id, t.first_ts, t.last_ts,
               coalesce(t.n_transactions, 0) AS n_transactions,
               coalesce(d.n_purchase_days, 0) AS n_purchase_days,
               coalesce(t.total_amount, 0) AS total_amount, t.mean_amount, d.repeat_mean_amount,
               epoch($cutoff - t.last_ts) / 86400.0 AS recency_days,
               epoch(t.last_ts - t.first_ts) / 86400.0 AS span_days,
               epoch($cutoff - t.first_ts) / 86400.0 AS age_days
        FROM customers c
        LEFT JOIN per_tx t USING (customer_id)
        LEFT JOIN per_day d USING (customer_id)
        WHERE ($inactive OR t.n_transactions IS NOT NULL)
          AND ($ids IS NULL OR list_contains($ids, c.customer_id))
        ORDER BY c.customer_id
        """,
        {
            "cutoff": cutoff,
            "inactive": include_inactive,
            "ids": None if customer_ids is None else list(customer_ids),
        },
    ).df()
    return frame
