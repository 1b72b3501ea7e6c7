"""Reject garbage completions (control bytes, template debris) before they can become an answer."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_DEBRIS = re.compile(r"\}\}\s*\{\{(?!\s*[^\W\d])|\{\{\s*\}\}|(?:[{}\[\]<>|\\]\s*){6,}")
_WORDY = re.compile(r"[^\W_]")


def garbage_reason(text: str, *, json: bool = False) -> str | None:
    """Why ``text`` cannot be shown as an answer, or ``None`` when it reads as text.

    ``json``: the answer is JSON (checked against its schema elsewhere): only control bytes count.
    A personalization token pair such as ``{{first}}{{last}}`` is not debris.
    """
    if _CONTROL.search(text):
        return "it holds control bytes"
    if json:
        return None
    if _DEBRIS.search(text):
        return "it holds template debris such as '}}{{'"
    visible = [c for c in text if not c.isspace()]
    if len(visible) >= 8 and sum(1 for c in visible if _WORDY.match(c)) < 0.3 * len(visible):
        return "it is mostly punctuation"
    return None


def printable(text: str) -> str:
    """``text`` without control bytes, safe to print to a terminal as it streams (newlines and tabs stay)."""
    return _CONTROL.sub("", text)
