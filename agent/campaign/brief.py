"""The campaign brief: what the assistant answers a campaign request with, in one typed model."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StepTiming(BaseModel):
    """One step of the plan, as it ran."""

    step: str
    seconds: float
    detail: str = ""
    ok: bool = True


class AudienceSummary(BaseModel):
    """Who the campaign targets and what they are worth."""

    description: str
    size: int
    total_clv: float
    mean_clv: float
    mean_churn_risk: float
    segments: dict[str, int] = Field(default_factory=dict)
    reachable: dict[str, int] = Field(default_factory=dict, description="Consenting customers per channel.")


class ChannelPlan(BaseModel):
    """One channel of the mix, with the numbers behind the choice."""

    channel: str
    recipients: int
    conversion_rate: float
    cost_per_message: float
    expected_value_per_message: float
    reason: str


class RoiForecast(BaseModel):
    """Forecast of the campaign's outcome."""

    cost: float
    expected_conversions: float
    expected_revenue: float
    roi: float
    budget: float | None = None
    within_budget: bool = True


class CopyCheck(BaseModel):
    """One guardrail check of one copy variant."""

    name: str
    passed: bool
    reason: str = ""


class CopyVariant(BaseModel):
    """A copy variant for one channel and its check results."""

    channel: str
    parts: dict[str, str]
    passed: bool
    checks: list[CopyCheck] = Field(default_factory=list)
    facts_used: list[str] = Field(default_factory=list)
    model: str = ""


class CampaignBrief(BaseModel):
    """Everything a marketer needs to approve a campaign."""

    request: str
    goal: str
    offer: dict[str, str] = Field(default_factory=dict)
    audience: AudienceSummary
    channels: list[ChannelPlan]
    roi: RoiForecast
    copy_variants: list[CopyVariant] = Field(default_factory=list)
    context_sources: list[str] = Field(default_factory=list)
    steps: list[StepTiming] = Field(default_factory=list)
    plots: list[str] = Field(default_factory=list)
    backend: str = ""
    currency: str = "USD"
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """A few lines for chat, Slack and the agent trace."""
        cur = self.currency
        lines = [
            f"Campaign: {self.goal}. Audience: {self.audience.description}, {self.audience.size:,} customers "
            f"(mean CLV {self.audience.mean_clv:,.2f} {cur}, mean churn risk {self.audience.mean_churn_risk:.0%}).",
            "Channels: " + "; ".join(f"{c.channel} to {c.recipients:,} ({c.reason})" for c in self.channels),
            f"Forecast: cost {self.roi.cost:,.2f} {cur}, {self.roi.expected_conversions:,.0f} conversions, "
            f"revenue {self.roi.expected_revenue:,.2f} {cur}, ROI {self.roi.roi:.1f}x"
            + (f" (budget {self.roi.budget:,.0f})" if self.roi.budget else ""),
        ]
        passed = sum(v.passed for v in self.copy_variants)
        if self.copy_variants:
            lines.append(f"Copy: {len(self.copy_variants)} variants, {passed} passed every check.")
        return "\n".join(lines)
