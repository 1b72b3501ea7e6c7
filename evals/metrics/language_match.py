"""Wrong language (hard): copy written in another language than the one asked for.

The soft ``language`` score only advises; this check fails the copy. Product and brand names,
codes and tokens are removed first, so English around a Chinese product name is English, and a
Chinese SMS that names "Lumen Skin" is Chinese. Chinese is told by its script (share of CJK
characters among the letters); other languages by langdetect, failing only when it is sure.
"""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.cjk import CJK
from evals.metrics.language import detect_language
from evals.metrics.readability import prose
from evals.metrics.text import copy_parts
from evals.metrics.tokens import TOKEN
from evals.types import CheckContext, CopyDraft, MetricResult

CJK_LANGUAGES: Final = frozenset({"zh", "ja", "ko"})
MIN_CJK_SHARE: Final = 0.5  # at least half the letters are Chinese characters in Chinese copy
MAX_CJK_SHARE: Final = 0.2  # a few Chinese characters in English copy are a product name, not a language
MIN_LETTERS: Final = 25
MIN_PROBABILITY: Final = 0.9
_CODE: Final = re.compile(r"\b[A-Z0-9]*\d[A-Z0-9]*\b|https?://\S+")


def _own_words(draft: CopyDraft, context: CheckContext) -> str:
    text = "\n".join(copy_parts(draft, context).values())
    names = [str(v) for v in context.offer.values() if isinstance(v, str)] + list(context.catalogue)
    names += [context.brand or ""]
    for name in sorted((n for n in names if len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, " ")
    return _CODE.sub(" ", TOKEN.sub(" ", text))


def language_match_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when the copy is in another language than expected (names and codes set aside)."""
    expected = (draft.language or context.language or "").split("-")[0].lower()
    text = _own_words(draft, context)
    letters = sum(map(str.isalpha, text))
    cjk = sum(map(str.isalpha, "".join(CJK.findall(text))))  # the CJK characters among the letters
    share = cjk / letters if letters else 0.0
    details: dict[str, object] = {"expected": expected, "cjk_share": round(share, 4), "letters": letters}
    # Chinese characters say more per letter: 8 of them are enough to tell, whatever was expected.
    if not expected or letters < (8 if expected in CJK_LANGUAGES or cjk >= 8 else MIN_LETTERS):
        why = "no expected language given" if not expected else f"too little text to tell ({letters} letters)"
        return MetricResult(
            metric="language_match", score=0.0, passed=True, hard=True, skipped=True,
            reason=f"language not checked: {why}", details=details,
        )  # fmt: skip
    if expected in CJK_LANGUAGES:
        passed = share >= MIN_CJK_SHARE
        reason = f"{share:.0%} of the letters are Chinese characters" + (
            "" if passed else f"; the copy must be written in {expected}, not only name the product in it"
        )
        return MetricResult(
            metric="language_match", score=round(share, 4), threshold=MIN_CJK_SHARE, passed=passed, hard=True,
            reason=reason, details=details,
        )  # fmt: skip
    if share > MAX_CJK_SHARE:
        return MetricResult(
            metric="language_match", score=0.0, threshold=MIN_PROBABILITY, passed=False, hard=True,
            reason=f"{share:.0%} of the letters are Chinese characters; write it in {expected}", details=details,
        )  # fmt: skip
    found = detect_language(prose(draft))  # the soft score's text: one detection, cached, serves both
    lang, prob = found if found else ("", 0.0)
    details.update(detected=lang, probability=round(prob, 4))
    wrong = bool(lang) and lang.split("-")[0] != expected and prob >= MIN_PROBABILITY
    score = prob if lang.split("-")[0] == expected else 1.0 - prob
    reason = f"detected {lang or 'nothing'} (p={prob:.2f})" + (f"; write it in {expected}" if wrong else "")
    return MetricResult(
        metric="language_match", score=round(score, 4), threshold=MIN_PROBABILITY, passed=not wrong, hard=True,
        reason=reason, details=details,
    )  # fmt: skip
