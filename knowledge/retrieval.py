"""Retrieval for the agent and the copy generator: filtered search, MMR, and a token budget.

Scores are cosine similarities in [-1, 1] (1 - Chroma's cosine distance). With ``mmr`` the top
``fetch_k`` candidates are re-ranked by maximal marginal relevance (Carbonell and Goldstein, 1998):
each pick maximises ``lambda * sim(query, d) - (1 - lambda) * max sim(d, picked)``, which trades a
little relevance for less repetition.

Token budget: chunks are taken in rank order while their total stays within ``token_budget``; a
chunk that does not fit is left out and later, smaller ones may still fit. Tokens are counted with
the embedding model's own tokenizer (WordPiece for the default model, without special tokens);
for an API embedding backend the estimate is ceil(characters / 4). Expect the language model's
tokenizer to differ by roughly 10-20 % on English text, so leave headroom.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from data.errors import ToolError

if TYPE_CHECKING:
    from knowledge.store import KnowledgeStore

Where = dict[str, Any]


class RetrievedChunk(BaseModel):
    """One retrieved chunk with its score and metadata."""

    id: str
    collection: str
    text: str
    score: float = Field(description="Cosine similarity to the query (higher is closer).")
    tokens: int
    metadata: dict[str, Any]


class RetrievalResult(BaseModel):
    """The chunks for a query, best first, within the token budget."""

    query: str
    collections: list[str]
    where: Where | None = None
    chunks: list[RetrievedChunk]
    total_tokens: int
    token_budget: int | None = None
    dropped_for_budget: int = 0

    def summary(self) -> str:
        """Key numbers in one line."""
        sources = ", ".join(dict.fromkeys(str(c.metadata.get("source", c.collection)) for c in self.chunks))
        return f"{len(self.chunks)} passages ({self.total_tokens} tokens) from {sources or 'nothing'}"

    def answer_text(self, passages: int = 3, chars: int = 300) -> str:
        """The best passages, quoted with their sources, for an answer."""
        if not self.chunks:
            return "nothing relevant found in the knowledge base"
        quotes = [
            f'{c.metadata.get("source", c.collection)}: "{" ".join(c.text.split())[:chars]}"'
            for c in self.chunks[:passages]
        ]
        return "\n  " + "\n  ".join(quotes)

    def context(self) -> str:
        """The chunks as one text block for a prompt, each headed by its source."""
        return "\n\n".join(
            f"[{c.collection}: {c.metadata.get('source', c.id)}]\n{c.text}" for c in self.chunks
        )


class RetrievalRequest(BaseModel):
    """What the agent or the copy generator asks the knowledge base for."""

    query: str = Field(description="What to look for, in plain words.")
    collections: list[str] = Field(
        default_factory=lambda: ["brand", "products", "docs"],
        description="Collections to search: brand, products, docs (policies, FAQs, stores), campaigns, customers.",
    )
    k: int = Field(default=5, ge=1, le=50, description="Number of chunks to return.")
    segment: str | None = Field(default=None, description="Only chunks about this customer segment.")
    channel: str | None = Field(
        default=None, description="Only chunks for this channel (email, sms, push...)."
    )
    category: str | None = Field(default=None, description="Only products of this category.")
    campaign_id: str | None = Field(
        default=None,
        description="Only the record of this past campaign (e.g. C004), in the campaigns collection.",
    )
    mmr: bool = Field(default=False, description="Diversify results (maximal marginal relevance).")
    token_budget: int | None = Field(default=None, ge=1, description="Most tokens the chunks may total.")


def search(store: KnowledgeStore, request: RetrievalRequest) -> RetrievalResult:
    """:func:`retrieve` driven by a validated request (the form the agent's tool call takes).

    Collections the knowledge base does not have are left out (a shop with no policy documents
    still searches its brand guide); when none of them exists, the error says what to ingest.
    """
    existing = set(store.names())
    present = [name for name in request.collections if name in existing]
    return retrieve(
        store,
        request.query,
        present or request.collections,
        k=request.k,
        segment=request.segment,
        channel=request.channel,
        category=request.category,
        campaign_id=request.campaign_id,
        mmr=request.mmr,
        token_budget=request.token_budget,
    )


def build_where(
    where: Where | None = None,
    *,
    segment: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    campaign_id: str | None = None,
) -> Where | None:
    """Combine a raw Chroma ``where`` with the common filters (segment, channel, category, campaign)."""
    clauses: list[Where] = []
    if where:
        clauses.append(where)
    filters = (
        ("segment", segment),
        ("channel", channel),
        ("category", category),
        ("campaign_id", campaign_id),
    )
    for key, value in filters:
        if value is not None:
            clauses.append({key: value})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def parse_where(text: str | None) -> Where | None:
    """A ``--where`` JSON object, or a clear ``ToolError``."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolError(f'--where is not valid JSON ({exc.msg}): e.g. \'{{"channel": "email"}}\'') from exc
    if not isinstance(value, dict):
        raise ToolError('--where must be a JSON object, e.g. \'{"channel": "email"}\'')
    return value


def retrieve(
    store: KnowledgeStore,
    query: str,
    collections: str | list[str],
    *,
    k: int = 5,
    where: Where | None = None,
    segment: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    campaign_id: str | None = None,
    mmr: bool = False,
    mmr_lambda: float = 0.5,
    fetch_k: int | None = None,
    token_budget: int | None = None,
    query_vector: np.ndarray | None = None,
) -> RetrievalResult:
    """The ``k`` chunks closest to ``query`` in ``collections``, filtered, optionally MMR-diverse.

    ``query_vector`` skips embedding ``query`` when the caller already has its vector (e.g. a
    batch of queries embedded together).
    """
    if not query.strip():
        raise ToolError("the query is empty")
    if k < 1:
        raise ToolError("k must be at least 1")
    if token_budget is not None and token_budget < 1:
        raise ToolError("the token budget must be at least 1 token")
    names = [collections] if isinstance(collections, str) else list(collections)
    if not names:
        raise ToolError("name at least one collection to search")
    filters = build_where(where, segment=segment, channel=channel, category=category, campaign_id=campaign_id)
    query_vec = store.embedder.embed([query])[0] if query_vector is None else query_vector
    pool = max(fetch_k or 4 * k, k)
    candidates: list[tuple[RetrievedChunk, np.ndarray]] = []
    for name in names:
        candidates.extend(_query_one(store, name, query_vec, pool, filters))
    terms = query_terms(query)
    candidates.sort(key=lambda c: c[0].score + LEXICAL_WEIGHT * term_share(terms, c[0].text), reverse=True)
    if mmr:
        picked = _mmr(query_vec, candidates, k, mmr_lambda)
    else:
        picked = [c for c, _ in candidates[:k]]
    kept, dropped = _within_budget(picked, token_budget)
    return RetrievalResult(
        query=query,
        collections=names,
        where=filters,
        chunks=kept,
        total_tokens=sum(c.tokens for c in kept),
        token_budget=token_budget,
        dropped_for_budget=dropped,
    )


LEXICAL_WEIGHT = 0.3
_TERM = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset(
    "what whats which where when does do our your their the and for with about from that this have has how much "
    "many should would could tell show give please there they them is are was were can any some".split()
)


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def query_terms(query: str) -> set[str]:
    """The query's content words, stemmed (no stop words, at least 4 letters)."""
    return {_stem(w) for w in _TERM.findall(query.lower()) if len(w) >= 4 and w not in _STOP}


def term_share(terms: set[str], text: str) -> float:
    """Share of ``terms`` that occur in ``text``: the lexical half of the hybrid ranking.

    Embeddings of a short question miss a passage that names its exact word ("returns" in a
    passage about the brand's promise); candidates are ranked by similarity plus this share.
    """
    if not terms:
        return 0.0
    words = {_stem(w) for w in _TERM.findall(text.lower())}
    return len(terms & words) / len(terms)


def _query_one(
    store: KnowledgeStore, name: str, query_vec: np.ndarray, n: int, where: Where | None
) -> list[tuple[RetrievedChunk, np.ndarray]]:
    coll = store.readable(name)
    try:
        found = coll.query(
            query_embeddings=[query_vec],
            n_results=min(n, coll.count()),
            where=where,
            include=["documents", "metadatas", "distances", "embeddings"],
        )
    except ValueError as exc:
        raise ToolError(f"bad filter for collection '{name}': {exc}") from exc
    ids = found["ids"][0]
    docs = (found["documents"] or [[]])[0]
    metas = (found["metadatas"] or [[]])[0]
    dists = (found["distances"] or [[]])[0]
    embeds = found["embeddings"][0] if found["embeddings"] is not None else [None] * len(ids)
    texts = [d or "" for d in docs]
    tokens = store.embedder.count_tokens(texts) if texts else []
    return [
        (
            RetrievedChunk(
                id=i,
                collection=name,
                text=text,
                score=round(1.0 - float(dist), 6),
                tokens=n_tok,
                metadata=dict(meta or {}),
            ),
            np.asarray(vec, dtype=np.float32),
        )
        for i, text, meta, dist, vec, n_tok in zip(ids, texts, metas, dists, embeds, tokens, strict=True)
    ]


def _mmr(
    query_vec: np.ndarray, candidates: list[tuple[RetrievedChunk, np.ndarray]], k: int, lam: float
) -> list[RetrievedChunk]:
    """Greedy maximal-marginal-relevance selection over normalised vectors."""
    if not candidates:
        return []
    vectors = np.vstack([v for _, v in candidates])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    relevance = vectors @ (query_vec / max(float(np.linalg.norm(query_vec)), 1e-12))
    chosen: list[int] = []
    redundancy = np.full(len(candidates), -np.inf)
    while len(chosen) < min(k, len(candidates)):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        gain = lam * relevance - (1.0 - lam) * penalty
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return [candidates[i][0] for i in chosen]


def _within_budget(chunks: list[RetrievedChunk], budget: int | None) -> tuple[list[RetrievedChunk], int]:
    if budget is None:
        return chunks, 0
    kept: list[RetrievedChunk] = []
    used = 0
    for chunk in chunks:
        if used + chunk.tokens <= budget:
            kept.append(chunk)
            used += chunk.tokens
    return kept, len(chunks) - len(kept)
