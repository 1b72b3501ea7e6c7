"""Sentiment: VADER compound score (-1 very negative .. +1 very positive)."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from evals.metrics.cache import text_cache
from evals.metrics.readability import prose
from evals.types import CheckContext, CopyDraft, MetricResult


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@text_cache(8192)
def sentiment(text: str) -> float:
    """VADER compound score of ``text``."""
    return float(_analyzer().polarity_scores(text)["compound"])


def sentiment_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Soft: marketing copy should not read as negative."""
    th = context.thresholds.min_sentiment
    score = sentiment(prose(draft))
    passed = score >= th
    tone = "positive" if score >= 0.05 else ("negative" if score <= -0.05 else "neutral")
    reason = f"{tone} tone (VADER {score:+.2f})" + (
        "" if passed else f"; below {th:+.2f}: reframe positively"
    )
    return MetricResult(
        metric="sentiment", score=round(score, 4), threshold=th, passed=passed, hard=False, reason=reason
    )
