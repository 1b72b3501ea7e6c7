"""ROI: actual per campaign/channel/variant against hand computation, forecast, zero cost, errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_files, load_into
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.roi import RoiForecastParams, actual_roi, forecast_roi
from tools.segment import SegmentParams, segment_customers, write_segments


def contacted(events: pd.DataFrame) -> pd.DataFrame:
    """Engagement rows of contacted customers: held-out control rows (when there are any) left out."""
    if "test_group" not in events:
        return events
    return events[events["test_group"].fillna("") != "control"]


@pytest.fixture(scope="module")
def con(sample_data: GeneratedData) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    load_into(connection, dict(sample_data.tables))
    return connection


def test_actual_roi_per_campaign_matches_hand_computation(
    con: duckdb.DuckDBPyConnection, sample_data: GeneratedData
) -> None:
    events = contacted(pd.read_csv(sample_data.tables["engagements"]))
    report = actual_roi(con)
    assert len(report.rows) == events["campaign_id"].nunique() >= 12
    for row in report.rows:
        part = events[events["campaign_id"] == row.group["campaign"]]
        cost, revenue = part["cost"].sum(), part["revenue"].sum()
        assert row.sent == (part["event"] == "sent").sum()
        assert row.conversions == (part["event"] == "converted").sum()
        assert row.cost == pytest.approx(cost, abs=0.01)
        assert row.roi == pytest.approx((revenue - cost) / cost, rel=1e-3)
    assert report.total.revenue == pytest.approx(events["revenue"].sum(), abs=0.05)


def test_roi_by_channel_and_variant_adds_up(con: duckdb.DuckDBPyConnection) -> None:
    report = actual_roi(con, ["campaign", "channel", "variant"], campaigns=["C004", "C005"])
    assert {r.group["campaign"] for r in report.rows} == {"C004", "C005"}
    assert {r.group["variant"] for r in report.rows if r.group["campaign"] == "C004"} == {"A", "B"}
    assert sum(r.sent for r in report.rows) == report.total.sent
    assert sum(r.cost for r in report.rows) == pytest.approx(report.total.cost, abs=0.05)
    # Paid media (C005: social and ads, 0.40 and 0.80 a send) loses money here; email/SMS does not.
    ads = next(r for r in report.rows if r.group["channel"] == "ads")
    assert ads.cost == pytest.approx(0.8 * ads.sent, abs=0.01)
    with pytest.raises(ToolError, match="no engagement events for campaign"):
        actual_roi(con, campaigns=["NOPE"])


def test_zero_cost_is_undefined_not_infinite(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "email": None,
            "phone": None,
            "country": "US",
            "signup_date": "2025-01-01",
            "consent_email": True,
            "consent_sms": False,
            "consent_push": False,
        }
    ).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "B"],
            "campaign_id": ["free", "free", "paid", "paid"],
            "channel": ["social", "social", "email", "email"],
            "ts": "2025-03-01",
            "event": ["sent", "converted", "sent", "converted"],
            "cost": [0.0, 0.0, 2.0, 0.0],
            "revenue": [0.0, 50.0, 0.0, 5.0],
        }
    ).to_csv(tmp_path / "e.csv", index=False)
    connection = duckdb.connect()
    load_into(connection, {"customers": tmp_path / "c.csv", "engagements": tmp_path / "e.csv"})
    rows = {r.group["campaign"]: r for r in actual_roi(connection).rows}
    assert rows["free"].roi is None and "ROI undefined" in (rows["free"].note or "")
    assert "revenue 50.00 at zero cost" in (rows["free"].note or "")
    assert rows["paid"].roi == pytest.approx((5.0 - 2.0) / 2.0)
    forecast = forecast_roi(
        connection,
        RoiForecastParams(
            channel="social", audience=100, response_rate=0.1, order_value=20.0, cost_per_message=0.0
        ),
    )
    assert forecast.roi is None and forecast.expected_profit == pytest.approx(200.0)
    assert "NaN" not in forecast.model_dump_json() and "Infinity" not in forecast.model_dump_json()


def test_forecast_from_given_numbers_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    result = forecast_roi(
        con,
        RoiForecastParams(
            channel="email",
            audience=1000,
            response_rate=0.05,
            order_value=60.0,
            cost_per_message=0.01,
            fixed_cost=100.0,
        ),
    )
    assert result.expected_conversions == pytest.approx(50.0)
    assert result.expected_revenue == pytest.approx(3000.0)
    assert result.cost == pytest.approx(110.0)
    assert result.roi == pytest.approx((3000.0 - 110.0) / 110.0, rel=1e-4)
    assert result.roi_interval is None
    with_clv = forecast_roi(
        con,
        RoiForecastParams(channel="email", audience=10, response_rate=0.5, clv=400.0, cost_per_message=1.0),
    )
    assert with_clv.value_source == "given CLV" and with_clv.expected_revenue == pytest.approx(2000.0)


def test_forecast_from_history_uses_consent_and_segment(
    sample_data: GeneratedData, isolated_home: Path
) -> None:
    workspace = Workspace(isolated_home)
    load_files(workspace, dict(sample_data.tables))
    with workspace.connect(read_only=True) as connection:
        segmentation = segment_customers(connection, SegmentParams(k=5))
    write_segments(workspace, segmentation)
    customers = pd.read_csv(sample_data.tables["customers"])
    events = contacted(pd.read_csv(sample_data.tables["engagements"]))
    with workspace.connect(read_only=True) as connection:
        everyone = forecast_roi(connection, RoiForecastParams(channel="sms"))
        champions = forecast_roi(connection, RoiForecastParams(channel="sms", segment="champions"))
        with pytest.raises(ToolError, match="unknown segment 'vips'"):
            forecast_roi(connection, RoiForecastParams(channel="sms", segment="vips"))
    assert everyone.audience == int(customers["consent_sms"].sum())
    sms = events[events["channel"] == "sms"]
    rate = (sms["event"] == "converted").sum() / (sms["event"] == "sent").sum()
    assert everyone.response_rate == pytest.approx(rate, abs=1e-6)
    low, high = everyone.roi_interval or (0.0, 0.0)
    assert everyone.roi is not None and low < everyone.roi < high
    assert 0 < champions.audience < everyone.audience
    assert "segment 'champions'" in champions.response_rate_source
    assert any("consented to sms" in n for n in champions.notes)


def test_forecast_without_history_asks_for_inputs(sample_data: GeneratedData) -> None:
    connection = duckdb.connect()
    load_into(
        connection,
        {"customers": sample_data.tables["customers"], "engagements": sample_data.tables["engagements"]},
    )
    connection.execute("DELETE FROM engagements WHERE channel = 'push'")
    with pytest.raises(ToolError, match="no push sends in the history: give --response-rate"):
        forecast_roi(connection, RoiForecastParams(channel="push"))
    with pytest.raises(ToolError, match="give --cost-per-message"):
        forecast_roi(connection, RoiForecastParams(channel="push", response_rate=0.1, order_value=10.0))


def test_cli_roi(sample_data: GeneratedData, isolated_home: Path) -> None:
    load_files(Workspace(isolated_home), dict(sample_data.tables))
    runner = CliRunner()
    out = runner.invoke(app, ["roi", "--by", "channel", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert {r["group"]["channel"] for r in report["rows"]} == {"email", "sms", "push", "social", "ads"}
    table = runner.invoke(app, ["roi", "forecast", "--channel", "email", "--fixed-cost", "50"])
    assert table.exit_code == 0 and "90% interval" in table.stdout
    bad = runner.invoke(app, ["roi", "forecast", "--channel", "fax"])
    assert bad.exit_code == 4 and "Traceback" not in bad.output
