"""Candidate lines: one prompt per angle, all of a slot answered in one batched model call.

Each slot of a channel (email subject and opening, SMS hook, push title...) gets one conversation
per angle (benefit, product detail, urgency from the deadline, the segment's situation), grounded
in the brand's voice examples and past winning copy. The answers are cleaned and screened; the
generator assembles and checks the survivors and chooses among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.metrics.grammar import is_plural
from evals.metrics.grounding import Facts
from prompts import Prompt, load_prompt
from tools.chat_model import BatchChatModel, ChatModel, Message, chat_batch
from tools.copy.compose import LineSpec, article, clean_line
from tools.copy.models import CopyRequest
from tools.copy.screen import screen_line, sentence_case, spell_names, whole_sentences


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

    def audience(self) -> str:
        """The segment's situation in customer words (``situations`` in ``prompts/copy.yaml``)."""
        said = f"{self.request.segment.name} {self.request.segment.description}".lower()
        situations: list[dict[str, Any]] = self.prompt.raw("situations")
        for entry in situations:
            if any(word in said for word in entry["words"]):
                return str(entry["text"])
        return str(situations[-1]["text"])

    def angles(self) -> dict[str, str]:
        """Angle key -> its wording for this offer (urgency only when the offer has a deadline)."""
        req = self.request
        features = req.offer.features or req.offer.product
        out = {
            key: str(text).format(features=features, audience=self.audience())
            for key, text in self.prompt.raw("angles").items()
        }
        if req.offer.deadline is None:
            out.pop("urgency", None)
        return out

    def _system(self) -> str:
        req = self.request
        examples = [*req.brand.examples[:3], *req.past_copy[:2]]
        listed = "\n".join(f"- {e}" for e in examples) or "- (none given)"
        return self.prompt.render(
            "system",
            brand=req.brand.name,
            voice=req.brand.voice,
            language=self.templates["name"],
            examples=listed,
        )

    def messages(self, spec: LineSpec, angle: str, feedback: str | None = None) -> list[Message]:
        """System prompt, worked examples, then earlier failures (if any) and this line's task."""
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
            audience=self.audience(),
            angle=angle,
        )
        if feedback:  # before the task, whose angle comes last: the batch shares everything before it
            task = self.prompt.render("retry", feedback=feedback) + task
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
            cut = result.completion_tokens >= int(kind["max_tokens"])
            out.append(self.line(spec, key, result.text, cut=cut))
        return out

    def _shots(self, spec: LineSpec) -> set[str]:
        return {str(shot["assistant"]).lower() for shot in self.prompt.raw("shots")[spec.kind]}

    def line(self, spec: LineSpec, angle: str, raw: str, *, cut: bool = False) -> Line:
        """A raw answer cleaned, put in sentence case and screened (``cut``: it hit the token limit)."""
        usable = whole_sentences(raw) if spec.sentences > 1 else raw
        cleaned = clean_line(usable, spec, self.facts)
        text = spell_names(sentence_case(cleaned.text, self.known), [self.request.brand.name, *self.names()])
        label = self.templates["labels"][spec.label]
        prompt = f"{label}. {self.angles().get(angle, '')}. {self.audience()}"
        problems = screen_line(
            text,
            known=self.known,
            language=self.request.language,
            sentences=spec.sentences,
            prompt=prompt,
            plural_names=self.plural_names(),
        )
        if cleaned.dropped and not text:
            problems = [f"dropped {why}" for why in cleaned.dropped]
        if cut and usable.strip() == raw.strip() and not text.endswith((".", "?", "\u3002")):
            problems.append("it was cut off before it ended")
        if text.lower().rstrip(".") in {s.rstrip(".") for s in self._shots(spec)}:
            problems.append("it copies the prompt's worked example")
        return Line(spec.part, angle, text, raw.strip(), tuple(dict.fromkeys(problems)))

    def names(self) -> list[str]:
        """The offer's product and the catalogue's names."""
        return list(
            dict.fromkeys([self.request.offer.product, *(item.name for item in self.request.catalogue)])
        )

    def plural_names(self) -> list[str]:
        """The offer's product and catalogue names that take a plural verb ("running shoes are")."""
        return [n for n in self.names() if is_plural(n)]

    def template_line(self, spec: LineSpec, angle: str) -> Line:
        """The brand's fixed line for this slot and angle (``prompts/copy_templates.yaml``).

        ``{is}`` and ``{the}`` agree with the product: "our running shoes are", "the Ridgeback 3 is".
        """
        lines: dict[str, dict[str, str]] = self.templates["lines"]
        product = self.request.offer.product
        verb = "are" if is_plural(product) else "is"
        names = {"product": product, "is": verb, "the": article(product, self.templates)}
        text = lines[spec.kind][angle].format_map(names)
        return Line(spec.part, angle, text, text, template=True)
