"""The copy generator: model-written lines, code-assembled parts, and the guardrail on every variant.

For each variant: write each creative line with a tight prompt (a different angle per variant),
assemble the channel's parts in code, then run ``evals.checks.check_copy``. A variant that fails
is rewritten with the failures fed back (sampling instead of greedy decoding), at most
``max_attempts`` times; one that still fails is returned with ``passed=False`` and its reasons.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from evals.checks import check_copy
from evals.embedding import Embedder
from evals.metrics.grounding import Facts, offer_facts
from evals.types import CheckContext, CheckReport, CopyDraft
from prompts import Prompt, load_prompt
from tools.chat_model import ChatModel, Message
from tools.copy.compose import CHANNEL_LINES, CleanLine, LineSpec, assemble, clean_line
from tools.copy.models import CopyRequest, CopyResult, CopyVariant

Checker = Callable[..., CheckReport]
Progress = Callable[[str], None]

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
}
RETRY_TEMPERATURE = 0.7


def check_context(request: CopyRequest) -> CheckContext:
    """What the guardrail checks a variant against: the offer, the brand and the audience."""
    return CheckContext(
        offer=request.offer.as_context(),
        brand=request.brand.name,
        postal_address=request.brand.postal_address,
        brand_examples=request.brand.examples,
        personalization_fields=request.personalization_fields,
        segment=request.segment.name,
        language=request.language,
    )


class _Writer:
    """Builds the prompts for one request and asks the model for each line."""

    def __init__(self, request: CopyRequest, model: ChatModel, facts: Facts) -> None:
        self.request = request
        self.model = model
        self.facts = facts
        self.prompt: Prompt = load_prompt("copy")
        self.labels: dict[str, str] = load_prompt("copy_templates").raw("labels")
        self.calls = 0
        self.tokens = 0
        self.backend = ""
        self.model_name = ""

    def _task(self, spec: LineSpec, angle: str, offer_product: str, features: str, audience: str) -> str:
        kind = self.prompt.raw("kinds")[spec.kind]
        instruction = kind["instruction"].format(label=self.labels[spec.label], words=spec.words)
        return self.prompt.render(
            "task",
            instruction=instruction,
            product=offer_product,
            features=features,
            audience=audience,
            angle=angle,
        )

    def messages(
        self, spec: LineSpec, angle: str, previous: str | None, feedback: str | None
    ) -> list[Message]:
        """System prompt, worked examples, then this line's task (and the last failures, if any)."""
        req = self.request
        language = LANGUAGE_NAMES.get(req.language, req.language)
        system = self.prompt.render("system", brand=req.brand.name, voice=req.brand.voice, language=language)
        out: list[Message] = [{"role": "system", "content": system}]
        for shot in self.prompt.raw("shots")[spec.kind]:
            out.append({"role": "user", "content": shot["user"]})
            out.append({"role": "assistant", "content": shot["assistant"]})
        features = f" ({req.offer.features})" if req.offer.features else ""
        task = self._task(spec, angle, req.offer.product, features, req.segment.audience())
        if previous is not None and feedback:
            task += "\n" + self.prompt.render("retry", previous=previous, feedback=feedback)
        out.append({"role": "user", "content": task})
        return out

    def line(
        self, spec: LineSpec, angle: str, temperature: float, previous: str | None, feedback: str | None
    ) -> tuple[str, CleanLine]:
        """One line from the model: the raw answer and its cleaned form."""
        kind: dict[str, Any] = self.prompt.raw("kinds")[spec.kind]
        result = self.model.chat(
            self.messages(spec, angle, previous, feedback),
            max_tokens=int(kind["max_tokens"]),
            temperature=temperature,
            stop=list(kind.get("stop") or []),
        )
        self.calls += 1
        self.tokens += result.completion_tokens
        self.backend, self.model_name = result.backend, result.model
        return result.text.strip(), clean_line(result.text, spec, self.facts)


def _problems(cleaned: dict[str, CleanLine], others: Sequence[dict[str, str]]) -> list[str]:
    found = [f"{part}: dropped {why}" for part, line in cleaned.items() for why in line.dropped]
    lines = {part: line.text for part, line in cleaned.items()}
    found += [f"the model wrote no usable {part}" for part, text in lines.items() if not text]
    for part, text in lines.items():
        if text and any(o.get(part, "").lower() == text.lower() for o in others):
            found.append(f"the {part} repeats another variant's; write a different one")
    return found


def generate_copy(
    request: CopyRequest,
    model: ChatModel,
    *,
    embedder: Embedder | None = None,
    checker: Checker = check_copy,
    progress: Progress | None = None,
) -> CopyResult:
    """Write ``request.variants`` variants, each checked by the guardrail before it is returned."""
    started = time.perf_counter()
    context = check_context(request)
    facts = offer_facts(context)
    writer = _Writer(request, model, facts)
    angles: list[str] = list(writer.prompt.raw("angles"))
    specs = CHANNEL_LINES[request.channel]
    variants: list[CopyVariant] = []
    accepted: list[CopyDraft] = []
    for index in range(request.variants):
        angle = angles[index % len(angles)]
        previous: dict[str, str] = {}
        feedback: str | None = None
        for attempt in range(1, request.max_attempts + 1):
            if progress is not None:
                progress(f"variant {index + 1}/{request.variants}, attempt {attempt}")
            temperature = 0.0 if attempt == 1 else RETRY_TEMPERATURE
            answers = {
                s.part: writer.line(s, angle, temperature, previous.get(s.part), feedback) for s in specs
            }
            cleaned = {part: clean for part, (_, clean) in answers.items()}
            parts, used = assemble(request, {part: c.text for part, c in cleaned.items()}, index)
            draft = CopyDraft(channel=request.channel, parts=parts, language=request.language)
            report = checker(draft, context, embedder=embedder, siblings=accepted, facts=facts)
            failures = _problems(cleaned, [v.parts for v in variants]) + report.failures
            previous = {part: raw for part, (raw, _) in answers.items()}
            feedback = "\n".join(f"- {f}" for f in failures)
            if not failures or attempt == request.max_attempts:
                break
        variant = CopyVariant(
            index=index + 1,
            parts=parts,
            facts_used=used,
            passed=not failures,
            failures=failures,
            warnings=report.warnings,
            checks=report.results,
            attempts=attempt,
            backend=writer.backend,
            model=writer.model_name,
        )
        variants.append(variant)
        if variant.passed:
            accepted.append(draft)
    return CopyResult(
        channel=request.channel,
        language=request.language,
        variants=variants,
        passed=sum(v.passed for v in variants),
        model_calls=writer.calls,
        completion_tokens=writer.tokens,
        seconds=time.perf_counter() - started,
    )
