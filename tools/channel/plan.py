"""The channel mix for one audience: the selector's choice as plan rows with the numbers behind them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from tools.audience.models import AUDIENCE_SEGMENT, AudienceSelection
from tools.channel.models import (
    Channel,
    ChannelEstimate,
    ChannelOverview,
    ChannelParams,
    ChannelPlan,
    SegmentChoice,
)
from tools.plotting import png_figure

if TYPE_CHECKING:
    from tools.channel.posterior import BaseSnapshot


def plan_channels(
    con: duckdb.DuckDBPyConnection,
    audience: AudienceSelection,
    channels: list[Channel],
    *,
    budget: float | None,
    seed: int,
    folder: Path,
    baseline: float = 0.0,
    margin: float = 1.0,
    discount_percent: float = 0.0,
    exclude: set[str] | None = None,
    snapshot: BaseSnapshot | None = None,
    hold_out: Callable[[ChannelOverview, list[str]], set[str]] | None = None,
) -> ChannelOverview:
    """Best channel per audience member by expected incremental return per send, within ``budget``.

    The channel rates pool the whole base's history (the audience is one segment of it); members in
    ``exclude`` (a control group) are not sent anything. ``hold_out`` picks such a group from the
    plan of the whole audience (it is given the members that plan would send to, so treatment and
    control are drawn from the same customers); the members it returns are taken out of the plan (re-planned
    when the budget binds, so the money they free goes to the next best sends). The audience is
    written to ``folder/audience.parquet``, the selector's input.
    """
    from tools.channel.select import choose_channels  # scipy: loaded when channels are chosen

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "audience.parquet"
    members = audience.members[["customer_id", "segment"]]
    if exclude:
        members = members[~members["customer_id"].isin(exclude)]
    members.to_parquet(path, index=False)
    params = ChannelParams(
        channels=list(channels),
        segments_file=path,
        only_listed=True,
        budget=budget,
        value=audience.order_value,
        seed=seed,
        baseline=baseline,
        margin=margin,
        discount_percent=discount_percent,
        per_customer=hold_out is not None,
    )
    report = choose_channels(con, params, snapshot=snapshot)
    seg = next(s for s in report.segments if s.segment == AUDIENCE_SEGMENT)
    overview = _overview(
        seg, dict(seg.plan), report.spend, seg.expected_conversions, report.notes, budget, baseline
    )
    if hold_out is None:
        return overview
    recipients = [c.customer_id for c in report.customers or [] if c.channel is not None]
    held = hold_out(overview, recipients)
    if report.budget_binds:  # the money the holdout frees goes to the next best sends
        return plan_channels(
            con, audience, channels, budget=budget, seed=seed, folder=folder, baseline=baseline, margin=margin,
            discount_percent=discount_percent, exclude=(exclude or set()) | held, snapshot=snapshot,
        )  # fmt: skip
    by_channel = {e.channel: e for e in seg.channels}
    counts: dict[str, int] = {}
    for choice in report.customers or []:
        if choice.channel is not None and choice.customer_id not in held:
            counts[choice.channel] = counts.get(choice.channel, 0) + 1
    spend = sum(n * (by_channel[c].cost or 0.0) for c, n in counts.items())
    conversions = sum(n * by_channel[c].posterior_mean for c, n in counts.items())
    return _overview(seg, counts, round(spend, 2), round(conversions, 2), report.notes, budget, baseline)


def _overview(
    seg: SegmentChoice,
    plan: dict[str, int],
    spend: float,
    conversions: float,
    notes: list[str],
    budget: float | None,
    baseline: float,
) -> ChannelOverview:
    """The audience's plan rows (``plan``: recipients per channel) with the numbers behind them."""
    winner = max(
        (e for e in seg.channels if plan.get(e.channel, 0) > 0),
        key=lambda e: e.expected_value or 0.0,
        default=None,
    )
    plans = [
        ChannelPlan(
            channel=e.channel,
            recipients=plan.get(e.channel, 0),
            conversion_rate=e.posterior_mean,
            conversion_interval=(e.ci_low, e.ci_high),
            posterior=(e.alpha, e.beta),
            sent_before=e.sent,
            prior=f"{e.prior_mean:.2%} over {e.prior_strength:,.0f} pseudo-sends ({e.prior_source})",
            cost_per_message=e.cost or 0.0,
            value_per_conversion=e.value,
            expected_value_per_message=e.expected_value or 0.0,
            reachable=e.reachable,
            expected_return_if_sent=round(e.reachable * (e.expected_value or 0.0), 2),
            reason=channel_reason(e, plan.get(e.channel, 0), winner, baseline),
        )
        for e in seg.channels
    ]
    return ChannelOverview(
        channels=plans,
        spend=spend,
        budget=budget,
        not_contacted=seg.customers - sum(plan.values()),
        expected_conversions=conversions,
        notes=list(notes),
    )


def channel_reason(
    e: ChannelEstimate, recipients: int, winner: ChannelEstimate | None = None, baseline: float = 0.0
) -> str:
    """Why a channel got its recipients (or none), with the numbers and what it would return."""
    if e.cost is None:
        return "no known cost per send"
    ev = e.expected_value or 0.0
    numbers = (
        f"P(convert) {e.posterior_mean:.2%} (90% {e.ci_low:.2%}-{e.ci_high:.2%}; {e.sent:,} own sends, "
        f"pooled with the base) vs {baseline:.2%} who buy anyway; {ev:,.2f} per send after cost"
    )
    if recipients > 0:
        return numbers
    if e.reachable == 0:
        return numbers + "; nobody in the audience consents to it"
    if ev <= 0:
        return (
            numbers
            + f"; does not pay: sending all {e.reachable:,} consenting would return {e.reachable * ev:,.2f}"
        )
    better = (
        f"{winner.channel} pays more ({winner.expected_value or 0:,.2f} per send)"
        if winner
        else "another channel pays more"
    )
    return (
        numbers + f"; {better} for everyone it reaches; all {e.reachable:,} consenting would return "
        f"{e.reachable * ev:,.2f} on it"
    )


def plot_channel_value(plans: list[ChannelPlan], path: Path) -> Path:
    """Expected value per send by channel; error bars span the conversion rate's 90% interval."""
    values = np.array([p.expected_value_per_message for p in plans])
    low = np.array([p.conversion_interval[0] * p.value_per_conversion - p.cost_per_message for p in plans])
    high = np.array([p.conversion_interval[1] * p.value_per_conversion - p.cost_per_message for p in plans])
    with png_figure(path, title="Expected value per send by channel (90% interval)") as ax:
        ax.bar(
            [p.channel for p in plans],
            values,
            yerr=np.vstack([values - low, high - values]).clip(min=0),
            capsize=4,
            color=["tab:green" if v > 0 else "tab:red" for v in values],
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel("expected value per send")
        for i, p in enumerate(plans):
            ax.annotate(f"{p.recipients:,} sent", (i, values[i]), ha="center", va="bottom", fontsize=8)
    return path
