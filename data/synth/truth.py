"""The planted truth of a synthetic dataset: what later tools must recover.

Written as ``truth/truth.json`` beside the generated tables. Time for the BG/NBD process is in
weeks; a customer's observation age T runs from signup to ``as_of``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class BgNbdParams(BaseModel):
    """BG/NBD (Fader, Hardie and Lee 2005): lambda ~ Gamma(r, alpha), p ~ Beta(a, b); time in weeks."""

    r: float
    alpha: float
    a: float
    b: float


class GammaGammaParams(BaseModel):
    """Gamma-Gamma spend: z ~ Gamma(p, nu), nu ~ Gamma(q, gamma) (shape, rate)."""

    p: float
    q: float
    gamma: float


class SegmentTruth(BaseModel):
    """One planted behavioural segment."""

    name: str
    share: float = Field(description="Fraction of customers drawn from this segment.")
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    conversion: dict[str, float] = Field(description="P(convert | sent) per channel.")
    favourite_categories: list[str]
    size: int = 0


class ChurnTruth(BaseModel):
    """Churn label ~ Bernoulli(sigmoid(intercept + sum coef_k * (x_k - mean_k) / std_k))."""

    features: dict[str, str] = Field(description="Feature name -> exact definition.")
    intercept: float
    coefficients: dict[str, float]
    means: dict[str, float]
    stds: dict[str, float]
    base_rate: float = 0.0
    planted_auc: float = Field(default=0.0, description="AUC of the true probabilities on the labels.")


class VariantTruth(BaseModel):
    """A/B variants of one past campaign: conversion multiplier per variant."""

    campaign_id: str
    lift: dict[str, float]


class CategoryTrendTruth(BaseModel):
    """Category mix over calendar time (week 0 = start of the observation window).

    P(growing) = start + (end - start) * week / observation_weeks; otherwise
    P(seasonal) = amplitude * (1 + cos(2 pi (week - peak) / period)) / 2.
    """

    growing_category: str
    growing_share_start: float
    growing_share_end: float
    seasonal_category: str
    seasonal_amplitude: float
    seasonal_period_weeks: float
    seasonal_peak_week: float
    observation_weeks: float = 104.0


class CoPurchaseTruth(BaseModel):
    """Product pairs: after buying one, the next purchase is its partner with this probability."""

    pairs: list[list[str]]
    follow_probability: float


class ProductTruth(BaseModel):
    """Planted structure in which product each transaction gets (see ``data/synth/products.py``)."""

    trend: CategoryTrendTruth
    co_purchase: CoPurchaseTruth


class UpliftCampaignTruth(BaseModel):
    """One past campaign with a randomised control group."""

    campaign_id: str
    channel: str
    week_before_as_of: float
    reach: float = Field(description="Share of eligible, consenting customers in the test.")
    control_share: float = Field(description="Share of the test held out as control.")


class UpliftTruth(BaseModel):
    """Planted heterogeneous campaign effects (see ``data/synth/uplift.py``).

    Each customer's type, P(convert) treated and control per channel, and true uplift
    (treated - control) are in ``file``.
    """

    types: list[str]
    treated_factor: dict[str, float] = Field(description="Type -> multiplier of the planted channel rate.")
    control_ratio: dict[str, float] = Field(
        description="Type -> P(convert | control) / P(convert | treated)."
    )
    type_shares: dict[str, dict[str, float]] = Field(description="Segment -> type -> base share.")
    type_tilts: dict[str, dict[str, float]] = Field(
        description="Type -> standardised feature -> logit coefficient."
    )
    sizes: dict[str, int] = Field(default_factory=dict)
    campaigns: list[UpliftCampaignTruth]
    file: str = "truth/uplift.csv"


class Truth(BaseModel):
    """Everything planted in one generated dataset."""

    seed: int
    n_customers: int
    as_of: date
    time_unit: str = "week"
    observation_weeks: int
    segments: list[SegmentTruth]
    membership_file: str = "truth/membership.csv"
    churn: ChurnTruth
    channel_costs: dict[str, float]
    variants: list[VariantTruth]
    products: ProductTruth | None = None
    uplift: UpliftTruth | None = None
