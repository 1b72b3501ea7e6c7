"""Marketer-friendly segment names derived from cluster centres, each name used once.

Every cluster is described by four standardised coordinates: how recent (``recent`` = minus the
recency z-score), how frequent, how much per order, and how long a customer (tenure). Each
archetype below is a point in that space; clusters get archetype names by a minimum-cost one-to-one
assignment (Hungarian algorithm on squared distances), so names are unique and the best-fitting
cluster wins a contested name.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# name: (recent, frequency, monetary, tenure), in standard deviations from the customer average.
ARCHETYPES: dict[str, tuple[float, float, float, float]] = {
    "champions": (1.0, 1.2, 0.5, 0.0),
    "loyal": (0.6, 0.7, -0.3, 0.2),
    "big spenders": (0.0, 0.0, 1.6, 0.0),
    "new customers": (0.8, 0.3, 0.0, -1.3),
    "promising": (0.6, -0.6, 0.0, 0.0),
    "need attention": (0.0, 0.0, 0.0, 0.0),
    "at risk": (-1.0, -0.4, 0.2, 0.5),
    "hibernating": (-0.8, -0.9, -0.9, 0.0),
    "about to sleep": (-0.4, -0.5, -0.3, 0.0),
    "cannot lose them": (-1.2, 1.2, 1.0, 0.5),
    "lost": (-1.6, -1.3, -1.0, 0.3),
    "bargain hunters": (0.3, 0.5, -1.3, 0.0),
    "lapsed big spenders": (-0.8, -0.5, 1.6, 0.3),
}


def name_clusters(coordinates: NDArray[np.float64]) -> list[str]:
    """One unique name per row of ``coordinates`` (columns: recent, frequency, monetary, tenure)."""
    names = list(ARCHETYPES)
    targets = np.array([ARCHETYPES[n] for n in names], dtype=np.float64)
    coords = np.nan_to_num(np.asarray(coordinates, dtype=np.float64))
    k = coords.shape[0]
    if k == 1:
        return ["all customers"]
    from scipy.optimize import linear_sum_assignment  # 0.3 s to import: only when names are matched

    cost = ((coords[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)
    result = [""] * k
    remaining = list(range(k))
    round_no = 1
    while remaining:
        rows, cols = linear_sum_assignment(cost[remaining])
        for r, c in zip(rows, cols, strict=True):
            suffix = "" if round_no == 1 else f" {round_no}"
            result[remaining[r]] = names[c] + suffix
        remaining = [remaining[r] for r in range(len(remaining)) if r not in set(rows.tolist())]
        round_no += 1
    return result
