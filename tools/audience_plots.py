"""Plots of a campaign audience against the base it was drawn from (CLV, churn risk).

Both are density histograms on shared bins, so an audience of 80 and a base of 5,000 compare by
shape; the legend gives each group's size and median.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from tools.plotting import png_figure


def _compare(
    values: pd.Series, members: Collection[str], path: Path, *, title: str, xlabel: str, log: bool
) -> Path:
    base = values.dropna().astype(float)
    inside = base[base.index.astype(str).isin(set(members))]
    data = np.log10(1.0 + base.clip(lower=0).to_numpy()) if log else base.to_numpy()
    bins = [float(b) for b in np.histogram_bin_edges(data, bins=30)]
    with png_figure(path, title=title) as ax:
        for frame, label, color in (
            (base, f"base ({len(base):,}, median {base.median():,.2f})", "tab:gray"),
            (inside, f"audience ({len(inside):,}, median {inside.median():,.2f})", "tab:orange"),
        ):
            shown = np.log10(1.0 + frame.clip(lower=0).to_numpy()) if log else frame.to_numpy()
            if len(shown):
                ax.hist(shown, bins=bins, density=True, alpha=0.55, label=label, color=color)
        ax.set_xlabel(f"log10(1 + {xlabel})" if log else xlabel)
        ax.set_ylabel("share of customers (density)")
        ax.legend(fontsize=8)
    return path


def plot_audience_clv(clv: pd.Series, members: Collection[str], path: Path) -> Path:
    """CLV of the audience against the base."""
    return _compare(
        clv, members, path, title="CLV: audience against the base", xlabel="12-month CLV", log=True
    )


def plot_audience_churn(churn: pd.Series, members: Collection[str], path: Path) -> Path:
    """P(churn) of the audience against the base."""
    return _compare(
        churn, members, path, title="Churn risk: audience against the base", xlabel="P(churn)", log=False
    )
