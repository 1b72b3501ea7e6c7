"""The guardrail: one call that runs every copy metric on a draft and says what to fix.

``check_copy`` is what the copy generator calls before returning a variant, and what the eval
runner calls on every case. Hard checks decide ``passed``: the format checks (length, tokens,
grounding, compliance, spam, CTA) and the reader's checks (assistant meta-talk, instruction echo,
invented names, unverifiable claims, off-topic, broken text, tone, wrong language, a plural with a
singular verb). Soft scores
(readability, language, sentiment, brand voice, diversity) only warn. A check that could not run
(off-topic or brand voice without an embedder) is listed in ``not_run``: it neither passes nor fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evals.embedding import Embedder
from evals.metrics.brand_voice import brand_voice_check
from evals.metrics.broken import broken_check
from evals.metrics.claims import claims_check
from evals.metrics.compliance import compliance_check
from evals.metrics.cta import cta_check
from evals.metrics.diversity import diversity_check
from evals.metrics.entities import entities_check
from evals.metrics.grammar import grammar_check
from evals.metrics.grounding import Facts, grounding_check
from evals.metrics.instruction_echo import instruction_echo_check
from evals.metrics.language import language_check
from evals.metrics.language_match import language_match_check
from evals.metrics.length import length_check
from evals.metrics.meta_talk import meta_talk_check
from evals.metrics.off_topic import off_topic_check
from evals.metrics.readability import readability_check
from evals.metrics.sentiment import sentiment_check
from evals.metrics.spam import spam_check
from evals.metrics.tokens import tokens_check
from evals.metrics.tone import tone_check
from evals.types import CheckContext, CheckReport, CopyDraft, MetricResult

FORMAT_METRICS = ("length", "tokens", "grounding", "compliance", "spam", "cta")
READER_METRICS = (
    "meta_talk", "instruction_echo", "entities", "claims", "off_topic", "broken_text", "tone", "language_match",
    "grammar",
)  # fmt: skip
HARD_METRICS = FORMAT_METRICS + READER_METRICS
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
        embedder: texts -> vectors, for off-topic, brand voice and diversity; without it those are
            reported as not run.
            Wrap it in ``evals.embedding.CachingEmbedder`` and prime it to batch many drafts.
        siblings: the other variants of the same request (all of them; ``copy`` itself is ignored
            if included), for the diversity check.
        skip: metric names not to run (e.g. ``("language",)`` for very short copy).
        facts: pre-normalised offer facts (``offer_facts(context)``), to reuse across drafts.

    Returns:
        A ``CheckReport``: each metric's result, ``passed`` (no hard check failed), failures,
        warnings and the checks that could not run.
    """
    others = [s for s in siblings if s is not copy and s.parts != copy.parts]
    runs: dict[str, Callable[[], MetricResult]] = {
        "length": lambda: length_check(copy, context.thresholds),
        "tokens": lambda: tokens_check(copy, context),
        "grounding": lambda: grounding_check(copy, context, facts),
        "compliance": lambda: compliance_check(copy, context),
        "spam": lambda: spam_check(copy, context),
        "cta": lambda: cta_check(copy, context),
        "meta_talk": lambda: meta_talk_check(copy, context),
        "instruction_echo": lambda: instruction_echo_check(copy, context),
        "entities": lambda: entities_check(copy, context),
        "claims": lambda: claims_check(copy, context),
        "off_topic": lambda: off_topic_check(copy, context, embedder),
        "broken_text": lambda: broken_check(copy, context),
        "tone": lambda: tone_check(copy, context),
        "language_match": lambda: language_match_check(copy, context),
        "grammar": lambda: grammar_check(copy, context),
        "readability": lambda: readability_check(copy, context),
        "language": lambda: language_check(copy, context),
        "sentiment": lambda: sentiment_check(copy, context),
        "brand_voice": lambda: brand_voice_check(copy, context, embedder),
        "diversity": lambda: diversity_check(copy, others, context, embedder),
    }
    results: list[MetricResult] = [run() for name, run in runs.items() if name not in skip]
    failures = [r.reason for r in results if r.hard and r.status == "failed"]
    warnings = [r.reason for r in results if not r.hard and r.status == "failed"]
    not_run = [f"{r.metric}: {r.reason}" for r in results if r.status == "not_run" and _could_not_run(r)]
    return CheckReport(
        channel=copy.channel, passed=not failures, results=results, failures=failures, warnings=warnings,
        not_run=not_run,
    )  # fmt: skip


def _could_not_run(result: MetricResult) -> bool:
    """A skip that hides a verdict (no embedder, too little text), not a check that does not apply."""
    return not result.reason.startswith(("no compliance lines are required", "a single variant"))
