"""The copy generator: channel-ready variants with the facts they state, checked by the guardrail.

``generate_copy(request, model)`` is the tool; ``generate_for_eval`` adapts it to the eval
harness (``evals.generators``), which runs it on the suite's offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.copy.brand import brand_from_file, brand_from_text
from tools.copy.generator import check_context, generate_copy
from tools.copy.models import BrandVoice, CopyRequest, CopyResult, CopyVariant, OfferFacts, SegmentProfile

if TYPE_CHECKING:
    from evals.generators import GenerationRequest
    from evals.types import CopyDraft

__all__ = [
    "BrandVoice",
    "CopyRequest",
    "CopyResult",
    "CopyVariant",
    "OfferFacts",
    "SegmentProfile",
    "brand_from_file",
    "brand_from_text",
    "check_context",
    "generate_copy",
    "generate_for_eval",
]


def generate_for_eval(request: GenerationRequest) -> list[CopyDraft]:
    """Run the copy tool for an eval case, with the configured model (endpoint or local)."""
    from agent.llm import build_chat_model
    from data.settings import load_settings
    from evals.types import CopyDraft

    copy_request = CopyRequest(
        channel=request.channel,
        offer=OfferFacts.model_validate(request.offer),
        brand=BrandVoice(
            name=request.brand or "the brand",
            examples=request.brand_examples,
            postal_address=request.postal_address,
        ),
        segment=SegmentProfile(name=request.segment or "all customers"),
        variants=request.n_variants,
        language=request.language or "en",
        personalization_fields=request.personalization_fields or ["first_name"],
        **{k: v for k, v in request.options.items() if k in ("max_attempts",)},
    )
    result = generate_copy(copy_request, build_chat_model(load_settings()))
    return [
        CopyDraft(channel=request.channel, parts=v.parts, language=copy_request.language)
        for v in result.variants
    ]
