"""Churn scoring on Spark: the same feature query and model, scored on the executors.

The per-customer inputs are ``tools.churn.features.churn_sql`` run by Spark; the saved model's
skops file (its bytes, with the types the driver checked) is broadcast, and every batch of
customers is turned into features (``finish``), scored (``predict``) and explained (``top_effects``)
by the same functions as on DuckDB, in ``mapInPandas``. Without a trained model, BG/NBD is fitted
on the counts per distinct history and P(alive) computed on the executors with the parameters
broadcast. Scores are written as Parquet and read back. Importing this module does not import pyspark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import skops.io as sio

from data.engine.source import SparkSource
from data.errors import ToolError
from data.features import cutoff_text, data_end, rfm_sql
from data.workspace import Workspace
from tools.churn import store
from tools.churn.attributes import AttributeSpec, infer_spec
from tools.churn.features import (
    ENGAGEMENT_FEATURES,
    LABEL,
    PURCHASE_FEATURES,
    ChurnData,
    churn_params,
    churn_sql,
    finish,
    labels_of,
)
from tools.churn.models import CustomerRisk, FeatureEffect, ScoreRequest, ScoreResult, TrainRequest
from tools.clv import bgnbd
from tools.clv.compressed import CompressedRfm
from tools.clv.summary import UNIT_DAYS

SCORE_SCHEMA = (
    "customer_id STRING, churn_probability DOUBLE, reason_features ARRAY<STRING>, "
    "reason_values ARRAY<DOUBLE>, reason_effects ARRAY<DOUBLE>"
)
_MODELS: dict[int, Any] = {}  # per executor process: the loaded model of each broadcast file


@dataclass(frozen=True)
class Scoring:
    """What the executors need: the model file, its trusted types, features and how to build them."""

    model_file: bytes
    trusted: list[str]
    features: list[str]
    reference: list[float]
    reasons: int
    spec: AttributeSpec
    has_tx: bool
    has_eng: bool


def spark_score(
    source: SparkSource, workspace: Workspace, request: ScoreRequest, output: str | None = None
) -> ScoreResult:
    """Churn probability of every customer in ``source`` (see the module docstring).

    Raises:
        ToolError: no model (method 'model'), a model whose features the data do not provide, or
            data the BG/NBD model cannot be fitted to.
    """
    from data.engine.session import share
    from tools.churn.score import _result, check_features

    path = store.model_path(workspace, request.name)
    method = request.method
    if method == "auto":
        method = "model" if path.exists() else "bgnbd"
    target = output or source.output_path("churn_scores")
    if method == "bgnbd":
        return _spark_bgnbd(source, request, target)
    saved = store.load(path)
    spec = AttributeSpec.from_json(saved.metadata.get("attributes", {}))
    has_tx = source.has_table("transactions")
    has_eng = source.has_table("engagements")
    available = [*(PURCHASE_FEATURES if has_tx else ()), *(ENGAGEMENT_FEATURES if has_eng else ())]
    available += [f for f in spec.feature_names() if f not in available]
    check_features(saved.features, available, path)
    cutoff = request.as_of or data_end(source)
    raw = source.sql(
        churn_sql(has_tx=has_tx, has_eng=has_eng, label=None, spec=spec),
        **churn_params(cutoff, has_tx=has_tx),
    )
    scoring = Scoring(
        model_file=saved.file,  # the bytes store.load checked, not a second read of the file
        trusted=list(saved.trusted),
        features=saved.features,
        reference=[float(v) for v in saved.metadata["reference"]],
        reasons=request.reasons,
        spec=spec,
        has_tx=has_tx,
        has_eng=has_eng,
    )
    raw.mapInPandas(partial(_score_batches, share(source.session, scoring)), SCORE_SCHEMA).write.mode(
        "overwrite"
    ).parquet(target)
    rows = _sorted(source.session.read.parquet(target).toPandas())
    prob = rows["churn_probability"].to_numpy(np.float64)
    customers = [
        CustomerRisk.model_construct(
            customer_id=str(cid),
            churn_probability=float(p),
            top_features=[
                FeatureEffect.model_construct(feature=str(f), value=float(v), effect=float(e))
                for f, v, e in zip(fs, vs, es, strict=True)
                if e > 0
            ],
        )
        for cid, p, fs, vs, es in zip(
            rows["customer_id"],
            prob,
            rows["reason_features"],
            rows["reason_values"],
            rows["reason_effects"],
            strict=True,
        )
    ]
    result = _result("model", request.name, cutoff, prob, customers, list(source.derived))
    return result.model_copy(update={"engine": "spark", "output": target})


def training_data(source: SparkSource, request: TrainRequest) -> ChurnData:
    """Features and labels of a random sample of ``request.sample`` customers, computed on Spark.

    The attribute encoding is inferred from the sampled customers' rows by the same code as on
    DuckDB (``infer_spec`` on an in-memory copy of the sample), and their medians fill gaps.

    Raises:
        ToolError: no label column, or no customers.
    """
    label = request.label
    if label not in source.columns("customers"):
        raise ToolError(
            f"the customers table has no label column '{label}': give --label the name of a boolean "
            "churn column, or score without labels (BG/NBD method)"
        )
    has_tx, has_eng = source.has_table("transactions"), source.has_table("engagements")
    cutoff = request.as_of or data_end(source)
    people = source.table("customers")
    total = people.count()
    if total == 0:
        raise ToolError("no customers to train on")
    if total > request.sample:
        people = people.sample(fraction=min(1.0, 1.2 * request.sample / total), seed=request.seed)
        people = people.orderBy("customer_id").limit(request.sample)
    sample = people.toPandas()
    with duckdb.connect(":memory:") as mem:
        mem.register("sampled", sample)
        mem.execute("CREATE TABLE customers AS SELECT * FROM sampled")
        spec = infer_spec(mem, label=label, sensitive=request.sensitive, use_sensitive=request.use_sensitive)
    ids = source.session.createDataFrame(sample[["customer_id"]].astype(str))
    query = churn_sql(has_tx=has_tx, has_eng=has_eng, label=label, spec=spec)
    raw = source.sql(query, **churn_params(cutoff, has_tx=has_tx)).join(ids, "customer_id", "left_semi")
    rows = raw.toPandas().sort_values("customer_id", kind="stable").set_index("customer_id")
    if rows.empty:
        raise ToolError(f"no customer had signed up by {cutoff:%Y-%m-%d}: nothing to train on")
    frame, spec = finish(rows, spec, has_tx=has_tx, has_eng=has_eng)
    return ChurnData(
        customer_id=rows.index.to_numpy(dtype=object),
        features=frame,
        labels=labels_of(rows[LABEL], label),
        as_of=cutoff,
        attributes=spec,
    )


def _score_batches(shared: Callable[[], Scoring], batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Executor side: features, probabilities and reasons of each batch, with the broadcast model."""
    from tools.churn.score import predict, top_effects

    scoring = shared()
    key = hash(scoring.model_file)
    if key not in _MODELS:
        _MODELS[key] = sio.loads(scoring.model_file, trusted=scoring.trusted)["model"]
    model = _MODELS[key]
    reference = np.asarray(scoring.reference, dtype=np.float64)
    for batch in batches:
        if batch.empty:
            continue
        frame, _ = finish(
            batch.set_index("customer_id"), scoring.spec, has_tx=scoring.has_tx, has_eng=scoring.has_eng
        )
        X = frame[scoring.features].to_numpy(np.float64)
        prob = predict(model, X)
        idx, eff = top_effects(model, X, reference, prob, scoring.reasons)
        names = np.array(scoring.features, dtype=object)
        yield pd.DataFrame(
            {
                "customer_id": frame.index.astype(str),
                "churn_probability": prob,
                "reason_features": [list(names[row]) for row in idx],
                "reason_values": [list(np.take(x, row)) for x, row in zip(X, idx, strict=True)],
                "reason_effects": [list(row) for row in eff],
            }
        )


def _spark_bgnbd(source: SparkSource, request: ScoreRequest, target: str) -> ScoreResult:
    from data.engine.session import share
    from tools.churn.score import BGNBD_NOTE, _result

    cutoff = request.as_of or data_end(source)
    rfm = source.sql(rfm_sql(), cutoff=cutoff_text(cutoff), inactive=False, unit=UNIT_DAYS[request.time_unit])
    counts = rfm.groupBy("frequency", "recency", "T").count().toPandas()
    if counts.empty:
        raise ToolError(f"no customer bought anything on or before {cutoff:%Y-%m-%d}: nothing to model")
    f64 = np.float64
    stats = CompressedRfm.from_rows(
        counts["frequency"].to_numpy(f64),
        counts["recency"].to_numpy(f64),
        counts["T"].to_numpy(f64),
        counts["count"].to_numpy(f64),
        np.zeros(0),
        np.zeros(0),
        np.zeros(0),
    )
    params, _ = bgnbd.fit(stats.x, stats.t_x, stats.T, weights=stats.n)
    schema = "customer_id STRING, churn_probability DOUBLE"
    rfm.mapInPandas(partial(_alive_batches, share(source.session, params)), schema).write.mode(
        "overwrite"
    ).parquet(target)
    rows = _sorted(source.session.read.parquet(target).toPandas())
    prob = rows["churn_probability"].to_numpy(np.float64)
    customers = [
        CustomerRisk.model_construct(customer_id=str(c), churn_probability=float(p), top_features=[])
        for c, p in zip(rows["customer_id"], prob, strict=True)
    ]
    result = _result("bgnbd", None, cutoff, prob, customers, [*source.derived, BGNBD_NOTE])
    return result.model_copy(update={"engine": "spark", "output": target})


def _alive_batches(
    shared: Callable[[], bgnbd.BgNbdParams], batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    params = shared()
    for batch in batches:
        if batch.empty:
            continue
        x, t_x, T = (batch[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
        prob = 1.0 - bgnbd.p_alive(params, x, t_x, T)
        yield pd.DataFrame({"customer_id": batch["customer_id"].astype(str), "churn_probability": prob})


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
