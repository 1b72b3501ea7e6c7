"""Agent tools over the customer analytics: workspace counts, one customer, segments, churn, CLV.

Each tool returns a compact overview the model can read; the per-customer results go to the
conversation's typed state for the steps that follow.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from agent.catalog.registry import NoArguments, tool
from agent.toolbox import ToolContext
from data.summary import WorkspaceSummary, summarize
from tools.customer import CustomerProfile, CustomerQuery, customer_profile, require_customer


@tool("workspace_summary", NoArguments)
def workspace_summary(_args: NoArguments, ctx: ToolContext) -> WorkspaceSummary:
    """Counts of customers, transactions, engagements, revenue, consent."""
    return summarize(ctx.workspace)


@tool("customer_profile", CustomerQuery)
def customer(args: CustomerQuery, ctx: ToolContext) -> CustomerProfile:
    """One customer's orders, spend, recency, consent (never email or phone)."""
    with ctx.workspace.connect(read_only=True) as con:
        return customer_profile(con, args)


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
    """The segments found (membership is kept for the next steps and saved as the segments table)."""

    k: int
    n_customers: int
    segments: list[SegmentLine]

    def summary(self) -> str:
        """Key numbers in one line."""
        parts = ", ".join(f"{s.segment} {s.size:,}" for s in self.segments)
        return f"{self.k} segments of {self.n_customers:,} customers: {parts}"


@tool("segment_customers", SegmentArgs)
def segment(args: SegmentArgs, ctx: ToolContext) -> SegmentOverview:
    """KMeans segments on recency, frequency and monetary value (RFM): champions, loyal, at risk..."""
    from tools.segment.models import SegmentParams
    from tools.segment.segmenter import segment_customers
    from tools.segment.store import write_segments

    with ctx.analytics() as con:
        seg = segment_customers(con, SegmentParams(k=args.k, seed=ctx.settings.seed))
    write_segments(ctx.workspace, seg)
    ctx.state.segments = seg.membership[["customer_id", "segment", "rfm_tier"]]
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


class ChurnArgs(BaseModel):
    """Which churn method, and optionally one customer."""

    method: Literal["auto", "model", "bgnbd"] = Field(
        default="auto",
        description="model: trained gradient boosting; bgnbd: 1 - P(alive); auto: model if trained.",
    )
    customer_id: str | None = Field(default=None, description="One customer's churn risk; omit for everyone.")


class ChurnOverview(BaseModel):
    """Churn risk across customers (per-customer scores are kept for the next steps)."""

    method: str
    n_customers: int
    mean_probability: float
    high_risk: int = Field(description="Customers with P(churn) >= 0.5.")
    high_risk_share: float
    riskiest: list[str] = Field(default_factory=list, description="Ids of the riskiest customers.")
    customer_id: str | None = None
    customer_probability: float | None = None

    def summary(self) -> str:
        """Key numbers in one line."""
        if self.customer_id is not None and self.customer_probability is not None:
            return (
                f"P(churn) of {self.customer_id}: {self.customer_probability:.0%} "
                f"(base mean {self.mean_probability:.0%}, {self.method})"
            )
        top = f"; riskiest: {', '.join(self.riskiest)}" if self.riskiest else ""
        return (
            f"{self.high_risk:,} of {self.n_customers:,} customers at high churn risk "
            f"({self.high_risk_share:.0%}, mean P(churn) {self.mean_probability:.2f}, {self.method}){top}"
        )


def check_customer(ctx: ToolContext, customer_id: str | None) -> None:
    """A tool that names one customer fails before it runs when the id is unknown (closest ids said)."""
    if customer_id is not None:
        with ctx.workspace.connect(read_only=True) as con:
            require_customer(con, customer_id)


def _known_customer(args: ChurnArgs | ClvArgs, ctx: ToolContext) -> None:
    check_customer(ctx, args.customer_id)


@tool("score_churn", ChurnArgs, check=_known_customer)
def churn(args: ChurnArgs, ctx: ToolContext) -> ChurnOverview:
    """Who is about to leave: churn probability of every customer (trained model, else BG/NBD)."""
    from tools.churn.models import ScoreRequest
    from tools.churn.score import plot_risk, score_churn

    with ctx.analytics() as con:
        result = score_churn(con, ctx.workspace, ScoreRequest(method=args.method, reasons=0))
    probs = pd.Series({c.customer_id: c.churn_probability for c in result.customers}, name="churn")
    ctx.state.churn = probs
    if path := ctx.plot_path("churn_risk.png"):
        ctx.plots.append(plot_risk(result, path))
    high = int((probs >= 0.5).sum())
    return ChurnOverview(
        method=result.method if result.model is None else f"{result.method} ({result.model})",
        n_customers=result.n_customers,
        mean_probability=round(result.mean_probability, 4),
        high_risk=high,
        high_risk_share=round(high / max(result.n_customers, 1), 4),
        riskiest=[str(c) for c in probs.sort_values(ascending=False).index[:5]],
        customer_id=args.customer_id,
        customer_probability=(
            round(float(probs.get(args.customer_id, 0.0)), 4) if args.customer_id is not None else None
        ),
    )


class ClvArgs(BaseModel):
    """CLV horizon and method."""

    horizon_months: int = Field(default=12, ge=1, le=120, description="Horizon in months.")
    method: Literal["probabilistic", "simple"] = Field(
        default="probabilistic", description="probabilistic: BG/NBD + Gamma-Gamma; simple: historical."
    )
    customer_id: str | None = Field(default=None, description="One customer's CLV; omit for everyone.")


class ClvOverview(BaseModel):
    """Customer lifetime value over the horizon (per-customer values are kept for the next steps)."""

    method: str
    horizon_months: int
    n_customers: int
    total_clv: float
    mean_clv: float
    median_clv: float
    top_quintile_threshold: float = Field(description="CLV at the 80th percentile.")
    customer_id: str | None = None
    customer_clv: float | None = None

    def summary(self) -> str:
        """Key numbers in one line."""
        if self.customer_id is not None and self.customer_clv is not None:
            return (
                f"{self.horizon_months}-month CLV of {self.customer_id}: {self.customer_clv:,.2f} "
                f"(base mean {self.mean_clv:,.2f}, {self.method})"
            )
        return (
            f"{self.horizon_months}-month CLV of {self.n_customers:,} customers: total {self.total_clv:,.0f}, "
            f"mean {self.mean_clv:,.2f}, median {self.median_clv:,.2f} ({self.method})"
        )


@tool("calculate_clv", ClvArgs, check=_known_customer)
def clv(args: ClvArgs, ctx: ToolContext) -> ClvOverview:
    """Customer lifetime value (BG/NBD + Gamma-Gamma) over a horizon, for everyone or one customer id."""
    from tools.clv.api import calculate_clv, plot_clv
    from tools.clv.models import ClvRequest

    with ctx.analytics() as con:
        result = calculate_clv(con, ClvRequest(horizon_months=args.horizon_months, method=args.method))
    values = pd.Series({c.customer_id: c.clv for c in result.customers}, name="clv")
    ctx.state.clv = values
    if path := ctx.plot_path("clv_distribution.png"):
        ctx.plots.append(plot_clv(result, path))
    one = float(values.get(args.customer_id, 0.0)) if args.customer_id is not None else None
    return ClvOverview(
        method=result.method,
        horizon_months=result.horizon_months,
        n_customers=result.n_customers,
        total_clv=round(result.total_clv, 2),
        mean_clv=round(result.mean_clv, 2),
        median_clv=round(result.median_clv, 2),
        top_quintile_threshold=round(float(np.quantile(values.to_numpy(), 0.8)), 2) if len(values) else 0.0,
        customer_id=args.customer_id,
        customer_clv=round(one, 2) if one is not None else None,
    )
