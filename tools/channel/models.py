"""Pydantic input and output models of the channel selector."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.baseline import Baseline
from tools.control import ControlGroup

Channel = Literal["email", "sms", "push", "social", "ads"]
ALL_CHANNELS: tuple[str, ...] = ("email", "sms", "push", "social", "ads")
CONSENT_COLUMN: dict[str, str] = {"email": "consent_email", "sms": "consent_sms", "push": "consent_push"}


class ChannelParams(BaseModel):
    """How to choose channels; anything not given is estimated from the engagement history."""

    channels: list[Channel] = Field(default_factory=lambda: list(ALL_CHANNELS))  # type: ignore[arg-type]
    segments_file: Path | None = Field(default=None, description="CSV/Parquet with customer_id, segment.")
    only_listed: bool = Field(
        default=False, description="Consider only the customers in segments_file (a campaign audience)."
    )
    segment_by: str | None = Field(default=None, description="Customers column to use as the segment.")
    value: float | None = Field(default=None, ge=0.0, description="Value of one conversion (else history).")
    costs: dict[str, float] = Field(default_factory=dict, description="Cost per send by channel.")
    budget: float | None = Field(default=None, ge=0.0, description="Total spend cap.")
    mode: Literal["greedy", "thompson"] = "greedy"
    seed: int = 7
    prior_strength: float = Field(
        default=20.0, gt=0.0, description="Pseudo-sends of the fallback prior (too few segments to pool)."
    )
    baseline: float = Field(
        default=0.0, ge=0.0, le=1.0, description="P(a listed customer buys anyway in the window, unsent)."
    )
    margin: float = Field(default=1.0, gt=0.0, le=1.0, description="Share of revenue kept (1: revenue).")
    discount_percent: float = Field(
        default=0.0, ge=0.0, lt=100.0, description="Offer discount, given on every redemption."
    )
    credible: float = Field(default=0.9, gt=0.0, lt=1.0, description="Credible interval mass.")
    per_customer: bool = False


class ChannelEstimate(BaseModel):
    """The reasoning numbers for one (segment, channel)."""

    channel: str
    segment: str
    sent: int = Field(description="Sends in the history plus folded-in updates.")
    conversions: int
    posterior_mean: float
    ci_low: float
    ci_high: float
    sampled: float | None = Field(default=None, description="Thompson draw (thompson mode).")
    alpha: float = Field(default=1.0, description="Posterior Beta shape (conversions).")
    beta: float = Field(default=1.0, description="Posterior Beta shape (non-conversions).")
    prior_mean: float = Field(default=0.0, description="Mean of the pooled prior (other segments' data).")
    prior_strength: float = Field(default=0.0, description="Pseudo-sends of the pooled prior.")
    prior_source: str = ""
    value: float
    cost: float | None
    expected_value: float | None = Field(
        description="Expected incremental return per send: incremental margin - discount - cost."
    )
    reachable: int = Field(description="Customers of the segment this channel may contact.")
    note: str | None = None


class SegmentChoice(BaseModel):
    """The recommendation for one segment."""

    segment: str
    customers: int
    best_channel: str | None = Field(description="Highest expected value per send among usable channels.")
    reason: str
    channels: list[ChannelEstimate]
    plan: dict[str, int] = Field(description="Customers assigned per channel (consent and budget applied).")
    not_contacted: int
    expected_conversions: float
    expected_value: float
    spend: float


class CustomerChoice(BaseModel):
    """One customer's channel (None: no allowed channel with positive value, or over budget)."""

    customer_id: str
    segment: str
    channel: str | None
    expected_value: float


class ChannelReport(BaseModel):
    """Recommendations per segment (and per customer on request)."""

    mode: str
    seed: int
    segment_source: str
    budget: float | None
    spend: float
    expected_value: float
    segments: list[SegmentChoice]
    customers: list[CustomerChoice] | None = None
    budget_binds: bool = Field(default=False, description="The budget stopped sends that would pay.")
    updates_applied: int = 0
    notes: list[str] = Field(default_factory=list)


class UpdateResult(BaseModel):
    """What ``channel update`` folded in, and the posterior of the cells it touched."""

    state_file: str
    rows: int
    sent: int
    conversions: int
    cells: list[ChannelEstimate]
    segments: list[str]
    notes: list[str] = Field(default_factory=list)


class ChannelPlan(BaseModel):
    """One channel of the mix, with the numbers behind the choice."""

    channel: str
    recipients: int
    conversion_rate: float = Field(description="Posterior mean P(convert | sent) for this audience.")
    conversion_interval: tuple[float, float] = Field(description="90% credible interval of the rate.")
    posterior: tuple[float, float] = Field(default=(1.0, 1.0), description="Beta(alpha, beta) of the rate.")
    sent_before: int = Field(default=0, description="The audience's own past sends on this channel.")
    prior: str = Field(default="", description="The pooled prior, e.g. 'Beta mean 3.7%, 85 pseudo-sends'.")
    cost_per_message: float
    value_per_conversion: float
    expected_value_per_message: float = Field(description="Expected incremental return per send.")
    reachable: int = Field(description="Audience members who consent to this channel.")
    expected_return_if_sent: float = Field(
        default=0.0, description="Expected incremental return if every consenting member got this channel."
    )
    reason: str


class ChannelOverview(BaseModel):
    """The channel mix for the audience, with the numbers behind each choice."""

    channels: list[ChannelPlan]
    spend: float
    budget: float | None
    not_contacted: int
    expected_conversions: float
    baseline: Baseline | None = Field(default=None, description="What the audience buys anyway.")
    control: ControlGroup | None = Field(default=None, description="The randomised holdout, not sent to.")
    margin: float = 1.0
    discount_percent: float = 0.0
    notes: list[str] = Field(default_factory=list)

    @property
    def best(self) -> ChannelPlan | None:
        """The channel that pays most per send (None when no channel was considered)."""
        return max(self.channels, key=lambda c: c.expected_value_per_message, default=None)

    def summary(self) -> str:
        """Key numbers in one line."""
        mix = ", ".join(f"{c.channel} {c.recipients:,}" for c in self.channels) or "nobody"
        cap = f" of {self.budget:,.0f}" if self.budget is not None else ""
        best = self.best
        lead = (
            f"best channel: {best.channel} (P(convert) {best.conversion_rate:.2%}, "
            f"expected value {best.expected_value_per_message:,.3f} per send); "
            if best is not None
            else ""
        )
        return (
            f"{lead}send to {mix}; spend {self.spend:,.2f}{cap}; "
            f"{self.expected_conversions:,.1f} expected conversions"
        )
