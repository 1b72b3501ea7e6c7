"""The CLV calculator as a user meets it: the typed API, the simple formula, bad inputs, `mkt clv`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_into
from data.synth.generate import GeneratedData
from tools.clv import ClvRequest, calculate_clv, derive_margins, simple_clv
from tools.clv import bgnbd as bg

runner = CliRunner()
START = datetime(2025, 1, 1, 12)


def _warehouse(
    purchases: list[tuple[str, float, float]], extra_customers: int = 0
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse from (customer, days after START, amount) purchases."""
    ids = sorted({p[0] for p in purchases} | {f"Z{i}" for i in range(extra_customers)})
    con = duckdb.connect()
    con.execute("CREATE TABLE customers (customer_id VARCHAR, signup_date DATE)")
    con.executemany("INSERT INTO customers VALUES (?, ?)", [(c, START.date()) for c in ids])
    con.execute("CREATE TABLE transactions (customer_id VARCHAR, ts TIMESTAMP, amount DOUBLE)")
    if purchases:
        con.executemany(
            "INSERT INTO transactions VALUES (?, ?, ?)",
            [(c, START + timedelta(days=d), a) for c, d, a in purchases],
        )
    return con


def _population(
    n: int = 60, *, amount: float | None = None, repeat: bool = True
) -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(n):
        rows.append((f"C{i:03d}", 0.0, 20.0 + i if amount is None else amount))
        for k in range(int(rng.integers(1, 6)) if repeat else 0):
            rows.append(
                (
                    f"C{i:03d}",
                    float(10 * (k + 1) + rng.integers(0, 9)),
                    float(rng.uniform(5, 90)) if amount is None else amount,
                )
            )
    return rows


@pytest.fixture(scope="module")
def sample_con(sample_data: GeneratedData) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    load_into(con, {k: v for k, v in sample_data.tables.items() if k != "engagements"})
    yield con
    con.close()


def test_simple_formula_against_hand_computed_values() -> None:
    # 100/1.1 + 100/1.21 + 100/1.331
    assert simple_clv([100.0, 100.0, 100.0], 0.10) == pytest.approx(248.685199098422)
    assert simple_clv([50.0, 0.0, 133.1], 0.10) == pytest.approx(50 / 1.1 + 100.0)
    assert simple_clv([10.0] * 12, 0.0) == pytest.approx(120.0)
    assert derive_margins(50.0, 3, retention=0.8, margin=0.5) == pytest.approx([25.0, 20.0, 16.0])
    assert simple_clv(derive_margins(50.0, 3, retention=0.8, margin=0.5), 0.25) == pytest.approx(
        25 / 1.25 + 20 / 1.5625 + 16 / 1.953125
    )
    for bad in (
        lambda: simple_clv([], 0.1),
        lambda: simple_clv([1.0], 1.5),
        lambda: simple_clv([math.nan], 0.1),
    ):
        with pytest.raises(ToolError):
            bad()


def test_simple_method_values_each_customer_from_history() -> None:
    # A spent 100 + 200 over 3 months of history: 100 per month. B spent 30 once, 0.5 month ago -> 1 month floor.
    month = 365.25 / 12
    con = _warehouse(
        [("A", 0.0, 100.0), ("A", 2 * month, 200.0), ("B", 2.5 * month, 30.0), ("A", 3 * month, 0.0)]
    )
    result = calculate_clv(con, ClvRequest(method="simple", horizon_months=2, discount_rate=0.1, margin=0.5))
    by_id = {c.customer_id: c for c in result.customers}
    assert by_id["A"].clv == pytest.approx(0.5 * 100.0 * (1 / 1.1 + 1 / 1.21))
    assert by_id["B"].clv == pytest.approx(0.5 * 30.0 * (1 / 1.1 + 1 / 1.21))
    assert result.bgnbd is None and result.notes


def test_probabilistic_clv_on_generated_customers(sample_con: duckdb.DuckDBPyConnection) -> None:
    result = calculate_clv(sample_con, ClvRequest(horizon_months=12, discount_rate=0.01))
    assert result.n_customers == 3000 and result.bgnbd is not None and result.gamma_gamma is not None
    assert result.bgnbd.converged and result.gamma_gamma.converged
    assert set(result.bgnbd.parameters) == {"r", "alpha", "a", "b"}
    frame = pd.DataFrame([c.model_dump() for c in result.customers])
    assert np.isfinite(frame.select_dtypes("number").to_numpy()).all()
    assert frame["p_alive"].between(0, 1).all() and (frame["clv"] >= 0).all()
    # The most valuable customer is still active; the most active buyers are expected to buy most.
    assert result.top(1)[0].p_alive > 0.8
    busiest = frame.nlargest(30, "expected_purchases")
    assert busiest["frequency"].min() >= frame["frequency"].quantile(0.8)
    # Discounting and a longer horizon move CLV the way a marketer expects.
    longer = calculate_clv(sample_con, ClvRequest(horizon_months=24, discount_rate=0.01))
    steeper = calculate_clv(sample_con, ClvRequest(horizon_months=12, discount_rate=0.05))
    assert longer.total_clv > result.total_clv > steeper.total_clv
    # CLV = sum over months of expected purchases x order value, discounted: bounded by the undiscounted sum.
    assert (frame["clv"] <= frame["expected_purchases"] * frame["expected_order_value"] + 1e-6).all()
    json.loads(result.model_dump_json())  # no NaN or inf sneaks into the JSON


@pytest.mark.parametrize(
    "purchases,message",
    [
        ([], "empty"),
        ([("A", 0.0, 10.0), ("A", 5.0, 12.0)], "at least 10 customers"),
        (_population(repeat=False), "repeat purchases"),
        (_population(amount=0.0), "spent nothing"),
    ],
    ids=["empty", "one customer", "no repeat purchases", "all zero spend"],
)
def test_bad_inputs_give_a_clear_tool_error(purchases: list[tuple[str, float, float]], message: str) -> None:
    con = _warehouse(purchases, extra_customers=0 if purchases else 3)
    with pytest.raises(ToolError, match=message):
        calculate_clv(con, ClvRequest())


def test_non_converging_fit_is_a_tool_error() -> None:
    con = _warehouse(_population())
    with pytest.raises(ToolError, match="did not converge"):
        calculate_clv(con, ClvRequest(max_iterations=1))
    ok = calculate_clv(con, ClvRequest())  # same data, enough iterations: a proper answer
    assert ok.bgnbd is not None and ok.bgnbd.converged


def test_identical_customers_never_give_nan() -> None:
    same = [(f"C{i:02d}", d, 25.0) for i in range(30) for d in (0.0, 7.0, 14.0)]
    con = _warehouse(same)
    try:
        result = calculate_clv(con, ClvRequest())
    except ToolError as exc:
        assert "Gamma-Gamma" in str(exc) or "BG/NBD" in str(exc)
    else:
        assert all(math.isfinite(c.clv) for c in result.customers)


def test_as_of_before_any_purchase_is_a_tool_error() -> None:
    con = _warehouse(_population())
    with pytest.raises(ToolError, match="no customer bought"):
        calculate_clv(con, ClvRequest(as_of=START - timedelta(days=3)))


def test_expected_purchases_rejects_nothing_for_long_horizons() -> None:
    params = bg.BgNbdParams(r=6.0, alpha=10.0, a=1.0, b=40.0)
    x = np.array([0.0, 200.0, 1000.0])
    out = bg.expected_purchases(
        params, 52.0 * 10, x, np.array([0.0, 100.0, 103.0]), np.array([104.0, 104.0, 104.0])
    )
    assert np.all(np.isfinite(out)) and out[2] > out[1] > out[0] > 0


def test_cli_clv_json_table_plot_and_output(sample_data: GeneratedData, tmp_path: Path) -> None:
    files = [
        "--customers",
        str(sample_data.tables["customers"]),
        "--transactions",
        str(sample_data.tables["transactions"]),
    ]
    plot, out = tmp_path / "clv.png", tmp_path / "clv.csv"
    result = runner.invoke(
        app,
        [
            "clv",
            *files,
            "--json",
            "--top",
            "3",
            "--horizon-months",
            "6",
            "--plot",
            str(plot),
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["horizon_months"] == 6 and len(payload["top"]) == 3
    assert payload["bgnbd"]["converged"] and payload["gamma_gamma"]["log_likelihood"] < 0
    assert payload["top"][0]["clv"] >= payload["top"][1]["clv"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(out)) == 3000
    human = runner.invoke(app, ["clv", *files, "--top", "2", "--time-unit", "day", "--method", "simple"])
    assert human.exit_code == 0, human.output
    assert "Top 2 customers by CLV" in human.output and "simple method" in human.output


def test_cli_clv_errors_are_one_line(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["clv"])
    assert missing.exit_code == 2 and "mkt data load" in missing.output
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "customer_id,email,phone,country,signup_date,consent_email,consent_sms,consent_push\n"
        "C1,a@x.com,+1,US,2025-01-01,true,false,false\n"
    )
    tx = tmp_path / "transactions.csv"
    tx.write_text("customer_id,ts,amount\nC1,2025-01-02 10:00:00,20\nC1,2025-02-02 10:00:00,30\n")
    one = runner.invoke(app, ["clv", "--customers", str(customers), "--transactions", str(tx)])
    assert one.exit_code == 4 and "at least 10 customers" in one.output and "Traceback" not in one.output
    for option, value in (("--time-unit", "year"), ("--margin", "1.5"), ("--method", "magic")):
        bad = runner.invoke(
            app, ["clv", "--customers", str(customers), "--transactions", str(tx), option, value]
        )
        assert bad.exit_code == 2 and option in bad.output and "Traceback" not in bad.output
