"""Agent tools over content and trends: knowledge search, copy, feedback, forecasts, recommendations, A/B.

Each wraps the same ``tools/`` function as its CLI command and returns an overview whose
``summary`` carries the answer's key facts in one line.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from agent.catalog.analytics import check_customer
from agent.catalog.registry import NoArguments, tool
from agent.toolbox import ToolContext
from data.errors import ToolError
from knowledge.catalogue import product_names
from knowledge.retrieval import RetrievalRequest, RetrievalResult
from tools.abtest.models import AbTestParams, AbTestReadout
from tools.channel.models import Channel
from tools.copy.models import CopyResult


@tool("search_knowledge", RetrievalRequest)
def knowledge(args: RetrievalRequest, ctx: ToolContext) -> RetrievalResult:
    """Brand guide, product, policy, past-campaign and customer-profile passages relevant to a query."""
    from knowledge.retrieval import search

    return search(ctx.knowledge(), args)


class CopyArgs(BaseModel):
    """The offer and the audience the copy is for."""

    channel: Channel
    product: str = Field(min_length=1, description="Product or category, stated verbatim.")
    features: str | None = Field(default=None, description="Short benefits, e.g. 'grip, rock plate'.")
    discount: str | None = Field(default=None, description="As customers see it: '15%' or '$20'.")
    code: str | None = None
    deadline: date | None = None
    audience: str = Field(default="", description="One line on who the customers are.")
    variants: int = Field(default=2, ge=1, le=5)
    language: str = Field(default="en", description="Language code of the copy, e.g. 'en' or 'zh'.")
    shorter: bool = Field(default=False, description="Prefer the shortest good lines.")


@tool("write_copy", CopyArgs)
def write_copy(args: CopyArgs, ctx: ToolContext) -> CopyResult:
    """Copy variants for one channel (email, SMS, push) in the brand's voice, checked by the guardrail."""
    from evals.embedding import CachingEmbedder
    from tools.copy import CopyRequest, OfferFacts, SegmentProfile, generate_copy
    from tools.copy.brand import brand_from_knowledge
    from tools.copy.grounding import catalogue_from_knowledge, winning_copy

    if ctx.model is None:
        raise ToolError("no language model is available to write copy")
    if ctx.state.brand is None:
        ctx.state.brand = brand_from_knowledge(ctx.settings)
    store = ctx.knowledge()
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
        brand=ctx.state.brand,
        segment=SegmentProfile(name="campaign audience", description=args.audience),
        variants=args.variants,
        language=args.language,
        catalogue=catalogue_from_knowledge(store),
        past_copy=winning_copy(store, args.channel),
        shorter=args.shorter,
    )
    # The knowledge base's own embedding model scores brand voice, topic and diversity.
    return generate_copy(request, ctx.model, embedder=CachingEmbedder(store.embedder.embed))


class FeedbackOverview(BaseModel):
    """What customers say: sentiment mix and the most frequent complaint and praise themes."""

    texts: int
    positive: float
    negative: float
    complaints: list[str]
    themes: list[str]
    by_segment: dict[str, list[str]] = Field(
        default_factory=dict, description="Complaint themes per segment."
    )

    def summary(self) -> str:
        """Key numbers in one line."""
        return (
            f"{self.texts:,} feedback texts, {self.positive:.0%} positive and {self.negative:.0%} negative; "
            f"top complaints: {', '.join(self.complaints) or 'none'}; frequent themes: {', '.join(self.themes)}"
        )


def feedback_file(ctx: ToolContext) -> Path:
    """The workspace's feedback file (the sample's ``knowledge/feedback.csv``, or ``feedback.csv``)."""
    for path in (
        ctx.workspace.home / "feedback.csv",
        ctx.workspace.sample_dir / "knowledge" / "feedback.csv",
    ):
        if path.exists():
            return path
    raise ToolError(f"no customer feedback in the workspace: put it at {ctx.workspace.home / 'feedback.csv'}")


@tool("feedback_insights", NoArguments)
def insights(_args: NoArguments, ctx: ToolContext) -> FeedbackOverview:
    """Complaint themes, praise and sentiment of customer reviews and feedback, overall and per segment."""
    from tools.insights import InsightsParams, analyse_feedback, read_feedback

    frame = read_feedback(feedback_file(ctx))
    report = analyse_feedback(frame, ctx.state.segments, InsightsParams(top_themes=5))
    overall = report.overall
    return FeedbackOverview(
        texts=report.texts,
        positive=round(overall.positive, 4),
        negative=round(overall.negative, 4),
        complaints=[t.phrase for t in overall.negative_themes[:5]],
        themes=[t.phrase for t in overall.themes[:5]],
        by_segment={s.segment: [t.phrase for t in s.negative_themes[:3]] for s in report.segments},
    )


class TrendArgs(BaseModel):
    """Which weekly series to forecast."""

    by: Literal["category", "total", "segment"] = Field(
        default="category", description="category: one series per product category."
    )
    horizon: int = Field(default=13, ge=4, le=26, description="Weeks ahead.")


class TrendLine(BaseModel):
    """One series' recent growth and forecast."""

    group: str
    growth_pct_per_week: float
    next_weeks_revenue: float


class TrendOverview(BaseModel):
    """Weekly revenue trends, fastest growing first."""

    by: str
    horizon: int
    series: list[TrendLine]

    def summary(self) -> str:
        """Key numbers in one line."""
        if not self.series:
            return "no series to forecast"
        top, low = self.series[0], self.series[-1]
        return (
            f"fastest-growing {self.by}: {top.group} ({top.growth_pct_per_week:+.1f}% per week, "
            f"{top.next_weeks_revenue:,.0f} revenue forecast over {self.horizon} weeks); "
            f"slowest: {low.group} ({low.growth_pct_per_week:+.1f}% per week)"
        )


@tool("forecast_trends", TrendArgs)
def trends(args: TrendArgs, ctx: ToolContext) -> TrendOverview:
    """Weekly revenue forecast per product category (or segment): the fastest-growing and shrinking ones."""
    from tools.forecast import ForecastParams, forecast

    with ctx.workspace.connect(read_only=True) as con:
        report = forecast(con, ForecastParams(metrics=["revenue"], by=args.by, horizon=args.horizon))
    lines = [
        TrendLine(
            group=s.group,
            growth_pct_per_week=round(s.growth_pct_per_week, 2),
            next_weeks_revenue=round(sum(p.forecast for p in s.forecast), 2),
        )
        for s in report.growing("revenue")
    ]
    return TrendOverview(by=args.by, horizon=args.horizon, series=lines)


class RecommendArgs(BaseModel):
    """Who to recommend products for."""

    customer_id: str | None = Field(default=None, description="A customer id, e.g. CU0000042.")
    segment: str | None = Field(default=None, description="A segment name, e.g. 'champions'.")
    k: int = Field(default=5, ge=1, le=20, description="How many products.")


class RecommendOverview(BaseModel):
    """Next products for a customer, or a segment's offer candidates."""

    target: str
    products: list[str]
    basis: str

    def summary(self) -> str:
        """Key numbers in one line."""
        return f"next products for {self.target}: {', '.join(self.products) or 'none'} ({self.basis})"


def _customer_or_segment(args: RecommendArgs, ctx: ToolContext) -> None:
    if args.customer_id is None and args.segment is None:
        raise ToolError("name a customer id or a segment to recommend products for")
    check_customer(ctx, args.customer_id)


@tool("recommend_products", RecommendArgs, check=_customer_or_segment)
def recommend(args: RecommendArgs, ctx: ToolContext) -> RecommendOverview:
    """Next products a customer is likely to buy, or a segment's best offer candidates (co-purchases)."""
    from tools.recommend import RecommendParams
    from tools.recommend import recommend as run

    if args.segment is not None and ctx.state.segments is None:
        ctx.require("segment_customers")
    ids = [args.customer_id] if args.customer_id else []
    with ctx.workspace.connect(read_only=True) as con:
        result = run(con, RecommendParams(customer_ids=ids, segment=args.segment, k=args.k))
    names = product_names(ctx.knowledge())

    def named(product_id: str, category: str | None) -> str:
        name = names.get(product_id, product_id)
        return f"{name} ({category})" if category else name

    if result.segment is not None:
        offers = [named(p.product_id, p.category) for p in result.segment.products]
        return RecommendOverview(
            target=f"segment {result.segment.segment}", products=offers, basis="co-purchase"
        )
    mine = result.customers[0]
    picks = [named(p.product_id, p.category) for p in mine.products]
    return RecommendOverview(target=mine.customer_id, products=picks, basis=mine.basis)


@tool("abtest_readout", AbTestParams)
def abtest(args: AbTestParams, ctx: ToolContext) -> AbTestReadout:
    """Readout of a past A/B test: rates with intervals, P(best), lift, power and a verdict."""
    from tools.abtest.api import readout

    with ctx.workspace.connect(read_only=True) as con:
        return readout(con, args)
