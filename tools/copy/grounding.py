"""What the copy is grounded in: the catalogue product an offer names, and past copy that won.

The product name a customer reads comes from the catalogue match (``ground_offer``), never from
the model; the catalogue's description becomes the offer's features when none are given. Past
winning copy (A/B winners first, then the best-converting campaigns) becomes the model's examples.
Both can be read from the knowledge base (``products`` and ``campaigns`` collections) or passed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from knowledge.collections import CAMPAIGNS, PRODUCTS
from tools.copy.models import CatalogueItem, OfferFacts

if TYPE_CHECKING:
    from knowledge.store import KnowledgeStore

_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"\{\{[^}]*\}\}")
_STOP = frozenset({"the", "a", "an", "our", "new", "all", "any"})


def _words(text: str) -> list[str]:
    return [w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(text.lower()) if w not in _STOP]


@dataclass(frozen=True)
class ProductMatch:
    """The catalogue entry (or category) an offer's product names."""

    name: str
    items: tuple[CatalogueItem, ...]
    is_category: bool


def match_product(product: str, catalogue: Sequence[CatalogueItem]) -> ProductMatch | None:
    """The catalogue product whose name the offer states, or the category it names; ``None`` if neither.

    A product matches when every word of the offer's product is in its name (``Ridgeback 3`` ->
    ``Ridgeback 3 trail shoe``), or the other way round; the shortest such name wins. A category
    matches by its words (``running shoes``) and stands for all its products.
    """
    wanted = set(_words(product))
    if not any(not w.isdigit() for w in wanted):  # "山脊3越野跑鞋" shares only its "3" with "Ridgeback 3"
        return None
    named = [
        item
        for item in catalogue
        if wanted <= set(_words(item.name)) or (set(_words(item.name)) <= wanted and _words(item.name))
    ]
    if named:
        best = min(named, key=lambda item: (abs(len(_words(item.name)) - len(wanted)), len(item.name)))
        return ProductMatch(best.name, (best,), is_category=False)
    in_category = [item for item in catalogue if item.category and set(_words(item.category)) == wanted]
    if in_category:
        return ProductMatch(product.strip(), tuple(in_category), is_category=True)
    return None


def ground_offer(offer: OfferFacts, catalogue: Sequence[CatalogueItem]) -> OfferFacts:
    """The offer with the catalogue's product name and, when none were given, its facts as features."""
    match = match_product(offer.product, catalogue)
    if match is None:
        return offer
    update: dict[str, Any] = {} if match.is_category else {"product": match.name}
    if not offer.features:
        if match.is_category:
            update["features"] = ", ".join(item.name for item in match.items[:4])
        elif match.items[0].description:
            update["features"] = match.items[0].description
    return offer.model_copy(update=update)


def _item(meta: dict[str, Any]) -> CatalogueItem | None:
    name = str(meta.get("name") or meta.get("product") or "").strip()
    if not name:
        return None
    price = meta.get("price")
    return CatalogueItem(
        name=name,
        category=str(meta.get("category") or ""),
        description=str(meta.get("description") or ""),
        price=float(price) if isinstance(price, int | float) and price >= 0 else None,
    )


def catalogue_from_knowledge(store: KnowledgeStore) -> list[CatalogueItem]:
    """Every product in the ``products`` collection (empty when none was ingested)."""
    if PRODUCTS not in store.names():
        return []
    found: dict[str, Any] = dict(store.writable(PRODUCTS).get(include=["metadatas"]))
    items = [_item(dict(meta)) for meta in found.get("metadatas") or [] if meta]
    return list({item.name: item for item in items if item is not None}.values())


def example_line(copy: str) -> str | None:
    """A past copy line fit to show the model: tokens removed; ``None`` when it states numbers."""
    text = " ".join(_TOKEN.sub("", copy).split()).strip(" ,")
    if not text or any(ch.isdigit() for ch in text):
        return None
    return text


def winning_copy(store: KnowledgeStore, channel: str, k: int = 3) -> list[str]:
    """Up to ``k`` past copy lines for ``channel``: A/B winners first, then by conversion rate."""
    if CAMPAIGNS not in store.names():
        return []
    found: dict[str, Any] = dict(store.writable(CAMPAIGNS).get(include=["metadatas"]))
    ranked: list[tuple[int, float, str]] = []
    for meta in found.get("metadatas") or []:
        if not meta or channel not in str(meta.get("channel", "")).split(","):
            continue
        rate = meta.get("outcome_rate", meta.get("conversion_rate", 0.0))
        line = example_line(str(meta.get("copy") or ""))
        if line:
            winner = 0 if meta.get("kind") == "ab_winner" else 1
            ranked.append((winner, -float(rate) if isinstance(rate, int | float) else 0.0, line))
    return list(dict.fromkeys(line for *_, line in sorted(ranked)))[:k]
