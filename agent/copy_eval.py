"""The copy tool as the eval harness runs it: a suite case in, drafts from the configured model out.

Importing this module registers it as the suite generator ``copy``.
"""

from __future__ import annotations

from agent.llm import build_chat_model
from data.settings import load_settings
from evals.generators import GenerationRequest, register_generator
from evals.types import CopyDraft
from tools.copy import BrandVoice, CopyRequest, OfferFacts, SegmentProfile, generate_copy


def generate_for_eval(request: GenerationRequest) -> list[CopyDraft]:
    """Run the copy tool for an eval case, with the configured model (endpoint or local)."""
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


register_generator("copy", generate_for_eval)
