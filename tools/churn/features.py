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
from data.features import cutoff_text, data_end, summary_sql
from data.sql import ident
from tools.churn.attributes import (
    AttributeSpec,
    date_feature,
    encode_frame,
    infer_spec,
    raw_column,
    raw_parts,
)

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
    has_eng = "engagements" in tables
    cutoff = as_of or (data_end(con) if has_tx else _attribute_end(con))
    if isinstance(attributes, AttributeSpec):
        spec = attributes
    elif attributes is not None:
        spec = AttributeSpec.from_json(attributes)
    else:
        spec = infer_spec(con, label=label, sensitive=sensitive, use_sensitive=use_sensitive, exclude=exclude)
    sql = churn_sql(has_tx=has_tx, has_eng=has_eng, label=label, spec=spec) + " ORDER BY p.customer_id"
    raw = con.execute(sql, churn_params(cutoff, has_tx=has_tx)).df().set_index("customer_id")
    if raw.empty:
        raise ToolError(f"no customer had signed up by {cutoff:%Y-%m-%d}: nothing to score")
    frame, spec = finish(raw, spec, has_tx=has_tx, has_eng=has_eng)
    if frame.shape[1] == 0:
        raise ToolError(
            "no features: the customers table has no usable attributes and there are no transactions"
        )
    labels = labels_of(raw[LABEL], label) if label else None
    return ChurnData(
        customer_id=raw.index.to_numpy(dtype=object),
        features=frame,
        labels=labels,
        as_of=cutoff,
        attributes=spec,
    )


LABEL = "@label"


def churn_params(cutoff: datetime, *, has_tx: bool) -> dict[str, object]:
    """The values :func:`churn_sql` binds."""
    return {"cutoff": cutoff_text(cutoff), "inactive": True} if has_tx else {"cutoff": cutoff_text(cutoff)}


def churn_sql(*, has_tx: bool, has_eng: bool, label: str | None, spec: AttributeSpec) -> str:
    """Raw per-customer inputs of the churn features, one query for both engines.

    Binds ``$cutoff`` (timestamp text) and ``$inactive`` (true: customers without purchases stay in).

    Columns: customer_id, ``_tenure_days``, the summary's ``_recency_days``, ``_n_transactions`` and
    ``_mean_amount`` (with transactions), ``_delivered``/``_opened``/``_clicked`` counts (with
    engagements), the label and the attributes' raw values (``attributes.raw_parts``).
    """
    day = "CAST(CAST($cutoff AS TIMESTAMP) AS DATE)"
    items = ["p.customer_id", f"date_diff('day', p.signup_date, {day}) AS _tenure_days"]
    joins = []
    if label:
        items.append(f"p.{ident(label)} AS {ident(LABEL)}")
    if has_tx:
        items += ["s.recency_days AS _recency_days", "s.n_transactions AS _n_transactions"]
        items.append("s.mean_amount AS _mean_amount")
        joins.append(f"LEFT JOIN ({summary_sql()}) AS s ON s.customer_id = p.customer_id")
    if has_eng:
        items += ["e.delivered AS _delivered", "e.opened AS _opened", "e.clicked AS _clicked"]
        joins.append(
            "LEFT JOIN (SELECT customer_id, count(*) FILTER (WHERE event = 'delivered') AS delivered, "
            "count(*) FILTER (WHERE event = 'opened') AS opened, "
            "count(*) FILTER (WHERE event = 'clicked') AS clicked "
            "FROM engagements WHERE ts <= CAST($cutoff AS TIMESTAMP) GROUP BY customer_id) AS e "
            "ON e.customer_id = p.customer_id"
        )
    attrs = raw_parts(spec)
    source = "customers"
    if attrs:
        source = f"(SELECT *, {', '.join(attrs)} FROM customers)"
        items += [f"p.{ident(raw_column(n))}" for n in _raw_names(spec)]
    return (
        f"SELECT {', '.join(items)} FROM {source} AS p {' '.join(joins)} "
        f"WHERE p.signup_date IS NULL OR p.signup_date <= {day}"
    )


def _raw_names(spec: AttributeSpec) -> list[str]:
    return [*spec.numeric, *spec.numeric_text, *(date_feature(c) for c in spec.dates), *spec.categorical]


def finish(
    raw: pd.DataFrame, spec: AttributeSpec, *, has_tx: bool, has_eng: bool
) -> tuple[pd.DataFrame, AttributeSpec]:
    """The feature frame from rows of :func:`churn_sql` (index customer_id), and the completed spec.

    Pure in its arguments once the spec has its ``fill``: Spark executors run it on batches.
    """
    frame = pd.DataFrame(index=raw.index)
    tenure = raw["_tenure_days"].to_numpy(np.float64, na_value=np.nan)
    if has_tx:
        recency = raw["_recency_days"].to_numpy(np.float64, na_value=np.nan)
        recency = np.where(np.isnan(recency), tenure, recency)
        count = raw["_n_transactions"].fillna(0).to_numpy(np.float64)
        mean_amount = raw["_mean_amount"].fillna(0.0).to_numpy(np.float64)
        frame["log_recency_days"] = np.log1p(np.floor(np.maximum(recency, 0.0)))
        frame["log_frequency"] = np.log1p(count)
        frame["log_monetary"] = np.log(np.maximum(mean_amount, MIN_AMOUNT))
        frame["tenure_days"] = np.maximum(tenure, 0.0)
    if has_eng:
        delivered = raw["_delivered"].fillna(0).to_numpy(np.float64)
        for name, column in (("open_rate", "_opened"), ("click_rate", "_clicked")):
            hits = raw[column].fillna(0).to_numpy(np.float64)
            frame[name] = np.divide(hits, delivered, out=np.zeros_like(hits), where=delivered > 0)
    own, spec = encode_frame(raw, spec)
    frame = frame.join(own.drop(columns=[c for c in own.columns if c in frame.columns]))
    return frame.fillna(0.0), spec  # a behavioural feature of a customer without a signup date


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(f"SELECT count(*) > 0 FROM {ident(table)}").fetchall()[0][0])


def _attribute_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """Without transactions: the latest signup date, else today (ages are measured to it)."""
    latest = con.execute("SELECT max(signup_date) FROM customers").fetchall()[0][0]
    if latest is None:
        return datetime.combine(date.today(), time())
    return datetime.combine(latest, time(23, 59, 59))


def labels_of(values: pd.Series, label: str) -> np.ndarray:
    """The label column as booleans (true/false, 1/0, yes/no).

    Raises:
        ToolError: missing values, or values that are not boolean.
    """
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
