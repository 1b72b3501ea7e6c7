"""Channel length limits in one table, and the parts each channel needs.

Characters are user-perceived code points, except SMS, which is counted in segments (see
``evals.metrics.length.sms_segments``). Sources: email clients truncate subjects near 60 and show
about 100 preheader characters; a lock screen shows about 120 push body characters (50 of a
title; blind judges passed bodies of 102-110 and rejected those of 127 and more);
Google search ads allow 30-character headlines and 90-character descriptions; X allows 280.
"""

from __future__ import annotations

from typing import Final

# (channel, part) -> maximum characters. SMS is limited by segments, not here.
LIMITS: Final[dict[tuple[str, str], int]] = {
    ("email", "subject"): 60,
    ("email", "preheader"): 100,
    ("push", "title"): 50,
    ("push", "body"): 120,
    ("ads", "headline"): 30,
    ("ads", "description"): 90,
    ("social", "text"): 280,
}

# Parts a draft must have, per channel.
REQUIRED_PARTS: Final[dict[str, tuple[str, ...]]] = {
    "email": ("subject", "body"),
    "sms": ("text",),
    "push": ("body",),
    "ads": ("headline", "description"),
    "social": ("text",),
}

# Parts whose prose is long enough to score (readability, sentiment, language), per channel.
PROSE_PARTS: Final[dict[str, tuple[str, ...]]] = {
    "email": ("body",),
    "sms": ("text",),
    "push": ("title", "body"),
    "ads": ("headline", "description"),
    "social": ("text",),
}

GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153
UCS2_SINGLE: Final = 70
# Languages whose script GSM-7 cannot encode: their SMS are UCS-2 whatever the wording.
UCS2_LANGUAGES: Final = frozenset({"zh", "ja", "ko"})
UCS2_PART: Final = 67


def base_part(name: str) -> str:
    """The table key of a numbered part: ``headline_2`` -> ``headline``."""
    head, _, tail = name.rpartition("_")
    return head if head and tail.isdigit() else name


def limit_for(channel: str, part: str) -> int | None:
    """The character limit of a part, or None when it has none (email body, SMS text)."""
    return LIMITS.get((channel, base_part(part)))
