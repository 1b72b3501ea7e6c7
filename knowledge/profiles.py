"""Customer profile documents built from the workspace analytics, for the ``customers`` collection.

One document per segment (and optionally one per customer) saying: segment, value band, churn risk,
preferred channel, consent shares and recent product categories. Only ids and aggregates are used:
the customers table is read for its consent columns alone, so email and phone never reach a
document, its metadata, or a model that reads them.

Where each field comes from, best source first:

- segment: a ``segments`` table (``customer_id, segment``) or ``--segments`` file if present, else
  rule-based RFM tiers computed here from ``data.features.transaction_summary``.
- value band: tertiles of CLV (a ``clv`` table/file: ``customer_id, clv``) else of lifetime spend.
- churn risk: a ``churn_scores`` table/file (``customer_id, churn_probability``: < 0.2 low, < 0.5
  medium, else high) else recency against the customer's own purchase rhythm: high when the time
  since the last purchase exceeds twice the customer's mean gap between purchase days (the median
  gap of repeat buyers for one-time buyers), medium when it exceeds one gap.
  A segment's band: high when at least half its customers are high, medium from a quarter.
- preferred channel: highest conversion rate (conversions / sends) in the engagements table among
  channels the customer consented to; for a segment, over all its members' sends.
- recent categories: most bought categories in the last 180 days of data.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from data.features import data_end, transaction_summary

RECENT_DAYS = 180
CHANNELS = ("email", "sms", "push")
OPTIONAL_TABLES = {
    "segments": ("customer_id", "segment"),
    "churn_scores": ("customer_id", "churn_probability"),
    "clv": ("customer_id", "clv"),
}


def _has(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...] = ()) -> bool:
    rows = con.execute(
        "select column_name from information_schema.columns where table_name = ?", [table]
    ).fetchall()
    present = {r[0] for r in rows}
    return bool(present) and set(columns) <= present


def optional_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The analytics tables the workspace already holds (segments, churn scores, CLV)."""
    found = {}
    for table, columns in OPTIONAL_TABLES.items():
        if _has(con, table, columns):
            found[table] = con.execute(f"select {', '.join(columns)} from {table}").df()
    return found


def rfm_segments(summary: pd.DataFrame) -> pd.Series:
    """Rule-based RFM tiers (quintile scores 1-5) named the way marketers name them."""
    n = len(summary)
    r = np.ceil(summary["recency_days"].rank(ascending=False, method="first") / n * 5).clip(1, 5)
    f = np.ceil(summary["n_purchase_days"].rank(method="first") / n * 5).clip(1, 5)
    m = np.ceil(summary["total_amount"].rank(method="first") / n * 5).clip(1, 5)
    fm = (f + m) / 2
    names = np.select(
        [
            (r >= 4) & (fm >= 4),
            (r >= 3) & (fm >= 3),
            (r >= 4) & (fm < 2),
            (r >= 3),
            (r <= 2) & (fm >= 3),
            (r <= 1),
        ],
        ["champions", "loyal customers", "new customers", "potential loyalists", "at risk", "hibernating"],
        default="need attention",
    )
    return pd.Series(names, index=summary.index, name="rfm_segment")


def customer_features(
    con: duckdb.DuckDBPyConnection, inputs: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """One row per customer with purchases: segment, value band, churn risk, channel, top category.

    ``inputs`` (segments, churn_scores, clv frames) default to the workspace's optional tables.
    """
    inputs = optional_inputs(con) if inputs is None else inputs
    summary = transaction_summary(con)
    frame = summary[["customer_id", "recency_days", "n_purchase_days", "total_amount", "span_days"]].copy()
    frame["rfm_segment"] = rfm_segments(frame)
    frame["segment"] = frame["rfm_segment"]
    if "segments" in inputs:
        given = inputs["segments"].set_index("customer_id")["segment"].astype(str)
        frame["segment"] = frame["customer_id"].map(given).fillna(frame["rfm_segment"])
    value = frame["total_amount"].astype(float)
    if "clv" in inputs:
        value = frame["customer_id"].map(inputs["clv"].set_index("customer_id")["clv"]).fillna(value)
    frame["value"] = value
    lo, hi = np.quantile(value, [1 / 3, 2 / 3])
    frame["value_band"] = np.select([value >= hi, value >= lo], ["high", "medium"], default="low")
    frame["churn_risk"], frame["churn_basis"] = _churn_risk(frame, inputs.get("churn_scores"))
    frame = frame.merge(_consent(con), on="customer_id", how="left")
    frame = frame.merge(_preferred_channel(con), on="customer_id", how="left")
    frame = frame.merge(_top_category(con), on="customer_id", how="left")
    return frame


def _churn_risk(frame: pd.DataFrame, scores: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    repeat = frame["n_purchase_days"] > 1
    gap = frame["span_days"] / (frame["n_purchase_days"] - 1).where(repeat)
    typical = float(gap[repeat].median()) if repeat.any() else 90.0
    ratio = frame["recency_days"] / gap.fillna(typical).clip(lower=1.0)
    band = pd.Series(np.select([ratio > 2, ratio > 1], ["high", "medium"], default="low"), index=frame.index)
    basis = pd.Series("recency vs purchase rhythm", index=frame.index)
    if scores is not None:
        prob = frame["customer_id"].map(scores.set_index("customer_id")["churn_probability"])
        scored = prob.notna()
        band[scored] = np.select([prob[scored] >= 0.5, prob[scored] >= 0.2], ["high", "medium"], "low")
        basis[scored] = "churn model"
    return band, basis


def _consent(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    columns = [f"consent_{c}" for c in CHANNELS if _has(con, "customers", (f"consent_{c}",))]
    if not columns:
        return pd.DataFrame({"customer_id": pd.Series(dtype=str)})
    return con.execute(f"select customer_id, {', '.join(columns)} from customers").df()


def _preferred_channel(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    empty = pd.DataFrame({"customer_id": pd.Series(dtype=str), "preferred_channel": pd.Series(dtype=str)})
    if not _has(con, "engagements", ("customer_id", "channel", "event")):
        return empty
    return con.execute(
        """
        with rates as (
            select customer_id, channel,
                   count(*) filter (where event = 'sent') as sent,
                   count(*) filter (where event = 'converted') as converted,
                   count(*) filter (where event in ('opened', 'clicked')) as engaged
            from engagements group by customer_id, channel
        )
        select customer_id, arg_max(channel, (converted + 0.1 * engaged) / greatest(sent, 1))
               as preferred_channel
        from rates group by customer_id
        """
    ).df()


def _top_category(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not _has(con, "transactions", ("category",)):
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "top_category": pd.Series(dtype=str)})
    since = pd.Timestamp(data_end(con.cursor())) - pd.Timedelta(days=RECENT_DAYS)
    return con.execute(
        """
        select customer_id, mode(category) as top_category
        from transactions where ts > ? and category is not null group by customer_id
        """,
        [since.to_pydatetime()],
    ).df()


def segment_channel_rates(con: duckdb.DuckDBPyConnection, members: pd.DataFrame) -> pd.DataFrame:
    """Sends, conversions and conversion rate per (segment, channel) from the engagements table."""
    if not _has(con, "engagements", ("customer_id", "channel", "event")):
        return pd.DataFrame(columns=["segment", "channel", "sent", "converted", "rate"])
    con.register("_mkt_members", members[["customer_id", "segment"]])
    try:
        rates = con.execute(
            """
            select m.segment, e.channel,
                   count(*) filter (where e.event = 'sent') as sent,
                   count(*) filter (where e.event = 'converted') as converted
            from engagements e join _mkt_members m using (customer_id)
            group by m.segment, e.channel
            """
        ).df()
    finally:
        con.unregister("_mkt_members")
    rates["rate"] = rates["converted"] / rates["sent"].clip(lower=1)
    return rates


def segment_categories(
    con: duckdb.DuckDBPyConnection, members: pd.DataFrame, top: int = 3
) -> dict[str, list[str]]:
    """The ``top`` most bought categories per segment in the last 180 days of data."""
    if not _has(con, "transactions", ("category",)):
        return {}
    since = pd.Timestamp(data_end(con.cursor())) - pd.Timedelta(days=RECENT_DAYS)
    con.register("_mkt_members", members[["customer_id", "segment"]])
    try:
        counts = con.execute(
            """
            select m.segment, t.category, count(*) as n
            from transactions t join _mkt_members m using (customer_id)
            where t.ts > ? and t.category is not null
            group by m.segment, t.category order by m.segment, n desc, t.category
            """,
            [since.to_pydatetime()],
        ).df()
    finally:
        con.unregister("_mkt_members")
    return {str(s): list(g["category"].astype(str))[:top] for s, g in counts.groupby("segment")}
