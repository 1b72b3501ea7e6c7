"""The terminal brief at 80 and 120 columns: nothing wider than the terminal, every row label kept."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from agent.campaign.brief import AudienceSummary, CampaignBrief, ChannelPlan, RoiForecast
from agent.cli.render import render_brief
from tools.baseline import Baseline
from tools.budget import BudgetOption
from tools.control import ControlGroup

LABELS = (
    "who",
    "customers",
    "total CLV",
    "mean P(churn)",
    "reachable",
    "cost (sends + fixed)",
    "would buy anyway",
    "caused by the campaign",
    "discount cost (all redemptions)",
    "net incremental return",
    "incremental ROI",
    "held out",
    "power (5% two-sided)",
)


def brief() -> CampaignBrief:
    long = (
        "high-value customers at risk of churning (top 20% by spend to date (>= 1,790.86); P(churn) >= 0.50)"
    )
    plan = [
        ChannelPlan(
            channel=name,
            recipients=n,
            reachable=reach,
            conversion_rate=rate,
            conversion_interval=(rate / 3, rate * 2),
            cost_per_message=cost,
            value_per_conversion=386.35,
            expected_value_per_message=ev,
            reason=f"P(convert) {rate:.2%} pooled with the base; {ev:,.2f} per send after cost; " + "x" * 60,
        )
        for name, n, reach, rate, cost, ev in (
            ("email", 68, 68, 0.049, 0.01, 16.1),
            ("sms", 5, 37, 0.035, 0.05, 11.5),
        )
    ]
    baseline = Baseline(
        rate=0.0, interval=(0.0, 0.004), buyers=0, trials=504, window_days=14, source="history"
    )
    return CampaignBrief(
        request="plan a win-back campaign for high-value customers at risk of churning, email and SMS, "
        "15% off running shoes, budget 2,000",
        goal="win-back",
        audience=AudienceSummary(
            description=long,
            size=84,
            total_clv=17447.68,
            mean_clv=207.71,
            mean_spend=2784.67,
            mean_churn_risk=0.62,
            segments={"big spenders": 68, "hibernating": 16},
            reachable={"email": 75, "sms": 43, "push": 40},
        ),
        channels=plan,
        roi=RoiForecast(
            cost=0.93,
            expected_conversions=3.5,
            expected_revenue=1152.9,
            roi=1238.64,
            roi_interval=(388.96, 2273.59),
            recipients=73,
            incremental_conversions=3.5,
            incremental_conversions_interval=(1.1, 6.5),
            incremental_margin=1356.31,
            discount_cost=203.45,
            net_return=1151.93,
            net_return_interval=(362.0, 2114.0),
            baseline=baseline,
            value_basis="revenue (MKT_MARGIN is not set, so returns are revenue, not profit)",
            budget=2000.0,
            notes=[
                "the 15% discount is a cost on every redemption, including customers who would have bought anyway"
            ],
        ),
        control=ControlGroup(
            fraction=0.1,
            chosen_by="default: no share up to 50% reaches 80% power",
            seed=7,
            size=8,
            treatment_size=76,
            baseline_rate=0.0,
            treatment_rate=0.0417,
            power=0.2,
            needed_per_group=94,
        ),
        budget_options=[
            BudgetOption(
                option="next tier: P(churn) 0.35-0.50, top 40% by spend",
                kind="tier",
                audience_size=153,
                recipients=121,
                cost=1.21,
                expected_incremental_conversions=11.5,
                expected_incremental_return=2580.55,
            )
        ],
    )


@pytest.mark.parametrize("width", [80, 120])
def test_the_brief_fits_the_terminal_and_keeps_its_row_labels(width: int) -> None:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    render_brief(console, brief())
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    label_lines = [line.strip() for line in lines]
    for label in LABELS:
        # The label starts its row, whole, with its value beside it.
        assert any(line.startswith(label + " ") for line in label_lines), (width, label)
    for value in ("84", "+123864% (90% +38896% to +227359%)", "1,151.93 USD", "20%", "8 of 84 (10%)"):
        assert value in text, (width, value)
    assert "What the rest of the budget would buy" in text and "+2,581" in text
    assert "email" in text and "5 of 37" in text


def test_options_that_send_nothing_or_lose_are_named_in_one_line_not_tabled() -> None:
    idle = [
        BudgetOption(option="add push for the same audience", kind="channel", audience_size=84, recipients=0,
                     cost=0.0, expected_incremental_conversions=0.0, expected_incremental_return=0.0),
        BudgetOption(option="next tier: spend rank top 20%-40%", kind="tier", audience_size=254, recipients=30,
                     cost=1.5, expected_incremental_conversions=0.1, expected_incremental_return=-12.0),
    ]  # fmt: skip
    plan = brief().model_copy(update={"budget_options": [*brief().budget_options, *idle]})
    assert [o.option for o in plan.paying_options] == ["next tier: P(churn) 0.35-0.50, top 40% by spend"]
    line = (
        "Also checked, nothing there pays: add push for the same audience; next tier: spend rank top 20%-40%."
    )
    markdown = plan.to_markdown()
    assert line in markdown and "| add push" not in markdown
    console = Console(file=io.StringIO(), width=120, record=True, color_system=None)
    render_brief(console, plan)
    text = " ".join(console.export_text().split())
    assert line in text and "+2,581" in text
