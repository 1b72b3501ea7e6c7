"""Contractual CLV: sBG retention from subscribers' tenure and churn flag, times their periodic value.

A subscriber active after n periods pays ``value`` at the end of each further period they stay;
CLV = margin x value x sum_k S(n + k) / S(n) / (1 + d)^k over the horizon (periods are months,
so the monthly discount rate applies as it is). Churned subscribers are worth nothing more.

Columns are found by name in the customers table (or given in the request): tenure in whole
months, a churn flag, and a monthly value.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from data.errors import ToolError
from data.sql import ident
from tools.clv import sbg
from tools.clv.mle import MleResult
from tools.clv.models import ClvRequest, ModelFit

TENURE = ("tenure", "tenure_months", "months_subscribed", "months_active", "Tenure")
CHURN = ("churned", "Churn", "churn", "is_churned", "cancelled", "canceled", "Churned")
VALUE = ("MonthlyCharges", "monthly_charges", "monthly_fee", "mrr", "MRR", "monthly_revenue", "plan_price")
_TRUE = ("true", "1", "yes", "y", "t", "1.0")


@dataclass(frozen=True)
class ContractColumns:
    """The customers columns a contractual model reads."""

    tenure: str
    churn: str
    value: str


def find_columns(con: duckdb.DuckDBPyConnection, request: ClvRequest) -> ContractColumns | None:
    """The tenure, churn and value columns (from the request, else by name), or None if any is absent."""
    present = _customer_columns(con)
    chosen = []
    for given, names in (
        (request.tenure_column, TENURE),
        (request.churn_column, CHURN),
        (request.value_column, VALUE),
    ):
        if given is not None:
            if given not in present:
                raise ToolError(f"the customers table has no column '{given}'")
            chosen.append(given)
            continue
        match = next((n for n in names if n in present), None)
        if match is None:
            return None
        chosen.append(match)
    return ContractColumns(*chosen)


def _customer_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'"
    ).fetchall()
    return {str(r[0]) for r in rows}


@dataclass(frozen=True)
class Subscribers:
    """One row per subscriber: id, tenure (months), churned, monthly value."""

    customer_id: np.ndarray
    tenure: np.ndarray
    churned: np.ndarray
    value: np.ndarray


def read_subscribers(con: duckdb.DuckDBPyConnection, columns: ContractColumns) -> Subscribers:
    """The subscribers' tenure, churn flag and value, checked.

    Raises:
        ToolError: missing or negative tenure or value, or a churn flag that is not a yes/no.
    """
    frame: pd.DataFrame = con.execute(
        f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, "
        f"TRY_CAST({ident(columns.tenure)} AS DOUBLE) AS tenure, "
        f"lower(trim(CAST({ident(columns.churn)} AS VARCHAR))) AS churn, "
        f"TRY_CAST(trim(CAST({ident(columns.value)} AS VARCHAR)) AS DOUBLE) AS value "
        "FROM customers ORDER BY customer_id"
    ).df()
    if frame.empty:
        raise ToolError("the customers table is empty")
    tenure = frame["tenure"].to_numpy(np.float64, na_value=np.nan)
    value = frame["value"].to_numpy(np.float64, na_value=np.nan)
    for name, values in ((columns.tenure, tenure), (columns.value, value)):
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            first = frame["customer_id"].iloc[int(np.argmax(bad))]
            raise ToolError(f"column '{name}' must be a number >= 0 for every subscriber (customer {first})")
    known = frame["churn"].isin([*_TRUE, "false", "0", "no", "n", "f", "0.0"])
    if not known.all():
        raise ToolError(
            f"column '{columns.churn}' must be yes/no or true/false (found {frame['churn'][~known].iloc[0]!r})"
        )
    churned = frame["churn"].isin(_TRUE).to_numpy(bool)
    # A churner left during their last (partly paid) month: tenure counts it, at least 1.
    periods = np.where(churned, np.maximum(np.round(tenure), 1.0), np.round(tenure))
    return Subscribers(frame["customer_id"].to_numpy(object), periods, churned, value)


def fit_retention(people: Subscribers, request: ClvRequest) -> tuple[sbg.SbgParams, MleResult]:
    """The shifted-beta-geometric model fitted to every subscriber's tenure and churn flag."""
    return sbg.fit(people.tenure, people.churned, max_iterations=request.max_iterations)


def subscriber_clv(
    people: Subscribers, params: sbg.SbgParams, request: ClvRequest
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per subscriber: CLV, expected further months paid within the horizon, P(active) now."""
    horizon = request.horizon_months
    discounted = sbg.discounted_remaining(params, people.tenure, horizon, request.discount_rate)
    months = sbg.discounted_remaining(params, people.tenure, horizon, 0.0)
    active = ~people.churned
    clv = np.where(active, request.margin * people.value * discounted, 0.0)
    return clv, np.where(active, months, 0.0), active.astype(np.float64)


def model_fit(params: sbg.SbgParams, fit: MleResult, n: int) -> ModelFit:
    """The sBG fit in the CLV result's form."""
    return ModelFit(
        model="sBG",
        parameters={"alpha": params.alpha, "beta": params.beta},
        std_errors={
            k: float(v) if np.isfinite(v) else None for k, v in zip(sbg.NAMES, fit.std_errors, strict=True)
        },
        derived={
            "mean_churn_per_month": params.mean_churn,
            "retention_month_1": float(sbg.retention_rate(params, np.array([1.0]))[0]),
            "retention_month_12": float(sbg.retention_rate(params, np.array([12.0]))[0]),
        },
        log_likelihood=fit.log_likelihood,
        converged=fit.converged,
        iterations=fit.iterations,
        n_customers=n,
    )
