"""Budget: never beyond it; what the rest would buy (tiers, channels); one read of the base per plan."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from agent.catalog import default_tools
from agent.toolbox import ToolContext, run_tool
from data.loader import load_files, load_into
from data.settings import Settings, load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.campaign_roi import RoiForecast
from tools.channel.models import ChannelOverview, ChannelParams
from tools.channel.posterior import base_snapshot
from tools.channel.select import choose_channels


@pytest.fixture(scope="module")
def settings(sample_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample workspace without past control groups, so sends pay and the budget is what binds.

    (With control groups the baseline can reach the channels' rates, and then nothing pays at all:
    tested in test_campaign_economics; here the subject is the budget.)
    """
    home = tmp_path_factory.mktemp("budget-home")
    tables = dict(sample_data.tables)
    events = pd.read_csv(tables["engagements"])
    if "test_group" in events:
        events = events[events["test_group"].isna()].drop(columns="test_group")
        tables["engagements"] = home.parent / "engagements-no-holdouts.csv"
        events.to_csv(tables["engagements"], index=False)
    load_files(Workspace(home).ensure(), tables)
    return load_settings(home=home)


def plan(
    settings: Settings, budget: float, channels: list[str]
) -> tuple[ChannelOverview, RoiForecast, ToolContext]:
    tools = {t.name: t for t in default_tools()}
    ctx = ToolContext(settings=settings, workspace=Workspace.from_settings(settings), tools=tools)
    run_tool(tools["select_audience"], {"risk": "at_risk", "value": "high_value"}, ctx)
    mix = run_tool(
        tools["select_channels"], {"channels": channels, "budget": budget, "discount_percent": 15}, ctx
    )
    roi = run_tool(tools["forecast_roi"], {"budget": budget, "discount_percent": 15}, ctx)
    assert isinstance(mix.result, ChannelOverview), mix.observation
    assert isinstance(roi.result, RoiForecast), roi.observation
    return mix.result, roi.result, ctx


def test_a_budget_that_is_not_used_up_lists_what_the_rest_would_buy(settings: Settings) -> None:
    mix, roi, ctx = plan(settings, 2000.0, ["email", "sms"])
    assert roi.within_budget and roi.cost <= 2000
    assert mix.control is not None and ctx.state.control is mix.control
    assert sum(c.recipients for c in mix.channels) <= mix.control.treatment_size  # nobody held out is sent to
    kinds = [o.kind for o in roi.budget_options]
    assert "tier" in kinds and kinds[-1] == "channel"
    assert roi.budget_options[-1].option == "add push for the same audience"
    left = 2000 - roi.cost
    for option in roi.budget_options:
        assert 0 <= option.cost <= left + 1e-6 and option.recipients <= option.audience_size
    # Tiers add new customers only: none of them is in the requested audience.
    assert ctx.state.audience is not None
    assert all(o.audience_size > 0 for o in roi.budget_options if o.kind == "tier")
    assert any("the options below" in n.lower() for n in roi.notes)


def test_a_tight_budget_is_never_exceeded_and_funds_the_best_return_per_cost(settings: Settings) -> None:
    free, _, _ = plan(settings, 10_000.0, ["email", "sms"])
    tight_budget = round(free.spend / 3, 2)
    tight, roi, _ = plan(settings, tight_budget, ["email", "sms"])
    assert 0 < tight.spend <= tight_budget and roi.cost <= tight_budget
    assert roi.budget_options == [] or all(
        o.cost <= tight_budget - roi.cost + 1e-6 for o in roi.budget_options
    )
    # What the tight budget funds returns more per unit of cost than the free plan on average.
    per_cost = {
        name: sum(c.recipients * c.expected_value_per_message for c in p.channels) / p.spend
        for name, p in (("free", free), ("tight", tight))
    }
    assert per_cost["tight"] >= per_cost["free"]
    assert any("budget" in n and "covers" in n for n in tight.notes)


def test_the_snapshot_gives_the_same_plan_as_reading_the_warehouse(
    sample_data: GeneratedData, tmp_path: Path
) -> None:
    con = duckdb.connect()
    load_into(con, dict(sample_data.tables))
    members = pd.read_csv(sample_data.truth_file.parent / "membership.csv", dtype=str).head(300)
    path = tmp_path / "audience.csv"
    members.assign(segment="campaign audience")[["customer_id", "segment"]].to_csv(path, index=False)
    params = ChannelParams(
        segments_file=path, only_listed=True, baseline=0.01, margin=0.5, discount_percent=10
    )
    direct = choose_channels(con, params)
    cached = choose_channels(con, params, snapshot=base_snapshot(con))
    # Same choices; costs agree up to the order floating-point sums are taken in.
    assert [s.plan for s in direct.segments] == [s.plan for s in cached.segments]
    assert direct.spend == pytest.approx(cached.spend, abs=0.02)
    pairs = zip(direct.segments[0].channels, cached.segments[0].channels, strict=True)
    assert all(
        (a.sent, a.conversions, a.posterior_mean) == (b.sent, b.conversions, b.posterior_mean)
        for a, b in pairs
    )
    seg = direct.segments[0]
    assert [s.segment for s in direct.segments] == ["campaign audience"] and seg.customers == 300
    email = next(e for e in seg.channels if e.channel == "email")
    # Expected incremental return per send: (p - baseline) x value x margin - p x value x discount - cost.
    p, v = email.posterior_mean, email.value
    assert email.expected_value == pytest.approx(
        (p - 0.01) * v * 0.5 - p * v * 0.1 - (email.cost or 0), abs=2e-3
    )


def test_wider_tiers_relax_spend_then_churn_and_select_by_the_audience_rules() -> None:
    from tools.audience.models import AudienceParams
    from tools.budget import tier_members, wider_tiers

    params = AudienceParams(risk="at_risk", value="high_value")
    tiers = wider_tiers(params)
    assert [t.label for t in tiers] == [
        "next tier: spend rank top 20%-40%, P(churn) >= 0.50",
        "next tier: P(churn) 0.35-0.50, top 40% by spend",
    ]
    assert (tiers[1].params.value_quantile, tiers[1].params.churn_threshold) == pytest.approx((0.6, 0.35))
    assert wider_tiers(AudienceParams()) == []  # everyone: nothing wider
    ids = [f"C{i}" for i in range(10)]
    spend = pd.Series(range(10), index=ids, dtype=float)  # C9 spends most
    churn = pd.Series([0.9, 0.1] * 5, index=ids)  # even ids at risk
    assert tier_members(spend, churn, None, params) == ["C8"]  # top 20% (C8, C9) and at risk
    assert tier_members(spend, churn, None, tiers[0].params) == ["C6", "C8"]
    segments = pd.DataFrame({"customer_id": ids, "segment": ["champions"] * 5 + ["hibernating"] * 5})
    named = AudienceParams(segments=["champion"])
    assert tier_members(spend, churn, segments, named) == ids[:5]
