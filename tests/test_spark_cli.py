"""``MKT_ENGINE=spark mkt clv|churn score --json`` on local[2]: the engine is named, Parquet written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.engine.source import SparkSource
from data.synth.generate import GeneratedData
from data.workspace import Workspace

runner = CliRunner()


def test_spark_commands_name_their_engine(
    spark_engines: tuple[Workspace, SparkSource],
    spark_data: GeneratedData,
    spark_master: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MKT_ENGINE", "spark")
    monkeypatch.setenv("MKT_SPARK_MASTER", spark_master)
    monkeypatch.setenv("MKT_SPARK_PARTITIONS", "2")  # the session the other Spark tests use
    tx = str(spark_data.tables["transactions"])
    out = tmp_path / "big_clv.parquet"
    done = runner.invoke(app, ["clv", "--transactions", tx, "--json", "--top", "2", "--output", str(out)])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert payload["engine"] == "spark" and payload["output"] == str(out)
    assert len(pd.read_parquet(out)) == payload["n_customers"] > 1000
    score = runner.invoke(app, ["churn", "score", "--method", "bgnbd", "--transactions", tx, "--json"])
    assert score.exit_code == 0, score.output
    scored = json.loads(score.stdout)
    assert scored["engine"] == "spark" and Path(scored["output"]).parent == Path(tx).parent
    people = str(spark_data.tables["customers"])
    segmented = runner.invoke(app, ["segment", "--customers", people, "--transactions", tx, "--json"])
    assert segmented.exit_code == 0, segmented.output
    assert json.loads(segmented.stdout)["engine"] == "spark"
    bad = runner.invoke(app, ["clv", "--transactions", tx, "--output", str(tmp_path / "x.csv")])
    assert bad.exit_code != 0 and "Parquet" in bad.output


def test_duckdb_results_name_duckdb(monkeypatch: pytest.MonkeyPatch, spark_data: GeneratedData) -> None:
    monkeypatch.delenv("MKT_ENGINE", raising=False)
    done = runner.invoke(app, ["clv", "--transactions", str(spark_data.tables["transactions"]), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["engine"] == "duckdb"


def test_a_campaign_asked_for_on_spark_runs_its_analytics_there(
    spark_engines: tuple[Workspace, SparkSource], spark_master: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`MKT_ENGINE=spark mkt ask "plan a win-back campaign ..."`: the brief's analytics ran on Spark."""
    workspace, _ = spark_engines
    monkeypatch.setenv("MKT_HOME", str(workspace.home))
    monkeypatch.setenv("MKT_ENGINE", "spark")
    monkeypatch.setenv("MKT_SPARK_MASTER", spark_master)
    monkeypatch.setenv("MKT_SPARK_PARTITIONS", "2")
    request = (
        "plan a win-back campaign for high-value customers at risk of churning, email, 15% off, budget 500"
    )
    done = runner.invoke(app, ["ask", "--json", request])
    assert done.exit_code == 0, done.output
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    tools = [e["tool"] for e in events if e.get("event") == "tool_call"]
    assert {"segment_customers", "score_churn", "calculate_clv", "select_audience"} <= set(tools)
    assert "analytics on spark" in done.stdout
