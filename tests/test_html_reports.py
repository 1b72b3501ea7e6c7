"""The HTML reports (campaign brief, eval suite): one set of autoescaped Jinja2 templates."""

from __future__ import annotations

import base64
import re
from importlib.resources import files
from pathlib import Path

import jinja2
import pytest

from agent.campaign.brief import AudienceSummary, CampaignBrief, CopyCheck, CopyVariant, RoiForecast
from agent.campaign.report import render_html
from evals.baseline import Regression
from evals.reports.html import html_report
from evals.reports.render import copy_lines, render_page
from evals.runner import CaseResult, SuiteResult, VariantResult
from evals.types import CheckReport, MetricResult

HOSTILE = '<script>alert("R&D\'s")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;R&amp;D&#39;s&#34;)&lt;/script&gt;"


def _brief(plots: list[str] | None = None) -> CampaignBrief:
    return CampaignBrief(
        request=f"win back runners {HOSTILE}",
        goal="win back",
        offer={"discount": "15%", "code": "RUN&15"},
        audience=AudienceSummary(
            description="at risk",
            size=1200,
            total_clv=1.0,
            mean_clv=0.1,
            mean_churn_risk=0.6,
            reachable={"email": 1000, "sms": 450},
        ),
        channels=[],
        roi=RoiForecast(cost=1.0, expected_conversions=0.1, expected_revenue=2.0, roi=1.0),
        copy_variants=[
            CopyVariant(
                channel="email",
                parts={"subject": HOSTILE, "body": f"Hi,\n\n{HOSTILE}\nline two"},
                passed=False,
                checks=[CopyCheck(name="grounding", passed=False, reason=f"'{HOSTILE}' is not in the offer")],
            )
        ],
        notes=[f"note {HOSTILE}"],
        plots=plots or [],
    )


def _suite(reason: str = HOSTILE) -> SuiteResult:
    result = MetricResult(metric="length", score=12.0, threshold=160.0, passed=True, hard=True, reason="ok")
    report = CheckReport(channel="sms", passed=True, results=[result], failures=[], warnings=[])
    case = CaseResult(
        id=f"case {HOSTILE}",
        channel="sms",
        source="fixed",
        status="failed",
        reason=reason,
        variants=[VariantResult(index=0, parts={"text": f"{HOSTILE}\nReply STOP"}, report=report)],
        scores={"length": 12.0},
    )
    return SuiteResult(
        suite=f"suite {HOSTILE}", started="2026-12-02", seconds=1.25, embeddings=False, cases=[case]
    )


def _head(page: str) -> str:
    """The page up to ``<body>``, without its title: what the shared base gives every report."""
    return re.sub(r"<title>.*?</title>", "", page.split("<body>")[0], flags=re.S)


def test_hostile_text_in_a_brief_is_escaped_everywhere() -> None:
    page = render_html(_brief())
    assert "<script>" not in page and "R&D" not in page
    assert f"<blockquote>win back runners {ESCAPED}</blockquote>" in page  # the request
    assert f'<div class="copy"><p>{ESCAPED}</p></div>' in page  # a copy part
    assert f"<p>Hi,</p><p>{ESCAPED}<br>line two</p>" in page  # copy keeps its breaks, and is escaped
    assert f"<td>&#39;{ESCAPED}&#39; is not in the offer</td>" in page  # a check's reason
    assert f"<li>note {ESCAPED}</li>" in page  # the notes
    assert "code RUN&amp;15" in page  # the offer
    assert "<td>1,200</td>" in page and "<td>email 1,000, sms 450</td>" in page
    assert "NOT SENDABLE" in page and "No sendable email copy" in page


def test_hostile_text_in_an_eval_case_is_escaped() -> None:
    regression = Regression(case=HOSTILE, metric="length", baseline=1.0, current=2.0, tolerance=0.1)
    page = html_report(_suite(), [regression])
    assert "<script>" not in page and "R&D" not in page
    assert f"<title>mkt eval: suite {ESCAPED}</title>" in page
    assert f"<td>case {ESCAPED}</td>" in page and f"<td>{ESCAPED}</td>" in page  # id and reason
    assert f"<p>{ESCAPED}<br>Reply STOP</p>" in page  # the copy, line breaks kept
    assert f"<li>{ESCAPED}: length 2 vs baseline 1" in page
    assert '<td class="failed">failed</td>' in page and "<td>length 12</td>" in page
    assert page.count("data:image/png;base64,") == 1


def test_both_reports_render_with_the_one_shared_base() -> None:
    brief, suite = render_html(_brief()), html_report(_suite())
    assert _head(brief) == _head(suite)
    assert '<meta name="generator" content="mkt">' in _head(brief) and ".copy{" in _head(brief)
    assert brief.count("<style>") == suite.count("<style>") == 1
    assert brief.rstrip().endswith("</body></html>") and suite.rstrip().endswith("</body></html>")
    templates = files("evals.reports.templates")
    assert {"base.html", "macros.html", "campaign.html", "eval.html"} <= {p.name for p in templates.iterdir()}
    for name in ("campaign.html", "eval.html"):
        assert '{% extends "base.html" %}' in templates.joinpath(name).read_text(encoding="utf-8")


def test_plots_are_embedded_and_missing_files_are_left_out(tmp_path: Path) -> None:
    png = tmp_path / "segment_map.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n-not-a-real-image-")
    page = render_html(_brief(plots=[str(png), str(tmp_path / "gone.png")]))
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    assert page.count("data:image/png;base64,") == 1
    assert f'<img alt="segment_map" src="data:image/png;base64,{data}">' in page


def test_copy_lines_escapes_each_line_and_keeps_paragraphs() -> None:
    assert copy_lines("a & b\nc\n\n\n<d>") == "<p>a &amp; b<br>c</p><p>&lt;d&gt;</p>"
    assert copy_lines("  \n\n") == ""


def test_a_template_missing_a_name_fails_loudly() -> None:
    with pytest.raises(jinja2.UndefinedError, match="brief"):
        render_page("campaign.html", plots=[])
    with pytest.raises(jinja2.TemplateNotFound):
        render_page("no_such_report.html")
