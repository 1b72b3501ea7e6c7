"""Typed input and output of the churn scorer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class TrainRequest(BaseModel):
    """How to train a supervised churn model."""

    label: str = Field(default="churned", description="Boolean column of the customers table.")
    name: str = Field(default="churn", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Model name.")
    as_of: datetime | None = Field(default=None, description="Cut-off of the features (default: data end).")
    seed: int = Field(default=7, description="Seed of the split and the models.")
    holdout_share: float = Field(default=0.2, gt=0.05, lt=0.5)
    validation_share: float = Field(default=0.2, gt=0.05, lt=0.5)
    sensitive: list[str] | None = Field(
        default=None, description="Sensitive attribute terms (default: the MKT_SENSITIVE default list)."
    )
    use_sensitive: bool = Field(default=False, description="Opt in: learn from sensitive attributes too.")


class CandidateScore(BaseModel):
    """One candidate model's validation AUC."""

    model: str
    validation_auc: float


class BaselineScore(BaseModel):
    """A default scikit-learn model fit on the same training rows, judged on the same holdout."""

    model: str
    holdout_roc_auc: float
    holdout_pr_auc: float


class TrainResult(BaseModel):
    """What was trained, how well it does on the holdout, and where it was saved."""

    name: str
    path: str
    chosen: str
    candidates: list[CandidateScore]
    features: list[str]
    label: str
    n_train: int
    n_validation: int
    n_holdout: int
    base_rate: float
    holdout_roc_auc: float
    holdout_pr_auc: float
    holdout_brier: float
    calibration: str = "sigmoid (Platt) on the validation split"
    as_of: datetime
    baselines: list[BaselineScore] = Field(
        default_factory=list, description="Default sklearn logistic regression and gradient boosting."
    )
    attributes: list[str] = Field(default_factory=list, description="Customer columns learned from.")
    skipped_attributes: dict[str, str] = Field(
        default_factory=dict, description="Customer columns left out, and why."
    )


class FeatureEffect(BaseModel):
    """How much one feature moves a customer's churn probability versus a typical customer."""

    feature: str
    value: float
    effect: float = Field(description="P(churn) minus P(churn) with this feature at the training median.")


class CustomerRisk(BaseModel):
    """One customer's churn probability and what drives it."""

    customer_id: str
    churn_probability: float
    top_features: list[FeatureEffect] = Field(default_factory=list)


class ScoreRequest(BaseModel):
    """How to score customers."""

    method: Literal["auto", "model", "bgnbd"] = Field(
        default="auto", description="model: a trained model; bgnbd: 1 - P(alive); auto: model if saved."
    )
    name: str = Field(default="churn", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    as_of: datetime | None = None
    reasons: int = Field(default=3, ge=0, le=10, description="Top contributing features per customer.")
    time_unit: Literal["day", "week", "month"] = "week"


class ScoreResult(BaseModel):
    """Churn probabilities of every customer."""

    method: str
    model: str | None = Field(default=None, description="Trained model used (method 'model').")
    as_of: datetime
    n_customers: int
    mean_probability: float
    high_risk_share: float = Field(description="Share of customers with P(churn) >= 0.5.")
    customers: list[CustomerRisk]
    notes: list[str] = Field(default_factory=list)

    def top(self, n: int) -> list[CustomerRisk]:
        """The ``n`` customers most likely to churn."""
        return sorted(self.customers, key=lambda c: c.churn_probability, reverse=True)[:n]
