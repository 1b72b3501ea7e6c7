"""Render customer profiles as documents and sync them into the ``customers`` collection.

Documents carry only the whitelisted metadata in ``SEGMENT_KEYS`` / ``CUSTOMER_KEYS``: never an
email, phone, name or address. A sync replaces the previous profiles (stale ones are deleted) and
leaves other documents in the collection, such as ingested feedback, alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
from pydantic import BaseModel

from data.errors import ToolError
from knowledge.chunking import Scalar, TextChunk
from knowledge.collections import CUSTOMERS
from knowledge.ingest import Record, chunk_ids
from knowledge.profiles import customer_features, optional_inputs, segment_categories, segment_channel_rates
from knowledge.store import KnowledgeStore

SEGMENT_KEYS = (
    "kind", "segment", "size", "share", "value_band", "churn_risk", "preferred_channel", "top_category",
)  # fmt: skip
CUSTOMER_KEYS = (
    "kind",
    "customer_id",
    "segment",
    "value_band",
    "churn_risk",
    "preferred_channel",
    "top_category",
)
PROFILE_SOURCE = "mkt:profiles"
PROFILE_KINDS = ("segment_profile", "customer_profile")


class SyncReport(BaseModel):
    """What a profile sync wrote."""

    segments: int
    customers: int
    added: int
    unchanged: int
    removed: int
    sources: list[str]


def _mode(values: pd.Series, default: str = "unknown") -> str:
    clean = values.dropna().astype(str)
    return str(clean.mode().iloc[0]) if not clean.empty else default


def segment_documents(
    con: duckdb.DuckDBPyConnection, features: pd.DataFrame, currency: str
) -> list[TextChunk]:
    """One profile document per segment."""
    total = len(features)
    rates = segment_channel_rates(con, features)
    categories = segment_categories(con, features)
    docs = []
    for segment, group in features.groupby("segment", sort=True):
        name = str(segment)
        size = len(group)
        value_band = _mode(group["value_band"])
        high_share = float((group["churn_risk"] == "high").mean())
        churn = "high" if high_share >= 0.5 else ("medium" if high_share >= 0.25 else "low")
        seg_rates = rates[(rates["segment"] == name) & (rates["sent"] >= 20)]
        if not seg_rates.empty:
            best = seg_rates.sort_values(["rate", "channel"], ascending=[False, True]).iloc[0]
            channel, channel_note = str(best["channel"]), f"conversion rate {best['rate']:.1%}"
        else:
            channel, channel_note = (
                _mode(group.get("preferred_channel", pd.Series(dtype=str))),
                "too few sends",
            )
        consent = [
            f"{c} {group[f'consent_{c}'].astype(bool).mean():.0%}"
            for c in ("email", "sms", "push")
            if f"consent_{c}" in group
        ]
        cats = categories.get(name) or ["none in the last 180 days"]
        text = (
            f"Customer segment profile: {name}.\n"
            f"{size:,} customers ({size / total:.1%} of {total:,} active customers).\n"
            f"Value band: {value_band} (median lifetime spend {group['total_amount'].median():,.2f} {currency}, "
            f"median {group['n_purchase_days'].median():.0f} purchase days).\n"
            f"Churn risk: {churn} ({high_share:.0%} of customers at high risk; "
            f"median {group['recency_days'].median():.0f} days since last purchase; "
            f"basis: {_mode(group['churn_basis'])}).\n"
            f"Preferred channel: {channel} ({channel_note}); consent: {', '.join(consent) or 'unknown'}.\n"
            f"Recent categories: {', '.join(cats)}."
        )
        meta: dict[str, Scalar] = {
            "kind": "segment_profile",
            "segment": name,
            "size": size,
            "share": round(size / total, 4),
            "value_band": value_band,
            "churn_risk": churn,
            "preferred_channel": channel,
            "top_category": cats[0],
        }
        docs.append(TextChunk(text, meta))
    return docs


def customer_documents(features: pd.DataFrame) -> list[TextChunk]:
    """One short profile document per customer (ids and bands only)."""
    docs = []
    for row in features.itertuples(index=False):
        channel = str(row.preferred_channel) if isinstance(row.preferred_channel, str) else "unknown"
        category = str(row.top_category) if isinstance(row.top_category, str) else "none recently"
        text = (
            f"Customer profile {row.customer_id}: segment {row.segment}; value band {row.value_band}; "
            f"churn risk {row.churn_risk}; preferred channel {channel}; recent category {category}; "
            f"{row.n_purchase_days} purchase days, last {row.recency_days:.0f} days ago."
        )
        meta: dict[str, Scalar] = {
            "kind": "customer_profile",
            "customer_id": str(row.customer_id),
            "segment": str(row.segment),
            "value_band": str(row.value_band),
            "churn_risk": str(row.churn_risk),
            "preferred_channel": channel,
            "top_category": category,
        }
        docs.append(TextChunk(text, meta))
    return docs


def read_optional(path: Path | None, columns: tuple[str, str]) -> pd.DataFrame | None:
    """An explicit ``--segments`` / ``--churn`` / ``--clv`` file (CSV or Parquet) with two columns."""
    if path is None:
        return None
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ToolError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ToolError(f"{path} lacks column(s) {missing}: it needs {list(columns)}")
    return frame[list(columns)].astype({"customer_id": str})


def sync_profiles(
    store: KnowledgeStore,
    con: duckdb.DuckDBPyConnection,
    *,
    per_customer: bool = False,
    inputs: dict[str, pd.DataFrame] | None = None,
    currency: str = "USD",
    progress: Callable[[str, int, int], None] | None = None,
) -> SyncReport:
    """Rebuild the profile documents of the ``customers`` collection from the analytics."""
    inputs = optional_inputs(con) | (inputs or {})
    features = customer_features(con, inputs)
    if features.empty:
        raise ToolError("no customer has any purchase yet: load transactions before syncing profiles")
    chunks = segment_documents(con, features, currency)
    n_segments = len(chunks)
    if per_customer:
        chunks += customer_documents(features)
    records = chunk_ids(CUSTOMERS, PROFILE_SOURCE, chunks)
    coll = store.writable(CUSTOMERS)
    present: set[str] = set()
    for start in range(0, len(records), 1000):
        present.update(coll.get(ids=[r.id for r in records[start : start + 1000]], include=[])["ids"])
    missing = [r for r in records if r.id not in present]
    _upsert(store, missing, progress)
    keep = {r.id for r in records}
    stored = coll.get(where={"source": PROFILE_SOURCE}, include=[])["ids"]
    stale = [i for i in stored if i not in keep]
    for start in range(0, len(stale), 1000):
        coll.delete(ids=stale[start : start + 1000])
    sources = ["transaction_summary (RFM)"] + sorted(inputs)
    return SyncReport(
        segments=n_segments,
        customers=len(chunks) - n_segments,
        added=len(missing),
        unchanged=len(records) - len(missing),
        removed=len(stale),
        sources=sources,
    )


def _upsert(
    store: KnowledgeStore, records: list[Record], progress: Callable[[str, int, int], None] | None
) -> None:
    coll = store.writable(CUSTOMERS)
    for start in range(0, len(records), 256):
        batch = records[start : start + 256]
        coll.upsert(
            ids=[r.id for r in batch],
            documents=[r.text for r in batch],
            metadatas=[r.metadata for r in batch],
            embeddings=store.embedder.embed([r.text for r in batch]),
        )
        if progress is not None:
            progress("embed", start + len(batch), len(records))
