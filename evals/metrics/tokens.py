"""Personalization tokens: ``{{field}}`` (optionally ``{{ field | default }}``) naming known fields."""

from __future__ import annotations

import re

from evals.types import CheckContext, CopyDraft, MetricResult

TOKEN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|[^{}]*)?\}\}")
# Merge-tag syntaxes of other platforms, which this sender would print literally.
FOREIGN = re.compile(r"\*\|[A-Z0-9_]+\|\*|%%[A-Za-z0-9_]+%%|\[\[[A-Za-z0-9_ ]+\]\]|<%[^%]*%>")


def find_tokens(text: str) -> list[str]:
    """The field names of the well-formed tokens in ``text``."""
    return [m.group(1) for m in TOKEN.finditer(text)]


def strip_tokens(text: str) -> str:
    """``text`` with well-formed tokens replaced by a neutral word (for the other metrics)."""
    return TOKEN.sub("Alex", text)


def _malformed(text: str) -> list[str]:
    rest = TOKEN.sub(" ", text)
    bad: list[str] = []
    for m in re.finditer(r"\{+[^{}\s]{0,30}\}*|\}+", rest):
        bad.append(m.group(0))
    bad.extend(m.group(0) for m in FOREIGN.finditer(rest))
    return bad


def tokens_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail on tokens that name unknown fields and on malformed or foreign-syntax placeholders."""
    known = set(context.personalization_fields) | set(context.system_tokens)
    used: list[str] = []
    unknown: list[str] = []
    malformed: list[str] = []
    for text in draft.parts.values():
        names = find_tokens(text)
        used.extend(names)
        unknown.extend(n for n in names if n not in known)
        malformed.extend(_malformed(text))
    problems: list[str] = []
    if unknown:
        fields = ", ".join(sorted(known)) or "none"
        problems.append(
            f"unknown personalization field(s) {', '.join(sorted(set(unknown)))}; known fields: {fields}"
        )
    if malformed:
        problems.append(
            f"malformed placeholder(s) {', '.join(repr(b) for b in dict.fromkeys(malformed))}; "
            "write tokens exactly as {{field_name}}"
        )
    n_bad = len(unknown) + len(malformed)
    reason = (
        "; ".join(problems)
        if problems
        else (f"{len(used)} valid token(s)" if used else "no personalization tokens")
    )
    return MetricResult(
        metric="tokens",
        score=float(n_bad),
        threshold=0.0,
        passed=n_bad == 0,
        hard=True,
        higher_is_better=False,
        reason=reason,
        details={"used": used, "unknown": sorted(set(unknown)), "malformed": list(dict.fromkeys(malformed))},
    )
