"""Keep customer emails and phone numbers out of anything sent to a language model."""

from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# International or national numbers: 7+ digits, optionally with +, spaces, dots, dashes, parentheses.
# A sentence's full stop may follow; a decimal point may not.
PHONE = re.compile(r"(?<![\w.])(?:\+|\()?\d[\d\s().-]{5,}\d(?!\w|\.\d)")
_DIGITS = re.compile(r"\d")
_NOT_PHONE = (
    re.compile(r"\d{4}-\d{2}-\d{2}"),
    re.compile(r"[\d,]*\.\d+"),
    re.compile(r"\d{1,3}(,\d{3})+"),
)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = len(_DIGITS.findall(text))
    # Dates (2026-09-30) and numbers (1,234.50, 0.1234567, 1,000,000) keep their shape.
    if digits < 7 or any(p.fullmatch(text) for p in _NOT_PHONE):
        return text
    return "[phone]"


def redact(text: str) -> str:
    """Replace email addresses and phone numbers in ``text`` with placeholders."""
    return PHONE.sub(_phone, EMAIL.sub("[email]", text))


def redact_value(value: Any) -> Any:
    """Redact strings inside nested dicts/lists (tool results before they reach the model)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def contains_pii(text: str) -> bool:
    """Whether ``text`` still holds something that looks like an email or phone number."""
    return redact(text) != text
