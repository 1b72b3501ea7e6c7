"""RFM (+ optional attribute) features for segmentation, from ``data.features.transaction_summary``.

Recency is days since the last purchase, frequency is purchase days per 30 days of tenure (tenure
floored at 30 days so a one-week-old customer is not "frequent"), monetary is the mean amount per
transaction. Each is ``log1p``-scaled, then every feature is standardised (mean 0, sd 1); a
constant feature (for example all spend zero) becomes all zeros instead of NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.errors import ToolError
from data.features import data_end, transaction_summary
from data.sql import ident

RFM = ("recency", "frequency", "monetary")
MIN_TENURE_DAYS = 30.0
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "BOOLEAN")


@dataclass(frozen=True)
class FeatureFrame:
    """Customers (row order), raw RFM values, the standardised matrix and its column names."""

    as_of: datetime
    raw: pd.DataFrame
    matrix: NDArray[np.float64]
    names: list[str]


def build_features(
    con: duckdb.DuckDBPyConnection, as_of: datetime | None, attributes: list[str]
) -> FeatureFrame:
    """Per-customer RFM features (customers with at least one purchase) plus extra attributes.

    Raises:
        ToolError: no purchases, or an attribute that is missing or not numeric.
    """
    cutoff = as_of or data_end(con)
    summary = transaction_summary(con, cutoff)
    if summary.empty:
        raise ToolError(f"no customer has a purchase on or before {cutoff:%Y-%m-%d}: nothing to segment")
    tenure = np.maximum(summary["age_days"].to_numpy(np.float64), MIN_TENURE_DAYS)
    raw = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype(str).to_numpy(),
            "recency_days": np.maximum(summary["recency_days"].to_numpy(np.float64), 0.0),
            "purchase_days": summary["n_purchase_days"].to_numpy(np.float64),
            "purchases_per_month": summary["n_purchase_days"].to_numpy(np.float64) / tenure * 30.0,
            "order_value": summary["mean_amount"].fillna(0.0).to_numpy(np.float64),
            "total_spend": summary["total_amount"].to_numpy(np.float64),
            "tenure_days": np.maximum(summary["age_days"].to_numpy(np.float64), 0.0),
        }
    )
    columns = {
        "recency": np.log1p(raw["recency_days"].to_numpy()),
        "frequency": np.log1p(raw["purchases_per_month"].to_numpy()),
        "monetary": np.log1p(raw["order_value"].to_numpy()),
    }
    if attributes:
        extra = _attributes(con, raw["customer_id"], attributes)
        for name in attributes:
            raw[name] = extra[name].to_numpy()
            columns[name] = extra[name].to_numpy()
    names = list(columns)
    matrix = np.column_stack([standardise(columns[n]) for n in names])
    return FeatureFrame(as_of=cutoff, raw=raw, matrix=matrix, names=names)


def standardise(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """(x - mean) / sd; a constant column gives zeros rather than NaN."""
    values = np.asarray(values, dtype=np.float64)
    sd = float(values.std())
    if not np.isfinite(sd) or sd < 1e-12:
        return np.zeros_like(values)
    result: NDArray[np.float64] = (values - values.mean()) / sd
    return result


def _attributes(con: duckdb.DuckDBPyConnection, ids: pd.Series, attributes: list[str]) -> pd.DataFrame:
    types = {
        str(name): str(kind).upper()
        for name, kind in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers'"
        ).fetchall()
    }
    for name in attributes:
        if name not in types:
            known = ", ".join(sorted(n for n, t in types.items() if t.startswith(_NUMERIC)))
            raise ToolError(f"customers has no column '{name}' (numeric columns: {known or 'none'})")
        if not types[name].startswith(_NUMERIC):
            raise ToolError(
                f"attribute '{name}' is {types[name].lower()}, not numeric: pick a numeric column"
            )
    cols = ", ".join(f"CAST({ident(n)} AS DOUBLE) AS {ident(n)}" for n in attributes)
    frame = con.execute(f"SELECT customer_id, {cols} FROM customers").df()
    frame = pd.DataFrame({"customer_id": ids.to_numpy()}).merge(frame, on="customer_id", how="left")
    for name in attributes:
        column = frame[name].astype(np.float64)
        median = column.median()
        frame[name] = column.fillna(0.0 if pd.isna(median) else median)
    return frame
