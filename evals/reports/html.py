"""A self-contained HTML report: summary, per-metric charts (PNG, base64-embedded), every case."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from evals.baseline import Regression  # noqa: E402
from evals.runner import SuiteResult  # noqa: E402

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
.passed{color:#1a7f37}.failed,.error{color:#cf222e}.skipped{color:#9a6700}
.charts img{width:32%;min-width:300px}pre{white-space:pre-wrap;margin:0}
"""


def _chart(metric: str, scores: Sequence[float], threshold: float | None) -> str:
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
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _thresholds(result: SuiteResult) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for case in result.cases:
        for v in case.variants:
            for r in v.report.results:
                out.setdefault(r.metric, r.threshold)
    return out


def html_report(result: SuiteResult, regressions: Sequence[Regression] = ()) -> str:
    """The report as one HTML page (no external files)."""
    e = html.escape
    counts = result.counts()
    th = _thresholds(result)
    charts = "".join(
        f'<img alt="{e(m)}" src="data:image/png;base64,{_chart(m, s, th.get(m))}">'
        for m, s in sorted(result.metric_scores().items())
    )
    rows = []
    for case in result.cases:
        scores = ", ".join(f"{m} {v:g}" for m, v in sorted(case.scores.items()))
        copy = "<hr>".join(
            "<pre>" + e("\n".join(f"{k}: {t}" for k, t in v.parts.items())) + "</pre>" for v in case.variants
        )
        rows.append(
            f'<tr><td>{e(case.id)}</td><td>{e(case.channel)}</td><td class="{case.status}">{case.status}</td>'
            f"<td>{e(case.reason)}</td><td>{e(scores)}</td><td>{copy}</td></tr>"
        )
    reg = "".join(f"<li>{e(r.describe())}</li>" for r in regressions)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>mkt eval: {e(result.suite)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>Eval suite {e(result.suite)}</h1>"
        f"<p>{e(result.started)} &middot; {result.seconds:.1f} s &middot; {summary} &middot; "
        f"embeddings {'on' if result.embeddings else 'off'}</p>"
        + (f"<h2>Regressions against the baseline</h2><ul>{reg}</ul>" if regressions else "")
        + f'<h2>Scores per metric</h2><div class="charts">{charts}</div>'
        "<h2>Cases</h2><table><tr><th>case</th><th>channel</th><th>status</th><th>reason</th>"
        f"<th>mean scores</th><th>copy</th></tr>{''.join(rows)}</table></body></html>\n"
    )


def write_html(result: SuiteResult, path: Path, regressions: Sequence[Regression] = ()) -> None:
    """Write the HTML report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(result, regressions), encoding="utf-8")
