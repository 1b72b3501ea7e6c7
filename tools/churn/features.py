"""Churn features per customer: purchase and engagement behaviour, plus the customers' own attributes.

The behavioural features are defined exactly as the synthetic generator's planted churn model; the
customers table's own columns follow (``tools.churn.attributes``). A customers table alone is
enough: without transactions there are only attribute features. The behavioural definitions (see
``data/synth/churn.py`` and ``truth.json``) at ``as_of`` (default: the last
transaction):

- ``log_recency_days``: log(1 + whole days from the last transaction to as_of); customers without
  a purchase count from signup.
- ``log_frequency``: log(1 + number of transactions).
- ``log_monetary``: log(mean transaction amount), amounts floored at 0.01 so it stays finite.
- ``tenure_days``: whole days from signup_date to as_of.
- ``open_rate``, ``click_rate``: opened (clicked) / delivered engagement events up to as_of, 0 when
  nothing was delivered; only when an engagements table exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from data.errors import ToolError
from data.features import data_end, transaction_summary
from data.sql import ident
from tools.churn.attributes import AttributeSpec, encode, infer_spec

PURCHASE_FEATURES = ("log_recency_days", "log_frequency", "log_monetary", "tenure_days")
ENGAGEMENT_FEATURES = ("open_rate", "click_rate")
MIN_AMOUNT = 0.01


@dataclass(frozen=True)
class ChurnData:
    """Feature matrix (one row per customer), optional labels, and the cut-off used."""

    customer_id: np.ndarray
    features: pd.DataFrame
    labels: np.ndarray | None
    as_of: datetime
    attributes: AttributeSpec = field(default_factory=AttributeSpec)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {str(r[0]) for r in rows}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE {ident(table)}").fetchall()]


def churn_features(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | None = None,
    *,
    label: str | None = None,
    attributes: AttributeSpec | dict[str, Any] | None = None,
    sensitive: tuple[str, ...] | list[str] | None = None,
    use_sensitive: bool = False,
    exclude: tuple[str, ...] | list[str] = (),
) -> ChurnData:
    """Features of every customer signed up by ``as_of``; with ``label``, that column as booleans.

    Purchase features come first when there are transactions, then engagement rates when there are
    engagements, then the customers table's own attributes. ``attributes`` is the encoding a saved
    model was trained with (a dict from its metadata); None infers it from the data (training),
    leaving out sensitive attributes (``sensitive`` terms, default ``DEFAULT_SENSITIVE``) unless
    ``use_sensitive`` and the ``exclude`` columns.

    Raises:
        ToolError: no customers, or a label column that is missing or not boolean.
    """
    tables = _tables(con)
    if "customers" not in tables:
        raise ToolError("churn needs the customers table: load customers (or transactions) first")
    if label and label not in _columns(con, "customers"):
        raise ToolError(
            f"the customers table has no label column '{label}': give --label the name of a boolean "
            "churn column, or score without labels (BG/NBD method)"
        )
    has_tx = "transactions" in tables and _has_rows(con, "transactions")
    cutoff = as_of or (data_end(con) if has_tx else _attribute_end(con))
    extra = f", {ident(label)} AS label" if label else ""
    people = (
        con.execute(
            f"SELECT customer_id, date_diff('day', signup_date, CAST($cutoff AS DATE)) AS tenure_days{extra} "
            "FROM customers WHERE signup_date IS NULL OR signup_date <= CAST($cutoff AS DATE) "
            "ORDER BY customer_id",
            {"cutoff": cutoff},
        )
        .df()
        .set_index("customer_id")
    )
    if people.empty:
        raise ToolError(f"no customer had signed up by {cutoff:%Y-%m-%d}: nothing to score")
    frame = pd.DataFrame(index=people.index)
    if has_tx:
        frame = _purchase_features(con, cutoff, people)
    if "engagements" in tables:
        frame = frame.join(_engagement_rates(con, cutoff)).fillna({c: 0.0 for c in ENGAGEMENT_FEATURES})
    if isinstance(attributes, AttributeSpec):
        spec = attributes
    elif attributes is not None:
        spec = AttributeSpec.from_json(attributes)
    else:
        spec = infer_spec(con, label=label, sensitive=sensitive, use_sensitive=use_sensitive, exclude=exclude)
    own, spec = encode(con, spec, people.index, cutoff)
    frame = frame.join(own.drop(columns=[c for c in own.columns if c in frame.columns]))
    frame = frame.fillna(0.0)  # a behavioural feature of a customer without a signup date
    if frame.shape[1] == 0:
        raise ToolError(
            "no features: the customers table has no usable attributes and there are no transactions"
        )
    labels = _labels(people["label"], label) if label else None
    return ChurnData(
        customer_id=people.index.to_numpy(dtype=object),
        features=frame,
        labels=labels,
        as_of=cutoff,
        attributes=spec,
    )


def _purchase_features(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, people: pd.DataFrame
) -> pd.DataFrame:
    summary = transaction_summary(con, cutoff, include_inactive=True).set_index("customer_id")
    s = summary.reindex(people.index)
    tenure = people["tenure_days"].to_numpy(np.float64, na_value=np.nan)
    recency = s["recency_days"].to_numpy(np.float64)
    recency = np.where(np.isnan(recency), tenure, recency)
    count = s["n_transactions"].fillna(0).to_numpy(np.float64)
    mean_amount = s["mean_amount"].fillna(0.0).to_numpy(np.float64)
    return pd.DataFrame(
        {
            "log_recency_days": np.log1p(np.floor(np.maximum(recency, 0.0))),
            "log_frequency": np.log1p(count),
            "log_monetary": np.log(np.maximum(mean_amount, MIN_AMOUNT)),
            "tenure_days": np.maximum(tenure, 0.0),
        },
        index=people.index,
    )


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(f"SELECT count(*) > 0 FROM {ident(table)}").fetchall()[0][0])


def _attribute_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """Without transactions: the latest signup date, else today (ages are measured to it)."""
    latest = con.execute("SELECT max(signup_date) FROM customers").fetchall()[0][0]
    if latest is None:
        return datetime.combine(date.today(), time())
    return datetime.combine(latest, time(23, 59, 59))


def _engagement_rates(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> pd.DataFrame:
    rates = (
        con.execute(
            """
        SELECT customer_id,
               count(*) FILTER (WHERE event = 'delivered') AS delivered,
               count(*) FILTER (WHERE event = 'opened') AS opened,
               count(*) FILTER (WHERE event = 'clicked') AS clicked
        FROM engagements WHERE ts <= $cutoff GROUP BY customer_id
        """,
            {"cutoff": cutoff},
        )
        .df()
        .set_index("customer_id")
    )
    delivered = rates["delivered"].to_numpy(np.float64)
    out = pd.DataFrame(index=rates.index)
    for name, column in (("open_rate", "opened"), ("click_rate", "clicked")):
        hits = rates[column].to_numpy(np.float64)
        out[name] = np.divide(hits, delivered, out=np.zeros_like(hits), where=delivered > 0)
    return out


def _labels(values: pd.Series, label: str) -> np.ndarray:
    if values.isna().any():
        raise ToolError(
            f"label column '{label}' has {int(values.isna().sum())} missing values: fill them or drop those rows"
        )
    if values.dtype == bool:
        return values.to_numpy(dtype=bool)
    text = values.astype(str).str.strip().str.lower()
    truthy, falsy = {"true", "1", "yes", "1.0"}, {"false", "0", "no", "0.0"}
    if not text.isin(truthy | falsy).all():
        bad = text[~text.isin(truthy | falsy)].iloc[0]
        raise ToolError(f"label column '{label}' must be boolean (true/false or 1/0); found {bad!r}")
    return text.isin(truthy).to_numpy(dtype=bool)
