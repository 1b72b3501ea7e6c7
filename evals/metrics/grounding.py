"""Grounding: every number, price, percentage, date and code in the copy must be an offer fact.

Copy and facts are normalised the same way: ``15 %`` = ``15%`` = ``15 percent``; ``$99`` = ``99.00``
= ``USD 99``; ``2026-12-31`` = ``12/31/2026`` = ``Dec 31`` = ``31 December 2026``; codes compare
case-insensitively. Personalization tokens and URLs are not claims and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.tokens import TOKEN
from evals.types import CheckContext, CopyDraft, MetricResult

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ]
    )
    for m in names
}  # fmt: skip
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_CUR = r"[$€£¥]|\b(?:USD|EUR|GBP|CAD|AUD|US\$)"
_CODE = r"(?P<c>(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{3,})"
_CUR_AFTER = r"USD|EUR|GBP|CAD|AUD|dollars?|euros?|pounds?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("skip", re.compile(TOKEN.pattern + r"|https?://\S+|www\.\S+")),
    ("date", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ][\d:]+)?\b")),
    ("date", re.compile(r"(?<![$€£¥]\s)(?<![$€£¥])\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})"
                        r"(?:[/.](?P<y>\d{4}|\d{2}))?\b(?![.,]?\d)"
                        r"(?!\s*(?:kg|g|lbs?|oz|ml|l|cm|mm|km|m|in|inches|ft|qt|公斤|千克|克|升|毫升|厘米|寸|英寸|磅)\b)")),
    ("date", re.compile(rf"\b{_MON}\s+(?P<d>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<y>\d{{4}})\b)?", re.I)),
    ("date", re.compile(rf"\b(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON}(?:,?\s+(?P<y>\d{{4}})\b)?", re.I)),
    ("price", re.compile(rf"(?:{_CUR})\s?(?P<n>{_NUM})")),
    ("price", re.compile(rf"(?P<n>{_NUM})\s?(?:{_CUR_AFTER})\b", re.I)),
    ("percentage", re.compile(rf"(?P<n>{_NUM})\s?(?:%|percent\b|per\s?cent\b)", re.I)),
    ("zhe", re.compile(r"(?P<n>\d{1,2}(?:\.\d)?)\s?折")),  # Chinese: 85折 (or 8.5折) is 15% off
    ("skip", re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:a\.?m\.?|p\.?m\.?)(?!\w)", re.I)),  # a time of day
    ("code", re.compile(r"\b(?:(?:promo|coupon|discount)\s+code|code|coupon|promo)\s*[:\-]?\s*[\"'“]?" + _CODE, re.I)),
    ("code", re.compile(r"\b(?P<c>(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{3,})\b")),
    # an ordinal that is no date: "took 1st place"
    ("skip", re.compile(r"\b\d{1,3}(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?" + _MON + ")", re.I)),
    ("number", re.compile(rf"(?<![\w.])(?<![A-Za-z]-)(?P<n>{_NUM})")),  # not "Omega-3", "COVID-19"
]  # fmt: skip
_PERCENT_KEYS = ("discount", "percent", "pct", "off", "rate", "saving")
_CODE_WORDS = frozenset({"CODE", "STOP", "HELP"})


@dataclass(frozen=True)
class Claim:
    """A checkable token in the copy: its kind, its text and its normalised values."""

    kind: str
    text: str
    values: frozenset[str]


def number_key(text: str) -> str:
    """Canonical form of a number: ``1,299.00`` -> ``1299``, ``49,99`` -> ``49.99``, ``15`` -> ``15``."""
    t = text.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", t):
        t = t.replace(",", "")
    else:
        t = t.replace(",", ".")
    value = round(float(t), 2)
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _date_keys(g: dict[str, str | None]) -> set[str]:
    y = g.get("y")
    year = None if y is None else (int(y) + 2000 if len(y) == 2 else int(y))
    pairs: list[tuple[int, int]] = []
    if g.get("mon") is not None:
        pairs.append((_MONTHS[str(g["mon"]).lower()], int(str(g["d"]))))
    elif g.get("a") is not None:
        a, b = int(str(g["a"])), int(str(g["b"]))
        pairs += [(a, b), (b, a)]  # month/day or day/month: either may be meant
    else:
        pairs.append((int(str(g["m"])), int(str(g["d"]))))
    keys = set()
    for m, d in pairs:
        if 1 <= m <= 12 and 1 <= d <= 31:
            keys.add(f"{year or '*'}-{m:02d}-{d:02d}")
    return keys


def extract_claims(text: str) -> list[Claim]:
    """Every number, price, percentage, date and code in ``text``, each span counted once."""
    return list(_claims(text))


@text_cache(16384)
def _claims(text: str) -> tuple[Claim, ...]:
    taken: list[tuple[int, int]] = []
    claims: list[Claim] = []
    digits = any(ch.isdigit() for ch in text)
    for kind, pattern in _PATTERNS:
        if not digits and kind != "code":  # every other kind of claim contains a digit
            continue
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            groups = m.groupdict()
            if kind == "date":
                values = frozenset(_date_keys(groups))
                if not values:
                    continue
            elif kind == "code":
                raw = str(groups["c"])
                code = raw.upper()
                if code in _CODE_WORDS or not (raw.isupper() or any(ch.isdigit() for ch in raw)):
                    continue
                values = frozenset({code})
            elif kind == "zhe":
                paid = float(str(groups["n"]))
                values = frozenset({number_key(f"{100 - (paid * 10 if paid < 10 else paid):.1f}")})
            elif kind != "skip":
                values = frozenset({number_key(str(groups["n"]))})
            taken.append((start, end))
            if kind != "skip":
                shown = str(groups["c"]) if kind == "code" else m.group(0).strip()
                claims.append(Claim("percentage" if kind == "zhe" else kind, shown, values))
    return tuple(claims)


@dataclass(frozen=True)
class Facts:
    """The normalised offer and brand facts a claim may be grounded in."""

    numbers: frozenset[str]
    percentages: frozenset[str]
    dates: frozenset[str]
    codes: frozenset[str]


def offer_facts(context: CheckContext) -> Facts:
    """Normalise the offer facts (with the postal address and the brand's facts) into comparable values."""
    numbers: set[str] = set()
    percentages: set[str] = set()
    dates: set[str] = set()
    codes: set[str] = set()
    for key, value in _fact_items(context):
        percentish = any(k in key.lower() for k in _PERCENT_KEYS)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        if isinstance(value, int | float):
            numbers.add(number_key(repr(float(value))))
            if percentish:
                percentages.add(number_key(repr(float(value))))
                if 0 < value < 1:
                    percentages.add(number_key(repr(float(value) * 100)))
            continue
        text = _NUMBER_WORDS.sub(lambda m: str(_NUMBER_WORD_VALUES[m.group(0).lower()]), str(value))
        words = re.findall(r"[A-Za-z0-9-]{3,}", text)
        codeish = any(k in key.lower() for k in ("code", "coupon", "promo", "voucher"))
        codes.update(
            w.upper() for w in words if codeish or (re.search(r"\d", w) and re.search(r"[A-Za-z]", w))
        )
        for claim in extract_claims(text):
            if claim.kind == "date":
                dates.update(claim.values)
                for v in claim.values:
                    y, m, d = v.split("-")
                    numbers.update(number_key(x) for x in (m, d) + ((y,) if y != "*" else ()))
            elif claim.kind in ("number", "price", "percentage"):
                numbers.update(claim.values)
                if claim.kind == "percentage" or percentish:
                    percentages.update(claim.values)
    numbers.update(_discounted_prices(context))
    years = {int(d[:4]) for d in dates if d[:4].isdigit()}
    numbers.update(str(y + k) for y in years for k in (0, 1))  # "plan your 2027" before a December deadline
    return Facts(frozenset(numbers), frozenset(percentages), frozenset(dates), frozenset(codes))


_NUMBER_WORD_VALUES: Final = {
    w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_NUMBER_WORDS: Final = re.compile(r"\b(?:" + "|".join(_NUMBER_WORD_VALUES) + r")\b", re.I)  # "six months" = 6


def _fact_items(context: CheckContext) -> list[tuple[str, object]]:
    """The offer's fields, the postal address, the brand's facts and the product's catalogue line."""
    items: list[tuple[str, object]] = list(context.offer.items())
    if context.postal_address:
        items.append(("postal_address", context.postal_address))
    items += [("brand_fact", fact) for fact in context.brand_facts]  # "Free shipping on orders over $40"
    if context.product_description:  # the catalogue's own facts: "for 2 to 5 players"
        items.append(("product_description", context.product_description))
    return items


def _discounted_prices(context: CheckContext) -> set[str]:
    """The price after the discount and the amount saved ("$36 instead of $45"), when both are given."""
    price, discount = context.offer.get("price"), str(context.offer.get("discount", ""))
    pct = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", discount)
    try:
        amount = float(str(price))
    except ValueError:
        return set()
    if pct is None or amount <= 0:
        return set()
    off = amount * float(pct.group(1)) / 100
    return {number_key(f"{amount - off:.2f}"), number_key(f"{off:.2f}")}


def is_grounded(claim: Claim, facts: Facts) -> bool:
    """Whether a claim matches an offer fact of a compatible kind."""
    if claim.kind == "percentage":
        return bool(claim.values & facts.percentages)
    if claim.kind == "code":
        return bool(claim.values & facts.codes)
    if claim.kind == "date":
        for v in claim.values:
            y, md = v.split("-", 1)
            if v in facts.dates or any(
                f.endswith(md) and (y == "*" or f.startswith("*")) for f in facts.dates
            ):
                return True
        return False
    return bool(claim.values & facts.numbers)


def grounding_check(draft: CopyDraft, context: CheckContext, facts: Facts | None = None) -> MetricResult:
    """Share of claims grounded in the offer facts; fails on any ungrounded token, which it names."""
    known = facts or offer_facts(context)
    claims = [c for text in draft.parts.values() for c in extract_claims(text)]
    bad = [c for c in claims if not is_grounded(c, known)]
    score = 1.0 if not claims else (len(claims) - len(bad)) / len(claims)
    if bad:
        listed = ", ".join(f"{c.kind} '{c.text}'" for c in bad)
        reason = f"not in the offer facts: {listed}; use only the offer's own numbers, dates and codes"
    else:
        reason = (
            f"all {len(claims)} number(s), date(s) and code(s) match the offer"
            if claims
            else ("no numbers, dates or codes to check")
        )
    return MetricResult(
        metric="grounding",
        score=round(score, 4),
        threshold=1.0,
        passed=not bad,
        hard=True,
        reason=reason,
        details={"claims": len(claims), "ungrounded": [{"kind": c.kind, "text": c.text} for c in bad]},
    )
