"""The 2-D segment map: customers projected on the first two principal components of the features.

The axes are labelled with their strongest feature loadings (for example "+frequency -recency"),
so a marketer can read the directions; a sample of at most 5,000 customers is drawn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tools.plotting import png_figure
from tools.segment.segmenter import Segmentation

MAX_POINTS = 5_000


def segment_map(segmentation: Segmentation, path: Path, *, seed: int = 7) -> Path:
    """Scatter a sample of customers on two principal components, coloured by segment."""
    features = segmentation.features
    matrix = features.matrix
    segments = segmentation.membership["segment"].to_numpy()
    rng = np.random.default_rng(seed)
    rows = np.arange(matrix.shape[0])
    if rows.size > MAX_POINTS:
        rows = np.sort(rng.choice(rows, MAX_POINTS, replace=False))
    points, axes = _principal_components(matrix)
    with png_figure(path, title=f"Segment map ({segmentation.report.n_customers:,} customers)") as ax:
        for name in sorted(set(segments.tolist())):
            chosen = rows[segments[rows] == name]
            ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.5, label=str(name))
        ax.set_xlabel(_describe(axes[:, 0], features.names))
        ax.set_ylabel(_describe(axes[:, 1], features.names))
        ax.legend(fontsize=7, markerscale=2, loc="best")
    return path


def _principal_components(matrix: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Scores on the first two components and their loadings (zeros when a component is missing)."""
    centred = matrix - matrix.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[: min(len(centred), 200_000)], full_matrices=False)
    loadings = np.zeros((matrix.shape[1], 2))
    loadings[:, : min(2, vt.shape[0])] = vt[:2].T
    return centred @ loadings, loadings


def _describe(loading: NDArray[np.float64], names: list[str]) -> str:
    order = np.argsort(-np.abs(loading))[:2]
    parts = [f"{'+' if loading[i] >= 0 else '-'}{names[i]}" for i in order if abs(loading[i]) > 0.2]
    return "component: " + (" ".join(parts) if parts else "(flat)")
