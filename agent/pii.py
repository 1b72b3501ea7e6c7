"""Keep customer emails and phone numbers out of anything sent to a language model.

Every pattern is linear time: each can start only at the beginning of a run (a look-behind) and
every repetition is bounded, so a megabyte of adversarial text costs a few passes, not a quadratic
backtrack. Candidates are then classified in code (dates, times, decimals, IP addresses and ids keep
their shape), which is easier to reason about than one clever expression.
"""

from __future__ import annotations

import re
from typing import Any

_AT = r"(?:[@\uff20]|\s{0,3}[(\[{]\s{0,2}at\s{0,2}[)\]}]\s{0,3})"
_DOT = r"(?:\.|\s{0,3}[(\[{]\s{0,2}dot\s{0,2}[)\]}]\s{0,3})"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,63}|xn--[\w-]{1,59})"
# Local part (unicode letters allowed, RFC length limit), "@" or "(at)", labels, a letter TLD.
EMAIL = re.compile(
    rf"(?<![\w.%+'-])[\w.%+'-]{{1,64}}{_AT}(?:{_LABEL}{_DOT}){{1,8}}{_TLD}(?![\w-])", re.IGNORECASE
)
_WORD_DOT = r"(?:\.|[ \t]{1,3}dot[ \t]{1,3})"
_ARTICLE = r"(?:the|a|an|my|our|your|his|her|their|this|that)"
_WORD_LOCAL = rf"[\w%+'-]{{1,64}}+(?:{_WORD_DOT}[\w%+'-]{{1,64}}+){{0,3}}"
# Spelled out in words: "jane at example dot com", "jane dot doe at mail dot example dot org". A
# bare "at" needs a spelled "dot" before the TLD, so prose such as "she works at example.com" stays,
# and a domain cannot start with an article ("meet at the dot com party").
# The chunks of the local part cannot hold a separator, so they are matched possessively ("{1,64}+":
# never given back, as no shorter chunk could be followed by one): each start costs a few steps.
EMAIL_WORDS = re.compile(
    rf"(?<![\w.%+'-]){_WORD_LOCAL}[ \t]{{1,3}}at[ \t]{{1,3}}(?!{_ARTICLE}[ \t])"
    rf"(?:{_LABEL}{_WORD_DOT}){{0,7}}{_LABEL}[ \t]{{1,3}}dot[ \t]{{1,3}}{_TLD}(?![\w-])",
    re.IGNORECASE,
)
_SPELLED_DOT = re.compile(r"[ \t]dot[ \t]", re.IGNORECASE)

_SEP = r"[ \u00a0\u2009\u202f\u3000.\-\u2010\u2011\u2012\u2013\u2014\u2212\uff0d/()\uff08\uff09]"
_EXT = r"(?:[ \u00a0]{0,2}(?:x|ext\.?|extn\.?|extension)[ \u00a0]{0,2}\d{1,6})?"
# A run of digits and separators that starts at a digit, "+", "(" or "00" and is not glued to a
# letter or digit on the left (an underscore is fine: ``phone_15551234567``). It may end a sentence
# ("call 555 123 4567."), but not a decimal, time or id ("1234567.8", "14:29", "5551234567ab").
PHONE = re.compile(
    rf"(?<![^\W_])(?:[+\uff0b]|[(\uff08][+\uff0b]?)?\d(?:{_SEP}{{0,3}}\d){{5,19}}{_EXT}(?![^\W_]|[.,:]\d)",
    re.IGNORECASE,
)
_NOT_PHONE = (
    re.compile(r"\d+\.\d+"),  # a decimal: 1234567.89, 0.1234567
    re.compile(r"\d{1,3}(?:\.\d{1,3}){3}"),  # an IPv4 address
    re.compile(r"\d{6,9}"),  # a bare count or amount: 1450000 (phones have a "+" or separators)
)
_Y, _M, _D = r"(?:1[89]|2\d)\d\d", r"(?:1[0-2]|0?[1-9])", r"(?:3[01]|[12]\d|0?[1-9])"
_DATE = re.compile(rf"(?<!\d)(?:{_Y}[-/.]{_M}[-/.]{_D}|{_D}[-/.]{_M}[-/.]{_Y}|{_M}[-/.]{_D}[-/.]{_Y})(?!\d)")


_YEAR = re.compile(r"\d{4}")  # a cheap test before the date pattern (every date has a year)

# A Unix time in seconds (10 digits) or milliseconds (13), 2001-09-09 to 2033-05-18, is kept when
# the word just before it names a time ('"ts": 1764662400', "timestamp 1764662400", "created_at=...").
# The same digits after "phone", "call" or nothing at all are still a phone number. Only such digit
# runs look back, and only at the 40 characters before them, so other text costs nothing more.
_EPOCH = re.compile(r"1\d{9}(?:\d{3})?")
_TIME_WORDS = frozenset({"ts", "time", "timestamp", "timestamps", "epoch", "unix", "unixtime"})
_TIME_SUFFIXES = ("_at", "_ts", "_time")
_LOOK_BACK = 40


def _timestamp(match: re.Match[str]) -> bool:
    if not (match.group(0).isascii() and _EPOCH.fullmatch(match.group(0))):
        return False
    before = match.string[max(0, match.start() - _LOOK_BACK) : match.start()].rstrip(" \t\"':=")
    start = len(before)
    while start and (before[start - 1].isalnum() or before[start - 1] == "_"):
        start -= 1
    key = before[start:].lower()
    return key in _TIME_WORDS or key.endswith(_TIME_SUFFIXES)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    date = _DATE.search(text) if _YEAR.search(text) else None
    if date:  # a date keeps its shape; what is around it is looked at again ("2026-09-30 555 123 4567")
        return _phones(text[: date.start()]) + date.group(0) + _phones(text[date.end() :])
    if sum(map(str.isdigit, text)) < 7 or any(p.fullmatch(text) for p in _NOT_PHONE) or _timestamp(match):
        return text
    return "[phone]"


def _phones(text: str) -> str:
    return PHONE.sub(_phone, text)


def redact(text: str) -> str:
    """Replace email addresses and phone numbers in ``text`` with placeholders."""
    text = EMAIL.sub("[email]", text)
    if _SPELLED_DOT.search(text):  # one quick scan spares the spelled-out pattern most text
        text = EMAIL_WORDS.sub("[email]", text)
    return _phones(text)


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
