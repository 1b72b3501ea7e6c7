"""Typed inputs and outputs of the uplift tool (train on past campaigns with controls, score)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Method = Literal["auto", "two_model", "class_transformation"]
UpliftType = Literal["persuadable", "sure thing", "lost cause", "sleeping dog"]
UPLIFT_TYPES: tuple[UpliftType, ...] = ("persuadable", "sure thing", "lost cause", "sleeping dog")


class UpliftTrainParams(BaseModel):
    """How to train an uplift model from past campaigns with randomised control groups."""

    campaigns: list[str] = Field(
        default_factory=list, description="Campaign ids to learn from; empty: every campaign with a control."
    )
    name: str = Field(default="uplift", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Model name.")
    method: Method = Field(
        default="auto",
        description="two_model (T-learner), class_transformation, or auto (better validation Qini).",
    )
    holdout_share: float = Field(default=0.3, gt=0.05, lt=0.6, description="Customers kept for the holdout.")
    seed: int = Field(default=7, description="Seed of the split and the models.")
    sensitive: list[str] | None = Field(
        default=None, description="Sensitive attribute terms (default: the MKT_SENSITIVE default list)."
    )
    use_sensitive: bool = Field(default=False, description="Opt in: learn from sensitive attributes too.")
    exclude: list[str] = Field(
        default_factory=lambda: ["churned"],
        description="Customer columns that are outcomes, not traits (never features).",
    )


class CampaignArms(BaseModel):
    """One past campaign's treatment and control groups and their conversion rates."""

    campaign_id: str
    channel: str
    treated: int
    control: int
    treated_rate: float
    control_rate: float

    @property
    def lift(self) -> float:
        """Treatment minus control conversion rate (the average uplift)."""
        return self.treated_rate - self.control_rate


class CandidateQini(BaseModel):
    """One uplift method's Qini coefficient on the validation split."""

    method: str
    validation_qini: float


class UpliftTrainResult(BaseModel):
    """What was trained, how well its ranking does on held-out customers, and where it was saved."""

    name: str
    path: str
    method: str
    candidates: list[CandidateQini]
    campaigns: list[CampaignArms]
    features: list[str]
    skipped_attributes: dict[str, str] = Field(default_factory=dict)
    n_train: int
    n_holdout: int
    holdout_qini: float = Field(description="Qini coefficient of the model's ranking on the holdout.")
    holdout_qini_random: float = Field(description="The same for a random ranking (about 0).")
    holdout_gain_top30: float = Field(
        description="Incremental conversions per 100 holdout customers when the top 30% are targeted."
    )
    holdout_gain_all: float = Field(description="The same when everyone is targeted.")

    def summary(self) -> str:
        """Key numbers in one line."""
        return (
            f"uplift model '{self.name}' ({self.method}) from {', '.join(c.campaign_id for c in self.campaigns)}: "
            f"holdout Qini {self.holdout_qini:.4f} (random {self.holdout_qini_random:.4f}); targeting the "
            f"top 30% gains {self.holdout_gain_top30:.2f} conversions per 100 customers vs "
            f"{self.holdout_gain_all:.2f} for everyone"
        )


class UpliftScoreParams(BaseModel):
    """Which saved uplift model scores the customers, for which channel, at which cut-off."""

    name: str = Field(default="uplift", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Model name.")
    channel: str | None = Field(
        default=None, description="Channel of the planned contact; default: the last campaign's channel."
    )
    as_of: datetime | None = Field(default=None, description="Cut-off of the features (default: data end).")
    min_uplift: float | None = Field(
        default=None,
        ge=0.0,
        description="Uplift that counts as changed by the campaign; default half the mean "
        "P(convert | contacted).",
    )


class CustomerUplift(BaseModel):
    """One customer's predicted response with and without contact."""

    customer_id: str
    uplift: float = Field(description="P(convert | contacted) - P(convert | not contacted).")
    p_treated: float
    p_control: float
    kind: UpliftType


class UpliftScores(BaseModel):
    """Predicted uplift of every customer, and how many fall in each type."""

    name: str
    method: str
    channel: str
    n_customers: int
    mean_uplift: float
    min_uplift: float
    types: dict[str, int]
    top: list[CustomerUplift] = Field(default_factory=list, description="Highest predicted uplift first.")

    def summary(self) -> str:
        """Key numbers in one line."""
        kinds = ", ".join(f"{k} {v:,}" for k, v in self.types.items())
        return (
            f"{self.n_customers:,} customers scored for {self.channel} ({self.method}): mean uplift "
            f"{self.mean_uplift:+.2%}; {kinds}"
        )
