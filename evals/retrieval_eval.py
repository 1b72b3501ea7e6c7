"""Retrieval quality of the knowledge base: recall@k and MRR on a labelled query set.

The labelled set (``evals/retrieval_queries.yaml``) covers the generated knowledge documents. A
query is a hit at rank r when the r-th chunk returned from its collection has all the metadata of
its ``expect``. recall@k is the share of queries with a hit in the top k; MRR averages 1/r.

Run it on freshly generated documents (temporary workspace, nothing else touched)::

    python -m evals.retrieval_eval            # generate, ingest, evaluate, print
    python -m evals.retrieval_eval --knowledge-dir .mkt/sample/knowledge --json
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from data.settings import load_settings
from knowledge.ingest import ingest
from knowledge.retrieval import retrieve
from knowledge.store import KnowledgeStore

Scalar = str | int | float | bool


class LabelledQuery(BaseModel):
    """A query, the collection it is asked of, and the metadata the right chunk has."""

    query: str
    collection: str
    expect: dict[str, Scalar]
    where: dict[str, Any] | None = None


class QueryOutcome(BaseModel):
    """Where the right chunk came for one query (None: not in the top k)."""

    query: str
    collection: str
    hit_rank: int | None
    top: list[str] = Field(default_factory=list, description="Sources/ids of what came back.")


class RetrievalEvalReport(BaseModel):
    """recall@k and MRR overall and per collection, with the misses."""

    k: int
    mmr: bool
    n_queries: int
    recall_at_k: float
    mrr: float
    per_collection: dict[str, float]
    misses: list[QueryOutcome]


def load_queries(path: Path | None = None) -> list[LabelledQuery]:
    """The labelled queries from ``path`` (default: the packaged ``retrieval_queries.yaml``)."""
    if path is None:
        text = importlib.resources.files("evals").joinpath("retrieval_queries.yaml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return [LabelledQuery.model_validate(q) for q in raw["queries"]]


def _label(metadata: dict[str, Any], expect: dict[str, Scalar]) -> str:
    """What a returned chunk was, in the terms of the label (e.g. its section or product id)."""
    return ",".join(f"{key}={metadata.get(key)}" for key in expect)


def _matches(metadata: dict[str, Any], expect: dict[str, Scalar]) -> bool:
    return all(str(metadata.get(key)) == str(value) for key, value in expect.items())


def evaluate(
    store: KnowledgeStore, queries: list[LabelledQuery], k: int = 5, *, mmr: bool = False
) -> RetrievalEvalReport:
    """Run every query against ``store`` and score where its right chunk ranks."""
    outcomes: list[QueryOutcome] = []
    vectors = store.embedder.embed([q.query for q in queries])  # one batch: same vectors, faster
    for q, vector in zip(queries, vectors, strict=True):
        result = retrieve(store, q.query, q.collection, k=k, where=q.where, mmr=mmr, query_vector=vector)
        rank = next(
            (i + 1 for i, chunk in enumerate(result.chunks) if _matches(chunk.metadata, q.expect)),
            None,
        )
        top = [_label(c.metadata, q.expect) for c in result.chunks]
        outcomes.append(QueryOutcome(query=q.query, collection=q.collection, hit_rank=rank, top=top))
    per: dict[str, list[bool]] = {}
    for o in outcomes:
        per.setdefault(o.collection, []).append(o.hit_rank is not None)
    n = max(len(outcomes), 1)
    return RetrievalEvalReport(
        k=k,
        mmr=mmr,
        n_queries=len(outcomes),
        recall_at_k=sum(o.hit_rank is not None for o in outcomes) / n,
        mrr=sum(1.0 / o.hit_rank for o in outcomes if o.hit_rank) / n,
        per_collection={c: sum(hits) / len(hits) for c, hits in sorted(per.items())},
        misses=[o for o in outcomes if o.hit_rank is None],
    )


def run(knowledge_dir: Path | None = None, k: int = 5, *, mmr: bool = False) -> RetrievalEvalReport:
    """Generate (or take) knowledge documents, ingest them into a temporary store, evaluate."""
    with tempfile.TemporaryDirectory(prefix="mkt-retrieval-eval-") as tmp:
        if knowledge_dir is None:
            from data.synth.generate import generate

            knowledge_dir = generate(Path(tmp) / "sample", 500, seed=7).knowledge_dir
        settings = load_settings(home=Path(tmp) / "home", chroma_url=None)
        store = KnowledgeStore.open(settings)
        ingest(store, [knowledge_dir])
        return evaluate(store, load_queries(), k=k, mmr=mmr)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print recall@k and the misses; exit 1 below ``--min-recall``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--knowledge-dir", type=Path, default=None, help="generated knowledge folder")
    parser.add_argument("-k", type=int, default=5, help="cut-off rank")
    parser.add_argument("--min-recall", type=float, default=0.9, help="fail below this recall@k")
    parser.add_argument("--mmr", action="store_true", help="re-rank with maximal marginal relevance")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = run(args.knowledge_dir, k=args.k, mmr=args.mmr)
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(
            f"queries {report.n_queries}  recall@{report.k} {report.recall_at_k:.3f}  MRR {report.mrr:.3f}"
            f"{'  (MMR)' if report.mmr else ''}\n"
        )
        for collection, recall in report.per_collection.items():
            sys.stdout.write(f"  {collection:<10} recall@{report.k} {recall:.3f}\n")
        for miss in report.misses:
            sys.stdout.write(f"  miss [{miss.collection}] {miss.query!r} -> {miss.top}\n")
    return 0 if report.recall_at_k >= args.min_recall else 1


if __name__ == "__main__":
    raise SystemExit(main())
