"""KMeans with k chosen by the silhouette score, fast on large data and deterministic for a seed.

On more than ``search_sample`` customers, k is chosen on a random sample (KMeans fitted on the
sample, silhouette scored on a sub-sample of it); the final model starts from the sample's centres
and is refined on all customers. Clusters are relabelled in a canonical order (by centre), so the
same data and seed always give the same labels.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from data.errors import ToolError
from tools.segment.models import SegmentParams

if TYPE_CHECKING:
    from sklearn.cluster import KMeans


@dataclass(frozen=True)
class ClusterFit:
    """Cluster label per row, centres (standardised units), k and how it was chosen."""

    labels: NDArray[np.int64]
    centers: NDArray[np.float64]
    k: int
    chosen_by: str
    silhouette: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fit_clusters(matrix: NDArray[np.float64], params: SegmentParams) -> ClusterFit:
    """Cluster the rows of ``matrix``; see the module docstring for the method.

    Runs single-threaded: OpenMP threads that spin-wait made KMeans on a busy two-core machine
    up to 20x slower than one thread, and with three features one thread fits 1,000,000
    customers in under a second anyway.

    Raises:
        ToolError: a fixed ``k`` larger than the number of distinct customers.
    """
    with threadpool_limits(limits=1):
        return _fit_clusters(matrix, params)


def _fit_clusters(matrix: NDArray[np.float64], params: SegmentParams) -> ClusterFit:
    n = matrix.shape[0]
    rng = np.random.default_rng(params.seed)
    order = rng.permutation(n)
    sample = matrix[order[: params.search_sample]]
    distinct = _distinct_rows(matrix, sample)
    if distinct < 2:
        return ClusterFit(
            labels=np.zeros(n, dtype=np.int64),
            centers=matrix.mean(axis=0, keepdims=True),
            k=1,
            chosen_by="degenerate",
            notes=["all customers look the same (fewer than 2 distinct profiles): one segment"],
        )
    notes: list[str] = []
    scores: dict[int, float] = {}
    if params.k is not None:
        if params.k > distinct:
            raise ToolError(
                f"asked for {params.k} segments but only {distinct} customers have distinct profiles: "
                f"ask for at most {distinct}"
            )
        k, chosen_by = params.k, "given"
        start: NDArray[np.float64] | None = None
    else:
        k, chosen_by, scores, start = _search_k(sample, params, distinct, notes)
    labels, centers = _final_fit(matrix, sample, k, start, params.seed)
    return ClusterFit(
        labels=labels, centers=centers, k=k, chosen_by=chosen_by, silhouette=scores, notes=notes
    )


def _distinct_rows(matrix: NDArray[np.float64], sample: NDArray[np.float64]) -> int:
    """Distinct customer profiles (exact on small data; on large data, a lower bound from the sample)."""
    source = matrix if matrix.shape[0] <= sample.shape[0] else sample
    return int(np.unique(np.round(source, 9), axis=0).shape[0])


def _kmeans(k: int, seed: int, init: NDArray[np.float64] | None = None) -> KMeans:
    from sklearn.cluster import KMeans  # sklearn is imported when a model is fitted, not with the tool

    if init is not None:
        return KMeans(n_clusters=k, init=init, n_init=1, max_iter=100, random_state=seed)
    return KMeans(n_clusters=k, n_init=4, max_iter=200, random_state=seed)


def _search_k(
    sample: NDArray[np.float64], params: SegmentParams, distinct: int, notes: list[str]
) -> tuple[int, str, dict[int, float], NDArray[np.float64]]:
    scored = sample[: params.silhouette_sample]
    upper = min(params.k_max, distinct - 1, scored.shape[0] - 1)
    candidates = list(range(params.k_min, upper + 1))
    if not candidates:
        k = max(2, min(params.k_min, distinct))
        notes.append(f"too few distinct customers ({distinct}) to compare k by silhouette: k = {k}")
        model = _fit(_kmeans(k, params.seed), sample)
        return k, "degenerate", {}, np.asarray(model.cluster_centers_, dtype=np.float64)
    scores: dict[int, float] = {}
    centres: dict[int, NDArray[np.float64]] = {}
    for k in candidates:
        model = _fit(_kmeans(k, params.seed), sample)
        labels = np.asarray(model.labels_)[: scored.shape[0]]
        used = np.unique(labels).size
        from sklearn.metrics import silhouette_score

        score = float(silhouette_score(scored, labels)) if 2 <= used < scored.shape[0] else -1.0
        scores[k] = round(score, 4) if np.isfinite(score) else -1.0
        centres[k] = np.asarray(model.cluster_centers_, dtype=np.float64)
    best = max(candidates, key=lambda c: (scores[c], -c))
    if sample.shape[0] < params.search_sample:
        notes.append(f"k chosen by silhouette on all {sample.shape[0]:,} customers")
    else:
        notes.append(
            f"k chosen by silhouette on a random sample of {sample.shape[0]:,} customers "
            f"(scored on {scored.shape[0]:,}); final KMeans refined on all customers"
        )
    return best, "silhouette", scores, centres[best]


def _fit(model: KMeans, data: NDArray[np.float64]) -> KMeans:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # Duplicate points can leave a cluster empty; sklearn warns and we keep what it found.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(data)


def _final_fit(
    matrix: NDArray[np.float64],
    sample: NDArray[np.float64],
    k: int,
    start: NDArray[np.float64] | None,
    seed: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    if start is None:
        start = np.asarray(_fit(_kmeans(k, seed), sample).cluster_centers_, dtype=np.float64)
    model = _fit(_kmeans(k, seed, init=start), matrix)
    labels = np.asarray(model.labels_, dtype=np.int64)
    centers = np.asarray(model.cluster_centers_, dtype=np.float64)
    # Canonical order: by the centres' coordinates, so labels do not depend on KMeans internals.
    rank = np.lexsort(np.round(centers, 6).T[::-1])
    relabel = np.empty(k, dtype=np.int64)
    relabel[rank] = np.arange(k)
    return relabel[labels], centers[rank]
