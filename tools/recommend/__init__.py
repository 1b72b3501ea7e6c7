"""Product recommendations from purchase history (item-item co-purchase similarity)."""

from tools.recommend.api import evaluate_holdout, recommend, segment_top_products
from tools.recommend.models import (
    EvaluateParams,
    HoldoutResult,
    Recommendations,
    RecommendParams,
    SegmentOffers,
)

__all__ = [
    "EvaluateParams",
    "HoldoutResult",
    "RecommendParams",
    "Recommendations",
    "SegmentOffers",
    "evaluate_holdout",
    "recommend",
    "segment_top_products",
]
