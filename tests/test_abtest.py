"""A/B readout: recovers the planted variant B lift, matches published formulas, writes the winner back."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_files, load_into
from data.settings import load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.abtest import AbTestParams, readout, stats

runner = CliRunner()


@pytest.fixture(scope="module")
def large_con(large_sample: GeneratedData) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    load_into(con, large_sample.tables)
    yield con
    con.close()


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 and 15/148, method 3 (Wilson).
    _, low, high = stats.wilson(81, 263, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    _, low, high = stats.wilson(15, 148, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.0624, 0.1605)


def test_sample_size_matches_cohen_table() -> None:
    # Cohen (1988) Table 6.4.1: h = 0.20, two-sided alpha 0.05, power 0.80 -> n = 392 per group.
    p2 = math.sin(math.asin(math.sqrt(0.5)) + 0.1) ** 2
    assert abs(stats.effect_size(0.5, p2) - 0.2) < 1e-12
    assert abs(stats.required_per_variant(0.5, p2, 0.05, 0.8) - 392) <= 1  # type: ignore[operator]
    assert abs(stats.power(0.5, p2, 392, 392, 0.05) - 0.80) < 0.005
    assert abs(stats.min_detectable_lift(0.5, 392, 392, 0.05, 0.8) - (p2 / 0.5 - 1)) < 0.002


def test_planted_winner_is_recovered(
    large_con: duckdb.DuckDBPyConnection, large_sample: GeneratedData
) -> None:
    assert {v.campaign_id for v in large_sample.truth.variants} == {"C004", "C009"}
    for planted in large_sample.truth.variants:
        result = readout(large_con, AbTestParams(campaign_id=planted.campaign_id))
        a, b = result.variants
        assert (a.variant, b.variant) == ("A", "B") and result.control == "A"
        true_lift = planted.lift["B"] / planted.lift["A"] - 1.0
        assert b.lift_lower is not None and b.lift_upper is not None
        assert b.lift_lower < true_lift < b.lift_upper
        assert b.prob_best > 0.75 and abs(a.prob_best + b.prob_best - 1.0) < 1e-9
        assert b.conversion_rate.lower < b.conversion_rate.rate < b.conversion_rate.upper
        assert a.open_rate.rate > a.conversion_rate.rate
        # ~900 sends per variant cannot reliably detect a 30% lift on a ~4% rate
        assert not result.sample_large_enough and "too small" in result.verdict
        assert b.required_per_variant is not None and b.required_per_variant > b.sent


def test_readout_is_deterministic_per_seed(large_con: duckdb.DuckDBPyConnection) -> None:
    one = readout(large_con, AbTestParams(campaign_id="C004", seed=3))
    two = readout(large_con, AbTestParams(campaign_id="C004", seed=3))
    other = readout(large_con, AbTestParams(campaign_id="C004", seed=4))
    assert one == two
    assert abs(one.variants[1].prob_best - other.variants[1].prob_best) < 0.01


def test_a_clear_difference_wins(large_con: duckdb.DuckDBPyConnection) -> None:
    result = readout(large_con, AbTestParams(campaign_id="C004", outcome="opened", control="B"))
    assert result.control == "B" and result.variants[1].lift is None
    lower = readout(large_con, AbTestParams(campaign_id="C004", win_probability=0.9))
    assert lower.winner == "B" and lower.verdict.startswith("B wins")


def test_bad_input_is_clear(large_con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ToolError, match="has 1 variant"):
        readout(large_con, AbTestParams(campaign_id="C001"))
    with pytest.raises(ToolError, match="'C999' has no engagements"):
        readout(large_con, AbTestParams(campaign_id="C999"))
    with pytest.raises(ToolError, match="control 'Z' is not a variant"):
        readout(large_con, AbTestParams(campaign_id="C004", control="Z"))
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE engagements (customer_id VARCHAR, campaign_id VARCHAR, event VARCHAR)")
    with pytest.raises(ToolError, match="no 'variant' column"):
        readout(con, AbTestParams(campaign_id="C004"))


@pytest.mark.slow
def test_write_back_stores_the_winner_in_campaigns(
    large_sample: GeneratedData, isolated_home: Path, tmp_path: Path
) -> None:
    from knowledge.collections import CAMPAIGNS
    from knowledge.ingest import ingest
    from knowledge.store import KnowledgeStore

    load_files(Workspace(isolated_home), large_sample.tables)
    copy_file = tmp_path / "campaign_variants.csv"
    copy_file.write_text(
        "campaign_id,variant,channel,copy\n"
        "C004,A,email,Fresh miles start here\n"
        "C004,B,email,Your next long run deserves the Cloudline 2\n"
    )
    store = KnowledgeStore.open(load_settings())
    ingest(store, [copy_file], CAMPAIGNS)
    args = ["abtest", "C004", "--win-probability", "0.9", "--write-back", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    stored_id = json.loads(result.stdout)["written_back"]
    again = runner.invoke(app, args)
    assert json.loads(again.stdout)["written_back"] == stored_id
    coll = store.readable(CAMPAIGNS)
    found = coll.get(where={"kind": "ab_winner"}, include=["documents", "metadatas"])
    assert found["ids"] == [stored_id]
    assert "Your next long run deserves the Cloudline 2" in found["documents"][0]
    assert found["metadatas"][0]["variant"] == "B" and found["metadatas"][0]["campaign_id"] == "C004"
    hits = coll.query(query_texts=["long run email copy that won"], n_results=3, include=["metadatas"])
    assert stored_id in hits["ids"][0]
    no_copy = runner.invoke(app, ["abtest", "C009", "--win-probability", "0.6", "--write-back"])
    assert no_copy.exit_code == 4 and "--copy B=" in no_copy.output


def test_cli(sample_data: GeneratedData, isolated_home: Path) -> None:
    load_files(Workspace(isolated_home), sample_data.tables)
    result = runner.invoke(app, ["abtest", "C009", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [v["variant"] for v in payload["variants"]] == ["A", "B"]
    assert payload["written_back"] is None
    human = runner.invoke(app, ["abtest", "C004", "--no-write-back"])
    assert human.exit_code == 0 and "P(best)" in human.output
    bad = runner.invoke(app, ["abtest", "C002"])
    assert bad.exit_code == 4 and "at least two" in bad.output and "Traceback" not in bad.output
    bad_copy = runner.invoke(app, ["abtest", "C004", "--copy", "no-equals-sign"])
    assert bad_copy.exit_code == 2 and "VARIANT=TEXT" in bad_copy.output
    wrong = runner.invoke(app, ["abtest", "C004", "--outcome", "bought"])
    assert wrong.exit_code == 4 and "outcome: Input should be" in wrong.output
