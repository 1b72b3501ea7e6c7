"""Pydantic input and output models of the segmenter."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator


class SegmentParams(BaseModel):
    """What to segment on and how.

    ``k`` fixes the number of segments; otherwise k is chosen by the silhouette score over
    ``k_min..k_max`` (on a sample of at most ``search_sample`` customers, scored on at most
    ``silhouette_sample``).
    """

    k: int | None = Field(default=None, ge=2, le=12, description="Number of segments (else chosen).")
    k_min: int = Field(default=3, ge=2, le=12, description="Smallest k tried by the silhouette search.")
    k_max: int = Field(default=8, ge=2, le=12, description="Largest k tried by the silhouette search.")
    seed: int = Field(default=7, description="Random seed: same data and seed, same segments.")
    attributes: list[str] = Field(
        default_factory=list, description="Extra numeric customer columns used as features."
    )
    as_of: datetime | None = Field(default=None, description="Analysis date (default: last transaction).")
    search_sample: int = Field(default=50_000, ge=100, description="Customers used to choose k.")
    silhouette_sample: int = Field(default=5_000, ge=100, description="Customers scored per k.")

    @model_validator(mode="after")
    def _check_range(self) -> SegmentParams:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self


class SegmentProfile(BaseModel):
    """One segment: its name, size and what its customers look like."""

    segment: str
    cluster: int = Field(description="KMeans cluster index behind the name.")
    size: int
    share: float
    recency_days: float = Field(description="Median days since the last purchase.")
    purchase_days: float = Field(description="Mean number of distinct purchase days.")
    purchases_per_month: float = Field(description="Mean purchase days per 30 days of tenure.")
    order_value: float = Field(description="Mean amount per transaction.")
    total_spend: float = Field(description="Mean total spend per customer.")
    tenure_days: float = Field(description="Median days since the first purchase.")
    attributes: dict[str, float] = Field(default_factory=dict, description="Mean of each extra attribute.")
    centroid: dict[str, float] = Field(description="Segment centre in standardised feature units.")


class TierCount(BaseModel):
    """A rule-based RFM tier (from quintile scores) and how many customers are in it."""

    tier: str
    size: int
    share: float


class SegmentReport(BaseModel):
    """What the segmenter found (membership itself is in the ``segments`` table or a file)."""

    run_id: str
    as_of: datetime
    n_customers: int
    k: int
    k_chosen_by: str = Field(description="'silhouette', 'given' or 'degenerate'.")
    silhouette: dict[int, float] = Field(description="Silhouette score per k tried (sampled).")
    features: list[str]
    seed: int
    segments: list[SegmentProfile]
    tiers: list[TierCount]
    seconds: float
    engine: str = Field(default="duckdb", description="Engine that computed it: duckdb or spark.")
    output: str | None = Field(default=None, description="Where per-customer rows were written (Spark).")
    notes: list[str] = Field(default_factory=list)
