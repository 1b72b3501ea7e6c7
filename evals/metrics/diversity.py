"""Diversity across variants: how alike the variants of one request are (lower = more diverse).

Variants are compared on what the reader reads as their message, their own words: the legal
footer, the offer line assembled from the facts and the short call-to-action lines are set aside, so
variants that differ only in "Shop now" / "Order now" count as the same copy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from evals.embedding import Embedder, normalise, unit_vectors
from evals.metrics.text import own_words
from evals.types import CheckContext, CopyDraft, MetricResult

_WORD = re.compile(r"[a-z0-9]+")


def _ngrams(text: str, n: int = 2) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str, n: int = 2) -> float:
    """Word n-gram Jaccard similarity of two texts (1 = same n-grams)."""
    ga, gb = _ngrams(a, n), _ngrams(b, n)
    if not ga and not gb:
        return 1.0
    return len(ga & gb) / len(ga | gb)


def self_similarity(texts: Sequence[str], embed: Embedder | None = None) -> float:
    """Mean pairwise similarity of the texts: cosine of embeddings if given, else bigram Jaccard."""
    if len(texts) < 2:
        return 0.0
    if embed is not None:
        v = normalise(embed(list(texts)))
        sims = v @ v.T
        iu = np.triu_indices(len(texts), k=1)
        return float(sims[iu].mean())
    return float(np.mean([jaccard(a, b) for a, b in combinations(texts, 2)]))


def message(draft: CopyDraft, context: CheckContext) -> str:
    """What the reader reads as the variant's message: its own words (``evals.metrics.text.own_words``)."""
    return own_words(draft, context)


def diversity_check(
    draft: CopyDraft, siblings: Sequence[CopyDraft], context: CheckContext, embed: Embedder | None = None
) -> MetricResult:
    """Soft: this variant should not be a near-copy of its siblings (max similarity to any of them)."""
    th = context.thresholds.max_variant_similarity
    if not siblings:
        return MetricResult(
            metric="diversity", score=0.0, threshold=th, passed=True, hard=False, skipped=True,
            higher_is_better=False, reason="a single variant: nothing to compare",
        )  # fmt: skip
    mine = message(draft, context)
    others = [message(s, context) for s in siblings]
    if embed is not None:
        v = unit_vectors(embed, [mine, *others])
        sims = [float(x) for x in v[1:] @ v[0]]
        how = "cosine"
    else:
        sims = [jaccard(mine, o) for o in others]
        how = "bigram Jaccard"
    worst = max(sims)
    passed = worst <= th
    reason = f"closest sibling {how} similarity {worst:.2f}" + (
        "" if passed else f" (above {th:.2f}): vary the angle, opening and wording"
    )
    return MetricResult(
        metric="diversity", score=round(worst, 4), threshold=th, passed=passed, hard=False,
        higher_is_better=False, reason=reason, details={"method": how},
    )  # fmt: skip
