"""The CLV calculator: RFM summary -> BG/NBD + Gamma-Gamma (or the simple formula) -> CLV."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np

from data.engine.source import SparkSource
from data.errors import ToolError
from tools.clv import bgnbd, contractual, gamma_gamma
from tools.clv.compressed import CompressedRfm, FittedClv, fit_compressed
from tools.clv.mle import FloatArray, MleResult
from tools.clv.models import ClvRequest, ClvResult, CustomerClv, ModelFit
from tools.clv.simple import discount_factors, simple_clv_many
from tools.clv.spark import spark_clv
from tools.clv.summary import DAYS_PER_MONTH, UNIT_DAYS, RfmSummary, rfm_summary
from tools.plotting import png_figure


def calculate_clv(
    con: duckdb.DuckDBPyConnection | SparkSource, request: ClvRequest, *, output: str | None = None
) -> ClvResult:
    """Per-customer CLV over ``request.horizon_months`` from the transactions in ``con``.

    ``con`` is a DuckDB connection or, with the Spark engine, a ``SparkSource``; on Spark the
    per-customer rows are also written as Parquet at ``output`` (default: beside the inputs).

    Raises:
        ToolError: no usable history, or a model that cannot be fitted to it.
    """
    if isinstance(con, SparkSource):
        return spark_clv(con, request, output)
    method, columns, reason = _choose_method(con, request)
    if method == "contractual":
        assert columns is not None
        return _contractual(con, request, columns, reason)
    rfm = rfm_summary(con, request.as_of, request.time_unit)
    request = request.model_copy(update={"method": method})
    if method == "simple":
        return _simple(rfm, request)
    result = probabilistic_clv(rfm, request)
    if reason:
        result.notes.insert(0, reason)
    return result


def _choose_method(
    con: duckdb.DuckDBPyConnection, request: ClvRequest
) -> tuple[str, contractual.ContractColumns | None, str]:
    """The model to use, the subscription columns (contractual) and, for auto, why it was chosen."""
    if request.method in ("probabilistic", "simple"):
        return request.method, None, ""
    columns = contractual.find_columns(con, request)
    if request.method == "contractual":
        if columns is None:
            raise ToolError(
                "contractual CLV needs customers columns for tenure (months), a churn flag and a monthly "
                f"value (looked for {', '.join(contractual.TENURE[:2])}; {', '.join(contractual.CHURN[:2])}; "
                f"{', '.join(contractual.VALUE[:2])}): name them with tenure_column / churn_column / value_column"
            )
        return "contractual", columns, ""
    if columns is not None:
        return (
            "contractual",
            columns,
            f"model chosen from the data: contractual (sBG), as customers have tenure '{columns.tenure}', "
            f"churn flag '{columns.churn}' and monthly value '{columns.value}'",
        )
    return (
        "probabilistic",
        None,
        "model chosen from the data: non-contractual (BG/NBD + Gamma-Gamma) from the purchase history; "
        "no subscription columns (tenure, churn flag, monthly value) in customers",
    )


def _contractual(
    con: duckdb.DuckDBPyConnection, request: ClvRequest, columns: contractual.ContractColumns, reason: str
) -> ClvResult:
    people = contractual.read_subscribers(con, columns)
    params, fit = contractual.fit_retention(people, request)
    clv, months, active = contractual.subscriber_clv(people, params, request)
    customers = [
        CustomerClv.model_construct(
            customer_id=str(cid),
            frequency=0.0,
            recency=float(t),
            T=float(t),
            monetary_value=float(v),
            expected_purchases=float(m),
            p_alive=float(a),
            expected_order_value=float(v),
            clv=float(c),
        )
        for cid, t, v, m, a, c in zip(
            people.customer_id, people.tenure, people.value, months, active, clv, strict=True
        )
    ]
    notes = [reason] if reason else []
    notes.append(
        f"contractual: CLV = margin x '{columns.value}' x expected discounted months still subscribed "
        f"(sBG, tenure '{columns.tenure}' in months); churned subscribers ({int(people.churned.sum()):,}) are 0"
    )
    return ClvResult(
        method="contractual",
        as_of=datetime.now(UTC).replace(tzinfo=None) if request.as_of is None else request.as_of,
        time_unit="month",
        horizon_months=request.horizon_months,
        discount_rate=request.discount_rate,
        margin=request.margin,
        n_customers=int(clv.size),
        total_clv=float(clv.sum()),
        mean_clv=float(clv.mean()),
        median_clv=float(np.median(clv)),
        sbg=contractual.model_fit(params, fit, int(clv.size)),
        customers=customers,
        notes=notes,
    )


def probabilistic_clv(rfm: RfmSummary, request: ClvRequest) -> ClvResult:
    """BG/NBD + Gamma-Gamma CLV: sum over months of expected purchases x order value, discounted.

    Both models are fitted on the compressed sufficient statistics (``tools.clv.compressed``), as the
    Spark engine fits them, and every customer is scored by :func:`score_customers`.
    """
    stats = CompressedRfm.of(rfm.frequency, rfm.recency, rfm.T, rfm.monetary_value, fit_grid(request))
    fitted = fit_compressed(stats, max_iterations=request.max_iterations)
    scores = score_customers(
        fitted,
        request,
        rfm.time_unit,
        rfm.frequency,
        rfm.recency,
        rfm.T,
        rfm.monetary_value,
        fallback=stats.mean_repeat_spend,
    )
    return _result(
        rfm,
        request,
        purchases=scores["expected_purchases"],
        alive=scores["p_alive"],
        order_value=scores["expected_order_value"],
        clv=scores["clv"],
        bg=None,
        gg=None,
        notes=[],
    ).model_copy(update=fit_report(fitted, stats))


def fit_grid(request: ClvRequest) -> float | None:
    """The fit's rounding grid in the model's time unit (None: exact times)."""
    if request.fit_grid_days is None:
        return None
    return request.fit_grid_days / UNIT_DAYS[request.time_unit]


def score_customers(
    fitted: FittedClv,
    request: ClvRequest,
    time_unit: str,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    m: FloatArray,
    *,
    fallback: float,
) -> dict[str, FloatArray]:
    """Per customer: expected purchases over the horizon, P(alive), expected order value and CLV.

    Pure in its arguments, so the Spark engine runs it on each batch of customers (``mapInPandas``)
    with the fitted parameters broadcast; ``fallback`` is the population's mean repeat spend.
    """
    params, spend = fitted.bg, fitted.gg
    month = DAYS_PER_MONTH / UNIT_DAYS[time_unit]
    cumulative = np.stack(
        [bgnbd.expected_purchases(params, k * month, x, t_x, T) for k in range(request.horizon_months + 1)]
    )
    per_month = np.maximum(np.diff(cumulative, axis=0), 0.0)
    order_value = gamma_gamma.conditional_mean(spend, x, m, fallback=fallback)
    factors = discount_factors(request.horizon_months, request.discount_rate)
    return {
        "expected_purchases": cumulative[-1],
        "p_alive": bgnbd.p_alive(params, x, t_x, T),
        "expected_order_value": order_value,
        "clv": request.margin * order_value * (factors @ per_month),
    }


def fit_report(fitted: FittedClv, stats: CompressedRfm) -> dict[str, object]:
    """The result fields describing the fits: both ``ModelFit`` and the notes on degenerate cases."""
    notes = [
        f"BG/NBD fitted on {stats.x.size:,} distinct (x, t_x, T) histories standing for "
        f"{stats.customers:,} customers; Gamma-Gamma on {stats.gg_x.size:,} distinct (x, m)"
    ]
    if fitted.gg.q <= 1.0:
        notes.append(
            "Gamma-Gamma q <= 1: the population mean order value is infinite; customers "
            "without repeat purchases were given the mean observed repeat spend"
        )
    return {
        "bgnbd": _model_fit("BG/NBD", bgnbd.NAMES, fitted.bg_fit, stats.customers, _bg_derived(fitted.bg)),
        "gamma_gamma": _model_fit(
            "Gamma-Gamma",
            gamma_gamma.NAMES,
            fitted.gg_fit,
            stats.spenders,
            {"mean_order_value": fitted.gg.mean_order_value},
        ),
        "notes": notes,
    }


def _simple(rfm: RfmSummary, request: ClvRequest) -> ClvResult:
    """Constant monthly value from history: total spend / months since first purchase (at least 1)."""
    months = np.maximum(rfm.T * UNIT_DAYS[rfm.time_unit] / DAYS_PER_MONTH, 1.0)
    monthly_value = rfm.total_amount / months
    purchases_per_month = (rfm.frequency + 1.0) / months
    order_value = np.divide(rfm.total_amount, rfm.frequency + 1.0)
    clv = simple_clv_many(monthly_value * request.margin, request.horizon_months, request.discount_rate)
    return _result(
        rfm,
        request,
        purchases=purchases_per_month * request.horizon_months,
        alive=np.ones(rfm.size),
        order_value=order_value,
        clv=clv,
        bg=None,
        gg=None,
        notes=["simple method: every customer keeps buying at their historical monthly rate (no churn)"],
    )


def _result(
    rfm: RfmSummary,
    request: ClvRequest,
    *,
    purchases: FloatArray,
    alive: FloatArray,
    order_value: FloatArray,
    clv: FloatArray,
    bg: ModelFit | None,
    gg: ModelFit | None,
    notes: list[str],
) -> ClvResult:
    for name, values in (("expected purchases", purchases), ("order value", order_value), ("CLV", clv)):
        if not np.all(np.isfinite(values)):
            raise ToolError(f"{name} is not finite for some customers: check the input data")
    # Values come straight from typed, checked arrays: construct without re-validating every row.
    customers = [
        CustomerClv.model_construct(
            customer_id=str(cid),
            frequency=float(f),
            recency=float(r),
            T=float(t),
            monetary_value=float(m),
            expected_purchases=float(e),
            p_alive=float(p),
            expected_order_value=float(v),
            clv=float(c),
        )
        for cid, f, r, t, m, e, p, v, c in zip(
            rfm.customer_id,
            rfm.frequency,
            rfm.recency,
            rfm.T,
            rfm.monetary_value,
            purchases,
            alive,
            order_value,
            clv,
            strict=True,
        )
    ]
    return ClvResult(
        method=request.method,
        as_of=rfm.as_of,
        time_unit=rfm.time_unit,
        horizon_months=request.horizon_months,
        discount_rate=request.discount_rate,
        margin=request.margin,
        n_customers=rfm.size,
        total_clv=float(clv.sum()),
        mean_clv=float(clv.mean()),
        median_clv=float(np.median(clv)),
        bgnbd=bg,
        gamma_gamma=gg,
        customers=customers,
        notes=notes,
    )


def _bg_derived(params: bgnbd.BgNbdParams) -> dict[str, float | None]:
    return {"mean_purchase_rate": params.mean_purchase_rate, "mean_dropout": params.mean_dropout}


def _model_fit(
    name: str, names: tuple[str, ...], fit: MleResult, n: int, derived: dict[str, float | None]
) -> ModelFit:
    return ModelFit(
        model=name,
        parameters={k: float(v) for k, v in zip(names, fit.params, strict=True)},
        std_errors={k: _finite(v) for k, v in zip(names, fit.std_errors, strict=True)},
        derived={k: _finite(v) for k, v in derived.items()},
        log_likelihood=fit.log_likelihood,
        converged=fit.converged,
        iterations=fit.iterations,
        n_customers=n,
    )


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def plot_clv(result: ClvResult, path: Path) -> Path:
    """Histogram of CLV per customer (log-spaced bins when values span decades)."""
    values = np.array([c.clv for c in result.customers])
    with png_figure(
        path, title=f"CLV over {result.horizon_months} months ({result.n_customers:,} customers)"
    ) as ax:
        positive = values[values > 0]
        if positive.size and positive.max() / max(positive.min(), 1e-9) > 100:
            bins = [float(v) for v in np.geomspace(max(positive.min(), 1e-2), positive.max(), 40)]
            ax.set_xscale("log")
            ax.hist(positive, bins=bins, color="#3b6ea5")
        else:
            ax.hist(values, bins=40, color="#3b6ea5")
        ax.axvline(result.mean_clv, color="#c44e52", linestyle="--", label=f"mean {result.mean_clv:,.2f}")
        ax.set_xlabel("CLV")
        ax.set_ylabel("customers")
        ax.legend()
    return path
