"""Channel length limits, with SMS counted in GSM-7 / UCS-2 segments as carriers bill them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evals.limits import (
    GSM7_PART,
    GSM7_SINGLE,
    REQUIRED_PARTS,
    UCS2_LANGUAGES,
    UCS2_PART,
    UCS2_SINGLE,
    limit_for,
)
from evals.types import CopyDraft, MetricResult, Thresholds

# GSM 03.38 basic character set (the escape character itself excluded) and its extension table,
# whose characters take two septets (escape + character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsCount:
    """How an SMS text is encoded and billed."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    non_gsm: str  # the characters that forced UCS-2, in order of appearance, deduplicated


def _pack(unit_sizes: list[int], single: int, part: int) -> int:
    """Segments needed when characters (of 1 or 2 units) may not be split across parts."""
    total = sum(unit_sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in unit_sizes:
        if used + size > part:
            segments += 1
            used = 0
        used += size
    return segments


def sms_segments(text: str) -> SmsCount:
    """Count the segments of an SMS: GSM-7 160 single / 153 per part, else UCS-2 70 / 67."""
    non_gsm = [c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION]
    if not non_gsm:
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsCount("GSM-7", sum(sizes), _pack(sizes, GSM7_SINGLE, GSM7_PART), "")
    sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]  # UTF-16: astral characters take a pair
    return SmsCount(
        "UCS-2", sum(sizes), _pack(sizes, UCS2_SINGLE, UCS2_PART), "".join(dict.fromkeys(non_gsm))
    )


def length_check(draft: CopyDraft, thresholds: Thresholds | None = None) -> MetricResult:
    """Every part within its channel limit, required parts present; score = worst used/limit ratio."""
    th = thresholds or Thresholds()
    problems: list[str] = []
    ratios: list[float] = []
    details: dict[str, object] = {}
    for name in REQUIRED_PARTS[draft.channel]:
        if not draft.parts.get(name, "").strip():
            problems.append(f"the {draft.channel} {name} is missing")
    for name, text in draft.parts.items():
        if draft.channel == "sms":
            count = sms_segments(text)
            # UCS-2 copy (Chinese, or English with an emoji) may take the UCS-2 allowance: readers passed
            # 118-126 character SMS with one emoji, which bill as 2 segments
            ucs2 = draft.language in UCS2_LANGUAGES or count.encoding == "UCS-2"
            allowed = th.max_sms_segments_ucs2 if ucs2 else th.max_sms_segments
            ratios.append(count.segments / allowed)
            details[name] = {"encoding": count.encoding, "units": count.units, "segments": count.segments}
            if count.segments > allowed:
                hint = (
                    f" (non-GSM characters {count.non_gsm!r} switch it to UCS-2, 70 per segment)"
                    if count.encoding == "UCS-2"
                    else ""
                )
                problems.append(
                    f"the SMS needs {count.segments} segments ({count.units} {count.encoding} units), "
                    f"at most {allowed} allowed{hint}; shorten it"
                )
            continue
        limit = limit_for(draft.channel, name)
        n = len(text)
        details[name] = {"chars": n, "limit": limit}
        if limit is None:
            continue
        ratios.append(n / limit)
        if n > limit:
            problems.append(f"the {name} has {n} characters, over the {limit} limit by {n - limit}")
    score = max(ratios, default=0.0)
    return MetricResult(
        metric="length",
        score=round(score, 4),
        threshold=1.0,
        passed=not problems,
        hard=True,
        higher_is_better=False,
        reason="; ".join(problems) if problems else "every part is within its channel limit",
        details=details,
    )
