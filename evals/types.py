"""Typed inputs and outputs of the copy checks: the draft, its context, one metric result, the report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

Channel = Literal["email", "sms", "push", "social", "ads"]
Status = Literal["passed", "failed", "not_run"]


class MetricResult(BaseModel):
    """One metric's verdict on one piece of copy.

    ``score`` is on the metric's own scale (see ``unit``); ``passed`` compares it with ``threshold``;
    ``reason`` says in plain words what was found, so it can be fed back to a model. ``status`` is
    what to show: a check that could not run (``skipped``: no embedder, too little text, nothing to
    compare) is ``not_run``, never a pass, though ``passed`` stays True so it fails nothing.
    """

    model_config = ConfigDict(frozen=True)

    metric: str = Field(description="Metric name, e.g. 'length', 'grounding'.")
    score: float = Field(description="The measured value (finite).")
    threshold: float | None = Field(default=None, description="The limit the score is compared with.")
    passed: bool
    hard: bool = Field(description="A hard check fails the copy; a soft one only warns.")
    reason: str = Field(description="What was found, in plain words.")
    higher_is_better: bool = Field(default=True, description="Direction used by baseline comparisons.")
    skipped: bool = Field(default=False, description="Not applicable or not computable here.")
    details: dict[str, object] = Field(default_factory=dict, description="Machine-readable extras.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Status:
        """``passed``, ``failed`` or ``not_run`` (skipped: not applicable or not computable here)."""
        if self.skipped:
            return "not_run"
        return "passed" if self.passed else "failed"


class CopyDraft(BaseModel):
    """Channel-ready copy: the channel and its named parts.

    Parts by channel: email ``subject``, ``preheader``, ``body``; sms ``text``; push ``title``,
    ``body``; ads ``headline`` (``headline_2``...), ``description``; social ``text``.
    """

    channel: Channel
    parts: dict[str, str] = Field(min_length=1)
    language: str | None = Field(default=None, description="ISO 639-1 code the copy is meant to be in.")

    def text(self) -> str:
        """All parts joined, in order, one per line."""
        return "\n".join(v for v in self.parts.values() if v)


class Thresholds(BaseModel):
    """Limits of the soft and hard metrics; suites and callers override any of them."""

    max_sms_segments: int = Field(default=1, ge=1, description="SMS parts allowed (the brand says 1).")
    max_sms_segments_ucs2: int = Field(
        default=2,
        ge=1,
        description="SMS parts allowed for UCS-2 copy: a language GSM-7 cannot write (zh, ja, ko: 70 characters "
        "a part, so 2 parts, 134 characters, hold the offer, brand and opt-out), or an emoji in English.",
    )
    max_grade: float = Field(default=9.0, description="Highest Flesch-Kincaid grade for body copy.")
    max_exclamations: int = Field(default=1, ge=0)
    max_shouting: float = Field(default=0.2, description="Largest share of ALL-CAPS words.")
    max_spam_words: int = Field(default=0, ge=0)
    min_brand_similarity: float = Field(default=0.3, description="Cosine similarity to brand examples.")
    max_variant_similarity: float = Field(default=0.9, description="Cosine similarity between variants.")
    min_topic_similarity: float = Field(
        default=0.24,
        description="Cosine similarity of the copy's own words to the offer, product or brand (off-topic below).",
    )
    min_hook_similarity: float = Field(
        default=0.45,
        description="Short own words this close to a stock marketing hook ('It's been a while') are on topic.",
    )
    max_hook_words: int = Field(default=6, ge=0, description="Own words up to this many may be a stock hook.")
    max_untold_words: int = Field(
        default=4, ge=0, description="Own words up to this many are too few to be off-topic."
    )
    min_sentiment: float = Field(
        default=-0.3, description="Lowest VADER compound score (clearly negative below)."
    )
    min_language_probability: float = Field(default=0.7)
    min_words_for_readability: int = Field(default=12, ge=1)


class CheckContext(BaseModel):
    """What the copy is checked against: offer facts, brand and audience details."""

    offer: dict[str, str | int | float | date] = Field(
        default_factory=dict, description="Offer facts: product, price, discount, code, deadline..."
    )
    brand: str | None = None
    postal_address: str | None = None
    brand_examples: list[str] = Field(default_factory=list, description="Copy in the brand's voice.")
    catalogue: list[str] = Field(
        default_factory=list, description="Product and collection names the brand sells (may be named)."
    )
    brand_facts: list[str] = Field(
        default_factory=list, description="Claims the brand may make (awards, certifications, history)."
    )
    product_description: str | None = Field(
        default=None, description="The promoted product's catalogue text."
    )
    personalization_fields: list[str] = Field(
        default_factory=lambda: ["first_name"], description="Fields a {{token}} may name."
    )
    system_tokens: list[str] = Field(
        default_factory=lambda: ["unsubscribe_url", "preferences_url", "view_in_browser_url"],
        description="Tokens the sending platform fills in (links).",
    )
    segment: str | None = None
    language: str | None = Field(default="en", description="Expected language (ISO 639-1).")
    require_cta: bool = True
    thresholds: Thresholds = Field(default_factory=Thresholds)


class CheckReport(BaseModel):
    """Every metric's result for one draft, and the overall verdict."""

    channel: Channel
    passed: bool = Field(description="True when every hard check passed.")
    results: list[MetricResult]
    failures: list[str] = Field(description="Reasons of the failed hard checks, in plain words.")
    warnings: list[str] = Field(description="Reasons of the failed soft checks.")
    not_run: list[str] = Field(default_factory=list, description="Checks that could not run, with why.")

    def result(self, metric: str) -> MetricResult:
        """The result of one metric, by name."""
        for r in self.results:
            if r.metric == metric:
                return r
        raise KeyError(metric)

    def feedback(self) -> str:
        """The failures (then warnings) as a bullet list for a model's next attempt."""
        lines = [f"- {r}" for r in self.failures] + [f"- (advice) {r}" for r in self.warnings]
        return "\n".join(lines) if lines else "All checks passed."
