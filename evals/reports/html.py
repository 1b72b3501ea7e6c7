"""A self-contained HTML report: summary, per-metric charts (PNG, base64-embedded), every case.

The page comes from the shared report templates (``evals/reports/templates/eval.html``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from evals.baseline import Regression  # noqa: E402
from evals.reports.render import Image, embed_png, render_page  # noqa: E402
from evals.runner import SuiteResult  # noqa: E402


def _chart(metric: str, scores: Sequence[float], threshold: float | None) -> Image:
    fig, ax = plt.subplots(figsize=(4.2, 2.8), dpi=90)
    try:
        ax.hist(scores, bins=min(20, max(5, len(scores))), color="#4c72b0")
        if threshold is not None:
            ax.axvline(threshold, color="#cf222e", linestyle="--", label=f"threshold {threshold:g}")
            ax.legend(fontsize=7)
        ax.set_title(f"{metric} (n={len(scores)})")
        ax.set_xlabel("score")
        ax.set_ylabel("variants")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return embed_png(metric, buf.getvalue())


def _thresholds(result: SuiteResult) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for case in result.cases:
        for v in case.variants:
            for r in v.report.results:
                out.setdefault(r.metric, r.threshold)
    return out


def html_report(result: SuiteResult, regressions: Sequence[Regression] = ()) -> str:
    """The report as one HTML page (no external files), from the shared report templates (``eval.html``)."""
    th = _thresholds(result)
    charts = [_chart(m, s, th.get(m)) for m, s in sorted(result.metric_scores().items())]
    summary = ", ".join(f"{n} {k}" for k, n in result.counts().items())
    return render_page(
        "eval.html", result=result, regressions=list(regressions), summary=summary, charts=charts
    )


def write_html(result: SuiteResult, path: Path, regressions: Sequence[Regression] = ()) -> None:
    """Write the HTML report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(result, regressions), encoding="utf-8")
