"""Treatment minus control readout of a campaign with a randomised holdout, against planted effects."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.workspace import Workspace
from tools.abtest.holdout import HoldoutParams, has_control, holdout_readout
from tools.roi import actual_roi

TREATED, HELD = 4000, 1000


def _campaign(rng: np.random.Generator, p_t: float, p_c: float, value: float = 100.0) -> pd.DataFrame:
    """One campaign: treatment sent (cost 0.02), control held out; conversions at the planted rates."""
    rows = []
    for i in range(TREATED):
        rows.append((f"T{i}", "C9", "email", "sent", 0.02, 0.0, "treatment"))
        if rng.random() < p_t:
            rows.append((f"T{i}", "C9", "email", "converted", 0.0, value * 0.9, "treatment"))  # 10% off
    for i in range(HELD):
        rows.append((f"H{i}", "C9", "email", "held_out", 0.0, 0.0, "control"))
        if rng.random() < p_c:
            rows.append((f"H{i}", "C9", "email", "converted", 0.0, value, "control"))
    columns = ["customer_id", "campaign_id", "channel", "event", "cost", "revenue", "test_group"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["variant"] = "A"
    frame["ts"] = pd.Timestamp("2026-09-01")
    return frame


def _con(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE engagements AS SELECT * FROM frame")
    con.unregister("frame")
    return con


def test_readout_recovers_the_planted_lift_by_hand() -> None:
    frame = _campaign(np.random.default_rng(1), 0.06, 0.03)
    con = _con(frame)
    assert has_control(con, "C9") and not has_control(con, "C1")
    out = holdout_readout(con, HoldoutParams(campaign_id="C9", margin=0.5, discount_percent=10))
    conv = frame[frame["event"] == "converted"]
    k_t, k_c = int((conv["test_group"] == "treatment").sum()), int((conv["test_group"] == "control").sum())
    assert (out.treatment.customers, out.control.customers) == (TREATED, HELD)
    assert (out.treatment.conversions, out.control.conversions) == (k_t, k_c)
    assert out.incremental_conversions == pytest.approx((k_t / TREATED - k_c / HELD) * TREATED, abs=0.01)
    low, high = out.incremental_conversions_interval
    assert low < 0.03 * TREATED < high  # the planted 120 caused conversions
    # Net: treatment revenue (paid after 10% off) x (0.5 - 0.1) / 0.9, minus the control's revenue per
    # customer scaled to the treatment at full margin, minus the send cost.
    net = k_t * 90.0 * (0.4 / 0.9) - (k_c * 100.0 / HELD) * TREATED * 0.5 - TREATED * 0.02
    assert out.net_return == pytest.approx(net, abs=0.05)
    assert out.roi == pytest.approx(net / (TREATED * 0.02), abs=1e-3)
    assert out.roi_interval is not None and out.roi_interval[0] < out.roi < out.roi_interval[1]
    # The plain ROI readout leaves the held-out rows out of its counts.
    plain = actual_roi(con, ["campaign"])
    assert plain.total.sent == TREATED and plain.total.conversions == k_t


def test_intervals_cover_the_planted_effect() -> None:
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(60):
        out = holdout_readout(_con(_campaign(rng, 0.05, 0.035)), HoldoutParams(campaign_id="C9", draws=4000))
        low, high = out.incremental_conversions_interval
        hits += low <= 0.015 * TREATED <= high
    assert 48 <= hits <= 60  # nominal 90% of 60 = 54


def test_no_effect_is_called_no_effect_and_no_control_is_an_error() -> None:
    out = holdout_readout(
        _con(_campaign(np.random.default_rng(3), 0.03, 0.03)), HoldoutParams(campaign_id="C9")
    )
    assert "includes no effect" in out.verdict
    with pytest.raises(ToolError, match="no control group"):
        holdout_readout(
            _con(_campaign(np.random.default_rng(3), 0.03, 0.03)), HoldoutParams(campaign_id="C1")
        )


def test_cli_abtest_reads_out_a_holdout(isolated_home: Path) -> None:
    workspace = Workspace(isolated_home).ensure()
    frame = _campaign(np.random.default_rng(4), 0.06, 0.03)
    with duckdb.connect(str(workspace.warehouse)) as con:
        con.register("frame", frame)
        con.execute("CREATE TABLE engagements AS SELECT * FROM frame")
        con.execute("CREATE TABLE customers AS SELECT DISTINCT customer_id FROM frame")
    runner = CliRunner()
    out = runner.invoke(app, ["abtest", "C9", "--json", "--margin", "0.5"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["treatment"]["customers"] == TREATED and data["value_basis"] == "margin 50% of revenue"
    table = runner.invoke(app, ["abtest", "C9"])
    assert table.exit_code == 0 and "treatment minus control" in table.stdout
    assert "incremental conversions" in table.stdout
    via_roi = runner.invoke(app, ["roi", "holdout", "C9", "--json"])
    assert via_roi.exit_code == 0, via_roi.output
    assert json.loads(via_roi.stdout)["incremental_conversions"] == data["incremental_conversions"]
    missing = runner.invoke(app, ["roi", "holdout", "C1"])
    assert missing.exit_code != 0 and "no control group" in missing.output
