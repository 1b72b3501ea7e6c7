"""Matplotlib helpers shared by the tools' plots: headless backend, atomic PNG writes.

Matplotlib loads when the first figure is drawn, not when a tool module is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@contextmanager
def png_figure(path: Path, *, title: str, size: tuple[float, float] = (7.0, 4.5)) -> Iterator[Axes]:
    """Yield the axes of a new figure; on exit write it to ``path`` (atomically) and close it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=110)
    try:
        ax.set_title(title)
        yield ax
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.png")
        fig.savefig(tmp, format="png")
        tmp.replace(path)
    finally:
        plt.close(fig)
