"""RFM (+ optional attribute) features for segmentation, from ``data.features.transaction_summary``.

Recency is days since the last purchase, frequency is purchase days per 30 days of tenure (tenure
floored at 30 days so a one-week-old customer is not "frequent"), monetary is the mean amount per
transaction. Each is ``log1p``-scaled, then every feature is standardised (mean 0, sd 1); a
constant feature (for example all spend zero) becomes all zeros instead of NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.engine.source import SparkSource
from data.errors import ToolError
from data.features import data_end, transaction_summary
from data.sql import ident

RFM = ("recency", "frequency", "monetary")
MIN_TENURE_DAYS = 30.0
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "BOOLEAN")


_SPARK_NUMERIC = ("double", "float", "int", "bigint", "smallint", "tinyint", "boolean", "decimal")


@dataclass(frozen=True)
class Scaling:
    """How raw features became the matrix, so other rows can be transformed the same way.

    Per feature its mean and sd (None: a constant feature, all zeros), and the value a missing
    attribute got (its median).
    """

    names: list[str]
    mean: list[float]
    sd: list[float | None]
    fill: dict[str, float] = field(default_factory=dict)

    def apply(self, raw: pd.DataFrame) -> NDArray[np.float64]:
        """The standardised matrix of ``raw`` (rows of :func:`raw_features`, plus attribute columns)."""
        columns = rfm_columns(raw)
        for name, value in self.fill.items():
            columns[name] = np.asarray(raw[name].astype(np.float64).fillna(value), dtype=np.float64)
        out = np.empty((len(raw), len(self.names)))
        for i, name in enumerate(self.names):
            sd = self.sd[i]
            out[:, i] = 0.0 if sd is None else (columns[name] - self.mean[i]) / sd
        return out


@dataclass(frozen=True)
class FeatureFrame:
    """Customers (row order), raw RFM values, the standardised matrix, its column names and scaling."""

    as_of: datetime
    raw: pd.DataFrame
    matrix: NDArray[np.float64]
    names: list[str]
    scaling: Scaling | None = None


def build_features(
    con: duckdb.DuckDBPyConnection | SparkSource, as_of: datetime | None, attributes: list[str]
) -> FeatureFrame:
    """Per-customer RFM features (customers with at least one purchase) plus extra attributes.

    Raises:
        ToolError: no purchases, or an attribute that is missing or not numeric.
    """
    cutoff = as_of or data_end(con)
    summary = transaction_summary(con, cutoff)
    if summary.empty:
        raise ToolError(f"no customer has a purchase on or before {cutoff:%Y-%m-%d}: nothing to segment")
    raw = raw_features(summary)
    columns = rfm_columns(raw)
    fill: dict[str, float] = {}
    if attributes:
        extra, fill = _attributes(con, raw["customer_id"], attributes)
        for name in attributes:
            raw[name] = extra[name].to_numpy()
            columns[name] = extra[name].to_numpy()
    names = list(columns)
    matrix = np.column_stack([standardise(columns[n]) for n in names])
    scaling = Scaling(
        names=names,
        mean=[float(np.asarray(columns[n], dtype=np.float64).mean()) for n in names],
        sd=[_sd(columns[n]) for n in names],
        fill=fill,
    )
    return FeatureFrame(as_of=cutoff, raw=raw, matrix=matrix, names=names, scaling=scaling)


def raw_features(summary: pd.DataFrame) -> pd.DataFrame:
    """Raw RFM values per customer from rows of ``data.features.summary_sql`` (either engine)."""
    tenure = np.maximum(summary["age_days"].to_numpy(np.float64), MIN_TENURE_DAYS)
    return pd.DataFrame(
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


def rfm_columns(raw: pd.DataFrame) -> dict[str, NDArray[np.float64]]:
    """The log-scaled recency, frequency and monetary columns, before standardising."""
    return {
        "recency": np.log1p(raw["recency_days"].to_numpy(np.float64)),
        "frequency": np.log1p(raw["purchases_per_month"].to_numpy(np.float64)),
        "monetary": np.log1p(raw["order_value"].to_numpy(np.float64)),
    }


def _sd(values: NDArray[np.float64]) -> float | None:
    sd = float(np.asarray(values, dtype=np.float64).std())
    return sd if np.isfinite(sd) and sd >= 1e-12 else None


def standardise(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """(x - mean) / sd; a constant column gives zeros rather than NaN."""
    values = np.asarray(values, dtype=np.float64)
    sd = float(values.std())
    if not np.isfinite(sd) or sd < 1e-12:
        return np.zeros_like(values)
    result: NDArray[np.float64] = (values - values.mean()) / sd
    return result


def _attributes(
    con: duckdb.DuckDBPyConnection | SparkSource, ids: pd.Series, attributes: list[str]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The attribute columns aligned to ``ids`` (missing values: the median), and those medians."""
    if isinstance(con, SparkSource):
        table = con.table("customers")
        types = {name: kind.upper() for name, kind in table.dtypes}
        numeric = tuple(t.upper() for t in _SPARK_NUMERIC)
    else:
        types = {
            str(name): str(kind).upper()
            for name, kind in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers'"
            ).fetchall()
        }
        numeric = _NUMERIC
    for name in attributes:
        if name not in types:
            known = ", ".join(sorted(n for n, t in types.items() if t.startswith(numeric)))
            raise ToolError(f"customers has no column '{name}' (numeric columns: {known or 'none'})")
        if not types[name].startswith(numeric):
            raise ToolError(
                f"attribute '{name}' is {types[name].lower()}, not numeric: pick a numeric column"
            )
    if isinstance(con, SparkSource):
        cols = ", ".join(
            f"CAST(`{n.replace('`', '``')}` AS DOUBLE) AS `{n.replace('`', '``')}`" for n in attributes
        )
        frame = con.session.sql(f"SELECT customer_id, {cols} FROM customers").toPandas()
    else:
        cols = ", ".join(f"CAST({ident(n)} AS DOUBLE) AS {ident(n)}" for n in attributes)
        frame = con.execute(f"SELECT customer_id, {cols} FROM customers").df()
    frame = pd.DataFrame({"customer_id": ids.to_numpy()}).merge(frame, on="customer_id", how="left")
    fill: dict[str, float] = {}
    for name in attributes:
        column = frame[name].astype(np.float64)
        median = column.median()
        fill[name] = 0.0 if pd.isna(median) else float(median)
        frame[name] = column.fillna(fill[name])
    return frame, fill
