"""The knowledge collections and which one a file belongs in.

- ``brand``: brand guide, voice examples, do/don't lists.
- ``products``: catalogue entries (price, category and attributes as metadata).
- ``campaigns``: past copy with channel, segment and results as metadata.
- ``customers``: customer profiles built from the analytics (``mkt knowledge sync-profiles``) and
  customer feedback; never raw email or phone.
- ``docs``: every other company document (returns policy, sizing guide, store list, loyalty rules,
  FAQs): the facts copy may be grounded in.

Without ``--collection`` the collection is guessed from the file name (``brand_guide.md`` ->
``brand``, ``products.csv`` -> ``products``, ``feedback.csv`` -> ``customers``); a name that gives
no hint goes to ``docs``.
"""

from __future__ import annotations

from pathlib import Path

BRAND = "brand"
PRODUCTS = "products"
CAMPAIGNS = "campaigns"
CUSTOMERS = "customers"
DOCS = "docs"
COLLECTIONS = (BRAND, PRODUCTS, CAMPAIGNS, CUSTOMERS, DOCS)

_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (BRAND, ("brand", "guide", "voice", "style", "tone")),
    (PRODUCTS, ("product", "catalog", "sku", "inventory")),
    (CAMPAIGNS, ("campaign", "copy", "newsletter", "promo")),
    (CUSTOMERS, ("customer", "feedback", "review", "profile", "survey")),
)


def infer_collection(path: Path) -> str | None:
    """The collection a file's name suggests, or None when it says nothing."""
    stem = path.stem.lower()
    for collection, words in _HINTS:
        if any(word in stem for word in words):
            return collection
    return None


def collection_for(path: Path) -> str:
    """The collection a file goes to without ``--collection``: its name's hint, else ``docs``."""
    return infer_collection(path) or DOCS
