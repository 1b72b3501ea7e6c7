"""Compressed sufficient statistics of the CLV models, and the fit on them (both engines).

BG/NBD's likelihood depends on a customer only through (x, t_x, T), Gamma-Gamma's only through
(x, m): counting customers per distinct tuple loses nothing, and the fit then costs what the
distinct tuples cost, whether they stand for 1M or 1B customers. DuckDB counts them from the
summary arrays, Spark with a ``GROUP BY`` on the cluster; both put the rows in the same canonical
order (lexicographic), so the two engines hand the optimiser the same problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.clv import bgnbd, gamma_gamma
from tools.clv.mle import FloatArray, MleResult


@dataclass(frozen=True)
class CompressedRfm:
    """Counts per distinct (x, t_x, T) (all buyers) and per distinct (x, m) (repeat buyers, x > 0).

    The Gamma-Gamma fit keeps the rows it can learn from (``gamma_gamma.usable``) itself.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    n: FloatArray
    gg_x: FloatArray
    gg_m: FloatArray
    gg_n: FloatArray

    @classmethod
    def of(
        cls,
        frequency: FloatArray,
        recency: FloatArray,
        T: FloatArray,
        monetary: FloatArray,
        grid: float | None = None,
    ) -> CompressedRfm:
        """Count the per-customer arrays (the DuckDB path); ``grid`` rounds recency and T first."""
        if grid is not None:
            recency, T = snap(recency, grid), snap(T, grid)
        triples, bg_counts = np.unique(np.column_stack([frequency, recency, T]), axis=0, return_counts=True)
        ok = frequency > 0
        pairs, gg_counts = np.unique(
            np.column_stack([frequency[ok], monetary[ok]]), axis=0, return_counts=True
        )
        return cls.from_rows(
            triples[:, 0],
            triples[:, 1],
            triples[:, 2],
            bg_counts.astype(np.float64),
            pairs[:, 0],
            pairs[:, 1],
            gg_counts.astype(np.float64),
        )

    @classmethod
    def from_rows(
        cls,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        n: FloatArray,
        gg_x: FloatArray,
        gg_m: FloatArray,
        gg_n: FloatArray,
    ) -> CompressedRfm:
        """Rows counted elsewhere (the Spark path), put in the canonical order."""
        f64 = np.float64
        order = np.lexsort((np.asarray(T, f64), np.asarray(t_x, f64), np.asarray(x, f64)))
        gg_order = np.lexsort((np.asarray(gg_m, f64), np.asarray(gg_x, f64)))
        return cls(
            x=np.asarray(x, f64)[order],
            t_x=np.asarray(t_x, f64)[order],
            T=np.asarray(T, f64)[order],
            n=np.asarray(n, f64)[order],
            gg_x=np.asarray(gg_x, f64)[gg_order],
            gg_m=np.asarray(gg_m, f64)[gg_order],
            gg_n=np.asarray(gg_n, f64)[gg_order],
        )

    @property
    def customers(self) -> int:
        """Customers the BG/NBD rows stand for."""
        return int(self.n.sum())

    @property
    def spenders(self) -> int:
        """Customers the Gamma-Gamma model learns from (repeat purchases with positive spend)."""
        return int(self.gg_n[gamma_gamma.usable(self.gg_x, self.gg_m)].sum())

    @property
    def mean_repeat_spend(self) -> float:
        """Mean observed repeat spend of those customers (0 when there are none)."""
        ok = gamma_gamma.usable(self.gg_x, self.gg_m)
        total = float(self.gg_n[ok].sum())
        return float(self.gg_n[ok] @ self.gg_m[ok]) / total if total else 0.0


def snap(values: FloatArray, grid: float) -> FloatArray:
    """``values`` to the nearest multiple of ``grid``: ``floor(v / grid + 0.5) * grid``.

    The Spark path computes the same expression in Spark SQL; IEEE doubles give the same bits.
    """
    return np.asarray(np.floor(values / grid + 0.5) * grid, dtype=np.float64)


def snap_sql(column: str, grid: float) -> str:
    """:func:`snap` as a Spark SQL expression over ``column``."""
    return f"FLOOR({column} / CAST({grid!r} AS DOUBLE) + CAST(0.5 AS DOUBLE)) * CAST({grid!r} AS DOUBLE)"


@dataclass(frozen=True)
class FittedClv:
    """Both fitted models with their optimiser results."""

    bg: bgnbd.BgNbdParams
    bg_fit: MleResult
    gg: gamma_gamma.GammaGammaParams
    gg_fit: MleResult


def fit_compressed(stats: CompressedRfm, *, max_iterations: int = 500) -> FittedClv:
    """BG/NBD and Gamma-Gamma maximum likelihood on the counts.

    Raises:
        ToolError: too few customers or repeat purchases, or a fit that does not converge.
    """
    bg, bg_fit = bgnbd.fit(stats.x, stats.t_x, stats.T, weights=stats.n, max_iterations=max_iterations)
    gg, gg_fit = gamma_gamma.fit(stats.gg_x, stats.gg_m, weights=stats.gg_n, max_iterations=max_iterations)
    return FittedClv(bg=bg, bg_fit=bg_fit, gg=gg, gg_fit=gg_fit)
