"""How copy is shown: the copy itself, each check's verdict ("not run" when it could not run), line breaks."""

from __future__ import annotations

import json

from rich.console import Console

from agent.campaign.brief import AudienceSummary, CampaignBrief, CopyCheck, CopyVariant, RoiForecast
from agent.campaign.report import render_html
from agent.cli.render import _copy_table
from agent.slack.blocks import brief_blocks

BODY = "Hi {{first_name}},\n\nFresh legs on every trail.\n\nShop now.\n\nUnsubscribe: {{unsubscribe_url}}\n1 Ridge St"
CHECKS = [
    CopyCheck(name="length", passed=True, reason="fits"),
    CopyCheck(name="brand_voice", passed=True, hard=False, skipped=True, reason="no embedder given"),
    CopyCheck(name="grounding", passed=False, reason="'20%' is not in the offer"),
]


def _brief(passed: bool) -> CampaignBrief:
    return CampaignBrief(
        request="win back runners, email, 15% off",
        goal="win back",
        audience=AudienceSummary(
            description="at risk", size=10, total_clv=1.0, mean_clv=0.1, mean_churn_risk=0.6
        ),
        channels=[],
        roi=RoiForecast(cost=1.0, expected_conversions=0.1, expected_revenue=2.0, roi=1.0),
        copy_variants=[
            CopyVariant(
                channel="email",
                parts={"subject": "Fresh legs on every trail", "body": BODY},
                passed=passed,
                checks=CHECKS,
            )
        ],
    )


def test_markdown_brief_shows_the_copy_and_every_verdict() -> None:
    text = _brief(passed=False).to_markdown()
    assert "> **subject**: Fresh legs on every trail" in text
    assert "> Fresh legs on every trail." in text and ">\n> Shop now." in text  # line breaks kept
    assert "| brand_voice | not run | no embedder given |" in text
    assert "| grounding | failed | '20%' is not in the offer |" in text
    assert "**No sendable email copy**" in text and "NOT SENDABLE" in text
    assert "No sendable" not in _brief(passed=True).to_markdown()


def test_html_report_keeps_email_line_breaks_and_says_not_run() -> None:
    page = render_html(_brief(passed=False))
    assert "<p>Hi {{first_name}},</p><p>Fresh legs on every trail.</p>" in page
    assert "Unsubscribe: {{unsubscribe_url}}<br>1 Ridge St" in page
    assert "<td>brand_voice</td><td>not run</td><td></td>" in page
    assert "No sendable email copy" in page and "NOT SENDABLE" in page


def test_slack_and_terminal_show_not_run_and_not_sendable() -> None:
    text = json.dumps(brief_blocks(_brief(passed=False)), ensure_ascii=False)
    assert "brand_voice: not run (no embedder given)" in text
    assert "No sendable email copy" in text and "NOT SENDABLE" in text
    console = Console(width=200, record=True, color_system=None)
    console.print(_copy_table(_brief(passed=False)))
    shown = console.export_text()
    assert "brand_voice: not run (no embedder given)" in shown
    assert "NOT SENDABLE" in shown and "Fresh legs on every trail" in shown


def test_every_view_says_which_lines_are_the_brands_templates() -> None:
    from tools.copy.models import CopyVariant as ToolVariant

    tool = ToolVariant(
        index=1, parts={"text": "x"}, facts_used={}, passed=True, attempts=2, backend="local", model="m",
        template_parts=["subject", "opening"],
    )  # fmt: skip
    assert tool.origin() == "subject, opening: the brand's template line (no model-written line passed)"
    assert tool.model_copy(update={"template_parts": []}).origin() == ""
    brief = _brief(passed=True)
    brief.copy_variants[0].origin = tool.origin()
    assert f"; {tool.origin()}" in brief.to_markdown()
    assert "the brand&#39;s template line" in render_html(brief)
    assert tool.origin() in json.dumps(brief_blocks(brief), ensure_ascii=False)
    console = Console(width=300, record=True, color_system=None)
    console.print(_copy_table(brief))
    assert "the brand's template line" in console.export_text()
