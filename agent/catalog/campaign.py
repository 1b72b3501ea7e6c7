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
from tools.uplift import UpliftScoreParams, score_uplift


@tool("select_audience", AudienceParams)
def audience(args: AudienceParams, ctx: ToolContext) -> AudienceSummary:
    """Pick the campaign audience by churn risk, spend to date, segment, or persuadables (uplift model)."""
    if args.risk == "at_risk" and ctx.state.churn is None:
        ctx.require("score_churn", **ChurnArgs().model_dump())
    if ctx.state.clv is None:
        ctx.require("calculate_clv", **ClvArgs().model_dump())
    if args.segments and ctx.state.segments is None:
        ctx.require("segment_customers")
    assert ctx.state.clv is not None
    uplift = None
    if args.response == "persuadable":  # the saved uplift model's types, for its last test's channel
        with ctx.workspace.connect(read_only=True) as duck:
            uplift = score_uplift(duck, ctx.workspace, UpliftScoreParams(), top=0).frame
    with ctx.analytics() as con:
        selection = select_audience(
            con, args, clv=ctx.state.clv, churn=ctx.state.churn, segments=ctx.state.segments, uplift=uplift
        )
    ctx.state.audience = selection
    ctx.state.channel_plan = None
    return selection.summary


def _default_channels() -> list[Channel]:
    return ["email", "sms", "push"]


class ChannelArgs(BaseModel):
    """Channels to consider and the budget."""

    channels: list[Channel] = Field(
        default_factory=_default_channels, min_length=1, description="Channels allowed."
    )
    budget: float | None = Field(default=None, ge=0, description="Total spend cap.")


@tool("select_channels", ChannelArgs)
def channels(args: ChannelArgs, ctx: ToolContext) -> ChannelOverview:
    """Best channel per customer of the audience (Bayesian conversion rates x value - cost), within budget."""
    if ctx.state.audience is None:
        ctx.require("select_audience")
    assert ctx.state.audience is not None
    with ctx.workspace.connect(read_only=True) as con:
        overview = plan_channels(
            con,
            ctx.state.audience,
            list(args.channels),
            budget=args.budget,
            seed=ctx.settings.seed,
            folder=ctx.folder,
        )
    ctx.state.channel_plan = overview.channels
    if path := ctx.plot_path("channel_value.png"):
        ctx.plots.append(plot_channel_value(overview.channels, path))
    return overview


@tool("forecast_roi", CampaignRoiParams)
def roi(args: CampaignRoiParams, ctx: ToolContext) -> RoiForecast:
    """Forecast conversions, revenue, cost and ROI of the channel plan for the audience."""
    if ctx.state.channel_plan is None:
        ctx.require("select_channels", budget=args.budget)
    assert ctx.state.channel_plan is not None
    with ctx.workspace.connect(read_only=True) as con:
        return campaign_roi(con, ctx.state.channel_plan, args)


class ExportArgs(BaseModel):
    """A name for the export file (it is written under the workspace's exports/ folder)."""

    name: str | None = Field(default=None, description="File name hint, e.g. 'winback'; optional.")


def _export_action(args: ExportArgs, ctx: ToolContext) -> str:
    size = ctx.state.audience.summary.size if ctx.state.audience is not None else 0
    target = export_path(ctx.workspace.home / "exports", args.name)
    return f"write the campaign audience ({size:,} customer ids, no contact details) to {target}"


def _has_audience(_args: ExportArgs, ctx: ToolContext) -> None:
    if ctx.state.audience is None:
        raise ToolError(
            "no audience is selected yet, so nothing can be exported: ask for an audience first "
            "(e.g. 'select high-value customers at risk')"
        )


@tool("export_audience", ExportArgs, side_effect=True, action=_export_action, check=_has_audience)
def export(args: ExportArgs, ctx: ToolContext) -> ExportResult:
    """Write the selected audience's customer ids to a CSV file under exports/ (asks for approval first)."""
    assert ctx.state.audience is not None
    return export_audience(ctx.state.audience, export_path(ctx.workspace.home / "exports", args.name))
