"""Knowledge-base speed: embedding throughput and query latency, each against a reference.

1. Embedding throughput (documents/s, CPU) of ``MktEmbeddingFunction`` - both its batched
   ``embed`` and the chromadb ``__call__`` path - against calling sentence-transformers'
   ``encode`` directly on the same texts with the same model, batch size and normalisation.
   Interleaved runs; the median of ``--repeats`` is reported. Target ratio >= 0.9.
2. Query latency (p50/p95 ms per query, k=10) of the Chroma HNSW index (embedded
   PersistentClient, cosine space) at 10,000 and 100,000 documents, with chroma's default
   ``ef_search=100`` and with 400, against exact brute-force cosine search in numpy (one
   matrix-vector product + argpartition) on the same vectors, with the index's recall@10
   against the exact answer.
   The vectors are synthetic, not model output, so the benchmark stays short: 384-dimensional,
   L2-normalised points drawn around 2,000 random cluster centres (a clustered distribution,
   closer to real text embeddings than isotropic noise), added with explicit embeddings.
   Queries are perturbed copies of stored points.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_knowledge.py [--sizes 10000 100000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import chromadb  # noqa: E402
from chromadb.api.shared_system_client import SharedSystemClient  # noqa: E402
from chromadb.config import Settings as ChromaSettings  # noqa: E402

from data.synth.documents import CATEGORIES  # noqa: E402
from knowledge.embeddings import MktEmbeddingFunction  # noqa: E402

DIM = 384
EF_SEARCH = (100, 400)
SETTINGS = ChromaSettings(anonymized_telemetry=False)


def documents(n: int, seed: int = 0) -> list[str]:
    """Short catalogue/campaign-like texts (20-40 tokens), all different."""
    rng = np.random.default_rng(seed)
    items = [(c, name, desc) for c, rows in CATEGORIES.items() for name, _, desc in rows]
    channels = ["email", "sms", "push", "social", "ads"]
    out = []
    for i in range(n):
        cat, name, desc = items[int(rng.integers(len(items)))]
        out.append(
            f"{name} ({cat}): {desc}. Campaign {i} on {channels[i % 5]}, "
            f"{int(rng.integers(5, 30))}% off for runners training for a {int(rng.integers(5, 43))}K."
        )
    return out


def bench_embedding(n_docs: int, repeats: int) -> list[tuple[str, ...]]:
    ef = MktEmbeddingFunction()
    model = ef.sentence_transformer()
    texts = documents(n_docs)
    ef.embed(texts[:64])  # warm-up
    timings: dict[str, list[float]] = {"direct": [], "embed": [], "call": []}
    for _ in range(repeats):
        for label, fn in (
            ("direct", lambda: model.encode(texts, batch_size=ef.batch_size, normalize_embeddings=True)),
            ("embed", lambda: ef.embed(texts)),
            ("call", lambda: ef(texts)),
        ):
            start = time.perf_counter()
            fn()
            timings[label].append(time.perf_counter() - start)
    direct = n_docs / statistics.median(timings["direct"])
    rows = [("sentence-transformers encode (reference)", f"{direct:,.0f}", "1.00")]
    for label, name in (
        ("embed", "MktEmbeddingFunction.embed"),
        ("call", "MktEmbeddingFunction() via chromadb"),
    ):
        rate = n_docs / statistics.median(timings[label])
        rows.append((name, f"{rate:,.0f}", f"{rate / direct:.2f}"))
    return rows


def synthetic_vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)
    points = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM)).astype(
        np.float32
    )
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points


def _percentiles(samples: list[float]) -> tuple[float, float]:
    arr = np.asarray(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))


def bench_query(n: int, n_queries: int, k: int, folder: Path) -> list[tuple[str, ...]]:
    vectors = synthetic_vectors(n, seed=n)
    rng = np.random.default_rng(1)
    queries = vectors[rng.integers(0, n, n_queries)] + 0.3 * rng.standard_normal((n_queries, DIM)).astype(
        np.float32
    )
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    client = chromadb.PersistentClient(
        path=str(folder / f"db{n}"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    coll = client.create_collection(
        f"bench{n}", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    start = time.perf_counter()
    step = min(5000, client.get_max_batch_size())
    for s in range(0, n, step):
        coll.add(ids=[str(i) for i in range(s, min(n, s + step))], embeddings=vectors[s : s + step])
    build_s = time.perf_counter() - start

    exact_ids, exact_t = [], []
    for q in queries:
        t0 = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, k)[:k]
        top = top[np.argsort(-scores[top])]
        exact_t.append(time.perf_counter() - t0)
        exact_ids.append(set(top.tolist()))

    e50, e95 = _percentiles(exact_t)
    rows = [(f"{n:,}", "numpy brute force (reference)", f"{e50:.2f}", f"{e95:.2f}", "1.000", "1.00", "-")]
    for ef_search in EF_SEARCH:
        if ef_search != 100:  # the loaded index keeps its ef_search: persist the change and reopen
            coll.modify(configuration={"hnsw": {"ef_search": ef_search}})
            SharedSystemClient.clear_system_cache()
            client = chromadb.PersistentClient(path=str(folder / f"db{n}"), settings=SETTINGS)
            coll = client.get_collection(f"bench{n}", embedding_function=None)
            assert coll.configuration["hnsw"]["ef_search"] == ef_search
        coll.query(query_embeddings=[queries[0]], n_results=k)  # warm-up after (re)configuration
        index_t, hits = [], 0
        for q, truth in zip(queries, exact_ids, strict=True):
            t0 = time.perf_counter()
            found = coll.query(query_embeddings=[q], n_results=k, include=["distances"])
            index_t.append(time.perf_counter() - t0)
            hits += len(truth & {int(i) for i in found["ids"][0]})
        recall = hits / (k * n_queries)
        i50, i95 = _percentiles(index_t)
        label = (
            "chroma HNSW, default ef_search=100"
            if ef_search == 100
            else f"chroma HNSW, ef_search={ef_search} (mkt collections)"
        )
        rows.append(
            (
                f"{n:,}",
                label,
                f"{i50:.2f}",
                f"{i95:.2f}",
                f"{recall:.3f}",
                f"{e50 / i50:.2f}",
                f"{build_s:.1f}",
            )
        )
    return rows


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description="knowledge-base benchmark")
    parser.add_argument("--docs", type=int, default=1000, help="documents for the embedding throughput")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    import torch

    print(f"CPU threads: torch {torch.get_num_threads()}, os {os.cpu_count()}; load avg {os.getloadavg()}")
    _table(
        f"Embedding throughput, {args.docs:,} short documents, median of {args.repeats}",
        ("method", "docs/s", "ratio vs direct"),
        bench_embedding(args.docs, args.repeats),
    )
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="mkt-bench-kb-") as tmp:
        for n in args.sizes:
            rows += bench_query(n, args.queries, 10, Path(tmp))
    _table(
        f"Query latency, k=10, {args.queries} queries, synthetic 384-d vectors",
        ("docs", "method", "p50 ms", "p95 ms", "recall@10", "speed-up (p50)", "build s"),
        rows,
    )


if __name__ == "__main__":
    main()
