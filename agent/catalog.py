"""The agent's tools: thin wrappers binding ``tools/`` functions to the workspace.

Each wrapper validates nothing itself (the loop validates arguments with the pydantic model) and
returns a compact result the model can read; the full per-customer results stay in
``ToolContext.services`` for the steps that follow (the campaign planner reads them there).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from agent.campaign.brief import AudienceSummary, ChannelPlan, RoiForecast
from agent.toolbox import AgentTool, ToolContext
from data.errors import ToolError
from data.summary import WorkspaceSummary, summarize
from knowledge.retrieval import RetrievalRequest, RetrievalResult
from tools.abtest.models import AbTestParams, AbTestReadout
from tools.channel.models import ChannelEstimate
from tools.copy.models import CopyResult
from tools.customer import CustomerProfile, CustomerQuery, customer_profile

AUDIENCE_SEGMENT = "campaign audience"
A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


def tool(
    name: str, args: type[A], *, side_effect: bool = False, action: Callable[[A], str] | None = None
) -> Callable[[Callable[[A, ToolContext], R]], AgentTool]:
    """Decorator: the function becomes an ``AgentTool`` taking ``args``; its docstring is the description."""

    def wrap(fn: Callable[[A, ToolContext], R]) -> AgentTool:
        def run(parsed: BaseModel, ctx: ToolContext) -> BaseModel:
            assert isinstance(parsed, args)
            return fn(parsed, ctx)

        def describe(parsed: BaseModel) -> str:
            assert isinstance(parsed, args) and action is not None
            return action(parsed)

        description = " ".join((fn.__doc__ or name).split())
        return AgentTool(
            name, description, args, run, side_effect=side_effect, action=describe if action else None
        )

    return wrap


class NoArguments(BaseModel):
    """This tool takes no arguments."""


@tool("workspace_summary", NoArguments)
def workspace_summary(_args: NoArguments, ctx: ToolContext) -> WorkspaceSummary:
    """Counts of customers, transactions, engagements, revenue, consent."""
    return summarize(ctx.workspace)


@tool("customer_profile", CustomerQuery)
def customer(args: CustomerQuery, ctx: ToolContext) -> CustomerProfile:
    """One customer's orders, spend, recency, consent (never email or phone)."""
    with ctx.workspace.connect(read_only=True) as con:
        return customer_profile(con, args)


# --- segments -------------------------------------------------------------------------------


class SegmentArgs(BaseModel):
    """How many segments (else chosen by silhouette)."""

    k: int | None = Field(default=None, ge=2, le=12, description="Number of segments; omit to choose.")


class SegmentLine(BaseModel):
    """One segment in a line."""

    segment: str
    size: int
    share: float
    recency_days: float
    total_spend: float


class SegmentOverview(BaseModel):
    """The segments found (membership is kept for the next steps)."""

    k: int
    n_customers: int
    segments: list[SegmentLine]

    def summary(self) -> str:
        """Key numbers in one line."""
        parts = ", ".join(f"{s.segment} {s.size:,}" for s in self.segments)
        return f"{self.k} segments of {self.n_customers:,} customers: {parts}"


@tool("segment_customers", SegmentArgs)
def segment(args: SegmentArgs, ctx: ToolContext) -> SegmentOverview:
    """KMeans segments on recency, frequency and monetary value (RFM)."""
    from tools.segment.models import SegmentParams
    from tools.segment.segmenter import segment_customers

    with ctx.workspace.connect(read_only=True) as con:
        seg = segment_customers(con, SegmentParams(k=args.k, seed=ctx.settings.seed))
    ctx.services["segments"] = seg.membership[["customer_id", "segment"]]
    if path := ctx.plot_path("segment_map.png"):
        from tools.segment.plot import segment_map

        ctx.plots.append(segment_map(seg, path))
    return SegmentOverview(
        k=seg.report.k,
        n_customers=seg.report.n_customers,
        segments=[
            SegmentLine(
                segment=p.segment,
                size=p.size,
                share=p.share,
                recency_days=round(p.recency_days, 1),
                total_spend=round(p.total_spend, 2),
            )
            for p in seg.report.segments
        ],
    )


# --- churn ----------------------------------------------------------------------------------


class ChurnArgs(BaseModel):
    """Which churn method."""

    method: Literal["auto", "model", "bgnbd"] = Field(
        default="auto",
        description="model: trained gradient boosting; bgnbd: 1 - P(alive); auto: model if trained.",
    )


class ChurnOverview(BaseModel):
    """Churn risk across customers (per-customer scores are kept for the next steps)."""

    method: str
    n_customers: int
    mean_probability: float
    high_risk: int = Field(description="Customers with P(churn) >= 0.5.")
    high_risk_share: float

    def summary(self) -> str:
        """Key numbers in one line."""
        return (
            f"{self.high_risk:,} of {self.n_customers:,} customers at high churn risk "
            f"({self.high_risk_share:.0%}, mean P(churn) {self.mean_probability:.2f}, {self.method})"
        )


@tool("score_churn", ChurnArgs)
def churn(args: ChurnArgs, ctx: ToolContext) -> ChurnOverview:
    """Churn probability of every customer (gradient boosting if trained, else BG/NBD)."""
    from tools.churn.models import ScoreRequest
    from tools.churn.score import plot_risk, score_churn

    with ctx.workspace.connect(read_only=True) as con:
        result = score_churn(con, ctx.workspace, ScoreRequest(method=args.method, reasons=0))
    probs = pd.Series({c.customer_id: c.churn_probability for c in result.customers}, name="churn")
    ctx.services["churn"] = probs
    if path := ctx.plot_path("churn_risk.png"):
        ctx.plots.append(plot_risk(result, path))
    high = int((probs >= 0.5).sum())
    return ChurnOverview(
        method=result.method if result.model is None else f"{result.method} ({result.model})",
        n_customers=result.n_customers,
        mean_probability=round(result.mean_probability, 4),
        high_risk=high,
        high_risk_share=round(high / max(result.n_customers, 1), 4),
    )


# --- CLV ------------------------------------------------------------------------------------


class ClvArgs(BaseModel):
    """CLV horizon and method."""

    horizon_months: int = Field(default=12, ge=1, le=120, description="Horizon in months.")
    method: Literal["probabilistic", "simple"] = Field(
        default="probabilistic", description="probabilistic: BG/NBD + Gamma-Gamma; simple: historical."
    )


class ClvOverview(BaseModel):
    """Customer lifetime value over the horizon (per-customer values are kept for the next steps)."""

    method: str
    horizon_months: int
    n_customers: int
    total_clv: float
    mean_clv: float
    median_clv: float
    top_quintile_threshold: float = Field(description="CLV at the 80th percentile.")

    def summary(self) -> str:
        """Key numbers in one line."""
        return (
            f"{self.horizon_months}-month CLV of {self.n_customers:,} customers: total {self.total_clv:,.0f}, "
            f"mean {self.mean_clv:,.2f}, median {self.median_clv:,.2f} ({self.method})"
        )


@tool("calculate_clv", ClvArgs)
def clv(args: ClvArgs, ctx: ToolContext) -> ClvOverview:
    """Customer lifetime value (BG/NBD + Gamma-Gamma) over a horizon."""
    from tools.clv.api import calculate_clv, plot_clv
    from tools.clv.models import ClvRequest

    with ctx.workspace.connect(read_only=True) as con:
        result = calculate_clv(con, ClvRequest(horizon_months=args.horizon_months, method=args.method))
    values = pd.Series({c.customer_id: c.clv for c in result.customers}, name="clv")
    ctx.services["clv"] = values
    if path := ctx.plot_path("clv_distribution.png"):
        ctx.plots.append(plot_clv(result, path))
    return ClvOverview(
        method=result.method,
        horizon_months=result.horizon_months,
        n_customers=result.n_customers,
        total_clv=round(result.total_clv, 2),
        mean_clv=round(result.mean_clv, 2),
        median_clv=round(result.median_clv, 2),
        top_quintile_threshold=round(float(np.quantile(values.to_numpy(), 0.8)), 2) if len(values) else 0.0,
    )


# --- audience -------------------------------------------------------------------------------


class AudienceArgs(BaseModel):
    """Who the campaign targets."""

    risk: Literal["at_risk", "any"] = Field(default="any", description="at_risk: likely churners only.")
    value: Literal["high_value", "any"] = Field(default="any", description="high_value: top spenders only.")
    churn_threshold: float = Field(
        default=0.5, gt=0.0, lt=1.0, description="P(churn) that counts as at risk."
    )
    value_quantile: float = Field(
        default=0.8, gt=0.0, lt=1.0, description="Spend-to-date quantile that counts as high value."
    )


@tool("select_audience", AudienceArgs)
def audience(args: AudienceArgs, ctx: ToolContext) -> AudienceSummary:
    """Pick the campaign audience from churn risk and spend to date; reports its size, CLV and reach."""
    from data.features import transaction_summary

    if args.risk == "at_risk" and "churn" not in ctx.services:
        churn.run(ChurnArgs(), ctx)
    if "clv" not in ctx.services:
        clv.run(ClvArgs(), ctx)
    with ctx.workspace.connect(read_only=True) as con:
        history = transaction_summary(con).set_index("customer_id")
        consent = (
            con.execute("SELECT customer_id, consent_email, consent_sms, consent_push FROM customers")
            .df()
            .set_index("customer_id")
        )
    frame = history[["total_amount", "mean_amount"]].join(ctx.services["clv"], how="left")
    frame["churn"] = ctx.services["churn"] if "churn" in ctx.services else np.nan
    notes: list[str] = []
    keep = pd.Series(True, index=frame.index)
    words: list[str] = []
    if args.value == "high_value":
        cut = float(frame["total_amount"].quantile(args.value_quantile))
        keep &= frame["total_amount"] >= cut
        words.append(f"top {1 - args.value_quantile:.0%} by spend to date (>= {cut:,.2f})")
    if args.risk == "at_risk":
        risky = frame["churn"] >= args.churn_threshold
        if not (keep & risky).any():
            cut = float(frame.loc[keep, "churn"].quantile(0.8))
            risky = frame["churn"] >= cut
            notes.append(f"nobody reaches P(churn) {args.churn_threshold:.2f}: took the riskiest 20% instead")
        keep &= risky
        words.append(f"P(churn) >= {args.churn_threshold:.2f}")
    chosen = frame[keep]
    if chosen.empty:
        raise ToolError("no customer matches this audience")
    segments = ctx.services.get("segments")
    per_segment: dict[str, int] = {}
    if segments is not None:
        counts = segments.set_index("customer_id").reindex(chosen.index)["segment"].value_counts()
        per_segment = {str(k): int(v) for k, v in counts.items()}
    reach = consent.reindex(chosen.index).fillna(False).astype(bool).sum()
    members = pd.DataFrame({"customer_id": chosen.index, "segment": AUDIENCE_SEGMENT})
    ctx.services["audience"] = members
    ctx.services["audience_order_value"] = float(chosen["mean_amount"].mean())
    phrase = "high-value customers" if args.value == "high_value" else "customers"
    if args.risk == "at_risk":
        phrase += " at risk of churning"
    return AudienceSummary(
        description=f"{phrase} ({'; '.join(words) or 'everyone with a purchase'})",
        size=len(chosen),
        total_clv=round(float(chosen["clv"].sum()), 2),
        mean_clv=round(float(chosen["clv"].mean()), 2),
        mean_spend=round(float(chosen["total_amount"].mean()), 2),
        mean_churn_risk=round(float(chosen["churn"].mean()), 4) if args.risk == "at_risk" else 0.0,
        segments=per_segment,
        reachable={ch: int(reach[f"consent_{ch}"]) for ch in ("email", "sms", "push")},
        notes=notes,
    )


# --- channels -------------------------------------------------------------------------------


class ChannelArgs(BaseModel):
    """Channels to consider and the budget."""

    channels: list[Literal["email", "sms", "push", "social", "ads"]] = Field(
        default_factory=lambda: ["email", "sms", "push"], min_length=1, description="Channels allowed."
    )
    budget: float | None = Field(default=None, ge=0, description="Total spend cap.")


class ChannelOverview(BaseModel):
    """The channel mix for the audience, with the numbers behind each choice."""

    channels: list[ChannelPlan]
    spend: float
    budget: float | None
    not_contacted: int
    expected_conversions: float
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """Key numbers in one line."""
        mix = ", ".join(f"{c.channel} {c.recipients:,}" for c in self.channels) or "nobody"
        cap = f" of {self.budget:,.0f}" if self.budget is not None else ""
        return f"send to {mix}; spend {self.spend:,.2f}{cap}; {self.expected_conversions:,.1f} expected conversions"


@tool("select_channels", ChannelArgs)
def channels(args: ChannelArgs, ctx: ToolContext) -> ChannelOverview:
    """Best channel per customer of the audience (Bayesian conversion rates x value - cost), within budget."""
    from tools.channel.models import ChannelParams
    from tools.channel.select import choose_channels

    members = ctx.services.get("audience")
    if members is None:
        audience.run(AudienceArgs(), ctx)
        members = ctx.services["audience"]
    folder = ctx.output_dir or ctx.workspace.runs_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "audience.parquet"
    members.to_parquet(path, index=False)
    params = ChannelParams(
        channels=list(args.channels),
        segments_file=path,
        only_listed=True,
        budget=args.budget,
        value=ctx.services.get("audience_order_value"),
        seed=ctx.settings.seed,
    )
    with ctx.workspace.connect(read_only=True) as con:
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
            reason=_channel_reason(e, seg.plan.get(e.channel, 0)),
        )
        for e in seg.channels
    ]
    ctx.services["channel_plan"] = plans
    if path := ctx.plot_path("channel_value.png"):
        ctx.plots.append(plot_channel_value(plans, path))
    return ChannelOverview(
        channels=plans,
        spend=report.spend,
        budget=args.budget,
        not_contacted=seg.not_contacted,
        expected_conversions=seg.expected_conversions,
        notes=report.notes,
    )


def _channel_reason(e: ChannelEstimate, recipients: int) -> str:
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
    from tools.plotting import png_figure

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


# --- ROI ------------------------------------------------------------------------------------


class RoiArgs(BaseModel):
    """What the campaign's offer costs and gives away."""

    discount_percent: float | None = Field(
        default=None, ge=0, lt=100, description="Percentage off, taken off the value of each conversion."
    )
    fixed_cost: float = Field(default=0.0, ge=0, description="Creative and tooling costs.")
    budget: float | None = Field(default=None, ge=0, description="Budget to compare the cost with.")


@tool("forecast_roi", RoiArgs)
def roi(args: RoiArgs, ctx: ToolContext) -> RoiForecast:
    """Forecast conversions, revenue, cost and ROI of the channel plan (run select_channels first)."""
    from tools.roi import RoiForecastParams, forecast_roi

    plans: list[ChannelPlan] | None = ctx.services.get("channel_plan")
    if not plans:
        raise ToolError("no channel plan yet: call select_channels first")
    keep = 1 - (args.discount_percent or 0.0) / 100
    lines = []
    with ctx.workspace.connect(read_only=True) as con:
        for plan in plans:
            if plan.recipients == 0:
                continue
            lines.append(
                forecast_roi(
                    con,
                    RoiForecastParams(
                        channel=plan.channel,  # type: ignore[arg-type]
                        audience=plan.recipients,
                        response_rate=plan.conversion_rate,
                        order_value=plan.value_per_conversion * keep,
                        cost_per_message=plan.cost_per_message,
                    ),
                )
            )
    cost = sum(line.cost for line in lines) + args.fixed_cost
    revenue = sum(line.expected_revenue for line in lines)
    notes = []
    if args.discount_percent:
        notes.append(
            f"value per conversion is the audience's mean order value less {args.discount_percent:g}%"
        )
    low = sum(p.conversion_interval[0] * p.recipients * p.value_per_conversion * keep for p in plans)
    high = sum(p.conversion_interval[1] * p.recipients * p.value_per_conversion * keep for p in plans)
    return RoiForecast(
        cost=round(cost, 2),
        expected_conversions=round(sum(line.expected_conversions for line in lines), 2),
        expected_revenue=round(revenue, 2),
        roi=round((revenue - cost) / cost, 3) if cost > 0 else None,
        roi_interval=(round((low - cost) / cost, 3), round((high - cost) / cost, 3)) if cost > 0 else None,
        budget=args.budget,
        within_budget=args.budget is None or cost <= args.budget + 1e-6,
        notes=notes,
    )


# --- knowledge ------------------------------------------------------------------------------


@tool("search_knowledge", RetrievalRequest)
def knowledge(args: RetrievalRequest, ctx: ToolContext) -> RetrievalResult:
    """Brand guide, product, past-campaign and customer-profile passages relevant to a query."""
    from knowledge.retrieval import search
    from knowledge.store import KnowledgeStore

    store = ctx.services.get("knowledge_store")
    if store is None:
        store = ctx.services["knowledge_store"] = KnowledgeStore.open(ctx.settings)
    return search(store, args)


# --- copy -----------------------------------------------------------------------------------


class CopyArgs(BaseModel):
    """The offer and the audience the copy is for."""

    channel: Literal["email", "sms", "push", "social", "ads"]
    product: str = Field(min_length=1, description="Product or category, stated verbatim.")
    features: str | None = Field(default=None, description="Short benefits, e.g. 'grip, rock plate'.")
    discount: str | None = Field(default=None, description="As customers see it: '15%' or '$20'.")
    code: str | None = None
    deadline: date | None = None
    audience: str = Field(default="", description="One line on who the customers are.")
    variants: int = Field(default=2, ge=1, le=5)


@tool("write_copy", CopyArgs)
def write_copy(args: CopyArgs, ctx: ToolContext) -> CopyResult:
    """Copy variants for one channel in the brand's voice; every variant is checked by the guardrail."""
    from tools.copy import CopyRequest, OfferFacts, SegmentProfile, generate_copy
    from tools.copy.brand import brand_from_knowledge

    model = ctx.services.get("model")
    if model is None:
        raise ToolError("no language model is available to write copy")
    brand = ctx.services.get("brand")
    if brand is None:
        brand = ctx.services["brand"] = brand_from_knowledge(ctx.settings)
    offer = OfferFacts(
        product=args.product,
        features=args.features,
        currency=ctx.settings.currency,
        discount=args.discount,
        code=args.code,
        deadline=args.deadline,
    )
    request = CopyRequest(
        channel=args.channel,
        offer=offer,
        brand=brand,
        segment=SegmentProfile(name="campaign audience", description=args.audience),
        variants=args.variants,
    )
    return generate_copy(request, model)


# --- side effects ---------------------------------------------------------------------------


class ExportArgs(BaseModel):
    """Where to write the audience."""

    path: str = Field(min_length=1, description="CSV file to write (customer ids and segment only).")


class ExportResult(BaseModel):
    """What was written."""

    path: str
    rows: int

    def summary(self) -> str:
        """Key numbers in one line."""
        return f"wrote {self.rows:,} customer ids to {self.path}"


def _export_action(args: ExportArgs) -> str:
    return f"write the campaign audience (customer ids only) to {args.path}"


@tool("export_audience", ExportArgs, side_effect=True, action=_export_action)
def export_audience(args: ExportArgs, ctx: ToolContext) -> ExportResult:
    """Write the selected audience's customer ids to a CSV file (asks for approval first)."""
    members = ctx.services.get("audience")
    if members is None:
        raise ToolError("no audience selected yet: call select_audience first")
    path = Path(args.path).expanduser()
    if path.suffix.lower() != ".csv":
        raise ToolError(f"{path}: the audience is exported as CSV; give a .csv path")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    members.to_csv(tmp, index=False)
    tmp.replace(path)
    return ExportResult(path=str(path), rows=len(members))


@tool("abtest_readout", AbTestParams)
def abtest(args: AbTestParams, ctx: ToolContext) -> AbTestReadout:
    """Readout of a past A/B test: rates with intervals, P(best), lift, power and a verdict."""
    from tools.abtest.api import readout

    with ctx.workspace.connect(read_only=True) as con:
        return readout(con, args)


def default_tools() -> list[AgentTool]:
    """Every tool the agent may call."""
    return [
        workspace_summary,
        customer,
        segment,
        churn,
        clv,
        audience,
        channels,
        roi,
        knowledge,
        write_copy,
        abtest,
        export_audience,
    ]
