"""Off-topic: copy whose meaning is far from the offer and the product it promotes.

Cosine similarity (all-MiniLM-L6-v2, ``evals.embedding``) between the copy without its legal
footer and a reference made of the offer's product, its features and the catalogue description.
The threshold (``Thresholds.min_topic_similarity``, 0.25) was set on the dev split of
``evals/data/copy_judgements.yaml``: off-topic copy there scored at most 0.23, good copy at least 0.32.
"""

from __future__ import annotations

from evals.embedding import Embedder, normalise
from evals.metrics.text import copy_parts
from evals.types import CheckContext, CopyDraft, MetricResult


def topic_reference(context: CheckContext) -> str:
    """What the copy should be about: product, features and catalogue description, as one text."""
    bits = [str(context.offer.get(k, "")) for k in ("product", "features")] + [
        context.product_description or ""
    ]
    return ". ".join(b for b in bits if b)


def topic_text(draft: CopyDraft, context: CheckContext) -> str:
    """The copy the reader sees, without its footer, as one text."""
    return " ".join(t for t in copy_parts(draft, context).values() if t)


def off_topic_check(draft: CopyDraft, context: CheckContext, embed: Embedder | None) -> MetricResult:
    """Fail when the copy's meaning is far from the offer (not run without an embedder or offer)."""
    th = context.thresholds.min_topic_similarity
    reference = topic_reference(context)
    if embed is None or not reference:
        why = "no embedder given" if embed is None else "no product or features in the offer"
        return MetricResult(
            metric="off_topic", score=0.0, threshold=th, passed=True, hard=True, skipped=True,
            reason=f"topic not checked: {why}",
        )  # fmt: skip
    vectors = normalise(embed([topic_text(draft, context), reference]))
    score = float(vectors[0] @ vectors[1])
    passed = score >= th
    reason = f"similarity to the offer and product {score:.2f}" + (
        "" if passed else f" (below {th:.2f}): the copy is about something else; write about the offer"
    )
    return MetricResult(
        metric="off_topic", score=round(score, 4), threshold=th, passed=passed, hard=True, reason=reason
    )
