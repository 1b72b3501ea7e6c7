"""Recommendations: planted co-purchase pairs and segment taste recovered; beats popularity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_files, load_into
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.recommend import (
    EvaluateParams,
    RecommendParams,
    evaluate_holdout,
    recommend,
    segment_top_products,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def large_con(large_sample: GeneratedData) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    load_into(con, large_sample.tables)
    membership = large_sample.truth_file.parent / "membership.csv"
    con.execute(f"CREATE TABLE segments AS SELECT * FROM read_csv('{membership}')")
    yield con
    con.close()


def _last_bought(con: duckdb.DuckDBPyConnection, product: str, limit: int = 30) -> list[str]:
    """Customers whose latest purchase day holds exactly one product: ``product``."""
    rows = con.execute(
        """
        WITH last AS (
            SELECT customer_id, product_id,
                   CAST(ts AS DATE) = max(CAST(ts AS DATE)) OVER (PARTITION BY customer_id) AS latest
            FROM transactions
        )
        SELECT customer_id FROM last WHERE latest GROUP BY customer_id
        HAVING count(*) = 1 AND any_value(product_id) = ? ORDER BY customer_id LIMIT ?
        """,
        [product, limit],
    ).fetchall()
    return [r[0] for r in rows]


def test_planted_pairs_are_the_top_recommendation(
    large_con: duckdb.DuckDBPyConnection, large_sample: GeneratedData
) -> None:
    assert large_sample.truth.products is not None
    for a, b in large_sample.truth.products.co_purchase.pairs:
        for bought, partner in ((a, b), (b, a)):
            ids = _last_bought(large_con, bought)
            assert len(ids) >= 10
            result = recommend(large_con, RecommendParams(customer_ids=ids, k=3))
            for rec in result.customers:
                assert rec.excluded == [bought] and rec.basis == "co-purchase"
                assert bought not in [p.product_id for p in rec.products]
            # a purchase a few weeks before the last one still counts (recency half-life 4 weeks)
            top = [rec.products[0].product_id for rec in result.customers]
            assert max(set(top), key=top.count) == partner and top.count(partner) >= 0.6 * len(top), (
                bought,
                top,
            )


def test_beats_popularity_on_a_time_holdout(large_con: duckdb.DuckDBPyConnection) -> None:
    result = evaluate_holdout(large_con, EvaluateParams(holdout_weeks=13, k=10))
    assert result.customers > 5000
    assert result.hit_rate >= result.baseline_hit_rate + 0.04
    assert result.lift > 1.05
    small_k = evaluate_holdout(large_con, EvaluateParams(holdout_weeks=13, k=3))
    assert small_k.hit_rate < result.hit_rate and small_k.hit_rate > small_k.baseline_hit_rate


def test_segment_offers_follow_planted_taste(
    large_con: duckdb.DuckDBPyConnection, large_sample: GeneratedData
) -> None:
    for seg in large_sample.truth.segments:
        offers = segment_top_products(large_con, seg.name, k=3)
        assert offers.rank_by == "lift" and offers.customers == seg.size
        assert all(p.category in seg.favourite_categories for p in offers.products), (seg.name, offers)
        assert all(p.lift > 1.2 for p in offers.products)


def test_unknown_customer_gets_popular_products(large_con: duckdb.DuckDBPyConnection) -> None:
    result = recommend(large_con, RecommendParams(customer_ids=["nobody"], k=5))
    rec = result.customers[0]
    assert rec.basis == "popularity" and rec.excluded == [] and len(rec.products) == 5
    scores = [p.score for p in rec.products]
    assert scores == sorted(scores, reverse=True)


def test_bad_input_is_clear(sample_data: GeneratedData, large_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ToolError, match="at least one customer id or a segment"):
        recommend(large_con, RecommendParams())
    with pytest.raises(ToolError, match="no segment named 'vip'.*champions"):
        recommend(large_con, RecommendParams(segment="vip"))
    con = duckdb.connect(":memory:")
    load_into(con, sample_data.tables)
    with pytest.raises(ToolError, match="mkt segment"):
        recommend(con, RecommendParams(segment="champions"))
    con.execute("UPDATE transactions SET product_id = NULL")
    with pytest.raises(ToolError, match="no purchases with a product id"):
        recommend(con, RecommendParams(customer_ids=["CU0000001"]))
    con.execute("ALTER TABLE transactions DROP COLUMN product_id")
    with pytest.raises(ToolError, match="no 'product_id' column"):
        recommend(con, RecommendParams(customer_ids=["CU0000001"]))


def test_cli(sample_data: GeneratedData, isolated_home: Path) -> None:
    load_files(Workspace(isolated_home), sample_data.tables)
    result = runner.invoke(app, ["recommend", "--customer", "CU0000001", "--k", "4", "--evaluate", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["recommendations"]["customers"][0]["products"]) == 4
    assert 0 < payload["evaluation"]["baseline_hit_rate"] < 1
    human = runner.invoke(app, ["recommend", "--customer", "CU0000002"])
    assert human.exit_code == 0 and "Next products for CU0000002" in human.output
    bad = runner.invoke(app, ["recommend", "--segment", "champions"])
    assert bad.exit_code == 4 and "segments table" in bad.output and "Traceback" not in bad.output
    wrong = runner.invoke(app, ["recommend", "--customer", "CU0000001", "--rank-by", "price"])
    assert wrong.exit_code == 4 and "rank-by: Input should be 'score' or 'lift'" in wrong.output


def test_an_rfm_tier_name_is_a_segment_when_no_cluster_has_it(sample_data: GeneratedData) -> None:
    con = duckdb.connect(":memory:")
    load_into(con, sample_data.tables)
    membership = sample_data.truth_file.parent / "membership.csv"
    con.execute(
        "CREATE TABLE segments AS SELECT *, CASE WHEN hash(customer_id) % 3 = 0 THEN 'loyal' ELSE 'promising' END"
        f" AS rfm_tier FROM read_csv('{membership}')"
    )
    loyal = con.execute("SELECT count(*) FROM segments WHERE rfm_tier = 'loyal'").fetchone()
    assert loyal is not None
    offers = segment_top_products(con, "Loyal", k=3)
    assert 0.5 * loyal[0] < offers.customers <= loyal[0] and len(offers.products) == 3  # buyers among them
    with pytest.raises(ToolError, match="no segment named 'vip'"):
        segment_top_products(con, "vip", k=3)
