"""Retrieval: metadata filters, MMR, token budget, and recall@5 on the labelled query set."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.settings import load_settings
from data.synth.generate import GeneratedData
from evals.retrieval_eval import evaluate, load_queries
from knowledge.ingest import ingest
from knowledge.retrieval import RetrievalRequest, build_where, retrieve, search
from knowledge.store import KnowledgeStore


@pytest.fixture(scope="module")
def store(sample_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    opened = KnowledgeStore.open(load_settings(home=tmp_path_factory.mktemp("kb-home")))
    ingest(opened, [sample_data.knowledge_dir])
    return opened


def test_channel_and_category_filters(store: KnowledgeStore) -> None:
    sms = retrieve(store, "discount offer", "campaigns", k=10, channel="sms")
    assert sms.chunks and {c.metadata["channel"] for c in sms.chunks} == {"sms"}
    shoes = retrieve(store, "something warm for winter", "products", k=5, category="running shoes")
    assert {c.metadata["category"] for c in shoes.chunks} == {"running shoes"}
    assert shoes.chunks[0].metadata["product_id"] == "P105"  # the waterproof winter trail shoe
    assert build_where({"price": {"$lt": 50}}, category="apparel") == {
        "$and": [{"price": {"$lt": 50}}, {"category": "apparel"}]
    }


def test_request_model_for_the_agent(store: KnowledgeStore) -> None:
    request = RetrievalRequest.model_validate(
        {
            "query": "show me voice examples of past lines we liked",
            "collections": ["brand"],
            "k": 2,
            "token_budget": 400,
        }
    )
    result = search(store, request)
    assert "Voice examples" in {c.metadata["section"] for c in result.chunks}
    assert result.total_tokens <= 400
    assert RetrievalRequest.model_json_schema()["properties"]["k"]["maximum"] == 50


def test_scores_are_cosine_similarities_best_first(store: KnowledgeStore) -> None:
    result = retrieve(store, "rain jacket that packs into its own pocket", "products", k=5)
    scores = [c.score for c in result.chunks]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    assert result.chunks[0].metadata["product_id"] == "P201"


def test_mmr_trades_repetition_for_coverage(store: KnowledgeStore) -> None:
    query = "what customers say about quality"
    plain = retrieve(store, query, "customers", k=5)
    diverse = retrieve(store, query, "customers", k=5, mmr=True, fetch_k=40)

    def distinct(chunks: list) -> int:  # type: ignore[type-arg]
        return len({c.text.split("text: ")[1].split(" the ")[0][:30] for c in chunks})

    assert len(diverse.chunks) == 5
    assert distinct(diverse.chunks) > distinct(plain.chunks)


def test_token_budget_limits_the_context(store: KnowledgeStore) -> None:
    full = retrieve(store, "brand voice and channel rules", "brand", k=5)
    budget = full.total_tokens // 2
    limited = retrieve(store, "brand voice and channel rules", "brand", k=5, token_budget=budget)
    assert 0 < limited.total_tokens <= budget
    assert limited.dropped_for_budget == len(full.chunks) - len(limited.chunks) > 0
    assert limited.total_tokens == sum(store.embedder.count_tokens([c.text for c in limited.chunks]))
    assert limited.context().startswith("[brand: brand_guide.md]")


def test_multi_collection_search_merges_by_score(store: KnowledgeStore) -> None:
    result = retrieve(store, "SMS must say Reply STOP to opt out", ["brand", "campaigns"], k=6)
    assert {c.collection for c in result.chunks} == {"brand", "campaigns"}


def test_recall_at_5_on_the_labelled_queries(store: KnowledgeStore) -> None:
    queries = load_queries()
    assert len(queries) >= 50
    assert {q.collection for q in queries} == {"brand", "products", "campaigns", "customers"}
    report = evaluate(store, queries, k=5)
    assert report.recall_at_k >= 0.9, report.misses
    assert report.per_collection["products"] >= 0.9 and report.per_collection["brand"] >= 0.9


def test_recall_eval_fails_a_wrong_label(store: KnowledgeStore, tmp_path: Path) -> None:
    wrong = tmp_path / "q.yaml"
    wrong.write_text(
        "queries:\n  - {collection: products, query: 'carbon race shoe', expect: {product_id: P403}}\n",
        encoding="utf-8",
    )
    report = evaluate(store, load_queries(wrong), k=3)
    assert report.recall_at_k == 0.0 and report.misses[0].top[0] == "product_id=P103"
