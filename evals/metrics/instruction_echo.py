"""Instruction echo: copy that repeats the prompt ("Write an SMS under 160 characters...")."""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.text import copy_parts, sentences
from evals.types import CheckContext, CopyDraft, MetricResult

_TASK_NOUN = (
    r"(?:sms|email|e-mail|subject(?: line)?|preheader|push(?: notification)?|notification|copy|cta|call to action"
    r"|characters?|words?|brand voice|voice examples?|promo code|deadline|product name|text|headline|body|tone"
    r"|variants?|win-back|campaign|segment|audience|quotes|plain text)"
)
ECHO: Final[tuple[str, ...]] = (
    # an imperative prompt sentence about the writing task itself
    rf"^(?:please\s+)?(?:write|create|generate|draft|compose|return|output|produce|rewrite)\b.*\b{_TASK_NOUN}\b",
    rf"^(?:include|mention|keep|use|do not|don't|avoid|end with|start with|make sure)\b.*\b(?:{_TASK_NOUN})\b"
    r".*\b(?:verbatim|above|below|under|limit|characters?|words?|invent|include|examples?|deadline|cta)\b",
    # a prompt label: "Subject line (max 60 characters):", "Tone: warm", "Audience: lapsed customers"
    r"^(?:the\s+)?(?:subject(?: line)?|preheader|body(?: copy)?|tone|audience|task|offer|output|cta"
    r"|call to action|title"
    r"|segment|channel|instructions?|format|sms|email|push)\s*(?:\([^)]*\))?\s*:",
    r"\b(?:under|max(?:imum)?|at most|no more than|fewer than|less than)\s+\d+\s+(?:characters|chars|words)\b",
    r"\b\d+\s*-\s*\d+\s+sentences\b",
    r"\b(?:the\s+)?(?:[a-z-]+\s+)?segment\b|\ball-customers\b|\bat-risk\b|\bpersona\b",
    r"\bwho have not (?:ordered|bought|purchased|visited) in \d+ days\b",
)
_ECHO_RE: Final = re.compile("|".join(f"(?:{p})" for p in ECHO), re.I | re.M)


def echoed_instructions(text: str) -> list[str]:
    """The sentences of ``text`` that read as the prompt, not as copy."""
    parts = sentences(text)
    if not _ECHO_RE.search("\n".join(parts)):  # one pass: ``^`` anchors at each sentence
        return []
    return [s for s in parts if _ECHO_RE.search(s)]


def instruction_echo_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when a sentence of the copy is an instruction to the writer (the prompt leaked into it)."""
    found = [s for text in copy_parts(draft, context).values() for s in echoed_instructions(text)]
    reason = (
        f"repeats the prompt: {', '.join(repr(s) for s in dict.fromkeys(found))}; remove the instructions"
        if found
        else "no prompt text in the copy"
    )
    return MetricResult(
        metric="instruction_echo", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason=reason, details={"sentences": found},
    )  # fmt: skip
