"""Pydantic input and output models of the product recommender."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

RankBy = Literal["score", "lift"]


class RecommendParams(BaseModel):
    """Who to recommend for: customers by id, or a segment's offer candidates."""

    customer_ids: list[str] = Field(default_factory=list, description="Customers to recommend for.")
    segment: str | None = Field(default=None, description="Segment name (needs a segments table).")
    k: int = Field(default=10, ge=1, le=100, description="Products per customer or segment.")
    rank_by: RankBy = Field(
        default="score",
        description="Segment products by next-purchase 'score' or by 'lift' over all customers.",
    )
    half_life_weeks: float = Field(
        default=4.0, gt=0, description="A purchase this many weeks old counts half as much as a new one."
    )
    as_of: datetime | None = Field(default=None, description="Use purchases up to this time.")


class EvaluateParams(BaseModel):
    """Time-based holdout: train on purchases before the cutoff, predict each customer's next product."""

    holdout_weeks: int = Field(default=13, ge=1, le=104, description="Weeks before the data's end held out.")
    k: int = Field(default=10, ge=1, le=100, description="Cut-off of hit-rate@k.")
    half_life_weeks: float = Field(default=4.0, gt=0, description="Recency half-life of purchase weights.")


class ProductScore(BaseModel):
    """One recommended product."""

    product_id: str
    category: str | None = None
    score: float = Field(description="Co-purchase similarity to the customer's recent purchases.")


class CustomerRecommendation(BaseModel):
    """Next products for one customer; ``excluded`` were just bought and are never recommended."""

    customer_id: str
    products: list[ProductScore]
    excluded: list[str]
    basis: str = Field(description="'co-purchase' or 'popularity' (no purchase history).")


class SegmentProduct(BaseModel):
    """A product as an offer candidate for a segment."""

    product_id: str
    category: str | None = None
    score: float = Field(description="Mean next-purchase score over the segment's customers.")
    segment_share: float = Field(description="Share of the segment's purchases that were this product.")
    lift: float = Field(
        description="Segment share / share over all customers (>1: the segment likes it more)."
    )


class SegmentOffers(BaseModel):
    """Top products of one segment: offer candidates for copy."""

    segment: str
    customers: int
    rank_by: RankBy
    products: list[SegmentProduct]


class Recommendations(BaseModel):
    """Answer of ``recommend``."""

    as_of: datetime
    customers: list[CustomerRecommendation]
    segment: SegmentOffers | None = None
    products_known: int
    seconds: float


class HoldoutResult(BaseModel):
    """Hit-rate@k of the recommender and of a popularity baseline on the same customers."""

    cutoff: datetime
    holdout_weeks: int
    k: int
    customers: int = Field(description="Customers with history before and a purchase after the cutoff.")
    hit_rate: float
    baseline_hit_rate: float = Field(description="Top-k most bought products (same exclusions).")
    lift: float = Field(description="hit_rate / baseline_hit_rate.")
    seconds: float
