"""Inputs and outputs of the copy generator."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator

from evals.types import Channel, MetricResult

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


class OfferFacts(BaseModel):
    """The facts of the offer; the copy may state these and no other numbers, dates or codes."""

    product: str = Field(min_length=1, description="Product name as customers know it.")
    features: str | None = Field(default=None, description="Short benefit list, e.g. 'grip, rock plate'.")
    price: float | None = Field(default=None, ge=0, description="Regular price.")
    currency: str = Field(default="USD", description="ISO currency code of the price.")
    discount: str | None = Field(default=None, description="The discount as customers see it: '15%', '$20'.")
    code: str | None = Field(default=None, description="Promo code.")
    deadline: date | None = Field(default=None, description="Last day of the offer.")

    @field_validator("discount", mode="before")
    @classmethod
    def _discount_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:g}%"
        return value

    def price_text(self) -> str | None:
        """The price with its currency, e.g. ``$139`` or ``€49.90``."""
        if self.price is None:
            return None
        amount = f"{self.price:,.0f}" if float(self.price).is_integer() else f"{self.price:,.2f}"
        symbol = CURRENCY_SYMBOLS.get(self.currency.upper())
        return f"{symbol}{amount}" if symbol else f"{amount} {self.currency.upper()}"

    def deadline_text(self, short: bool = False) -> str | None:
        """The deadline as ``December 31, 2026`` (or ``Dec 31`` when ``short``)."""
        if self.deadline is None:
            return None
        if short:
            return f"{self.deadline:%b} {self.deadline.day}"
        return f"{self.deadline:%B} {self.deadline.day}, {self.deadline.year}"

    def as_context(self) -> dict[str, str | float | date]:
        """The facts as the guardrail's ``CheckContext.offer``."""
        values: dict[str, str | float | date | None] = {
            "product": self.product,
            "features": self.features,
            "price": self.price,
            "discount": self.discount,
            "code": self.code,
            "deadline": self.deadline,
        }
        return {k: v for k, v in values.items() if v is not None}


class SegmentProfile(BaseModel):
    """Who the copy is for, in words a copywriter (and a small model) can use."""

    name: str = Field(default="all customers", description="Segment name, e.g. 'at risk'.")
    description: str = Field(default="", description="One line: who they are, what they did.")

    def audience(self) -> str:
        """The audience phrase used in prompts."""
        return self.description or f"customers in the '{self.name}' segment"


class BrandVoice(BaseModel):
    """The brand facts and voice the copy follows (from the knowledge base or a brand guide file)."""

    name: str = Field(min_length=1)
    voice: str = Field(default="Warm, clear and plain-spoken. Short sentences. Active verbs.")
    examples: list[str] = Field(default_factory=list, description="Lines written in the brand's voice.")
    postal_address: str | None = Field(default=None, description="Required in every email footer.")


class CatalogueItem(BaseModel):
    """One product of the catalogue (knowledge ``products`` collection or ``products.csv``)."""

    name: str = Field(min_length=1)
    category: str = ""
    description: str = Field(default="", description="Short facts, e.g. 'aggressive grip, rock plate'.")
    price: float | None = Field(default=None, ge=0)


# Seconds a request may take before no later round starts (a round of the packaged model on 2 cores
# takes ~10 s for short lines and ~25 s for an email's subjects and openings).
DEFAULT_BUDGET_S: dict[str, float] = {"email": 25.0, "sms": 12.0, "push": 12.0}


class CopyRequest(BaseModel):
    """Everything the copy generator needs for one request."""

    channel: Channel
    offer: OfferFacts
    brand: BrandVoice
    segment: SegmentProfile = Field(default_factory=SegmentProfile)
    variants: int = Field(default=3, ge=1, le=10)
    language: str = Field(default="en", description="ISO 639-1 code of the copy's language.")
    max_attempts: int = Field(default=2, ge=1, le=6, description="Rounds of candidates before giving up.")
    max_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Time budget: a later round starts only if a round as long as the mean one so far ends "
        "within it (else the brand's template lines fill the failed slots); None: the channel's default "
        "(DEFAULT_BUDGET_S); math.inf: no budget.",
    )
    personalization_fields: list[str] = Field(default_factory=lambda: ["first_name"])
    catalogue: list[CatalogueItem] = Field(
        default_factory=list,
        description="Known products: the offer's product is matched here for its name and facts.",
    )
    past_copy: list[str] = Field(
        default_factory=list, description="Past winning copy (A/B winners), shown to the model as examples."
    )
    shorter: bool = Field(default=False, description="Prefer the shortest good lines (a 'make it shorter').")


class CopyVariant(BaseModel):
    """One variant: its parts, the facts it states, and the guardrail's verdict."""

    index: int
    parts: dict[str, str]
    facts_used: dict[str, str] = Field(description="Offer facts stated in the copy, as written.")
    passed: bool
    failures: list[str] = Field(default_factory=list, description="Why the guardrail rejected it.")
    warnings: list[str] = Field(default_factory=list)
    checks: list[MetricResult] = Field(default_factory=list, description="Every metric of the last check.")
    attempts: int
    backend: str
    model: str
    angle: str = Field(default="", description="The angle its lines were written from.")
    score: float | None = Field(default=None, description="Ranking score (brand voice, minus warnings).")
    template_parts: list[str] = Field(
        default_factory=list, description="Lines taken from the brand's templates: no model line passed."
    )

    def text(self) -> str:
        """All parts, one per line."""
        return "\n".join(v for v in self.parts.values() if v)

    def origin(self) -> str:
        """Who wrote its lines, for the reader of a brief: empty when the model wrote them all."""
        if not self.template_parts:
            return ""
        return f"{', '.join(self.template_parts)}: the brand's template line (no model-written line passed)"


class CopyResult(BaseModel):
    """The variants of one request, with totals for the run."""

    channel: Channel
    language: str
    variants: list[CopyVariant]
    passed: int = Field(description="Variants that passed every hard check.")
    model_calls: int
    completion_tokens: int
    seconds: float
    requested: int = Field(default=0, description="Variants asked for.")
    candidates: int = Field(default=0, description="Candidate drafts written and checked.")
    notes: list[str] = Field(default_factory=list, description="What could not be done, in plain words.")

    @property
    def sendable(self) -> list[CopyVariant]:
        """The variants that passed every hard check (the only ones to send)."""
        return [v for v in self.variants if v.passed]

    def summary(self) -> str:
        """Key numbers in one line."""
        if not self.sendable:
            return (
                f"no {self.channel} copy passed every check ({self.candidates} candidates, "
                f"{self.seconds:.1f} s): the best attempt is shown with its failed checks; do not send it"
            )
        return (
            f"{self.passed}/{self.requested or len(self.variants)} {self.channel} variants passed every "
            f"check ({self.candidates} candidates, {self.model_calls} model calls, {self.seconds:.1f} s)"
        )
