"""Pydantic input and output models of the A/B test readout."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Outcome = Literal["converted", "clicked", "opened"]


class AbTestParams(BaseModel):
    """Which campaign to read out and how."""

    campaign_id: str = Field(description="A past campaign whose engagements carry 2+ variants.")
    outcome: Outcome = Field(default="converted", description="Event that decides the winner.")
    control: str | None = Field(default=None, description="Control variant (default: first by name).")
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="Interval level.")
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5, description="Significance level of the power check.")
    power: float = Field(default=0.8, gt=0.5, lt=1.0, description="Power a large-enough sample must reach.")
    win_probability: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="P(best) a variant needs to be declared the winner."
    )
    draws: int = Field(default=100_000, ge=1_000, le=2_000_000, description="Monte Carlo draws.")
    seed: int = Field(default=7, description="Seed of the Monte Carlo draws.")
    copies: dict[str, str] = Field(
        default_factory=dict,
        description="Copy text per variant (else looked up in the campaigns collection).",
    )


class Rate(BaseModel):
    """A proportion with its Wilson score interval."""

    count: int
    rate: float
    lower: float
    upper: float


class VariantResult(BaseModel):
    """One variant's funnel, rates and chance of being best."""

    variant: str
    sent: int
    open_rate: Rate
    click_rate: Rate
    conversion_rate: Rate
    outcome_rate: Rate = Field(description="Rate of the deciding outcome (conversions by default).")
    prob_best: float = Field(description="P(this variant has the highest outcome rate), Beta-Binomial.")
    lift: float | None = Field(description="Outcome rate / control's - 1 (None for the control).")
    lift_lower: float | None
    lift_upper: float | None
    power: float | None = Field(
        description="Power to detect this variant's observed difference (two-sided z)."
    )
    required_per_variant: int | None = Field(
        description="Sample per variant that would give the target power for the observed difference."
    )


class AbTestReadout(BaseModel):
    """Readout of one A/B (or A/B/n) test."""

    campaign_id: str
    channels: list[str]
    outcome: Outcome
    control: str
    variants: list[VariantResult]
    winner: str | None = Field(description="Variant with P(best) >= win_probability, else None.")
    sample_large_enough: bool = Field(description="Every variant reached the target power vs the control.")
    min_detectable_lift: float = Field(
        description="Smallest relative lift the sample detects at target power."
    )
    verdict: str
    written_back: str | None = Field(default=None, description="Id of the example stored in 'campaigns'.")
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """Key numbers in one line."""
        return f"{self.campaign_id}: {self.verdict}"
