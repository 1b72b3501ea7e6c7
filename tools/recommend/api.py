"""Next products per customer, a segment's offer candidates, and a time-based holdout evaluation."""

from __future__ import annotations

import time
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import TypeAdapter

from data.errors import ToolError
from data.features import data_end
from tools.recommend.matrix import BLOCK, History, load_history, scores, similarity, top_k
from tools.recommend.models import (
    CustomerRecommendation,
    EvaluateParams,
    HoldoutResult,
    RankBy,
    Recommendations,
    RecommendParams,
    SegmentOffers,
    SegmentProduct,
)

_RECOMMENDATIONS = TypeAdapter(list[CustomerRecommendation])


def recommend(con: duckdb.DuckDBPyConnection, params: RecommendParams) -> Recommendations:
    """Next products for ``params.customer_ids`` and/or the offer candidates of ``params.segment``.

    Raises:
        ToolError: nothing asked, no purchases with product ids, an unknown segment.
    """
    if not params.customer_ids and params.segment is None:
        raise ToolError("name at least one customer id or a segment to recommend for")
    start = time.perf_counter()
    as_of = params.as_of or data_end(con)
    history = load_history(con, as_of + timedelta(microseconds=1), params.half_life_weeks)
    sim = similarity(history)
    customers = recommend_customers(history, sim, params.customer_ids, params.k)
    offers = (
        segment_offers(con, history, sim, params.segment, params.k, params.rank_by)
        if params.segment
        else None
    )
    return Recommendations(
        as_of=as_of,
        customers=customers,
        segment=offers,
        products_known=len(history.products),
        seconds=round(time.perf_counter() - start, 3),
    )


def recommend_customers(
    history: History, sim: np.ndarray, customer_ids: list[str], k: int
) -> list[CustomerRecommendation]:
    """Top ``k`` products per customer; customers without history get the most popular products."""
    rows = history.customers.get_indexer(pd.Index(customer_ids))
    product_ids = [str(p) for p in history.products]
    categories = [history.categories.get(p) for p in product_ids]
    just = history.just_bought
    result: list[dict[str, object] | None] = [None] * len(customer_ids)
    positions = np.flatnonzero(rows >= 0)
    for block in range(0, positions.size, BLOCK):
        pos = positions[block : block + BLOCK]
        idx, best = top_k(scores(history.weights, sim, rows[pos]), just[rows[pos]], k, history.popularity)
        finite = np.isfinite(best)
        for j, p in enumerate(pos.tolist()):
            r = int(rows[p])
            excluded = [product_ids[c] for c in just.indices[just.indptr[r] : just.indptr[r + 1]].tolist()]
            keep = finite[j]
            products = [
                {"product_id": product_ids[c], "category": categories[c], "score": round(s, 6)}
                for c, s in zip(idx[j][keep].tolist(), best[j][keep].tolist(), strict=True)
            ]
            result[p] = {
                "customer_id": customer_ids[p],
                "products": products,
                "excluded": excluded,
                "basis": "co-purchase",
            }
    popular = np.argsort(-history.popularity, kind="stable")[:k].tolist()
    fallback = [
        {"product_id": product_ids[c], "category": categories[c], "score": float(history.popularity[c])}
        for c in popular
    ]
    for p in np.flatnonzero(rows < 0).tolist():
        result[p] = {
            "customer_id": customer_ids[p],
            "products": fallback,
            "excluded": [],
            "basis": "popularity",
        }
    # one validation pass in pydantic-core: far faster than a million Python-side constructors
    return _RECOMMENDATIONS.validate_python(result)


def segment_offers(
    con: duckdb.DuckDBPyConnection,
    history: History,
    sim: np.ndarray,
    segment: str,
    k: int,
    rank_by: RankBy = "score",
) -> SegmentOffers:
    """A segment's top products by mean next-purchase score of its customers, or by lift.

    Lift ranks what sets the segment apart; products below a fifth of an even share of the
    segment's purchases are ranked last by lift (too rare to be an offer).
    """
    members = _segment_members(con, segment)
    rows = history.customers.get_indexer(pd.Index(members))
    rows = rows[rows >= 0]
    if rows.size == 0:
        raise ToolError(f"segment '{segment}' has no customers with purchases: nothing to recommend")
    total = np.zeros(len(history.products))
    for block in range(0, rows.size, BLOCK):
        part = scores(history.weights, sim, rows[block : block + BLOCK])
        total += part.sum(axis=0)
    mean = total / rows.size
    seg_counts = np.asarray(history.bought[rows].sum(axis=0), dtype=np.float64).ravel()
    seg_share = seg_counts / max(seg_counts.sum(), 1.0)
    all_counts = np.asarray(history.bought.sum(axis=0), dtype=np.float64).ravel()
    all_share = all_counts / max(all_counts.sum(), 1.0)
    if rank_by == "lift":
        lift = np.divide(seg_share, all_share, out=np.zeros_like(seg_share), where=all_share > 0)
        key = np.where(seg_share >= 0.2 / seg_share.size, lift, -1.0 + seg_share)
    else:
        key = mean
    order = np.argsort(-key, kind="stable")[:k]
    products = [
        SegmentProduct(
            product_id=str(history.products[c]),
            category=history.categories.get(str(history.products[c])),
            score=round(float(mean[c]), 6),
            segment_share=round(float(seg_share[c]), 6),
            lift=round(float(seg_share[c] / all_share[c]) if all_share[c] > 0 else 0.0, 4),
        )
        for c in order
    ]
    return SegmentOffers(segment=segment, customers=int(rows.size), rank_by=rank_by, products=products)


def segment_top_products(
    con: duckdb.DuckDBPyConnection,
    segment: str,
    k: int = 5,
    *,
    rank_by: RankBy = "lift",
    half_life_weeks: float = 4.0,
) -> SegmentOffers:
    """Offer candidates for copy: the ``k`` products that set a segment apart (or it buys next).

    ``rank_by="lift"`` (default) ranks by how much more the segment buys a product than everyone;
    ``"score"`` by the segment's mean probability of buying it next.
    """
    history = load_history(con, data_end(con) + timedelta(microseconds=1), half_life_weeks)
    return segment_offers(con, history, similarity(history), segment, k, rank_by)


def _segment_members(con: duckdb.DuckDBPyConnection, segment: str) -> list[str]:
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'segments'"
        ).fetchall()
    }
    label = next((c for c in ("segment", "segment_name", "name") if c in columns), None)
    if "customer_id" not in columns or label is None:
        raise ToolError("no segments table with 'customer_id' and 'segment' columns: run `mkt segment` first")
    # A KMeans segment of that name, else the RFM tier of that name ("loyal"), as audiences read it.
    for column in [label, *(["rfm_tier"] if "rfm_tier" in columns else [])]:
        members = [
            str(r[0])
            for r in con.execute(
                f"SELECT customer_id FROM segments WHERE lower(CAST({column} AS VARCHAR)) = lower(?)",
                [segment],
            ).fetchall()
        ]
        if members:
            return members
    names = [str(r[0]) for r in con.execute(f"SELECT DISTINCT {label} FROM segments ORDER BY 1").fetchall()]
    raise ToolError(f"no segment named '{segment}' (segments: {', '.join(names)})")


def evaluate_holdout(con: duckdb.DuckDBPyConnection, params: EvaluateParams) -> HoldoutResult:
    """Hit-rate@k of each customer's first purchase after the cutoff, recommender vs popularity.

    Both methods rank products with the same exclusions (the customer's latest purchase day).

    Raises:
        ToolError: too little data on either side of the cutoff.
    """
    start = time.perf_counter()
    cutoff = data_end(con) - timedelta(weeks=params.holdout_weeks)
    history = load_history(con, cutoff, params.half_life_weeks)
    nxt = con.execute(
        """
        SELECT customer_id, arg_min(product_id, ts) AS product_id
        FROM transactions WHERE ts >= $cutoff AND product_id IS NOT NULL GROUP BY customer_id
        """,
        {"cutoff": cutoff},
    ).df()
    rows = history.customers.get_indexer(pd.Index(nxt["customer_id"]))
    cols = history.products.get_indexer(pd.Index(nxt["product_id"]))
    keep = rows >= 0
    rows, cols = rows[keep], cols[keep]
    if rows.size == 0:
        raise ToolError(
            f"no customer bought both before and in the last {params.holdout_weeks} weeks: "
            "use a different --holdout-weeks or load more history"
        )
    sim = similarity(history)
    popular_scores = np.broadcast_to(history.popularity, (min(rows.size, BLOCK), history.popularity.size))
    hits = base_hits = 0
    for block in range(0, rows.size, BLOCK):
        r, c = rows[block : block + BLOCK], cols[block : block + BLOCK]
        excluded: sp.csr_matrix = history.just_bought[r]
        idx, _ = top_k(scores(history.weights, sim, r), excluded, params.k, history.popularity)
        pidx, _ = top_k(popular_scores[: r.size].copy(), excluded, params.k, history.popularity)
        hits += int((idx == c[:, None]).any(axis=1).sum())
        base_hits += int((pidx == c[:, None]).any(axis=1).sum())
    rate, base = hits / rows.size, base_hits / rows.size
    return HoldoutResult(
        cutoff=cutoff,
        holdout_weeks=params.holdout_weeks,
        k=params.k,
        customers=int(rows.size),
        hit_rate=round(rate, 4),
        baseline_hit_rate=round(base, 4),
        lift=round(rate / base, 3) if base > 0 else 0.0,
        seconds=round(time.perf_counter() - start, 3),
    )
