"""Write an A/B test winner's copy into the ``campaigns`` knowledge collection as an example.

The example's id is derived from campaign and variant, so writing it again replaces it. Its
metadata says it won an A/B test, with the rates and lift, so copy generation can retrieve it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from data.errors import ToolError
from knowledge.collections import CAMPAIGNS
from knowledge.store import KnowledgeStore
from tools.abtest.models import AbTestReadout


def lookup_copy(store: KnowledgeStore, campaign_id: str, variant: str) -> str | None:
    """The stored copy of ``variant`` of ``campaign_id`` in the campaigns collection, if any."""
    if CAMPAIGNS not in store.names():
        return None
    coll = store.writable(CAMPAIGNS)
    found: dict[str, Any] = dict(
        coll.get(where={"$and": [{"campaign_id": campaign_id}, {"variant": variant}]}, include=["metadatas"])
    )
    for meta in found.get("metadatas") or []:
        if meta and meta.get("copy"):
            return str(meta["copy"])
    return None


def write_winner(store: KnowledgeStore, readout: AbTestReadout, copies: dict[str, str]) -> str:
    """Upsert the winner's copy as a campaigns example; returns its id.

    Raises:
        ToolError: no winner, or no copy known for the winning variant.
    """
    if readout.winner is None:
        raise ToolError(f"{readout.campaign_id} has no clear winner: nothing to write back")
    copy = copies.get(readout.winner) or lookup_copy(store, readout.campaign_id, readout.winner)
    if not copy:
        raise ToolError(
            f"no copy known for variant {readout.winner} of {readout.campaign_id}: "
            f"pass it (--copy {readout.winner}='...') to write it back"
        )
    result = next(v for v in readout.variants if v.variant == readout.winner)
    text = (
        f"A/B test winner ({readout.campaign_id}, variant {readout.winner}, "
        f"{', '.join(readout.channels)}): {copy}\n"
        f"{readout.outcome} rate {result.outcome_rate.rate:.2%}"
        + ("" if result.lift is None else f", lift {result.lift:+.0%} vs {readout.control}")
        + f", P(best) {result.prob_best:.1%}"
    )
    metadata: dict[str, str | int | float | bool] = {
        "campaign_id": readout.campaign_id,
        "variant": readout.winner,
        "channel": ",".join(readout.channels),
        "copy": copy,
        "kind": "ab_winner",
        "outcome": readout.outcome,
        "outcome_rate": result.outcome_rate.rate,
        "prob_best": result.prob_best,
        "sent": result.sent,
        "source": f"abtest:{readout.campaign_id}",
    }
    if result.lift is not None:
        metadata["lift"] = result.lift
    key = f"abtest\x1f{readout.campaign_id}\x1f{readout.winner}"
    doc_id = "abtest-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    coll = store.writable(CAMPAIGNS)
    coll.upsert(ids=[doc_id], documents=[text], metadatas=[metadata], embeddings=store.embedder.embed([text]))
    return doc_id
