"""Readability: Flesch-Kincaid grade and Flesch reading ease (textstat 0.7.8)."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import textstat

from evals.limits import PROSE_PARTS
from evals.metrics.cache import text_cache
from evals.metrics.compliance import OPT_OUT_SENTENCE, UNSUBSCRIBE
from evals.metrics.tokens import strip_tokens
from evals.types import CheckContext, CopyDraft, MetricResult

_FOOTER_WORDS = 12  # a line this short that mentions unsubscribing is the footer, not copy
_ADDRESS = re.compile(r"\d+\s+\w+.*,.*\b[A-Z]{2}\s+\d{5}\b|\b\d{5}(?:-\d{4})?\s*,?\s*(?:USA|United States)\b")


@text_cache(8192)
def readability(text: str) -> tuple[float, float]:
    """(Flesch-Kincaid grade, Flesch reading ease) of ``text``; NaN-free."""
    grade = float(textstat.flesch_kincaid_grade(text))
    ease = float(textstat.flesch_reading_ease(text))
    return (0.0 if math.isnan(grade) else grade, 0.0 if math.isnan(ease) else ease)


def prose(draft: CopyDraft) -> str:
    """The draft's prose parts, without compliance lines, tokens replaced by a word, as one text.

    Opt-out wording, unsubscribe lines and the postal-address footer are legal boilerplate, not
    copy: they would drag sentiment down ("STOP") and distort readability.
    """
    return _prose(draft.channel, tuple(draft.parts.items()))


@lru_cache(maxsize=4096)
def _prose(channel: str, items: tuple[tuple[str, str], ...]) -> str:
    names = PROSE_PARTS[channel]
    parts = [text for name, text in items if name in names or name.rpartition("_")[0] in names]
    lines = [OPT_OUT_SENTENCE.sub("", line).strip() for p in parts for line in p.splitlines()]
    kept = [
        x
        for x in lines
        if x and not _ADDRESS.search(x) and not (UNSUBSCRIBE.search(x) and len(x.split()) <= _FOOTER_WORDS)
    ]
    return strip_tokens(" ".join(kept))


def readability_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Soft: the grade should not exceed the threshold (plain copy reads at grade 6-9)."""
    th = context.thresholds
    text = prose(draft)
    words = len(text.split())
    if words < th.min_words_for_readability:
        return MetricResult(
            metric="readability", score=0.0, threshold=th.max_grade, passed=True, hard=False, skipped=True,
            higher_is_better=False, reason=f"too short to score readability ({words} words)",
        )  # fmt: skip
    grade, ease = readability(text)
    passed = grade <= th.max_grade
    reason = f"grade {grade:.1f}, reading ease {ease:.0f}" + (
        "" if passed else f"; above grade {th.max_grade:g}: use shorter sentences and plainer words"
    )
    return MetricResult(
        metric="readability",
        score=round(grade, 2),
        threshold=th.max_grade,
        passed=passed,
        hard=False,
        higher_is_better=False,
        reason=reason,
        details={"reading_ease": round(ease, 2), "words": words},
    )
