"""The CLV calculator on Spark (local[2]) gives DuckDB's numbers; the SQL is written once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.engine.source import SparkSource, open_spark_source
from data.engine.sql import spark_sql
from data.errors import ConfigError, DataValidationError
from data.features import rfm_sql
from data.settings import load_settings
from data.workspace import Workspace
from tools.clv import ClvRequest, calculate_clv
from tools.clv.compressed import CompressedRfm, fit_compressed
from tools.clv.summary import rfm_summary
from tools.forecast.models import Metric
from tools.forecast.series import weekly_series


def test_the_engine_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().engine, load_settings().spark_master) == ("duckdb", "local[*]")
    monkeypatch.setenv("MKT_ENGINE", "spark")
    monkeypatch.setenv("MKT_SPARK_MASTER", "sc://spark:15002")
    assert (load_settings().engine, load_settings().spark_master) == ("spark", "sc://spark:15002")
    monkeypatch.setenv("MKT_ENGINE", "polars")
    with pytest.raises(ConfigError, match="MKT_ENGINE"):
        load_settings()


def test_the_feature_sql_is_transpiled_not_copied() -> None:
    text = spark_sql(rfm_sql())
    assert "UNIX_MICROS(" in text and "EPOCH_US" not in text  # microsecond epoch, not unix_timestamp
    assert ":cutoff" in text and "$cutoff" not in text  # values stay bound parameters
    assert "FILTER(WHERE" in text.replace(" (", "(")


def _bgnbd_histories(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD histories simulated with planted r=2, alpha=8, a=1, b=6, times in whole weeks."""
    rng = np.random.default_rng(seed)
    T = rng.integers(20, 53, n).astype(float)
    rate, drop = rng.gamma(2.0, 1 / 8.0, n), rng.beta(1.0, 6.0, n)
    x, t_x, now, alive = np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n, dtype=bool)
    for _ in range(200):
        now = now + rng.exponential(1.0 / rate)
        buy = alive & (now <= T)
        x, t_x = x + buy, np.where(buy, now, t_x)
        alive = buy & (rng.uniform(size=n) > drop)
    t_x = np.floor(t_x)
    m = np.where(x > 0, np.round(rng.gamma(4.0, 10.0, n)), 0.0)
    return x, t_x, T, m


def test_weighted_fit_on_counts_equals_the_fit_on_customers() -> None:
    x, t_x, T, m = _bgnbd_histories(20000, seed=3)
    stats = CompressedRfm.of(x, t_x, T, m)
    assert stats.x.size < 10000 and stats.customers == 20000  # duplicated histories: fewer rows
    ones = np.ones_like(x)
    expanded = CompressedRfm.from_rows(x, t_x, T, ones, x[x > 0], m[x > 0], ones[x > 0])
    a, b = fit_compressed(stats), fit_compressed(expanded)
    np.testing.assert_allclose(a.bg_fit.params, b.bg_fit.params, rtol=1e-6)
    np.testing.assert_allclose(a.gg_fit.params, b.gg_fit.params, rtol=1e-6)
    assert a.bg_fit.log_likelihood == pytest.approx(b.bg_fit.log_likelihood, rel=1e-10)
    np.testing.assert_allclose(a.bg_fit.params, [2.0, 8.0, 1.0, 6.0], rtol=0.5)  # near the planted truth


def test_clv_on_spark_matches_duckdb(spark_engines: tuple[Workspace, SparkSource], tmp_path: Path) -> None:
    workspace, source = spark_engines
    request = ClvRequest(method="probabilistic", horizon_months=6)
    with workspace.connect(read_only=True) as con:
        duck = calculate_clv(con, request)
        summary = rfm_summary(con)
    spark = calculate_clv(source, request, output=str(tmp_path / "clv.parquet"))
    assert (duck.engine, spark.engine) == ("duckdb", "spark")
    assert duck.bgnbd is not None and spark.bgnbd is not None
    assert duck.gamma_gamma is not None and spark.gamma_gamma is not None
    for name, value in duck.bgnbd.parameters.items():
        assert spark.bgnbd.parameters[name] == pytest.approx(value, rel=1e-6), name
    for name, value in duck.gamma_gamma.parameters.items():
        assert spark.gamma_gamma.parameters[name] == pytest.approx(value, rel=1e-6), name
    assert spark.n_customers == duck.n_customers == summary.size
    assert [c.customer_id for c in spark.customers] == [c.customer_id for c in duck.customers]
    np.testing.assert_allclose(
        [c.clv for c in spark.customers], [c.clv for c in duck.customers], rtol=1e-9, atol=1e-9
    )
    written = pd.read_parquet(tmp_path / "clv.parquet")
    assert len(written) == duck.n_customers and spark.output == str(tmp_path / "clv.parquet")
    assert spark.total_clv == pytest.approx(duck.total_clv, rel=1e-9)


def test_a_fit_grid_bounds_the_histories_on_both_engines(
    spark_engines: tuple[Workspace, SparkSource],
) -> None:
    workspace, source = spark_engines
    request = ClvRequest(method="probabilistic", horizon_months=3, fit_grid_days=7.0)
    with workspace.connect(read_only=True) as con:
        exact = calculate_clv(con, request.model_copy(update={"fit_grid_days": None}))
        duck = calculate_clv(con, request)
    spark = calculate_clv(source, request)
    assert duck.bgnbd is not None and spark.bgnbd is not None and exact.bgnbd is not None
    for name, value in duck.bgnbd.parameters.items():
        assert spark.bgnbd.parameters[name] == pytest.approx(value, rel=1e-6), name
        assert value == pytest.approx(exact.bgnbd.parameters[name], rel=0.05), name  # a week barely moves it
    distinct = [
        int(n.split(" distinct")[0].split()[-1].replace(",", "")) for n in (exact.notes[0], duck.notes[0])
    ]
    assert distinct[1] < distinct[0] == exact.n_customers, (exact.notes[0], duck.notes[0])


def test_spark_inputs_are_validated_with_the_named_errors(
    spark_engines: tuple[Workspace, SparkSource], tmp_path: Path
) -> None:
    workspace, _ = spark_engines
    bad = tmp_path / "transactions.csv"
    bad.write_text("customer_id,ts,amount\nA,2024-01-01 10:00:00,5\nB,2024-01-02 10:00:00,-3\n")
    with pytest.raises(DataValidationError, match="below 0") as info:
        open_spark_source(workspace, {"transactions": bad}, master="local[2]")
    assert info.value.column == "amount" and str(bad) in str(info.value)
    no_amount = tmp_path / "t2.csv"
    no_amount.write_text("customer_id,ts\nA,2024-01-01 10:00:00\n")
    with pytest.raises(DataValidationError, match="missing required column 'amount'"):
        open_spark_source(workspace, {"transactions": no_amount}, master="local[2]")
    dirty = tmp_path / "t3.csv"
    dirty.write_text("customer_id,ts,amount\nA,2024-01-01 10:00:00,5\nB,2024-01-02 10:00:00,N/A\n")
    with pytest.raises(DataValidationError, match="not double in 1 rows") as info:  # not a Java cast error
        open_spark_source(workspace, {"transactions": dirty}, master="local[2]")
    assert info.value.column == "amount"


def test_weekly_series_on_spark_match_duckdb(spark_engines: tuple[Workspace, SparkSource]) -> None:
    workspace, source = spark_engines
    metrics: list[Metric] = ["revenue", "orders", "active_customers"]
    with workspace.connect(read_only=True) as con:
        duck = weekly_series(con, metrics, "category", None)
    spark = weekly_series(source, metrics, "category", None)
    assert spark.weeks == duck.weeks and len(duck.weeks) > 50
    assert spark.values.keys() == duck.values.keys() and len(duck.values) > 3
    for key, values in duck.values.items():
        np.testing.assert_allclose(spark.values[key], values, rtol=1e-12, err_msg=str(key))


def test_without_files_spark_reads_the_workspace_exported_once(
    spark_engines: tuple[Workspace, SparkSource], spark_master: str
) -> None:
    workspace, _ = spark_engines
    first = open_spark_source(workspace, None, master=spark_master)
    exported = Path(first.origins["transactions"])
    assert exported.parent == workspace.home / "spark" and exported.exists()
    stamp = exported.stat().st_mtime_ns
    second = open_spark_source(workspace, None, master=spark_master)
    assert Path(second.origins["transactions"]).stat().st_mtime_ns == stamp  # unchanged: not exported again
    # Each source writes under its own folder: two turns at once never overwrite each other's scores.
    first_out, second_out = Path(first.output_path("clv")), Path(second.output_path("clv"))
    assert first_out.parent != second_out.parent and first_out.name == "clv.parquet"
    assert first_out.parent.parent == workspace.runs_dir / "spark"
    with workspace.connect(read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM transactions").fetchone()
    assert rows is not None and second.table("transactions").count() == rows[0]
    first.close()
    second.close()
