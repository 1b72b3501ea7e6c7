"""The guardrail: one call that runs every copy metric on a draft and says what to fix.

``check_copy`` is what the copy generator calls before returning a variant, and what the eval
runner calls on every case. Hard checks (length, tokens, grounding, compliance, spam, CTA) decide
``passed``; soft scores (readability, language, sentiment, brand voice, diversity) only warn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evals.embedding import Embedder
from evals.metrics.brand_voice import brand_voice_check
from evals.metrics.compliance import compliance_check
from evals.metrics.cta import cta_check
from evals.metrics.diversity import diversity_check
from evals.metrics.grounding import Facts, grounding_check
from evals.metrics.language import language_check
from evals.metrics.length import length_check
from evals.metrics.readability import readability_check
from evals.metrics.sentiment import sentiment_check
from evals.metrics.spam import spam_check
from evals.metrics.tokens import tokens_check
from evals.types import CheckContext, CheckReport, CopyDraft, MetricResult

HARD_METRICS = ("length", "tokens", "grounding", "compliance", "spam", "cta")
SOFT_METRICS = ("readability", "language", "sentiment", "brand_voice", "diversity")


def check_copy(
    copy: CopyDraft,
    context: CheckContext,
    *,
    embedder: Embedder | None = None,
    siblings: Sequence[CopyDraft] = (),
    skip: Sequence[str] = (),
    facts: Facts | None = None,
) -> CheckReport:
    """Run every metric on ``copy`` and collect the verdict and the reasons of each failure.

    Args:
        copy: the draft (channel and its parts).
        context: offer facts, brand, known personalization fields and thresholds.
        embedder: texts -> vectors, for brand voice and diversity; without it those are skipped.
            Wrap it in ``evals.embedding.CachingEmbedder`` and prime it to batch many drafts.
        siblings: the other variants of the same request, for the diversity check.
        skip: metric names not to run (e.g. ``("language",)`` for very short copy).
        facts: pre-normalised offer facts (``offer_facts(context)``), to reuse across drafts.

    Returns:
        A ``CheckReport``: each metric's result, ``passed`` (all hard checks), failures and warnings.
    """
    runs: dict[str, Callable[[], MetricResult]] = {
        "length": lambda: length_check(copy, context.thresholds),
        "tokens": lambda: tokens_check(copy, context),
        "grounding": lambda: grounding_check(copy, context, facts),
        "compliance": lambda: compliance_check(copy, context),
        "spam": lambda: spam_check(copy, context),
        "cta": lambda: cta_check(copy, context),
        "readability": lambda: readability_check(copy, context),
        "language": lambda: language_check(copy, context),
        "sentiment": lambda: sentiment_check(copy, context),
        "brand_voice": lambda: brand_voice_check(copy, context, embedder),
        "diversity": lambda: diversity_check(copy, siblings, context, embedder),
    }
    results: list[MetricResult] = [run() for name, run in runs.items() if name not in skip]
    failures = [r.reason for r in results if r.hard and not r.passed]
    warnings = [r.reason for r in results if not r.hard and not r.passed]
    return CheckReport(
        channel=copy.channel, passed=not failures, results=results, failures=failures, warnings=warnings
    )
