"""Incomplete or broken text: truncation, leftover placeholders and labels, garbled tokens, repetition.

A part that stops mid-clause ("...with code"), a template slot never filled ("[Customer Name]",
"<name>", "{product_name}", "XX%"), a prompt label left in ("Brand guide:", "Subject:"), mojibake or
model control tokens ("Ã©", "<|im_end|>"), and degenerate repetition ("off off off").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.cjk import CJK
from evals.metrics.cta import cta_phrases
from evals.metrics.text import copy_parts, sentences
from evals.metrics.tokens import TOKEN
from evals.types import CheckContext, CopyDraft, MetricResult

_PLACEHOLDER: Final = re.compile(
    r"\[[A-Z][^\]\n]{1,40}\](?!\()|<(?:[a-z][a-z _-]{1,30})>|(?<!\{)\{[A-Za-z_][A-Za-z0-9_ ]{0,30}\}(?!\})"
    r"|\blorem ipsum\b|\bXX+%?|\b(?:TBD|TODO|FIXME|INSERT)\b|\bN/A\b|_{3,}|\(link\)|\[link\]",
    re.I,
)
_LABEL: Final = re.compile(
    r"\bbrand guide:|^\s*(?:subject(?: line)?|preheader|body|sms|email|push|title|text|message|variant \d+"
    r"|option \d+|version \d+|copy)\s*\d*\s*:",
    re.I | re.M,
)
_GARBLED: Final = re.compile(
    r"[ÃÂ][\x80-\xbf©®°±²³´µ¶·¸¹º»¼½¾¿€™¢£¤¥¦§¨ª«¬]|â€|\ufffd|<\|[^|>]{0,20}\|>|</?s>|<unk>|\[/?INST\]"
    r"|^\s*(?:assistant|user|system)\s*$|#{2,}|```|\\[nt]"
    # UTF-8 Chinese read as cp1252: a lead byte and two continuation bytes ("æœˆ" was 月)
    r"|[äåæçèé][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{2}"
    r"|\b(?:a|an|the) (?:a|an|the|for|with|of|and|but|is)\b|\b(?:for with|with for|of for|for of|to with|with to)\b"
    r"|\bundefined\b|\[object Object\]|\bNaN\b|(?<![\w-])null(?![\w-])",  # a template's empty variable
    re.M,
)
# Contractions written without their apostrophe ("youve", "dont"): a model's misspelling, never a
# brand's. Only forms that are not also words ("its", "well", "were", "lets", "cant" are left out).
_NO_APOSTROPHE: Final = re.compile(
    r"\b(?:youve|youre|youll|youd|dont|doesnt|didnt|isnt|arent|wasnt|werent|wouldnt|couldnt|shouldnt|hasnt"
    r"|havent|hadnt|theyre|theyve|theyll|weve|ive|thats|whats|wheres|theres|heres|itll)\b",
    re.I,
)
_FUNCTION_END: Final = frozenset(
    "the a an and or but with to of for until at by from your our my their its is are was it's "
    "not just another as than code if when while because so very more".split()
)
_PARAGRAPH_CUT: Final = _FUNCTION_END | {"no"}  # a paragraph's last word when it broke off ("no drips, no")
_END_PUNCT: Final = ".!?…)\"'”’。！？"
_WORD: Final = re.compile(r"[\w'’-]+")
_LINK_END: Final = re.compile(
    r"(?:https?://|www\.|\b[\w-]+\.(?:com|app|co|io|net|org|shop|store|us|uk)\b)\S*$"
)
_PROSE: Final = frozenset({"body", "text", "description"})
_CTA_LINE_WORDS: Final = 6


def truncated(part: str, text: str) -> bool:
    """Whether ``text`` stops mid-clause: a function word last, or an open bracket or quote.

    A closing arrow or emoji ("Shop now →") is not text, and a last line of a few words on its own
    ("Shop the topper") is a call to action, which needs no full stop.
    """
    stripped = text.rstrip()
    marked = False  # the last line ends in an arrow or emoji: a button, not a sentence
    while stripped and (unicodedata.category(stripped[-1])[0] == "S" or stripped[-1] in "\ufe0f\u200d"):
        stripped, marked = stripped[:-1].rstrip(), True
    if not stripped or CJK.search(stripped[-1]):
        return False
    words = _WORD.findall(stripped.lower())
    if not words:
        return False
    if stripped.count("(") > stripped.count(")") or stripped.count("“") > stripped.count("”"):
        return True
    if _LINK_END.search(stripped):
        return False  # a link closes it: "... Ends 2/15. leashly.app/plus"
    if stripped[-1] in _END_PUNCT or (marked and words[-1] not in _FUNCTION_END):
        return False  # a full stop, or a button's arrow or emoji after a whole phrase ("... FORK40 →")
    last_line = stripped.splitlines()[-1]
    own_line = "\n" in stripped and (marked or len(_WORD.findall(last_line)) <= _CTA_LINE_WORDS)
    parts = sentences(stripped)
    cta = len(_WORD.findall(parts[-1])) <= _CTA_LINE_WORDS and bool(cta_phrases(parts[-1]))  # "Tap to shop"
    if part in _PROSE and len(parts) >= 2 and not (own_line or cta):  # running prose ends its sentence
        return True
    cut_word = len(words[-1]) == 1 and words[-1] not in "ai" and not words[-1].isdigit()  # "15% o"
    return words[-1] in _FUNCTION_END or stripped[-1] in ",;:-–—" or cut_word


def _tandem(words: list[str]) -> str | None:
    n = len(words)
    for k in range(1, min(25, n // 2) + 1):
        for i in range(n - 2 * k + 1):
            if words[i : i + k] == words[i + k : i + 2 * k]:
                if k == 1 and not (i + 2 < n and words[i + 2] == words[i]):
                    continue  # one doubled word ("that that") is a typo; three is degenerate
                return " ".join(words[i : i + k])
    return None


def repetition(text: str) -> str | None:
    """Degenerate repetition: words back to back, stutters, or a sentence said twice.

    "off off off"; two doubled words in a sentence ("while wh wh while supplies supplies"; one
    is a typo); the same sentence twice, or a short one three times.
    """
    seen: dict[str, int] = {}
    for s in sentences(TOKEN.sub(" ", text)):
        words = [w.lower() for w in _WORD.findall(s)]
        run = _tandem(words)
        if run:
            return run
        doubled = [a for a, b in zip(words, words[1:], strict=False) if a == b]
        if len(doubled) >= 2:
            return " ".join(doubled)
        cjk = len(CJK.findall(s))  # Chinese has no spaces: the sentence itself is the key
        key = s if cjk else " ".join(words)
        seen[key] = seen.get(key, 0) + 1
        if key and ((len(words) >= 3 or cjk >= 2) and seen[key] == 2 or seen[key] == 3):
            return s  # a sentence twice, or a short one three times ("SALT10. SALT10. SALT10.")
    return None


def broken_problems(draft: CopyDraft, context: CheckContext) -> list[str]:
    """What is broken in the copy, one plain phrase per problem."""
    raw = draft.parts
    problems = [
        p
        for name, text in copy_parts(draft, context).items()
        for p in _part_problems(name, raw.get(name, text), text)
    ]
    return list(dict.fromkeys(problems))


@text_cache(16384)
def _part_problems(name: str, raw: str, text: str) -> tuple[str, ...]:
    """What is broken in one part (``raw`` as written, ``text`` without its legal footer)."""
    problems: list[str] = []
    body = TOKEN.sub(" ", raw)
    for m in _PLACEHOLDER.finditer(body):
        problems.append(f"the {name} has an unfilled placeholder {m.group(0)!r}")
    for m in _LABEL.finditer(body):
        problems.append(f"the {name} has a leftover label {m.group(0).strip()!r}")
    for m in _GARBLED.finditer(body):
        problems.append(f"the {name} has garbled or control text {m.group(0).strip()!r}")
    for m in _NO_APOSTROPHE.finditer(body):
        problems.append(f"the {name} misspells {m.group(0)!r} (no apostrophe)")
    if truncated(name, text):
        problems.append(f"the {name} stops mid-sentence: '...{text.rstrip()[-30:]}'")
    for paragraph in re.split(r"\n\s*\n", body)[:-1]:  # a paragraph that breaks off: "no drips, no"
        words = _WORD.findall(paragraph.lower())
        if words and paragraph.rstrip()[-1:] not in _END_PUNCT and words[-1] in _PARAGRAPH_CUT:
            problems.append(f"the {name} stops mid-sentence: '...{paragraph.rstrip()[-30:]}'")
    rep = repetition(text)
    if rep:
        problems.append(f"the {name} repeats itself: {rep!r}")
    return tuple(problems)


def broken_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail on truncated parts, unfilled placeholders, leftover labels, garbled text or repetition."""
    problems = broken_problems(draft, context)
    return MetricResult(
        metric="broken_text", score=float(len(problems)), threshold=0.0, passed=not problems, hard=True,
        higher_is_better=False, reason="; ".join(problems) if problems else "complete, clean sentences",
        details={"problems": problems},
    )  # fmt: skip
