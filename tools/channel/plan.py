"""The channel mix for one audience: the selector's choice as plan rows with the numbers behind them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from tools.audience.models import AUDIENCE_SEGMENT, AudienceSelection
from tools.channel.models import Channel, ChannelEstimate, ChannelOverview, ChannelParams, ChannelPlan
from tools.plotting import png_figure


def plan_channels(
    con: duckdb.DuckDBPyConnection,
    audience: AudienceSelection,
    channels: list[Channel],
    *,
    budget: float | None,
    seed: int,
    folder: Path,
) -> ChannelOverview:
    """Best channel per audience member (Beta posteriors x value - cost), within ``budget``.

    The audience is written to ``folder/audience.parquet``, the selector's input.
    """
    from tools.channel.select import choose_channels  # scipy: loaded when channels are chosen

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "audience.parquet"
    audience.members.to_parquet(path, index=False)
    params = ChannelParams(
        channels=list(channels),
        segments_file=path,
        only_listed=True,
        budget=budget,
        value=audience.order_value,
        seed=seed,
    )
    report = choose_channels(con, params)
    seg = next(s for s in report.segments if s.segment == AUDIENCE_SEGMENT)
    plans = [
        ChannelPlan(
            channel=e.channel,
            recipients=seg.plan.get(e.channel, 0),
            conversion_rate=e.posterior_mean,
            conversion_interval=(e.ci_low, e.ci_high),
            cost_per_message=e.cost or 0.0,
            value_per_conversion=e.value,
            expected_value_per_message=e.expected_value or 0.0,
            reachable=e.reachable,
            reason=channel_reason(e, seg.plan.get(e.channel, 0)),
        )
        for e in seg.channels
    ]
    return ChannelOverview(
        channels=plans,
        spend=report.spend,
        budget=budget,
        not_contacted=seg.not_contacted,
        expected_conversions=seg.expected_conversions,
        notes=report.notes,
    )


def channel_reason(e: ChannelEstimate, recipients: int) -> str:
    """Why a channel got its recipients, with the numbers."""
    if e.cost is None:
        return "no known cost per send"
    numbers = (
        f"P(convert) {e.posterior_mean:.2%} (90% CI {e.ci_low:.2%}-{e.ci_high:.2%}) x value "
        f"{e.value:,.2f} - cost {e.cost:,.3f} = {e.expected_value or 0:,.3f} per send; {e.reachable:,} consenting"
    )
    if recipients == 0:
        return numbers + "; nobody assigned (another channel pays more for them, or none pays)"
    return numbers


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
