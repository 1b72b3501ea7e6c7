"""Purchase history as sparse matrices, and item-item co-purchase similarity.

``weights`` is customers x products: each purchase adds ``0.5 ** (age_weeks / half_life)``, so the
latest purchases dominate a customer's profile. The item-item matrix is sequential co-purchase:
``next[i, j]`` counts how often a customer's purchase of ``i`` was followed by ``j`` as their next
purchase, row-normalised into P(next = j | bought i) with ``PRIOR`` pseudo-purchases spread as the
recency-weighted popularity (so rare products fall back to what sells now). A customer's scores are
their normalised weights times that matrix: the expected probability of each product being next.
Dense customers x products arrays are computed in row blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from data.errors import ToolError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BLOCK = 20_000
PRIOR = 5.0


@dataclass(frozen=True)
class History:
    """Purchases up to a cutoff, indexed: customers and products are row/column positions."""

    customers: pd.Index
    products: pd.Index
    categories: dict[str, str | None]
    weights: sp.csr_matrix  # recency-weighted purchase counts
    bought: sp.csr_matrix  # binary: bought at least once
    just_bought: sp.csr_matrix  # binary: products of the customer's latest purchase day
    popularity: FloatArray  # purchases per product
    recent_popularity: FloatArray  # recency-weighted purchases per product, sums to 1
    next_counts: sp.csr_matrix  # products x products: i followed by j as a customer's next purchase


def load_history(con: duckdb.DuckDBPyConnection, cutoff: datetime, half_life_weeks: float) -> History:
    """Purchases with a product id before ``cutoff`` as sparse matrices."""
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'transactions'"
        ).fetchall()
    }
    if "product_id" not in columns:
        raise ToolError("transactions have no 'product_id' column: recommendations need product ids")
    category = "any_value(category)" if "category" in columns else "NULL"
    tx = con.execute(
        """
        SELECT customer_id, product_id, epoch($cutoff - ts) / 604800.0 AS age_weeks,
               CAST(ts AS DATE) = max(CAST(ts AS DATE)) OVER (PARTITION BY customer_id) AS latest,
               lag(product_id) OVER (PARTITION BY customer_id ORDER BY ts) AS previous
        FROM transactions WHERE ts < $cutoff AND product_id IS NOT NULL
        """,
        {"cutoff": cutoff},
    ).df()
    if tx.empty:
        raise ToolError("no purchases with a product id before the cutoff: nothing to learn from")
    cats = con.execute(
        f"SELECT product_id, {category} FROM transactions WHERE product_id IS NOT NULL GROUP BY product_id"
    ).fetchall()
    customer_codes, customers = pd.factorize(tx["customer_id"], sort=True)
    product_codes, products = pd.factorize(tx["product_id"], sort=True)
    shape = (len(customers), len(products))
    w = np.power(0.5, tx["age_weeks"].to_numpy(dtype=np.float64) / half_life_weeks)
    weights = sp.csr_matrix((w, (customer_codes, product_codes)), shape=shape)
    ones = np.ones(len(tx))
    counts = sp.csr_matrix((ones, (customer_codes, product_codes)), shape=shape)
    bought = counts.copy()
    bought.data[:] = 1.0
    latest = tx["latest"].to_numpy(dtype=bool)
    just = sp.csr_matrix((ones[latest], (customer_codes[latest], product_codes[latest])), shape=shape)
    just.data[:] = 1.0
    prev_codes = products.get_indexer(pd.Index(tx["previous"]))
    has_prev = prev_codes >= 0
    n_products = len(products)
    next_counts = sp.csr_matrix(
        (ones[has_prev], (prev_codes[has_prev], product_codes[has_prev])), shape=(n_products, n_products)
    )
    recent = np.asarray(weights.sum(axis=0), dtype=np.float64).ravel()
    return History(
        customers=pd.Index(customers),
        products=pd.Index(products),
        categories={str(p): (None if c is None else str(c)) for p, c in cats},
        weights=weights,
        bought=bought,
        just_bought=just,
        popularity=np.asarray(counts.sum(axis=0), dtype=np.float64).ravel(),
        recent_popularity=recent / max(float(recent.sum()), 1e-12),
        next_counts=next_counts,
    )


def similarity(history: History) -> FloatArray:
    """P(next purchase = j | bought i), smoothed towards recent popularity (products x products)."""
    counts = np.asarray(history.next_counts.toarray(), dtype=np.float64)
    prior = PRIOR * history.recent_popularity[None, :]
    return np.asarray((counts + prior) / (counts.sum(axis=1, keepdims=True) + PRIOR), dtype=np.float64)


def scores(weights: sp.csr_matrix, sim: FloatArray, rows: IntArray) -> FloatArray:
    """Next-product probabilities of the customers at ``rows``: normalised recent history times ``sim``."""
    part = weights[rows]
    total = np.asarray(part.sum(axis=1), dtype=np.float64)
    return np.asarray(part @ sim, dtype=np.float64) / np.maximum(total, 1e-300)


def top_k(
    score: FloatArray, excluded: sp.csr_matrix, k: int, tie_break: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Column indices and scores of the ``k`` best products per row, never an excluded one."""
    masked = score + 1e-9 * tie_break[None, :] / max(float(tie_break.max()), 1.0)
    rows, cols = excluded.nonzero()
    masked[rows, cols] = -np.inf
    k = min(k, masked.shape[1])
    part = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(masked, part, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return idx, np.take_along_axis(score, idx, axis=1)
