"""The copy generator: channel-ready variants with the facts they state, checked by the guardrail.

``generate_copy(request, model)`` is the tool; ``agent.copy_eval.generate_for_eval`` adapts it to
the eval harness (``evals.generators``), which runs it on the suite's offers.
"""

from __future__ import annotations

from tools.copy.brand import brand_from_file, brand_from_text
from tools.copy.generator import check_context, generate_copy
from tools.copy.grounding import ground_offer, match_product
from tools.copy.models import (
    BrandVoice,
    CatalogueItem,
    CopyRequest,
    CopyResult,
    CopyVariant,
    OfferFacts,
    SegmentProfile,
)

__all__ = [
    "BrandVoice",
    "CatalogueItem",
    "CopyRequest",
    "CopyResult",
    "CopyVariant",
    "OfferFacts",
    "SegmentProfile",
    "brand_from_file",
    "brand_from_text",
    "check_context",
    "generate_copy",
    "ground_offer",
    "match_product",
]
