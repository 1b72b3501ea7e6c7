"""Block Kit for the bot's messages: answers, campaign briefs, progress, approvals."""

from __future__ import annotations

import json
import re
from typing import Any

from agent.campaign.brief import CampaignBrief, CopyCheck, CopyVariant
from agent.reply import Reply

Block = dict[str, Any]

APPROVE = "mkt_approve"
REJECT = "mkt_reject"
REGENERATE = "mkt_regenerate"
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
ERROR_TEXT = "Sorry, I could not answer that: something went wrong on my side (ref {ref}). Please try again."


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack's mrkdwn requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Markdown from the agent to Slack mrkdwn: escaped, ``**bold**`` to ``*bold*``, headings bold."""
    text = escape(markdown)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"(?m)^#{1,6}\s+(.+)$", r"*\1*", text)


def _chunks(text: str, size: int = SECTION_LIMIT - 10) -> list[str]:
    """Split ``text`` into pieces that fit a section, at line breaks where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


def section(text: str) -> Block:
    """A mrkdwn section (text must already be mrkdwn and at most 3000 characters)."""
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    """A context line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def _footer(reply: Reply) -> Block:
    bits = [f"{reply.seconds:.1f} s"]
    if reply.backend:
        bits.insert(0, f"model: {escape(reply.backend)}")
    if reply.tool_calls:
        bits.append("tools: " + escape(", ".join(reply.tool_calls)))
    return context(" · ".join(bits))


def reply_blocks(reply: Reply) -> list[Block]:
    """The final answer: the brief's Block Kit when the turn planned a campaign, else the text."""
    if reply.brief is not None:
        blocks = brief_blocks(reply.brief)
    else:
        blocks = [section(piece) for piece in _chunks(to_mrkdwn(reply.text or "(no answer)"))]
    blocks.append(_footer(reply))
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], context("(answer shortened to fit one Slack message)")]
    return blocks


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _audience(brief: CampaignBrief) -> Block:
    a, cur = brief.audience, brief.currency
    lines = [
        f"*Audience*: {escape(a.description)}",
        f"{a.size:,} customers · mean CLV {_money(a.mean_clv, cur)} · total CLV {_money(a.total_clv, cur)}"
        f" · mean churn risk {a.mean_churn_risk:.0%}",
    ]
    if a.segments:
        lines.append("Segments: " + ", ".join(f"{escape(k)} {v:,}" for k, v in a.segments.items()))
    if a.reachable:
        lines.append(
            "Reachable (consent): " + ", ".join(f"{escape(k)} {v:,}" for k, v in a.reachable.items())
        )
    return section("\n".join(lines))


def _channels(brief: CampaignBrief) -> Block:
    cur = brief.currency
    lines = ["*Channels*"]
    for c in brief.channels:
        interval = getattr(c, "conversion_interval", None)
        band = f" (90% {interval[0]:.1%}-{interval[1]:.1%})" if interval else ""
        lines.append(
            f"• *{escape(c.channel)}* to {c.recipients:,}: P(convert) {c.conversion_rate:.2%}{band}, "
            f"cost {_money(c.cost_per_message, cur)}/send, value {_money(c.expected_value_per_message, cur)}/send. "
            f"{escape(c.reason)}"
        )
    if not brief.channels:
        lines.append("No channel pays for this audience.")
    return section("\n".join(lines))


def _roi(brief: CampaignBrief) -> Block:
    r, cur = brief.roi, brief.currency
    text = (
        f"*Incremental ROI forecast*: cost {_money(r.cost, cur)}, {r.expected_conversions:,.1f} conversions "
        f"({r.incremental_conversions:,.1f} caused by the campaign), net incremental return "
        f"{_money(r.net_return, cur)}, ROI {r.roi_text()}"
    )
    if r.budget is not None:
        text += f"; budget {_money(r.budget, cur)}, {'within' if r.within_budget else 'OVER'} budget"
    return section(text)


def _check(check: CopyCheck) -> str:
    if check.skipped:
        return f"➖ {escape(check.name)}: not run ({escape(check.reason)})"
    mark = "✅" if check.passed else ("❌" if check.hard else "⚠️")
    reason = "" if check.passed or not check.reason else f": {escape(check.reason)}"
    return f"{mark} {escape(check.name)}{reason}"


def _variant(index: int, variant: CopyVariant) -> list[Block]:
    verdict = "sendable: passed every hard check" if variant.passed else "NOT SENDABLE: failed a check"
    parts = "\n".join(
        f"*{escape(k)}*:\n>" + escape(v).replace("\n", "\n>") if "\n" in v else f"*{escape(k)}*: {escape(v)}"
        for k, v in variant.parts.items()
    )
    checks = " · ".join(_check(c) for c in variant.checks)
    value = json.dumps({"channel": variant.channel, "variant": index})
    return [
        section(
            f"*{escape(variant.channel)} copy, variant {index + 1}* ({verdict})"
            + (f"\n_{escape(variant.origin)}_" if variant.origin else "")
            + f"\n{parts}"
        ),
        *([context(checks)] if checks else []),
        {
            "type": "actions",
            "block_id": f"variant_{index}",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{REGENERATE}:{index}",
                    "text": {"type": "plain_text", "text": f"Regenerate {variant.channel} copy"[:75]},
                    "value": value,
                }
            ],
        },
    ]


def brief_blocks(brief: CampaignBrief) -> list[Block]:
    """A campaign brief in Block Kit: audience, channels, ROI, then each copy variant with its checks."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Campaign: {brief.goal}"[:150]}},
        _audience(brief),
        _channels(brief),
        _roi(brief),
    ]
    if brief.offer:
        blocks.append(
            context("Offer: " + ", ".join(f"{escape(k)} {escape(v)}" for k, v in brief.offer.items()))
        )
    if brief.copy_variants:
        blocks.append({"type": "divider"})
    for channel in dict.fromkeys(v.channel for v in brief.copy_variants):
        if not any(v.passed for v in brief.copy_variants if v.channel == channel):
            blocks.append(
                section(
                    f":no_entry: *No sendable {escape(channel)} copy*: no variant passed every check. "
                    "The best attempt is below with its failed checks; do not send it."
                )  # fmt: skip
            )
    for index, variant in enumerate(brief.copy_variants):
        blocks += _variant(index, variant)
    if brief.steps:
        blocks.append(
            context(
                "Steps: "
                + " · ".join(f"{'✓' if s.ok else '✗'} {escape(s.step)} {s.seconds:.1f}s" for s in brief.steps)
            )
        )
    for note in brief.notes:
        blocks.append(context(escape(note)))
    return blocks


def progress_text(lines: list[str], *, done: bool = False, seconds: float | None = None) -> str:
    """The placeholder's text: what the agent is doing, one line per completed step."""
    head = f"Done in {seconds:.1f} s." if done and seconds is not None else "Working on it…"
    return "\n".join([head, *lines[-12:]])


def approval_blocks(approval_id: str, action: str, requester: str | None) -> list[Block]:
    """Approve / Reject buttons for a side effect the agent wants to perform."""
    who = f" (asked by <@{requester}>)" if requester else ""
    return [
        section(f":warning: *Approval needed*{who}\n{escape(action)}"),
        {
            "type": "actions",
            "block_id": f"approval_{approval_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "value": approval_id,
                },
                {
                    "type": "button",
                    "action_id": REJECT,
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Reject"},
                    "value": approval_id,
                },
            ],
        },
    ]


def decided_blocks(action: str, approved: bool, user: str | None) -> list[Block]:
    """The approval message once decided (buttons removed, who decided recorded)."""
    verdict = "Approved" if approved else "Rejected"
    by = f" by <@{user}>" if user else " (no answer in time)"
    mark = ":white_check_mark:" if approved else ":no_entry_sign:"
    return [section(f"{mark} *{verdict}*{by}\n{escape(action)}")]
