"""Candidate lines: one prompt per angle, all of a slot answered in one batched model call.

Each slot of a channel (email subject and opening, SMS hook, push title...) gets one conversation
per angle (benefit, product detail, urgency from the deadline, the segment's situation), grounded
in the brand's voice examples and past winning copy. The answers are cleaned and screened; the
generator assembles and checks the survivors and chooses among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.metrics.grounding import Facts
from prompts import Prompt, load_prompt
from tools.chat_model import BatchChatModel, ChatModel, Message, chat_batch
from tools.copy.compose import LineSpec, clean_line
from tools.copy.models import CopyRequest
from tools.copy.screen import screen_line, sentence_case, whole_sentences


@dataclass(frozen=True)
class Line:
    """One candidate line for a slot: its text, angle, the raw answer and why it is unusable."""

    part: str
    angle: str
    text: str
    raw: str
    problems: tuple[str, ...] = ()
    template: bool = False


@dataclass
class Writer:
    """Builds the prompts of one request and asks the model for a slot's candidates in one call."""

    request: CopyRequest
    model: ChatModel
    facts: Facts
    templates: dict[str, Any]
    known: frozenset[str]
    prompt: Prompt = field(default_factory=lambda: load_prompt("copy"))
    calls: int = 0
    tokens: int = 0
    backend: str = ""
    model_name: str = ""

    def angles(self) -> dict[str, str]:
        """Angle key -> its wording for this offer (urgency only when the offer has a deadline)."""
        req = self.request
        features = req.offer.features or req.offer.product
        out = {
            key: str(text).format(features=features, audience=req.segment.audience())
            for key, text in self.prompt.raw("angles").items()
        }
        if req.offer.deadline is None:
            out.pop("urgency", None)
        return out

    def _system(self) -> str:
        req = self.request
        examples = [*req.brand.examples[:4], *req.past_copy[:3]]
        listed = "\n".join(f"- {e}" for e in examples) or "- (none given)"
        return self.prompt.render(
            "system",
            brand=req.brand.name,
            voice=req.brand.voice,
            language=self.templates["name"],
            examples=listed,
        )

    def messages(self, spec: LineSpec, angle: str, feedback: str | None = None) -> list[Message]:
        """System prompt, worked examples, then this line's task (and earlier failures, if any)."""
        req = self.request
        out: list[Message] = [{"role": "system", "content": self._system()}]
        for shot in self.prompt.raw("shots")[spec.kind]:
            out.append({"role": "user", "content": shot["user"]})
            out.append({"role": "assistant", "content": shot["assistant"]})
        kind = self.prompt.raw("kinds")[spec.kind]
        label = self.templates["labels"][spec.label]
        features = f" ({req.offer.features})" if req.offer.features else ""
        task = self.prompt.render(
            "task",
            instruction=kind["instruction"].format(label=label, words=spec.words),
            product=req.offer.product,
            features=features,
            audience=req.segment.audience(),
            angle=angle,
        )
        if feedback:
            task += "\n" + self.prompt.render("retry", feedback=feedback)
        out.append({"role": "user", "content": task})
        return out

    def lines(
        self, spec: LineSpec, angles: list[tuple[str, str]], temperature: float, feedback: str | None
    ) -> list[Line]:
        """One candidate per ``(key, wording)`` angle, from one batched call where the backend allows."""
        kind: dict[str, Any] = self.prompt.raw("kinds")[spec.kind]
        conversations = [self.messages(spec, wording, feedback) for _, wording in angles]
        results = chat_batch(
            self.model,
            conversations,
            max_tokens=int(kind["max_tokens"]),
            temperature=temperature,
            stop=list(kind.get("stop") or []),
        )
        self.calls += 1 if isinstance(self.model, BatchChatModel) else len(results)
        out = []
        for (key, _), result in zip(angles, results, strict=True):
            self.tokens += result.completion_tokens
            self.backend, self.model_name = result.backend, result.model
            out.append(self.line(spec, key, result.text))
        return out

    def line(self, spec: LineSpec, angle: str, raw: str) -> Line:
        """A raw answer cleaned, put in sentence case and screened."""
        cleaned = clean_line(whole_sentences(raw) if spec.sentences > 1 else raw, spec, self.facts)
        text = sentence_case(cleaned.text, self.known)
        problems = screen_line(text, known=self.known, language=self.request.language, sentences=spec.sentences)
        if cleaned.dropped and not text:
            problems = [f"dropped {why}" for why in cleaned.dropped]
        return Line(spec.part, angle, text, raw.strip(), tuple(problems))

    def template_line(self, spec: LineSpec, angle: str) -> Line:
        """The brand's fixed line for this slot and angle (``prompts/copy_templates.yaml``)."""
        lines: dict[str, dict[str, str]] = self.templates["lines"]
        text = lines[spec.kind][angle].format(product=self.request.offer.product)
        return Line(spec.part, angle, text, text, template=True)
