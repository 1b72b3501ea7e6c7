"""A shop's orders export alone (no customers file, no engagements, no documents) is enough:
segments, CLV, a forecast and a campaign brief, end to end through the CLI and the assistant."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.assistant import Assistant
from agent.cli.main import app
from agent.session import Session
from data.settings import load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def orders(sample_data: GeneratedData, tmp_path: Path) -> Path:
    """The sample's purchases as a plain orders export: who, when, how much, what."""
    frame = pd.read_csv(sample_data.tables["transactions"])
    path = tmp_path / "orders.csv"
    frame[["customer_id", "ts", "amount", "order_id", "product_id", "category"]].to_csv(path, index=False)
    return path


def test_an_orders_export_alone_gives_segments_clv_a_forecast_and_a_brief(
    orders: Path, isolated_home: Path
) -> None:
    cli = CliRunner()
    loaded = cli.invoke(app, ["data", "load", str(orders)])
    assert loaded.exit_code == 0, loaded.output
    assert "customers derived from the transactions" in loaded.output
    for command in (["segment", "--json"], ["clv", "--json"], ["forecast", "--by", "category", "--json"]):
        done = cli.invoke(app, command)
        assert done.exit_code == 0, (command, done.output)
        assert json.loads(done.stdout)
    settings = load_settings()
    assistant = Assistant(settings, Workspace.from_settings(settings), copy_variants=0)
    reply = assistant.respond(
        Session.open(Workspace.from_settings(settings).runs_dir, None),
        "plan a win-back campaign for lapsed customers by email, 10% off, budget 500",
    )
    brief = reply.brief
    assert brief is not None and reply.stop_reason == "planned", reply.text
    assert brief.audience.size > 0 and [c.channel for c in brief.channels] == ["email"]
    assert brief.audience.reachable["email"] == 0  # no consent was loaded: nobody can be emailed
    assert any("no consent is recorded" in n for n in brief.notes)
    assert any("typical cost of 0.005 per send is assumed" in n for n in brief.notes)
