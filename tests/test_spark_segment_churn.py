"""Segments, churn scores and audiences on Spark (local[2]) equal DuckDB's on the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.engine.source import SparkSource
from data.workspace import Workspace
from tools.audience import AudienceParams, select_audience
from tools.churn import ScoreRequest, ScoreResult, TrainRequest, score_churn, train_churn
from tools.segment import Segmentation, SegmentParams, segment_customers

Pair = tuple[Segmentation, Segmentation]


@pytest.fixture(scope="module")
def segmentations(
    spark_engines: tuple[Workspace, SparkSource], tmp_path_factory: pytest.TempPathFactory
) -> Pair:
    workspace, source = spark_engines
    params = SegmentParams(seed=7, k=4)
    with workspace.connect(read_only=True) as con:
        duck = segment_customers(con, params)
    out = tmp_path_factory.mktemp("segments") / "segments.parquet"
    return duck, segment_customers(source, params, output=str(out))


@pytest.fixture(scope="module")
def bgnbd_scores(spark_engines: tuple[Workspace, SparkSource]) -> tuple[ScoreResult, ScoreResult]:
    workspace, source = spark_engines
    request = ScoreRequest(method="bgnbd")
    with workspace.connect(read_only=True) as con:
        duck = score_churn(con, workspace, request)
    return duck, score_churn(source, workspace, request)


def test_segments_on_spark_are_duckdbs(segmentations: Pair) -> None:
    duck, spark = segmentations
    assert (duck.report.engine, spark.report.engine) == ("duckdb", "spark")
    assert spark.report.k == duck.report.k == 4
    for a, b in zip(duck.report.segments, spark.report.segments, strict=True):
        assert (a.segment, a.size, a.centroid) == (b.segment, b.size, b.centroid)
    pd.testing.assert_frame_equal(duck.membership, spark.membership)
    assert spark.report.output is not None
    written = pd.read_parquet(spark.report.output).set_index("customer_id")
    mine = duck.membership.set_index("customer_id")
    assert written["cluster"].reindex(mine.index).tolist() == mine["cluster"].tolist()
    assert written["segment"].reindex(mine.index).tolist() == mine["segment"].tolist()


def _same_scores(duck: ScoreResult, spark: ScoreResult) -> None:
    assert (duck.engine, spark.engine, spark.method) == ("duckdb", "spark", duck.method)
    assert [c.customer_id for c in spark.customers] == [c.customer_id for c in duck.customers]
    a = np.array([c.churn_probability for c in duck.customers])
    b = np.array([c.churn_probability for c in spark.customers])
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)
    assert 0.05 < a.mean() < 0.95 and a.std() > 0.01  # real scores, not a constant
    assert spark.output is not None and len(pd.read_parquet(spark.output)) == len(a)


def test_bgnbd_churn_scores_on_spark_are_duckdbs(bgnbd_scores: tuple[ScoreResult, ScoreResult]) -> None:
    _same_scores(*bgnbd_scores)


def test_model_churn_scores_on_spark_are_duckdbs(
    spark_engines: tuple[Workspace, SparkSource], tmp_path: Path
) -> None:
    workspace, source = spark_engines
    with workspace.connect(read_only=True) as con:
        train_churn(con, workspace, TrainRequest(label="churned", seed=7))
        duck = score_churn(con, workspace, ScoreRequest(method="model", reasons=2))
    spark = score_churn(
        source, workspace, ScoreRequest(method="model", reasons=2), output=str(tmp_path / "s")
    )
    _same_scores(duck, spark)
    assert [[(f.feature, f.value) for f in c.top_features] for c in spark.customers] == [
        [(f.feature, f.value) for f in c.top_features] for c in duck.customers
    ]


def test_audiences_from_either_engine_are_the_same_people(
    spark_engines: tuple[Workspace, SparkSource],
    segmentations: Pair,
    bgnbd_scores: tuple[ScoreResult, ScoreResult],
) -> None:
    workspace, source = spark_engines
    params = AudienceParams(risk="at_risk", value="high_value", churn_threshold=0.3)
    chosen = []
    for con, seg, scores in (
        (None, segmentations[0], bgnbd_scores[0]),
        (source, *segmentations[1:], bgnbd_scores[1]),
    ):
        risk = pd.Series({c.customer_id: c.churn_probability for c in scores.customers})
        clv = risk * 0 + 1.0
        if con is None:
            with workspace.connect(read_only=True) as duck:
                chosen.append(select_audience(duck, params, clv=clv, churn=risk, segments=seg.membership))
        else:
            chosen.append(select_audience(con, params, clv=clv, churn=risk, segments=seg.membership))
    duck_pick, spark_pick = chosen
    assert duck_pick.summary.size > 10
    assert spark_pick.customer_ids == duck_pick.customer_ids
    assert spark_pick.summary.reachable == duck_pick.summary.reachable


def test_churn_training_on_spark_learns_what_duckdb_learns(
    spark_engines: tuple[Workspace, SparkSource],
) -> None:
    workspace, source = spark_engines
    whole = TrainRequest(label="churned", seed=7, name="churn_all", sample=100_000)  # sample >= customers
    with workspace.connect(read_only=True) as con:
        duck = train_churn(con, workspace, whole)
    spark = train_churn(source, workspace, whole.model_copy(update={"name": "churn_spark"}))
    assert (duck.engine, spark.engine) == ("duckdb", "spark")
    assert spark.features == duck.features
    assert spark.holdout_roc_auc == pytest.approx(duck.holdout_roc_auc, abs=1e-9)
    part = train_churn(source, workspace, whole.model_copy(update={"name": "churn_part", "sample": 800}))
    assert part.n_train + part.n_validation + part.n_holdout == 800
    assert part.holdout_roc_auc > 0.7  # a sample still learns the planted churn
