"""Agent tools that plan a campaign: audience, channel mix, ROI forecast, and the audience export.

Each tool reads what it needs from the conversation's state and, when it is missing, runs the tool
that makes it through ``ToolContext.require`` (traced and counted like any other call).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent.catalog.analytics import ChurnArgs, ClvArgs
from agent.catalog.registry import tool
from agent.toolbox import ToolContext
from data.errors import ToolError
from tools.audience import (
    AudienceParams,
    AudienceSummary,
    ExportResult,
    export_audience,
    export_path,
    select_audience,
)
from tools.campaign_roi import CampaignRoiParams, RoiForecast, campaign_roi
from tools.channel.models import Channel, ChannelOverview
from tools.channel.plan import plan_channels, plot_channel_value


@tool("select_audience", AudienceParams)
def audience(args: AudienceParams, ctx: ToolContext) -> AudienceSummary:
    """Pick the campaign audience by churn risk, spend to date and segment; reports its size, CLV and reach."""
    if args.risk == "at_risk" and ctx.state.churn is None:
        ctx.require("score_churn", **ChurnArgs().model_dump())
    if ctx.state.clv is None:
        ctx.require("calculate_clv", **ClvArgs().model_dump())
    if args.segments and ctx.state.segments is None:
        ctx.require("segment_customers")
    assert ctx.state.clv is not None
    with ctx.workspace.connect(read_only=True) as con:
        selection = select_audience(
            con, args, clv=ctx.state.clv, churn=ctx.state.churn, segments=ctx.state.segments
        )
    ctx.state.audience = selection
    ctx.state.channel_plan = None
    ctx.state.baseline = None
    ctx.state.control = None
    return selection.summary


def _default_channels() -> list[Channel]:
    return ["email", "sms", "push"]


class ChannelArgs(BaseModel):
    """Channels to consider and the budget."""

    channels: list[Channel] = Field(
        default_factory=_default_channels, min_length=1, description="Channels allowed."
    )
    budget: float | None = Field(default=None, ge=0, description="Total spend cap.")
    discount_percent: float | None = Field(
        default=None, ge=0, lt=100, description="Percentage off the offer gives on every redemption."
    )
    control: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Holdout share (default: 10%, more if needed to detect the lift).",
    )


@tool("select_channels", ChannelArgs)
def channels(args: ChannelArgs, ctx: ToolContext) -> ChannelOverview:
    """Best channel per customer of the audience by expected incremental return, a control group held out."""
    from tools.baseline import audience_baseline
    from tools.campaign_roi import value_basis
    from tools.control import size_control

    if ctx.state.audience is None:
        ctx.require("select_audience")
    assert ctx.state.audience is not None
    audience, settings = ctx.state.audience, ctx.settings
    margin, _ = value_basis(settings.margin)
    fraction, chosen_by = (args.control, "given") if args.control else (settings.control_fraction, "setting")
    with ctx.workspace.connect(read_only=True) as con:
        baseline = audience_baseline(con, audience.customer_ids, window_days=settings.conversion_window_days)

        def plan(exclude: set[str] | None) -> ChannelOverview:
            return plan_channels(
                con,
                audience,
                list(args.channels),
                budget=args.budget,
                seed=settings.seed,
                folder=ctx.folder,
                baseline=baseline.rate,
                margin=margin,
                discount_percent=args.discount_percent or 0.0,
                exclude=exclude,
            )

        everyone = plan(None)
        caused = sum(
            c.recipients * (max(c.conversion_rate, baseline.rate) - baseline.rate) for c in everyone.channels
        )
        control = size_control(
            audience.customer_ids,
            baseline_rate=baseline.rate,
            treatment_rate=baseline.rate + caused / max(audience.summary.size, 1),
            fraction=fraction,
            chosen_by=chosen_by,
            seed=settings.seed,
        )
        overview = plan(set(control.control_ids))
    overview.baseline, overview.control = baseline, control
    overview.margin, overview.discount_percent = margin, args.discount_percent or 0.0
    ctx.state.channel_plan = overview.channels
    ctx.state.baseline, ctx.state.control = baseline, control
    if path := ctx.plot_path("channel_value.png"):
        ctx.plots.append(plot_channel_value(overview.channels, path))
    return overview


@tool("forecast_roi", CampaignRoiParams)
def roi(args: CampaignRoiParams, ctx: ToolContext) -> RoiForecast:
    """Forecast incremental conversions, margin, discount cost and ROI (%) of the channel plan."""
    if ctx.state.channel_plan is None:
        ctx.require("select_channels", budget=args.budget, discount_percent=args.discount_percent)
    assert ctx.state.channel_plan is not None
    return campaign_roi(
        ctx.state.channel_plan,
        args,
        baseline=ctx.state.baseline,
        margin=ctx.settings.margin,
        fixed_cost=ctx.settings.campaign_fixed_cost,
        seed=ctx.settings.seed,
    )


class ExportArgs(BaseModel):
    """A name for the export file (it is written under the workspace's exports/ folder)."""

    name: str | None = Field(default=None, description="File name hint, e.g. 'winback'; optional.")


def _export_action(args: ExportArgs, ctx: ToolContext) -> str:
    size = ctx.state.audience.summary.size if ctx.state.audience is not None else 0
    target = export_path(ctx.workspace.home / "exports", args.name)
    return (
        f"write the campaign audience ({size:,} customer ids, no contact details, with its randomised "
        f"control group marked) to {target}"
    )


def _has_audience(_args: ExportArgs, ctx: ToolContext) -> None:
    if ctx.state.audience is None:
        raise ToolError(
            "no audience is selected yet, so nothing can be exported: ask for an audience first "
            "(e.g. 'select high-value customers at risk')"
        )


@tool("export_audience", ExportArgs, side_effect=True, action=_export_action, check=_has_audience)
def export(args: ExportArgs, ctx: ToolContext) -> ExportResult:
    """Write the selected audience's customer ids and control group to exports/ (asks for approval first)."""
    assert ctx.state.audience is not None
    if ctx.state.control is None:
        ctx.require("select_channels")
    return export_audience(
        ctx.state.audience, export_path(ctx.workspace.home / "exports", args.name), ctx.state.control
    )
