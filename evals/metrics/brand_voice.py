"""Brand-voice similarity: cosine similarity of the copy's own words to the brand's example copy.

The copy's own words (``evals.metrics.text.own_words``: without the assembled offer line, CTA,
greeting and footer) are the same text off-topic and diversity embed, so one vector serves all three.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.embedding import Embedder, unit_vectors
from evals.metrics.text import own_words
from evals.types import CheckContext, CopyDraft, MetricResult


def voice_similarity(texts: Sequence[str], examples: Sequence[str], embed: Embedder) -> list[float]:
    """For each text, the mean of its top-3 cosine similarities to the examples (one batched call)."""
    if not texts or not examples:
        return [0.0] * len(texts)
    vectors = unit_vectors(embed, [*texts, *examples])
    sims = vectors[: len(texts)] @ vectors[len(texts) :].T
    k = min(3, len(examples))
    top = -np.sort(-sims, axis=1)[:, :k]
    return [float(v) for v in top.mean(axis=1)]


def brand_voice_check(draft: CopyDraft, context: CheckContext, embed: Embedder | None) -> MetricResult:
    """Soft: the copy should sound like the brand's examples (skipped without examples or embedder)."""
    th = context.thresholds.min_brand_similarity
    if embed is None or not context.brand_examples:
        why = "no embedder given" if embed is None else "no brand examples in the context"
        return MetricResult(
            metric="brand_voice", score=0.0, threshold=th, passed=True, hard=False, skipped=True,
            reason=f"brand voice not scored: {why}",
        )  # fmt: skip
    (score,) = voice_similarity([own_words(draft, context)], context.brand_examples, embed)
    passed = score >= th
    reason = f"similarity to the brand examples {score:.2f}" + (
        "" if passed else f" (below {th:.2f}): follow the tone and rhythm of the brand's example lines"
    )
    return MetricResult(
        metric="brand_voice", score=round(score, 4), threshold=th, passed=passed, hard=False, reason=reason
    )
