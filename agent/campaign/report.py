"""The campaign brief as files: ``brief.json`` and a self-contained ``report.html`` with its plots."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from agent.campaign.brief import CampaignBrief

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
.ok{color:#1a7f37}.bad{color:#cf222e}.plots img{width:48%;min-width:320px}blockquote{color:#555}
.copy{border-left:3px solid #ccc;padding-left:1em}
"""


def write_report(brief: CampaignBrief, folder: Path) -> Path:
    """Write ``brief.json`` and ``report.html`` into ``folder`` (atomically); return the HTML path."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "brief.json", json.dumps(brief.model_dump(mode="json"), indent=2, ensure_ascii=False))
    path = folder / "report.html"
    _write(path, render_html(brief))
    return path


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _e(value: object) -> str:
    return html.escape(str(value))


def _lines(text: str) -> str:
    """Copy text as HTML that keeps its line breaks (paragraphs on blank lines, <br> inside)."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join("<p>" + "<br>".join(_e(line) for line in p.split("\n")) + "</p>" for p in paragraphs)


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(path: str) -> str:
    file = Path(path)
    if not file.exists():
        return ""
    data = base64.b64encode(file.read_bytes()).decode("ascii")
    return f'<img alt="{_e(file.stem)}" src="data:image/png;base64,{data}">'


def render_html(brief: CampaignBrief) -> str:
    """The brief as one HTML page (plots embedded, so the file can be mailed or attached)."""
    a, roi, cur = brief.audience, brief.roi, brief.currency
    parts = [
        f"<h1>Campaign brief: {_e(brief.goal)}</h1><blockquote>{_e(brief.request)}</blockquote>",
        "<h2>Audience</h2>",
        _table(
            [
                "customers",
                "description",
                f"total CLV ({cur})",
                f"mean CLV ({cur})",
                "mean P(churn)",
                "reachable",
            ],
            [
                [
                    f"{a.size:,}",
                    a.description,
                    f"{a.total_clv:,.2f}",
                    f"{a.mean_clv:,.2f}",
                    f"{a.mean_churn_risk:.0%}",
                    ", ".join(f"{k} {v:,}" for k, v in a.reachable.items()),
                ]
            ],
        ),
        "<h2>Channels</h2>",
        _table(
            ["channel", "recipients", "P(convert)", "90% interval", "cost/send", "return/send", "why"],
            [
                [
                    c.channel,
                    f"{c.recipients:,}",
                    f"{c.conversion_rate:.2%}",
                    f"{c.conversion_interval[0]:.2%} to {c.conversion_interval[1]:.2%}",
                    f"{c.cost_per_message:,.3f}",
                    f"{c.expected_value_per_message:,.3f}",
                    c.reason,
                ]
                for c in brief.channels
            ],
        ),
        f"<h2>Incremental ROI forecast</h2><p>{_e(roi.summary())} ({_e(cur)})</p>",
        _table(
            ["", "value"],
            [
                [
                    "would buy anyway",
                    f"{roi.baseline_conversions:,.1f}"
                    + (f" ({roi.baseline.summary()})" if roi.baseline else ""),
                ],
                ["caused by the campaign", f"{roi.incremental_conversions:,.1f}"],
                ["incremental margin", f"{roi.incremental_margin:,.2f}"],
                ["discount cost (every redemption)", f"{roi.discount_cost:,.2f}"],
                ["cost (sends + fixed)", f"{roi.cost:,.2f}"],
                ["net incremental return", f"{roi.net_return:,.2f}"],
                ["incremental ROI", roi.roi_text()],
                ["returns are", roi.value_basis],
            ],
        ),
    ]
    if brief.control is not None:
        parts.append(f"<h2>Control group</h2><p>{_e(brief.control.summary())}</p>")
    if brief.budget_options:
        parts += [
            "<h2>What the rest of the budget would buy</h2>",
            _table(
                ["option", "customers", "sends", "cost", "extra conversions", "expected incremental return"],
                [
                    [
                        o.option,
                        f"{o.audience_size:,}",
                        f"{o.recipients:,}",
                        f"{o.cost:,.2f}",
                        f"{o.expected_incremental_conversions:,.1f}",
                        f"{o.expected_incremental_return:+,.2f}",
                    ]
                    for o in brief.budget_options
                ],
            ),
        ]
    if brief.copy_variants:
        parts.append("<h2>Copy</h2>")
        for channel in dict.fromkeys(v.channel for v in brief.copy_variants):
            if not any(v.passed for v in brief.copy_variants if v.channel == channel):
                parts.append(
                    f'<p class="bad"><b>No sendable {_e(channel)} copy</b>: no variant passed every check; '
                    "the best attempt is shown with its failed checks. Do not send it.</p>"
                )
        for i, v in enumerate(brief.copy_variants, 1):
            verdict = (
                '<span class="ok">sendable: passed every hard check</span>'
                if v.passed
                else '<span class="bad">NOT SENDABLE: failed a check</span>'
            )
            body = "".join(
                f'<p><b>{_e(k)}</b>:</p><div class="copy">{_lines(t)}</div>' for k, t in v.parts.items() if t
            )
            checks = _table(
                ["check", "verdict", "score", "reason"],
                [
                    [c.name, c.verdict(), "" if c.score is None or c.skipped else f"{c.score:.3g}", c.reason]
                    for c in v.checks
                ],
            )
            parts.append(f"<h3>{_e(v.channel)} variant {i} ({verdict})</h3>{body}{checks}")
    if brief.plots:
        parts.append('<h2>Plots</h2><div class="plots">' + "".join(_img(p) for p in brief.plots) + "</div>")
    if brief.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in brief.notes) + "</ul>")
    if brief.steps:
        rows: list[list[object]] = [
            [s.step, f"{s.seconds:.1f}", "ok" if s.ok else "failed", s.detail] for s in brief.steps
        ]
        parts += ["<h2>Steps</h2>", _table(["step", "seconds", "status", "detail"], rows)]
    parts.append(
        f"<p>Backend: {_e(brief.backend or 'n/a')}. Context: {_e('; '.join(brief.context_sources))}</p>"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Campaign brief</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
