"""The product catalogue as the knowledge base holds it: product ids and the names customers know."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.collections import PRODUCTS

if TYPE_CHECKING:
    from knowledge.store import KnowledgeStore


def product_names(store: KnowledgeStore) -> dict[str, str]:
    """Product id -> product name from the ``products`` collection (empty when none was ingested)."""
    if PRODUCTS not in store.names():
        return {}
    found = store.writable(PRODUCTS).get(include=["metadatas"])
    names: dict[str, str] = {}
    for meta in found.get("metadatas") or []:
        if meta and meta.get("product_id") and meta.get("name"):
            names[str(meta["product_id"])] = str(meta["name"])
    return names
