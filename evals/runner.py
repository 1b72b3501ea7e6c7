"""Run a suite: get each case's copy (fixed or generated), check every variant, collect results."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from data.errors import MktError
from evals.checks import check_copy
from evals.embedding import CachingEmbedder, Embedder
from evals.generators import GenerationRequest, GeneratorUnavailable, as_draft, resolve_generator
from evals.judge import Complete, judge_check
from evals.metrics.diversity import self_similarity
from evals.metrics.grounding import offer_facts
from evals.metrics.off_topic import topic_references
from evals.metrics.text import own_words
from evals.suite import Case, Suite
from evals.types import CheckContext, CheckReport, CopyDraft

Status = Literal["passed", "failed", "skipped", "error"]


class VariantResult(BaseModel):
    """One variant's copy and its check report."""

    index: int
    parts: dict[str, str]
    report: CheckReport


class CaseResult(BaseModel):
    """A case's outcome: status against its expectation, each variant's report, mean scores."""

    id: str
    channel: str
    source: Literal["fixed", "generated"]
    status: Status
    reason: str = ""
    variants: list[VariantResult] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict, description="Mean score per metric.")
    self_similarity: float | None = None
    seconds: float = 0.0


class SuiteResult(BaseModel):
    """Every case of one run, and the run's metadata."""

    suite: str
    started: str
    seconds: float
    embeddings: bool
    cases: list[CaseResult]

    def counts(self) -> dict[str, int]:
        """Cases per status."""
        out = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
        for c in self.cases:
            out[c.status] += 1
        return out

    def metric_scores(self) -> dict[str, list[float]]:
        """Every scored (not skipped) variant result, per metric, for charts."""
        out: dict[str, list[float]] = {}
        for c in self.cases:
            for v in c.variants:
                for r in v.report.results:
                    if not r.skipped:
                        out.setdefault(r.metric, []).append(r.score)
        return out


def _verdict(case: Case, reports: list[CheckReport]) -> tuple[Status, str]:
    failed_metrics = {r.metric for rep in reports for r in rep.results if r.hard and not r.passed}
    all_passed = all(rep.passed for rep in reports)
    if case.expect.passed:
        if all_passed:
            return "passed", ""
        reasons = [f"variant {i + 1}: {f}" for i, rep in enumerate(reports) for f in rep.failures]
        return "failed", "; ".join(reasons)
    missing = [m for m in case.expect.failing if m not in failed_metrics]
    if all_passed:
        return "failed", "expected the guardrail to reject this copy, but every hard check passed"
    if missing:
        return (
            "failed",
            f"expected {', '.join(missing)} to fail; failed instead: {', '.join(sorted(failed_metrics))}",
        )
    return "passed", f"rejected as expected ({', '.join(sorted(failed_metrics))})"


class GenerationDisabled(GeneratorUnavailable):
    """The run was asked to score fixed copy only."""


def _drafts(suite: Suite, case: Case, generate: bool) -> list[CopyDraft]:
    if case.generate is None:
        return [CopyDraft(channel=case.channel, parts=v, language=case.language) for v in case.variants]
    if not generate:
        raise GenerationDisabled("generation disabled for this run (fixed copy only)")
    ctx = suite.context(case)
    generator = resolve_generator(case.generate.generator)
    request = GenerationRequest(
        channel=case.channel,
        segment=case.segment,
        offer={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in case.offer.items()},
        brand=ctx.brand,
        brand_examples=ctx.brand_examples,
        postal_address=ctx.postal_address,
        personalization_fields=ctx.personalization_fields,
        language=ctx.language,
        n_variants=case.generate.n_variants,
        options=case.generate.options,
    )
    return [as_draft(item, case.channel) for item in generator(request)]


def _with_judge(report: CheckReport, draft: CopyDraft, ctx: CheckContext, judge: Complete) -> CheckReport:
    result = judge_check(draft, ctx, judge)
    warnings = report.warnings + ([] if result.passed else [result.reason])
    return report.model_copy(update={"results": [*report.results, result], "warnings": warnings})


def run_case(
    suite: Suite,
    case: Case,
    embedder: Embedder | None,
    judge: Complete | None = None,
    *,
    generate: bool = True,
) -> CaseResult:
    """Get the case's variants, check each (with its siblings), and judge against the expectation.

    ``judge`` (optional, off by default) adds the LLM judge's rubric score as a soft metric.
    """
    started = time.perf_counter()
    source: Literal["fixed", "generated"] = "fixed" if case.generate is None else "generated"
    base = {"id": case.id, "channel": case.channel, "source": source}
    try:
        drafts = _drafts(suite, case, generate)
    except GeneratorUnavailable as exc:
        return CaseResult(**base, status="skipped", reason=str(exc))
    except MktError as exc:
        return CaseResult(**base, status="error", reason=f"generator failed: {exc}")
    if not drafts:
        return CaseResult(**base, status="error", reason="the generator returned no variants")
    ctx = suite.context(case)
    facts = offer_facts(ctx)
    if isinstance(embedder, CachingEmbedder):
        refs = topic_references(ctx)
        embedder.prime([own_words(d, ctx) for d in drafts] + [d.text() for d in drafts] + refs)
    reports = [
        check_copy(d, ctx, embedder=embedder, siblings=drafts[:i] + drafts[i + 1 :], facts=facts)
        for i, d in enumerate(drafts)
    ]
    if judge is not None:
        reports = [_with_judge(r, d, ctx, judge) for r, d in zip(reports, drafts, strict=True)]
    status, reason = _verdict(case, reports)
    scores: dict[str, list[float]] = {}
    for rep in reports:
        for r in rep.results:
            if not r.skipped:
                scores.setdefault(r.metric, []).append(r.score)
    return CaseResult(
        **base,
        status=status,
        reason=reason,
        variants=[
            VariantResult(index=i, parts=d.parts, report=r)
            for i, (d, r) in enumerate(zip(drafts, reports, strict=True))
        ],
        scores={k: round(float(np.mean(v)), 4) for k, v in scores.items()},
        self_similarity=round(self_similarity([d.text() for d in drafts], embedder), 4)
        if len(drafts) > 1
        else None,
        seconds=round(time.perf_counter() - started, 3),
    )


def run_suite(
    suite: Suite,
    *,
    embedder: Embedder | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
    judge: Complete | None = None,
    generate: bool = True,
) -> SuiteResult:
    """Run every case in order; ``on_case`` is called after each (for a progress bar).

    ``judge`` is an optional ``complete(system, user) -> str`` chat function for the LLM judge;
    ``generate=False`` scores the fixed copy only and marks generator cases skipped.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    cached = (
        CachingEmbedder(embedder)
        if embedder is not None and not isinstance(embedder, CachingEmbedder)
        else embedder
    )
    if isinstance(cached, CachingEmbedder):
        fixed = [
            (CopyDraft(channel=c.channel, parts=v), suite.context(c)) for c in suite.cases for v in c.variants
        ]
        texts = [t for d, ctx in fixed for t in (own_words(d, ctx), d.text(), *topic_references(ctx))]
        cached.prime(texts)
    results = []
    for case in suite.cases:
        result = run_case(suite, case, cached, judge, generate=generate)
        results.append(result)
        if on_case is not None:
            on_case(result)
    return SuiteResult(
        suite=suite.name,
        started=started.isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - t0, 3),
        embeddings=embedder is not None,
        cases=results,
    )
