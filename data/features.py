"""Per-customer transaction aggregates shared by the analytics tools, defined once for both engines.

The queries are DuckDB SQL; the Spark engine runs the same text transpiled by ``data.engine.sql``.
They use only what both engines mean the same way: timestamps as microseconds (``epoch_us``),
doubles made explicit with ``CAST(... AS DOUBLE)`` (a ``86400.0`` literal is a DECIMAL in Spark),
and the cut-off bound as a timestamp text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from data.errors import ToolError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from data.engine.source import SparkSource

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

_DAYS = "CAST(86400000000 AS DOUBLE)"  # microseconds per day


def summary_sql(*, filter_ids: bool = False) -> str:
    """The per-customer summary (see :func:`transaction_summary`); binds ``$cutoff`` and ``$inactive``.

    With ``filter_ids`` it also binds ``$ids`` (a list of customer ids, DuckDB only).
    """
    ids = " AND list_contains($ids, customer_id)" if filter_ids else ""
    ids_c = " AND list_contains($ids, c.customer_id)" if filter_ids else ""
    return f"""
        WITH tx AS (
            SELECT customer_id, ts, amount FROM transactions
            WHERE ts <= CAST($cutoff AS TIMESTAMP){ids}
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
               coalesce(t.total_amount, CAST(0 AS DOUBLE)) AS total_amount, t.mean_amount,
               d.repeat_mean_amount,
               (epoch_us(CAST($cutoff AS TIMESTAMP)) - epoch_us(t.last_ts)) / {_DAYS} AS recency_days,
               (epoch_us(t.last_ts) - epoch_us(t.first_ts)) / {_DAYS} AS span_days,
               (epoch_us(CAST($cutoff AS TIMESTAMP)) - epoch_us(t.first_ts)) / {_DAYS} AS age_days
        FROM customers c
        LEFT JOIN per_tx t ON t.customer_id = c.customer_id
        LEFT JOIN per_day d ON d.customer_id = c.customer_id
        WHERE ($inactive OR t.n_transactions IS NOT NULL){ids_c}
        """


def rfm_sql() -> str:
    """The BG/NBD / Gamma-Gamma summary per buyer over :func:`summary_sql`; also binds ``$unit`` (days).

    frequency = repeat purchase days; recency = last - first purchase and monetary_value = mean spend
    of the repeat days (both 0 without repeats); T = as_of - first purchase; all times in ``$unit``.
    """
    return f"""
        SELECT customer_id,
               CAST(n_purchase_days - 1 AS DOUBLE) AS frequency,
               CASE WHEN n_purchase_days > 1 THEN span_days / $unit ELSE CAST(0 AS DOUBLE) END AS recency,
               age_days / $unit AS T,
               CASE WHEN n_purchase_days > 1 THEN coalesce(repeat_mean_amount, CAST(0 AS DOUBLE))
                    ELSE CAST(0 AS DOUBLE) END AS monetary_value,
               total_amount
        FROM ({summary_sql()}) AS summary
        """


def cutoff_text(cutoff: datetime) -> str:
    """The cut-off as the timestamp text both engines cast the same way."""
    return cutoff.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def data_end(con: duckdb.DuckDBPyConnection | SparkSource) -> datetime:
    """The last transaction timestamp: the default ``as_of`` of every analysis."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        row = con.execute("SELECT max(ts) FROM transactions").fetchone()
        value = None if row is None else row[0]
    else:
        query = "SELECT max(ts) AS end_ts FROM transactions"
        value = con.cached(("data_end",), lambda: con.sql(query).collect()[0]["end_ts"])
    if value is None:
        raise ToolError("the transactions table is empty: load transactions first")
    assert isinstance(value, datetime)
    return value


def transaction_summary(
    con: duckdb.DuckDBPyConnection | SparkSource,
    as_of: datetime | None = None,
    *,
    include_inactive: bool = False,
    customer_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per customer with purchases up to ``as_of`` (default: the data's end), by customer_id.

    Columns (times in fractional days): ``n_purchase_days`` counts distinct calendar days with a
    purchase; ``repeat_mean_amount`` is the mean daily spend over repeat purchase days (the
    Gamma-Gamma monetary value, NaN without repeats); ``recency_days`` = as_of - last purchase;
    ``span_days`` = last - first purchase; ``age_days`` = as_of - first purchase.
    With ``include_inactive`` customers without purchases are kept with zero counts;
    ``customer_ids`` restricts the result to those customers.
    """
    cutoff = as_of or data_end(con)
    if not isinstance(con, duckdb.DuckDBPyConnection):
        frame = spark_summary(con, cutoff, include_inactive=include_inactive).toPandas()
        if customer_ids is not None:
            frame = frame[frame["customer_id"].isin(list(customer_ids))]
        return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
    params: dict[str, object] = {"cutoff": cutoff_text(cutoff), "inactive": include_inactive}
    if customer_ids is not None:
        params["ids"] = list(customer_ids)
    sql = summary_sql(filter_ids=customer_ids is not None) + " ORDER BY c.customer_id"
    return con.execute(sql, params).df()


def spark_summary(source: SparkSource, cutoff: datetime, *, include_inactive: bool = False) -> DataFrame:
    """:func:`summary_sql` on Spark, as a Spark DataFrame persisted for the life of ``source``.

    The segmenter reads it twice (features for the fit, then the assignment): computed once.
    """
    key = ("summary", cutoff_text(cutoff), include_inactive)
    frame: DataFrame = source.cached(
        key, lambda: source.sql(summary_sql(), cutoff=cutoff_text(cutoff), inactive=include_inactive)
    )
    return frame
