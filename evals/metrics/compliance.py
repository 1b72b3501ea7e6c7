"""Compliance lines each channel must carry.

Email needs an unsubscribe link or mention and the sender's postal address (CAN-SPAM, GDPR
practice); SMS needs opt-out wording (TCPA / CTIA: "Reply STOP to opt out").
"""

from __future__ import annotations

import re

from evals.types import CheckContext, CopyDraft, MetricResult

UNSUBSCRIBE = re.compile(
    r"\bunsubscribe\b|\bopt[- ]?out\b|\bmanage (?:your )?(?:email )?(?:preferences|subscriptions?)\b"
    r"|\{\{\s*(?:unsubscribe_url|preferences_url)\s*\}\}|退订|取消订阅",
    re.I,
)
SMS_OPT_OUT = re.compile(
    r"\b(?:reply|text|txt|send)\s+[\"']?stop\b|\bstop\s*(?:to|2)\s*(?:opt[- ]?out|unsubscribe|end|quit|cancel|stop)\b"
    r"|\bopt[- ]?out\b[^.]{0,20}\bstop\b"
    r"|(?:回复|回)\s*(?:STOP|TD|T|N|退订)\s*退?订?|退订回\s*T",  # Chinese: "回复STOP退订", "回复TD退订", "回T退订"
    re.I,
)

# The opt-out sentence as a whole (for removing it from the prose the soft metrics read).
OPT_OUT_SENTENCE = re.compile(
    r"(?:"
    + SMS_OPT_OUT.pattern
    + r")(?:\s+(?:to|2)\s+(?:opt[- ]?out|unsubscribe|end|quit|cancel|stop))?[.!]?",
    re.I,
)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def address_present(text: str, address: str, brand: str | None = None) -> tuple[bool, list[str]]:
    """Whether the postal address is in ``text``: whole, or every line of it but the brand and country.

    Returns the verdict and the address parts that are missing.
    """
    hay = f" {_norm(text)} "
    if f" {_norm(address)} " in hay:
        return True, []
    skip = {_norm(brand)} if brand else set()
    skip |= {"usa", "us", "united states", "uk", "united kingdom"}
    parts = [p.strip() for p in address.split(",") if p.strip()]
    needed = [p for i, p in enumerate(parts) if _norm(p) not in skip and not (i == 0 and len(parts) > 3)]
    missing = [p for p in needed if f" {_norm(p)} " not in hay]
    return not missing, missing


def compliance_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when a channel's legally required lines are missing; say which and how to fix it."""
    text = draft.text()
    problems: list[str] = []
    if draft.channel == "email":
        if not UNSUBSCRIBE.search(text):
            problems.append("the email has no unsubscribe link or wording; add one, e.g. {{unsubscribe_url}}")
        if not context.postal_address:
            problems.append(
                "the email needs the sender's postal address, and none is configured for the brand"
            )
        else:
            ok, missing = address_present(text, context.postal_address, context.brand)
            if not ok:
                problems.append(
                    f"the email lacks the postal address '{context.postal_address}' "
                    f"(missing: {', '.join(missing)})"
                )
    elif draft.channel == "sms":
        if not SMS_OPT_OUT.search(text):
            problems.append("the SMS has no opt-out wording; end it with 'Reply STOP to opt out'")
    else:
        return MetricResult(
            metric="compliance", score=1.0, threshold=1.0, passed=True, hard=True, skipped=True,
            reason=f"no compliance lines are required for {draft.channel}",
        )  # fmt: skip
    return MetricResult(
        metric="compliance",
        score=0.0 if problems else 1.0,
        threshold=1.0,
        passed=not problems,
        hard=True,
        reason="; ".join(problems) if problems else f"the {draft.channel} carries its required lines",
    )
