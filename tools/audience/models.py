"""Pydantic input and output models of audience selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    import pandas as pd

AUDIENCE_SEGMENT = "campaign audience"


class AudienceParams(BaseModel):
    """Who the campaign targets: churn risk, value and segment filters (all optional)."""

    risk: Literal["at_risk", "any"] = Field(default="any", description="at_risk: likely churners only.")
    value: Literal["high_value", "any"] = Field(default="any", description="high_value: top spenders only.")
    segments: list[str] = Field(
        default_factory=list, description="Segment names to keep, e.g. ['champions']; empty: every segment."
    )
    churn_threshold: float = Field(
        default=0.5, gt=0.0, lt=1.0, description="P(churn) that counts as at risk."
    )
    value_quantile: float = Field(
        default=0.8, gt=0.0, lt=1.0, description="Spend-to-date quantile that counts as high value."
    )
    response: Literal["persuadable", "any"] = Field(
        default="any",
        description="persuadable: only customers the campaign changes (uplift model), never sure "
        "things, lost causes or sleeping dogs.",
    )


class AudienceSummary(BaseModel):
    """Who the campaign targets and what they are worth."""

    description: str
    size: int
    total_clv: float
    mean_clv: float
    mean_spend: float = Field(default=0.0, description="Mean spend to date.")
    mean_churn_risk: float
    mean_uplift: float | None = Field(
        default=None,
        description="Mean predicted uplift (persuadable audiences): P(convert) gained by contact.",
    )
    segments: dict[str, int] = Field(default_factory=dict)
    reachable: dict[str, int] = Field(default_factory=dict, description="Consenting customers per channel.")
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """Key numbers in one line."""
        risk = f", mean P(churn) {self.mean_churn_risk:.0%}" if self.mean_churn_risk else ""
        reach = ", ".join(f"{k} {v:,}" for k, v in self.reachable.items())
        return (
            f"{self.size:,} {self.description}: CLV total {self.total_clv:,.0f}, mean {self.mean_clv:,.2f}"
            f"{risk}; reachable by {reach}"
        )


@dataclass(frozen=True)
class AudienceSelection:
    """A selected audience: its summary, its members and their mean order value."""

    summary: AudienceSummary
    members: pd.DataFrame  # customer_id, segment (= AUDIENCE_SEGMENT)
    order_value: float

    @property
    def customer_ids(self) -> list[str]:
        """The members' ids, in selection order."""
        return [str(c) for c in self.members["customer_id"]]


class GroupMakeup(BaseModel):
    """One group of one sensitive attribute: in the base, in the audience, and its selection rate."""

    attribute: str
    group: str
    base: int
    audience: int
    base_share: float
    audience_share: float
    selection_rate: float
    impact_ratio: float = Field(description="Selection rate / base rate (below 0.8 is flagged).")
    flagged: bool


class FairnessReport(BaseModel):
    """The audience's make-up on the sensitive attributes, and the groups it under-selects."""

    attributes: list[str]
    base_size: int
    audience_size: int
    base_rate: float
    groups: list[GroupMakeup]
    notes: list[str] = Field(default_factory=list)

    @property
    def flagged(self) -> list[GroupMakeup]:
        """Groups selected at below four-fifths of the base rate."""
        return [g for g in self.groups if g.flagged]

    def summary(self) -> str:
        """Key numbers in one line."""
        if not self.attributes:
            return "no sensitive attributes in the customers table"
        if not self.flagged:
            return (
                f"no group of {', '.join(self.attributes)} is selected below four-fifths of the base "
                f"rate {self.base_rate:.1%}"
            )
        worst = ", ".join(
            f"{g.attribute} {g.group} {g.selection_rate:.1%} ({g.impact_ratio:.2f} of the base rate)"
            for g in self.flagged
        )
        return f"below four-fifths of the base rate {self.base_rate:.1%}: {worst}"
