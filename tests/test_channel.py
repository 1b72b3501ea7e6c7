"""Channel selector: planted best channel recovered, consent, budget, Thompson, feedback loop."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import DataValidationError, ToolError
from data.loader import load_files, load_into
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.channel import ChannelParams, choose_channels, update_posterior
from tools.channel.posterior import load_state, state_path


def _planted_best(data: GeneratedData) -> dict[str, str]:
    """argmax over channels of conversion x mean order value - cost, from truth.json."""
    truth = data.truth
    best = {}
    for seg in truth.segments:
        gg = seg.gamma_gamma
        value = gg.p * gg.gamma / (gg.q - 1)
        ev = {ch: seg.conversion[ch] * value - cost for ch, cost in truth.channel_costs.items()}
        best[seg.name] = max(ev, key=lambda ch: ev[ch])
    return best


@pytest.fixture(scope="module")
def large_con(large_sample: GeneratedData) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_into(con, dict(large_sample.tables))
    return con


@pytest.fixture(scope="module")
def small_con(sample_data: GeneratedData) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_into(con, dict(sample_data.tables))
    return con


def test_picks_the_planted_best_channel_per_segment(
    large_con: duckdb.DuckDBPyConnection, large_sample: GeneratedData
) -> None:
    # 20,000 customers give 400-3,000 sends per (segment, channel): enough to separate the planted
    # best channel (e.g. champions push 0.11 vs email 0.09) from the runner-up in every segment.
    membership = large_sample.truth_file.parent / "membership.csv"
    report = choose_channels(large_con, ChannelParams(segments_file=membership))
    chosen = {s.segment: s.best_channel for s in report.segments}
    assert chosen == _planted_best(large_sample)
    champions = next(s for s in report.segments if s.segment == "champions")
    push = next(e for e in champions.channels if e.channel == "push")
    assert push.ci_low < 0.11 < push.ci_high
    assert push.expected_value == pytest.approx(push.posterior_mean * push.value - push.cost, abs=1e-3)
    assert "push" in champions.reason and "per send" in champions.reason


def test_never_picks_a_channel_without_consent(
    small_con: duckdb.DuckDBPyConnection, sample_data: GeneratedData
) -> None:
    membership = sample_data.truth_file.parent / "membership.csv"
    report = choose_channels(small_con, ChannelParams(segments_file=membership, per_customer=True))
    assert report.customers is not None and len(report.customers) == 3000
    choices = pd.DataFrame([c.model_dump() for c in report.customers])
    consent = pd.read_csv(sample_data.tables["customers"], dtype={"customer_id": str})
    joined = choices.merge(consent, on="customer_id")
    for channel in ("email", "sms", "push"):
        picked = joined[joined["channel"] == channel]
        assert len(picked) > 0
        assert picked[f"consent_{channel}"].astype(str).str.lower().eq("true").all()
    # Customers with no consent at all can still be reached by paid media (social/ads) or not at all.
    none_ok = joined[
        ~joined[[f"consent_{c}" for c in ("email", "sms", "push")]].astype(str).eq("True").any(axis=1)
    ]
    assert set(none_ok["channel"].dropna()) <= {"social", "ads"}
    totals = {s.segment: sum(s.plan.values()) + s.not_contacted for s in report.segments}
    assert totals == {s.segment: s.customers for s in report.segments}


def test_budget_caps_spend_and_funds_best_value_per_cost_first(small_con: duckdb.DuckDBPyConnection) -> None:
    free = choose_channels(small_con, ChannelParams())
    capped = choose_channels(small_con, ChannelParams(budget=10.0))
    assert free.spend > 10.0
    assert capped.spend <= 10.0
    assert capped.expected_value < free.expected_value
    assert any("budget 10.00 covers" in n for n in capped.notes)
    assert capped.budget_binds and not free.budget_binds
    assert not choose_channels(small_con, ChannelParams(budget=free.spend + 1)).budget_binds
    assert choose_channels(small_con, ChannelParams(budget=0.0)).spend == 0.0


def test_thompson_is_seeded_and_explores(small_con: duckdb.DuckDBPyConnection) -> None:
    one = choose_channels(small_con, ChannelParams(mode="thompson", seed=1, per_customer=True))
    again = choose_channels(small_con, ChannelParams(mode="thompson", seed=1, per_customer=True))
    other = choose_channels(small_con, ChannelParams(mode="thompson", seed=2, per_customer=True))
    assert one.customers is not None and again.customers is not None and other.customers is not None
    picks = [c.channel for c in one.customers]
    assert picks == [c.channel for c in again.customers]
    assert picks != [c.channel for c in other.customers]
    greedy = choose_channels(small_con, ChannelParams(per_customer=True))
    assert greedy.customers is not None
    # Per-customer draws spread customers over more channels than the greedy choice does.
    assert len(set(picks)) >= len({c.channel for c in greedy.customers})
    assert all(e.sampled is not None for s in one.segments for e in s.channels)


def test_single_segment_without_segments_table(small_con: duckdb.DuckDBPyConnection) -> None:
    report = choose_channels(small_con, ChannelParams())
    assert [s.segment for s in report.segments] == ["all customers"]
    assert report.segment_source.startswith("single segment")
    by_country = choose_channels(small_con, ChannelParams(segment_by="country"))
    assert {s.segment for s in by_country.segments} == {"US", "CA", "GB", "DE", "AU"}
    with pytest.raises(ToolError, match="no column 'planet'"):
        choose_channels(small_con, ChannelParams(segment_by="planet"))


def test_channel_without_history_and_without_any_history(sample_data: GeneratedData, tmp_path: Path) -> None:
    events = pd.read_csv(sample_data.tables["engagements"])
    no_push = tmp_path / "engagements.csv"
    events[events["channel"] != "push"].to_csv(no_push, index=False)
    con = duckdb.connect()
    load_into(
        con,
        {
            "customers": sample_data.tables["customers"],
            "transactions": sample_data.tables["transactions"],
            "engagements": no_push,
        },
    )
    report = choose_channels(con, ChannelParams())
    assert any(n.startswith("push: no history and no cost given") for n in report.notes)
    assert "push" not in report.segments[0].plan
    with_cost = choose_channels(con, ChannelParams(costs={"push": 0.005}))
    push = next(e for e in with_cost.segments[0].channels if e.channel == "push")
    assert push.sent == 0 and push.note == "no history: prior only" and push.expected_value is not None
    assert 0.0 < push.ci_low < push.posterior_mean < push.ci_high < 1.0

    bare = duckdb.connect()
    load_into(bare, {"customers": sample_data.tables["customers"]})
    with pytest.raises(ToolError, match="give the value of a conversion"):
        choose_channels(bare, ChannelParams())
    # No engagement history at all (a shop that loaded its orders alone): typical costs, said so.
    assumed = choose_channels(bare, ChannelParams(value=50.0))
    assert any(
        n.startswith("email: no engagement history, so a typical cost of 0.005") for n in assumed.notes
    )
    with pytest.raises(ToolError, match="no channel has a known cost"):  # history, but none for push
        choose_channels(con, ChannelParams(channels=["push"]))
    prior_only = choose_channels(bare, ChannelParams(value=50.0, costs={"email": 0.01, "ads": 5.0}))
    assert prior_only.segments[0].best_channel == "email"


def test_update_folds_results_into_the_posterior_and_persists_json(
    sample_data: GeneratedData, isolated_home: Path, tmp_path: Path
) -> None:
    workspace = Workspace(isolated_home)
    load_files(workspace, dict(sample_data.tables))
    with workspace.connect(read_only=True) as con:
        before = choose_channels(con, ChannelParams(), load_state(state_path(workspace)))
    results = tmp_path / "results.csv"
    results.write_text("segment,channel,sent,converted,campaign_id\nall customers,ads,5000,1500,C900\n")
    with workspace.connect(read_only=True) as con:
        update = update_posterior(con, workspace, ChannelParams(), results)
    assert update.sent == 5000 and update.conversions == 1500
    state = json.loads(state_path(workspace).read_text())
    assert state["updates"][0]["campaign_id"] == "C900"
    assert state["cells"][0]["channel"] == "ads"
    with workspace.connect(read_only=True) as con:
        after = choose_channels(con, ChannelParams(), load_state(state_path(workspace)))
    ads_before = next(e for e in before.segments[0].channels if e.channel == "ads")
    ads_after = next(e for e in after.segments[0].channels if e.channel == "ads")
    assert ads_after.sent == ads_before.sent + 5000
    assert ads_after.posterior_mean > 0.25 > ads_before.posterior_mean
    assert after.updates_applied == 1 and after.segments[0].best_channel == "ads"

    # A results file for a campaign already in the engagements table is not counted twice.
    dup = tmp_path / "dup.csv"
    dup.write_text("segment,channel,sent,converted,campaign_id\nall customers,email,100,100,C001\n")
    with workspace.connect(read_only=True) as con:
        update_posterior(con, workspace, ChannelParams(), dup)
        again = choose_channels(con, ChannelParams(), load_state(state_path(workspace)))
    assert again.updates_applied == 1
    assert any("C001" in n and "skipped" in n for n in again.notes)


@pytest.mark.parametrize(
    ("content", "column"),
    [
        ("segment,channel,sent,converted\nall customers,fax,10,1\n", "channel"),
        ("segment,channel,sent,converted\nall customers,email,10,11\n", "converted"),
        ("segment,channel,sent,converted\nall customers,email,-3,0\n", "sent"),
        ("segment,channel,sent\nall customers,email,10\n", "converted"),
    ],
)
def test_bad_results_file_names_row_and_column(
    small_con: duckdb.DuckDBPyConnection, isolated_home: Path, tmp_path: Path, content: str, column: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataValidationError) as err:
        update_posterior(small_con, Workspace(isolated_home), ChannelParams(), path)
    assert err.value.column == column
    assert not state_path(Workspace(isolated_home)).exists()


def test_cli_channel_and_update(sample_data: GeneratedData, isolated_home: Path, tmp_path: Path) -> None:
    load_files(Workspace(isolated_home), dict(sample_data.tables))
    runner = CliRunner()
    plot = tmp_path / "ev.png"
    out = runner.invoke(app, ["channel", "--json", "--budget", "20", "--plot", str(plot)])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["spend"] <= 20 and report["segments"][0]["best_channel"] in ("email", "sms", "push")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    table = runner.invoke(app, ["channel", "--thompson", "--seed", "3"])
    assert table.exit_code == 0 and "Thompson draw" in table.stdout
    per_customer = runner.invoke(app, ["channel", "--per-customer"])
    assert per_customer.exit_code == 0 and "first 20 of 3,000" in per_customer.stdout
    results = tmp_path / "r.csv"
    results.write_text("segment,channel,sent,converted\nall customers,sms,100,9\n")
    upd = runner.invoke(app, ["channel", "update", str(results)])
    assert upd.exit_code == 0 and "state saved" in upd.stdout
    bad = runner.invoke(app, ["channel", "--cost", "email"])
    assert bad.exit_code == 4 and "CHANNEL=AMOUNT" in bad.output
