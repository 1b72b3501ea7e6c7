"""What a message states outright, read by code: ids, audience words, channels, offer, budget, product.

These are facts the assistant acts on exactly as written; a language model never fills them. The
product is matched against the catalogue's names (longest match wins), then its categories.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agent.understand.vocabulary import DEFAULT_SEGMENTS, Vocabulary

CUSTOMER_ID = re.compile(r"\bCU(?=[0-9A-Z]*\d[0-9A-Z]*\d)[0-9A-Z]{2,}\b", re.I)
"""A customer id as typed: CU and digits, or a mistyped one (CU00A0042, CU42B), flagged unknown later."""
CAMPAIGN_ID = re.compile(r"\bC\d{3}\b")
_CHANNELS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emails", "e-mail", "newsletter", "inbox", "emailed", "emailing"),
    "sms": (
        "sms",
        "text message",
        "text messages",
        "texts",
        "text them",
        "text our",
        "text the",
        "text everyone",
        "by text",
        "texting",
    ),
    "push": ("push", "pushes", "app notification", "push notification", "push notifications"),
    "social": ("social", "instagram", "facebook", "tiktok"),
    "ads": ("paid ads", "display ads", "adverts"),
}
_RISK = re.compile(
    r"at[- ]risk|churn|lapsed|lapsing|slipping|inactive|dormant|haven'?t (?:bought|ordered)|gone quiet|going quiet"
    r"|stopped (?:buying|ordering|shopping)|drift(?:ed|ing) away|likely to (?:leave|stop)|about to leave"
    r"|(?:might|may|could) (?:leave|churn)|won'?t buy again|haven'?t (?:been back|shopped)"
    r"|flight[- ]risks?|on (?:their|the) way out|\blapse\b|about to (?:go|quit|lapse)|likely to (?:drop|fall) off"
    r"|disengag\w*",
    re.I,
)
_WINBACK = re.compile(
    r"win[- ]?back|bring (?:them |customers |people )?back|lose|losing|re-?engage|reactivat", re.I
)
_VALUE = re.compile(
    r"high[- ]value|best customers|top customers|top spenders|\bvips?\b|most valuable|valuable customers"
    r"|big spenders|highest[- ]value|premium customers|high spenders|\bwhales\b|biggest spenders"
    r"|best (?:buyers|shoppers)|top[- ]tier customers|most loyal high spenders|high rollers|heavy spenders"
    r"|top (?:20 ?%|twenty percent|fifth|quintile)|big[- ]ticket (?:customers|buyers|shoppers)"
    r"|most (?:profitable|lucrative) customers|premium (?:buyers|shoppers)",
    re.I,
)
_EVERYONE = re.compile(
    r"\beveryone\b|\ball (?:of )?(?:our )?(?:customers|buyers|shoppers)\b|whole base", re.I
)
_DISCOUNT = re.compile(r"(\d{1,2}(?:\.\d+)?)\s*%|(?:[$€£])\s?(\d+(?:\.\d\d)?)\s*off", re.I)
_AMOUNT = r"[$€£]?\s?(?<![A-Za-z0-9])(?P<{0}>\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(?P<{1}>k\b|grand\b|thousand\b)?"
_BUDGET = re.compile(
    r"(?:budget(?:\s+(?:cap(?:ped)?|limit(?:ed)?|ceiling|of|is|at|around|to|:))*"
    r"|spend(?:ing)?(?:\s+(?:cap(?:ped)?|limit(?:ed)?|ceiling|of|up to|at|to|at most|no more than))*"
    r"|capped at|cap(?:ped)? (?:of|at)|spent|put|invest(?:ing)?|have|got|with|max(?:imum)? of|up to"
    r"|no more than|at most|not (?:to )?exceed)\s*"
    + _AMOUNT.format("a", "k")
    + r"|"
    + _AMOUNT.format("b", "k2")
    + r"\s*(?:(?:dollars|pounds|euros|bucks|quid|usd|gbp|eur)\s+)?"
    r"(?:budget|spent|on\b|into\b|across\b|of (?:sms|emails?|push|texts?)|left\b|to spend"
    r"|(?:get|buy|bring|earn)\b)"
    r"|" + _AMOUNT.format("c", "k3") + r"\s*(?:dollars|pounds|euros|bucks|quid|usd|gbp|eur)?\s*"
    r"(?:tops|max(?:imum)?|at most|or less|or under|ceiling|cap|all in)\b"
    r"|" + _AMOUNT.format("d", "k4") + r"\s*(?:dollars|pounds|euros|bucks|quid)\b(?!\s+off)"
    r"|[$€£]?\s?(?<![A-Za-z0-9.])(?P<f>\d+(?:\.\d+)?)\s?(?P<k6>k|grand)\b"
    r"(?!\s*(?:run|race|runners?|training|plan|pb|time|route|trail|event|-))"
    r"|\bbudget\b\s*(?:[a-z]+\s*){0,2}[:=\-–]?(?!\s*20\d\d\b)\s*" + _AMOUNT.format("e", "k5"),
    re.I,
)
"""A budget: "budget 2k", "spend cap 900", "£800 on email", "five hundred bucks tops", "budget check: 800 quid"."""
_CODE = re.compile(r"\b(?:promo |discount |coupon |voucher )?code:?\s+([A-Z0-9]{3,20})\b", re.I)
_CODE_AFTER = re.compile(r"\b(?:with|using|use|enter|coupon|voucher|promo)\s+([A-Z][A-Z0-9]{2,19})\b")
_CODE_TOKEN = re.compile(r"(?<![\w-])([A-Z]{2,12}[0-9]{1,3})(?![\w-])")
"""A promo code as marketers write it: capitals then a few digits (DRY10, BF15), never an id (CU0000001)."""
_FILE = re.compile(
    r"\b([\w-]{1,60})\.csv\b|\b(?:call|name|title)\s+(?:the\s+)?(?:file|it|the export|the list)\s+['\"]?([\w-]{1,60})"
    r"|\bfile\s?name\s+['\"]?([\w-]{1,60})",
    re.I,
)
_VARIANT = re.compile(
    r"\bvariant\s*(\d)\b|\b(?:the\s+)?(first|second|third|fourth|fifth)\s+(?:one|variant)\b", re.I
)
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a couple of": 2, "a few": 3}
_COUNT = re.compile(
    r"\b(one|two|three|four|five|a couple of|a few|\d)\s+(?:sms|texts?|emails?|push(?:es)?|variants?|versions?|"
    r"options?|subject lines?|messages?|push messages|push notifications)\b",
    re.I,
)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}


class Slots(BaseModel):
    """What a message states outright (None or empty: not stated)."""

    customer_ids: list[str] = Field(default_factory=list)
    campaign_ids: list[str] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    risk: bool = False
    winback: bool = Field(
        default=False, description="A win-back or re-engagement goal (targets those at risk)."
    )
    value: bool = False
    everyone: bool = False
    channels: list[str] = Field(default_factory=list)
    channels_dropped: list[str] = Field(
        default_factory=list, description='Channels ruled out ("no SMS", "swap SMS for push").'
    )
    discount: str | None = None
    code: str | None = None
    budget: float | None = None
    product: str | None = None
    file_name: str | None = None
    variant: int | None = None
    count: int | None = None

    @property
    def audience_stated(self) -> bool:
        """Whether the message says who to target."""
        return bool(self.segments or self.risk or self.winback or self.value or self.everyone)


def read_slots(text: str, vocabulary: Vocabulary) -> Slots:
    """Every slot ``text`` states, with the product and segments matched against ``vocabulary``."""
    low = text.lower()
    slots = Slots(
        customer_ids=[m.upper() for m in dict.fromkeys(CUSTOMER_ID.findall(text))],
        campaign_ids=list(dict.fromkeys(CAMPAIGN_ID.findall(text))),
        risk=bool(_RISK.search(text)),
        winback=bool(_WINBACK.search(text)),
        value=bool(_VALUE.search(text)),
        everyone=bool(_EVERYONE.search(text)),
        channels=channels_in(low),
        channels_dropped=dropped_channels(low),
        segments=_segments(low, vocabulary),
        product=find_product(low, vocabulary),
    )
    if m := _DISCOUNT.search(text):
        slots.discount = f"{m.group(1)}%" if m.group(1) else f"${m.group(2)}"
    slots.code = code_in(text)
    if m := _FILE.search(text):
        slots.file_name = m.group(1) or m.group(2) or m.group(3)
    if m := _VARIANT.search(text):
        slots.variant = int(m.group(1)) if m.group(1) else _ORDINAL[m.group(2).lower()]
    if m := _COUNT.search(text):
        word = m.group(1).lower()
        slots.count = int(word) if word.isdigit() else _COUNT_WORDS[word]
    slots.budget = budget_in(text)
    if "big spenders" in slots.segments:
        slots.value = False  # a named segment, not the value filter
    return slots


def names_audience(phrase: str) -> bool:
    """Whether a phrase names who to target ("our whales", "lapsed VIPs", "champions"), not a product."""
    low = phrase.lower()
    return bool(
        _VALUE.search(low)
        or _RISK.search(low)
        or _EVERYONE.search(low)
        or any(has_word(low, name) or has_word(low, name.rstrip("s")) for name in DEFAULT_SEGMENTS)
    )


def channels_in(low: str, words: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The channels a (lower-cased) message asks for: named ones, less those it rules out.

    "email only" / "only email" keeps just email; "no SMS", "not push", "without texts",
    "skip SMS", "drop SMS", "swap SMS for push" and "instead of SMS" rule a channel out.
    """
    words = words or _CHANNELS
    named = [name for name, forms in words.items() if any(has_word(low, w) for w in forms)]
    only = [name for name in named if any(_only(low, w) for w in words[name])]
    if only:
        return only
    return [name for name in named if not any(_ruled_out(low, w) for w in words[name])]


def dropped_channels(low: str) -> list[str]:
    """The channels a (lower-cased) message rules out ("drop SMS", "swap SMS for push")."""
    return [name for name, forms in _CHANNELS.items() if any(_ruled_out(low, w) for w in forms)]


def _only(low: str, word: str) -> bool:
    w = re.escape(word)
    return (
        re.search(rf"(?<![a-z]){w}[- ]only\b|\bonly (?:by |via |through |on )?{w}(?![a-z])", low) is not None
    )


def _ruled_out(low: str, word: str) -> bool:
    w = re.escape(word)
    pattern = (
        rf"\b(?:no|not|without|skip|skipping|drop|dropping|remove|exclude|excluding|except|minus|lose|ditch"
        rf"|instead of|rather than|swap|swapping|replace|switch(?: out)?|take out)\s+(?:the\s+)?{w}(?![a-z])"
        rf"|(?<![a-z]){w}s? (?:is|are|costs?|gets?) (?:too|way too|so) \w+"
    )
    return re.search(pattern, low) is not None


def code_in(text: str) -> str | None:
    """The promo code a message states: "code DRY10", "with TEMPO10", or a code-shaped token (BF15)."""
    for m in _CODE.finditer(text):
        if m.group(1).isupper() or any(ch.isdigit() for ch in m.group(1)):  # "code DRY10", never "code did"
            return m.group(1).upper()
    for pattern in (_CODE_AFTER, _CODE_TOKEN):
        for m in pattern.finditer(text):
            if any(ch.isdigit() for ch in m.group(1)):
                return m.group(1)
    return None


def budget_in(text: str) -> float | None:
    """The money amount a message states as a budget or a spend (not a discount, an id or a price)."""
    text = digits_for_number_words(text)
    if m := _BUDGET.search(text):
        amount = next(m.group(g) for g in "abcdef" if m.group(g))
        thousands = any(m.group(k) for k in ("k", "k2", "k3", "k4", "k5", "k6"))
        return float(amount.replace(",", "")) * (1000 if thousands else 1)
    return None


_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "twenty-five": 25, "thirty": 30,
    "forty": 40, "fifty": 50, "a": 1, "a couple": 2, "a few": 3,
}  # fmt: skip
_SCALED = re.compile(
    r"\b("
    + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
    + r")\s+(hundred|thousand|grand)\b"
    r"(?:\s+(?:dollars|pounds|euros|bucks|quid))?",
    re.I,
)


def digits_for_number_words(text: str) -> str:
    """``text`` with spelled amounts as digits: "two thousand dollars" -> "2000", "five hundred" -> "500"."""

    def value(m: re.Match[str]) -> str:
        scale = 100 if m.group(2).lower() == "hundred" else 1000
        return str(_UNITS[m.group(1).lower()] * scale)

    return _SCALED.sub(value, text)


def has_word(low: str, word: str) -> bool:
    """Whether ``word`` occurs in ``low`` as a whole word or phrase."""
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low) is not None


def _segments(low: str, vocabulary: Vocabulary) -> list[str]:
    found = []
    for name in vocabulary.segments:
        forms = {name, name.rstrip("s"), name.replace(" ", "-")}
        if name == "at risk":
            continue  # "at risk" is the churn filter; the segment is named only as "the at risk segment"
        if any(has_word(low, form) for form in forms):
            found.append(name)
    if re.search(r"\bthe at[- ]risk segment\b", low):
        found.append("at risk")
    return found


def find_product(low: str, vocabulary: Vocabulary) -> str | None:
    """The catalogue product the text names (its name, or its first two words or more), else a category."""
    best: tuple[int, str] | None = None
    for name in vocabulary.products:
        words = name.split()
        for size in range(len(words), min(2, len(words)) - 1, -1):
            head = " ".join(words[:size])
            if has_word(low, head):
                if best is None or size > best[0]:
                    best = (size, name)
                break
    if best is not None:
        return best[1]
    for category in sorted(vocabulary.categories, key=len, reverse=True):
        if has_word(low, category) or has_word(low, category.rstrip("s")):
            return category
    return None
