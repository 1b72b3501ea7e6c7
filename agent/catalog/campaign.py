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
from tools.audience.models import AudienceSelection
from tools.budget import BudgetOption
from tools.campaign_plan import PlanEconomics
from tools.campaign_roi import CampaignRoiParams, RoiForecast, campaign_roi
from tools.channel.models import Channel, ChannelOverview
from tools.channel.plan import plot_channel_value
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
    _plot_audience(ctx, selection)
    ctx.state.audience = selection
    ctx.state.audience_params = args
    ctx.state.channel_plan = ctx.state.overview = ctx.state.channels = None
    ctx.state.baseline = ctx.state.control = ctx.state.base = None
    return selection.summary


def _plot_audience(ctx: ToolContext, selection: AudienceSelection) -> None:
    """The audience against the base: CLV and (when scored) churn risk."""
    from tools.audience_plots import plot_audience_churn, plot_audience_clv

    members = set(selection.customer_ids)
    if ctx.state.clv is not None and (path := ctx.plot_path("audience_clv.png")):
        ctx.plots.append(plot_audience_clv(ctx.state.clv, members, path))
    if ctx.state.churn is not None and (path := ctx.plot_path("audience_churn.png")):
        ctx.plots.append(plot_audience_churn(ctx.state.churn, members, path))


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


def _economics(ctx: ToolContext, discount: float | None, control: float | None) -> PlanEconomics:
    from tools.campaign_roi import value_basis

    settings = ctx.settings
    fraction, chosen_by = (
        (control, "given")
        if control
        else (settings.control_fraction, "given (--control / MKT_CONTROL_FRACTION)")
    )
    return PlanEconomics(
        margin=value_basis(settings.margin)[0],
        discount_percent=discount or 0.0,
        window_days=settings.conversion_window_days,
        control_fraction=fraction,
        control_chosen_by=chosen_by,
        seed=settings.seed,
    )


@tool("select_channels", ChannelArgs)
def channels(args: ChannelArgs, ctx: ToolContext) -> ChannelOverview:
    """Best channel per customer of the audience by expected incremental return, a control group held out."""
    from tools.campaign_plan import plan_treatment
    from tools.channel.posterior import base_snapshot

    if ctx.state.audience is None:
        ctx.require("select_audience")
    assert ctx.state.audience is not None
    with ctx.workspace.connect(read_only=True) as con:
        if ctx.state.base is None:
            ctx.state.base = base_snapshot(con)
        overview = plan_treatment(
            con,
            ctx.state.audience,
            list(args.channels),
            budget=args.budget,
            economics=_economics(ctx, args.discount_percent, args.control),
            folder=ctx.folder,
            snapshot=ctx.state.base,
        )
    ctx.state.channel_plan = overview.channels
    ctx.state.overview = overview
    ctx.state.channels = list(args.channels)
    ctx.state.baseline, ctx.state.control = overview.baseline, overview.control
    if path := ctx.plot_path("channel_value.png"):
        ctx.plots.append(plot_channel_value(overview.channels, path))
    return overview


@tool("forecast_roi", CampaignRoiParams)
def roi(args: CampaignRoiParams, ctx: ToolContext) -> RoiForecast:
    """Forecast incremental conversions, margin, discount and ROI (%) of the plan, and what unspent budget buys."""
    if ctx.state.channel_plan is None:
        ctx.require("select_channels", budget=args.budget, discount_percent=args.discount_percent)
    assert ctx.state.channel_plan is not None
    forecast = campaign_roi(
        ctx.state.channel_plan,
        args,
        baseline=ctx.state.baseline,
        margin=ctx.settings.margin,
        fixed_cost=ctx.settings.campaign_fixed_cost,
        seed=ctx.settings.seed,
    )
    overview, selection, params = ctx.state.overview, ctx.state.audience, ctx.state.audience_params
    if args.budget is not None and overview is not None and selection is not None and params is not None:
        forecast.budget_options = _options(ctx, args, overview, selection, params)
        if forecast.budget_options:
            paying = [o for o in forecast.budget_options if o.expected_incremental_return > 0]
            dearest = max((o.cost for o in paying), default=0.0)
            left = args.budget - forecast.cost - dearest
            forecast.notes.append(
                f"the plan spends {forecast.cost:,.2f} of the {args.budget:,.0f} budget: every send to this "
                f"audience that pays is funded, and more would lose money. The options below are "
                f"alternatives, each planned within the rest (they overlap, so their costs do not add up); "
                f"the dearest that pays costs {dearest:,.2f}"
                + (
                    f"; about {left:,.0f} would still buy nothing worthwhile at these send costs"
                    if left > 1
                    else ""
                )
            )
    return forecast


def _options(
    ctx: ToolContext,
    args: CampaignRoiParams,
    overview: ChannelOverview,
    selection: AudienceSelection,
    params: AudienceParams,
) -> list[BudgetOption]:
    from tools.campaign_plan import plan_options

    assert args.budget is not None
    control = ctx.state.control
    with ctx.workspace.connect(read_only=True) as con:
        return plan_options(
            con,
            selection,
            params,
            ctx.state.channels or [c.channel for c in overview.channels],
            overview,
            budget=args.budget,
            economics=_economics(ctx, args.discount_percent, control.fraction if control else None),
            folder=ctx.folder,
            churn=ctx.state.churn,
            segments=ctx.state.segments,
            snapshot=ctx.state.base,
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
