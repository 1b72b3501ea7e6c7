"""The copy generator: channel-ready variants with the facts they state, checked by the guardrail.

``generate_copy(request, model)`` is the tool; ``agent.copy_eval.generate_for_eval`` adapts it to
the eval harness (``evals.generators``), which runs it on the suite's offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
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

_WHERE: dict[str, str] = {
    "BrandVoice": "tools.copy.models",
    "CatalogueItem": "tools.copy.models",
    "CopyRequest": "tools.copy.models",
    "CopyResult": "tools.copy.models",
    "CopyVariant": "tools.copy.models",
    "OfferFacts": "tools.copy.models",
    "SegmentProfile": "tools.copy.models",
    "brand_from_file": "tools.copy.brand",
    "brand_from_text": "tools.copy.brand",
    "check_context": "tools.copy.generator",
    "generate_copy": "tools.copy.generator",
    "ground_offer": "tools.copy.grounding",
    "match_product": "tools.copy.grounding",
}
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
__getattr__ = lazy_attributes(__name__, _WHERE)
