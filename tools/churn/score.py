"""Churn scoring: a trained model (with per-customer reasons) or, without labels, 1 - P(alive)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from data.engine.source import SparkSource
from data.errors import ToolError
from data.workspace import Workspace
from tools.churn import store
from tools.churn.features import churn_features
from tools.churn.models import CustomerRisk, FeatureEffect, ScoreRequest, ScoreResult
from tools.clv import bgnbd
from tools.clv.compressed import CompressedRfm
from tools.clv.mle import FloatArray
from tools.clv.summary import rfm_summary
from tools.plotting import png_figure

BGNBD_NOTE = (
    "no trained model: P(churn) = 1 - P(alive) from a BG/NBD model fitted to the purchase history; "
    "customers without a repeat purchase count as alive (the model cannot see them drop out)"
)


def score_churn(
    con: duckdb.DuckDBPyConnection | SparkSource,
    workspace: Workspace,
    request: ScoreRequest,
    *,
    output: str | None = None,
) -> ScoreResult:
    """Churn probability of every customer by the requested method.

    With a ``SparkSource`` the customers are scored on the Spark executors (``tools.churn.spark``)
    and the scores also written as Parquet at ``output`` (default: beside the inputs).

    Raises:
        ToolError: no model (method 'model'), a model whose features the data do not provide, or
            data the BG/NBD model cannot be fitted to.
    """
    if isinstance(con, SparkSource):
        from tools.churn.spark import spark_score

        return spark_score(con, workspace, request, output)
    path = store.model_path(workspace, request.name)
    method = request.method
    if method == "auto":
        method = "model" if path.exists() else "bgnbd"
    if method == "bgnbd":
        return _score_bgnbd(con, request)
    saved = store.load(path)
    data = churn_features(con, request.as_of, attributes=saved.metadata.get("attributes", {}))
    check_features(saved.features, list(data.features.columns), path)
    X = data.features[saved.features].to_numpy(np.float64)
    prob = predict(saved.model, X)
    idx, eff = top_effects(saved.model, X, np.asarray(saved.metadata["reference"]), prob, request.reasons)
    names = saved.features
    # Values come straight from typed arrays: build rows without re-validating each one.
    if request.reasons == 0:  # no reasons asked: skip the per-feature rows entirely
        customers = [
            CustomerRisk.model_construct(customer_id=str(cid), churn_probability=p, top_features=[])
            for cid, p in zip(data.customer_id, prob.tolist(), strict=True)
        ]
        return _result("model", request.name, data.as_of, prob, customers, [])
    customers = [
        CustomerRisk.model_construct(
            customer_id=str(cid),
            churn_probability=p,
            top_features=[
                FeatureEffect.model_construct(feature=names[k], value=xrow[k], effect=e)
                for k, e in zip(irow, erow, strict=True)
                if e > 0
            ],
        )
        for cid, p, irow, erow, xrow in zip(
            data.customer_id, prob.tolist(), idx.tolist(), eff.tolist(), X.tolist(), strict=True
        )
    ]
    return _result("model", request.name, data.as_of, prob, customers, [])


def check_features(expected: list[str], available: list[str], path: Path) -> None:
    """Refuse a model whose features the data cannot provide, saying which and why."""
    missing = [f for f in expected if f not in available]
    if missing or len(expected) != len(set(expected)):
        raise ToolError(
            f"the churn model {path.name} was trained on features {expected}, but these data provide "
            f"{available} (missing: {missing}); retrain with `mkt churn train` on data like these"
        )


def predict(model: Any, X: FloatArray) -> FloatArray:
    """Calibrated churn probabilities (single-threaded, see ``tools.churn.train``)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64)


def top_effects(
    model: Any, X: FloatArray, reference: FloatArray, prob: FloatArray, n: int
) -> tuple[NDArray[np.intp], FloatArray]:
    """Per customer, the ``n`` features that raise P(churn) most versus a typical customer.

    The effect of feature k is P(churn | x) - P(churn | x with feature k at its training median):
    an occlusion measure that works the same for both model families. Returns feature indices and
    effects, largest first, each of shape (customers, n); effects <= 0 do not raise the risk.
    """
    if n == 0:
        return np.zeros((X.shape[0], 0), dtype=np.intp), np.zeros((X.shape[0], 0))
    effects = np.empty_like(X)
    moved = X.copy()
    for k in range(X.shape[1]):
        moved[:, k] = reference[k]
        effects[:, k] = prob - predict(model, moved)
        moved[:, k] = X[:, k]
    order = np.argsort(-effects, axis=1)[:, :n]
    return order, np.take_along_axis(effects, order, axis=1)


def _score_bgnbd(con: duckdb.DuckDBPyConnection, request: ScoreRequest) -> ScoreResult:
    rfm = rfm_summary(con, request.as_of, request.time_unit)
    stats = CompressedRfm.of(rfm.frequency, rfm.recency, rfm.T, rfm.monetary_value)
    params, _ = bgnbd.fit(stats.x, stats.t_x, stats.T, weights=stats.n)  # on the counts, as on Spark
    prob = 1.0 - bgnbd.p_alive(params, rfm.frequency, rfm.recency, rfm.T)
    customers = [
        CustomerRisk.model_construct(customer_id=str(c), churn_probability=float(p), top_features=[])
        for c, p in zip(rfm.customer_id, prob, strict=True)
    ]
    return _result("bgnbd", None, rfm.as_of, prob, customers, [BGNBD_NOTE])


def _result(
    method: str,
    model: str | None,
    as_of: Any,
    prob: FloatArray,
    customers: list[CustomerRisk],
    notes: list[str],
) -> ScoreResult:
    if prob.size == 0:
        raise ToolError("no customers to score")
    if not np.all(np.isfinite(prob)):
        raise ToolError("some churn probabilities are not finite: check the input data")
    return ScoreResult(
        method=method,
        model=model,
        as_of=as_of,
        n_customers=int(prob.size),
        mean_probability=float(prob.mean()),
        high_risk_share=float((prob >= 0.5).mean()),
        customers=customers,
        notes=notes,
    )


def plot_risk(result: ScoreResult, path: Path) -> Path:
    """Histogram of churn probabilities."""
    values = np.array([c.churn_probability for c in result.customers])
    with png_figure(path, title=f"Churn risk ({result.method}, {result.n_customers:,} customers)") as ax:
        ax.hist(values, bins=[float(v) for v in np.linspace(0.0, 1.0, 41)], color="#c44e52")
        ax.axvline(0.5, color="#444444", linestyle="--", label=f"P >= 0.5: {result.high_risk_share:.1%}")
        ax.set_xlabel("P(churn)")
        ax.set_ylabel("customers")
        ax.legend()
    return path
