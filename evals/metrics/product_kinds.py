"""Swapped product kinds: copy that names a kind of product next to the offer's that the shop lacks.

A small model asked about running shoes writes "What amazing boots"; asked about a coffee blend, it
offers "a fresh cup of tea". No capitalised name is invented, so ``entities`` sees nothing, yet the
customer reads about a product the shop does not sell. A kind counts as swapped when it belongs to
the same family as the offer's product (footwear, hot drinks...), is not one of the family's
generic words ("shoes", "sneakers"), and appears nowhere in the offer, catalogue or brand texts.
"""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.text import copy_parts
from evals.types import CheckContext, CopyDraft

# family -> (its kinds, the generic words that name the whole family)
FAMILIES: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "footwear": (
        frozenset(
            "shoe boot sandal sneaker trainer slipper heel loafer clog flip-flop wellie moccasin".split()
        ),
        frozenset("shoe sneaker trainer".split()),
    ),
    "clothing": (
        frozenset(
            "jacket coat parka hoodie sweater jumper cardigan fleece shirt t-shirt blouse dress skirt jeans "
            "trousers pants shorts leggings tights singlet".split()
        ),
        frozenset(),
    ),
    "hot drinks": (frozenset("coffee tea espresso latte cappuccino matcha cocoa chai".split()), frozenset()),
    "alcohol": (
        frozenset("wine beer cider whisky whiskey gin vodka rum champagne prosecco".split()),
        frozenset(),
    ),
    "skincare": (
        frozenset(
            "serum moisturiser moisturizer cleanser toner balm lotion sunscreen lipstick mascara perfume".split()
        ),
        frozenset(),
    ),
    "electronics": (
        frozenset(
            "phone smartphone laptop tablet headphones earbuds speaker camera smartwatch television".split()
        ),
        frozenset(),
    ),
    "cycling": (
        frozenset("bike bicycle e-bike scooter skateboard unicycle".split()),
        frozenset("bike bicycle".split()),
    ),
    "reading": (
        frozenset("book novel audiobook ebook e-book magazine comic".split()),
        frozenset("book".split()),
    ),
}
_WORD: Final = re.compile(r"[a-z]+(?:-[a-z]+)?")
_KIND_OF: Final[dict[str, str]] = {kind: family for family, (kinds, _) in FAMILIES.items() for kind in kinds}


# Spellings of one kind: "moisturizer" names the catalogue's "Moisturiser".
_SPELLING: Final[dict[str, str]] = {"moisturizer": "moisturiser", "whiskey": "whisky", "e-book": "ebook"}


def _kind(word: str) -> str | None:
    """The kind a word names, singular and in one spelling ("boots" -> "boot"), or None."""
    for candidate in (word, word[:-1], word[:-2]):
        if candidate in _KIND_OF:
            return _SPELLING.get(candidate, candidate)
    return None


def _kinds(texts: list[str]) -> set[str]:
    return {k for t in texts for w in _WORD.findall(t.lower()) if (k := _kind(w)) is not None}


def swapped_kinds(draft: CopyDraft, context: CheckContext) -> list[str]:
    """The product kinds of the offer's family that the copy names and the shop never mentions."""
    offer = [str(context.offer.get(k, "")) for k in ("product", "features")] + [
        context.product_description or ""
    ]
    families = {_KIND_OF[k] for k in _kinds(offer)}
    if not families:
        return []
    shop = [*context.catalogue, *context.brand_facts, *context.brand_examples, context.brand or ""]
    known = _kinds(offer + shop)
    found: list[str] = []
    for text in copy_parts(draft, context).values():
        for word in _WORD.findall(text.lower()):
            kind = _kind(word)
            if kind is None or kind in known:
                continue
            family = _KIND_OF[kind]
            if family in families and kind not in FAMILIES[family][1]:
                found.append(word)
    return list(dict.fromkeys(found))
