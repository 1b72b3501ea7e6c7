"""Rule-based RFM tiers from quintile scores (the classic marketing RFM grid).

Each customer gets R, F and M scores 1-5 by quintile of the population (R: 5 = most recent).
Tied values share a score (scores come from average ranks), so a base where most customers bought
once does not split identical customers at random. The tier uses R and F:

- champions: R >= 4 and F >= 4
- loyal: R >= 3 and F >= 3 (not champions)
- new customers: R >= 4 and F <= 1
- promising: R >= 3 and F <= 2 (not new)
- at risk: R <= 2 and F >= 3
- hibernating: R <= 2 and F <= 2
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

TIERS = ("champions", "loyal", "new customers", "promising", "at risk", "hibernating")


def quintile_scores(values: NDArray[np.float64], *, higher_is_better: bool = True) -> NDArray[np.int64]:
    """Scores 1-5 by quintile of average rank; ties share a score; one value -> all 3."""
    series = pd.Series(np.asarray(values, dtype=np.float64))
    n = len(series)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if series.nunique() <= 1:
        return np.full(n, 3, dtype=np.int64)
    ranks = series.rank(method="average", ascending=higher_is_better).to_numpy()
    scores = np.ceil(5.0 * (ranks - 0.5) / n).astype(np.int64)
    return np.clip(scores, 1, 5)


def rfm_tiers(
    recency_days: NDArray[np.float64], frequency: NDArray[np.float64], monetary: NDArray[np.float64]
) -> pd.DataFrame:
    """R, F, M scores and the tier name per customer (same row order)."""
    r = quintile_scores(recency_days, higher_is_better=False)
    f = quintile_scores(frequency)
    m = quintile_scores(monetary)
    tier = np.select(
        [
            (r >= 4) & (f >= 4),
            (r >= 3) & (f >= 3),
            (r >= 4) & (f <= 1),
            (r >= 3) & (f <= 2),
            (r <= 2) & (f >= 3),
        ],
        ["champions", "loyal", "new customers", "promising", "at risk"],
        default="hibernating",
    )
    return pd.DataFrame({"r_score": r, "f_score": f, "m_score": m, "rfm_tier": tier})
