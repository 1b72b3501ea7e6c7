"""Segments, churn scores and audiences on Spark (local[2]) equal DuckDB's on the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.engine.source import SparkSource
from data.workspace import Workspace
from tools.audience import AudienceParams, select_audience
from tools.churn import ScoreRequest, TrainRequest, score_churn, train_churn
from tools.segment import SegmentParams, segment_customers


def test_segments_on_spark_are_duckdbs(spark_engines: tuple[Workspace, SparkSource], tmp_path: Path) -> None:
    workspace, source = spark_engines
    params = SegmentParams(seed=7, k=4)
    with workspace.connect(read_only=True) as con:
        duck = segment_customers(con, params)
    spark = segment_customers(source, params, output=str(tmp_path / "segments.parquet"))
    assert (duck.report.engine, spark.report.engine) == ("duckdb", "spark")
    assert spark.report.k == duck.report.k == 4
    for a, b in zip(duck.report.segments, spark.report.segments, strict=True):
        assert (a.segment, a.size, a.centroid) == (b.segment, b.size, b.centroid)
    pd.testing.assert_frame_equal(duck.membership, spark.membership)
    written = pd.read_parquet(tmp_path / "segments.parquet").set_index("customer_id")
    mine = duck.membership.set_index("customer_id")
    assert written["cluster"].reindex(mine.index).tolist() == mine["cluster"].tolist()
    assert written["segment"].reindex(mine.index).tolist() == mine["segment"].tolist()


@pytest.mark.parametrize("method", ["model", "bgnbd"])
def test_churn_scores_on_spark_are_duckdbs(
    spark_engines: tuple[Workspace, SparkSource], tmp_path: Path, method: str
) -> None:
    workspace, source = spark_engines
    if method == "model" and not store_has_model(workspace):
        with workspace.connect(read_only=True) as con:
            train_churn(con, workspace, TrainRequest(label="churned", seed=7))
    request = ScoreRequest(method=method, reasons=2)  # type: ignore[arg-type]
    with workspace.connect(read_only=True) as con:
        duck = score_churn(con, workspace, request)
    spark = score_churn(source, workspace, request, output=str(tmp_path / "scores.parquet"))
    assert (duck.engine, spark.engine, spark.method) == ("duckdb", "spark", method)
    assert [c.customer_id for c in spark.customers] == [c.customer_id for c in duck.customers]
    a = np.array([c.churn_probability for c in duck.customers])
    b = np.array([c.churn_probability for c in spark.customers])
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)
    assert 0.05 < a.mean() < 0.95 and a.std() > 0.01  # real scores, not a constant
    if method == "model":
        assert [[f.feature for f in c.top_features] for c in spark.customers] == [
            [f.feature for f in c.top_features] for c in duck.customers
        ]
    assert len(pd.read_parquet(tmp_path / "scores.parquet")) == len(a)


def store_has_model(workspace: Workspace) -> bool:
    return (workspace.models_dir / "churn.skops").exists()


def test_audiences_from_either_engine_are_the_same_people(
    spark_engines: tuple[Workspace, SparkSource],
) -> None:
    workspace, source = spark_engines
    params = AudienceParams(risk="at_risk", value="high_value")
    request = ScoreRequest(method="bgnbd")
    chosen = []
    with workspace.connect(read_only=True) as con:
        churn = score_churn(con, workspace, request)
        segments = segment_customers(con, SegmentParams(seed=7, k=4)).membership
        clv = pd.Series({c.customer_id: c.churn_probability * 0 + 1.0 for c in churn.customers})
        risk = pd.Series({c.customer_id: c.churn_probability for c in churn.customers})
        chosen.append(select_audience(con, params, clv=clv, churn=risk, segments=segments))
    churn_s = score_churn(source, workspace, request)
    segments_s = segment_customers(source, SegmentParams(seed=7, k=4)).membership
    risk_s = pd.Series({c.customer_id: c.churn_probability for c in churn_s.customers})
    chosen.append(select_audience(source, params, clv=clv, churn=risk_s, segments=segments_s))
    duck, spark = chosen
    assert duck.summary.size > 10
    assert spark.customer_ids == duck.customer_ids
    assert spark.summary.reachable == duck.summary.reachable
