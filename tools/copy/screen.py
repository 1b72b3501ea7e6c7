"""The generator's screen of model lines: what a reader would reject, found before the guardrail runs.

A cleaned line is screened for the faults a small model makes most: talking to the requester,
echoing the prompt, first-person assistant voice, names that are not the product, the brand or the
catalogue's, hype and awards the brand never states, leftover placeholders, cut-off sentences,
repetition, a plural product with a singular verb and the wrong script. Each fault is a plain
reason; a line with any is not used. The guardrail (``evals.checks.check_copy``) then judges the
whole assembled draft.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from evals.metrics.entities import POSSESSIVE_OPENERS
from evals.metrics.grammar import agreement_errors

_META = re.compile(
    r"\b(?:happy to help|glad to (?:hear|help)|ready to help|this (?:answer|response|request|task)"
    r"|your (?:requirements|request|question)|as requested|here(?:'s| is) (?:a|an|the|your)"
    r"|rewritten|revised version|as an ai|language model|let me know|feel free)\b",
    re.I,
)
_ECHO = re.compile(
    r"\b(?:subject line|preheader|text message|push notification|at most \d*\s*words?|one short sentence"
    r"|two short sentences|angle|audience|characters|copywriter|churn\w*|segment|high-value"
    r"|at risk|customers?|clv|conversion|campaign)\b|\bproduct\s*:",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I'd|I've|I'll|me|my|mine)\b")
_THIRD_PERSON = re.compile(
    r"\b(?:they|they're|they've|they'll|their|them|he|she|his|her|those who|people who|anyone who)\b", re.I
)
_HYPE = re.compile(
    r"\b(?:best|#1|number one|no\.? ?1|award[- ]winning|voted|world'?s|ultimate|perfect|guaranteed?"
    r"|unbeatable|revolutionary|the only|miracle|greatest|top choice|can'?t beat|high-end|premium"
    r"|finest|leading|superior)\b",
    re.I,
)
_PLACEHOLDER = re.compile(r"[\[\]<>{}]|\b(?:lorem|ipsum|xxx|tbd|insert)\b", re.I)
_DANGLING = re.compile(
    r"\b(?:and|or|but|the|a|an|to|for|with|of|in|on|at|your|our|is|are|that|this|from|by|as|any|just"
    r"|some|such|like|more|every|its|their|into|than|so|very|not|they|you|we|it|when|which|who|while)\s*[.?,:;-]?$|[,:;-]$",
    re.I,
)
_CAPITAL = re.compile(r"\b[A-Z][a-zA-Z'-]*\b")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_ALLOWED_NAMES = frozenset({"GPS", "STOP", "OK", "UK", "USA", "US"})


def known_words(names: Iterable[str]) -> frozenset[str]:
    """Lower-cased words of the names a line may use (product, brand, catalogue)."""
    return frozenset(w.lower() for name in names for w in re.findall(r"[A-Za-z][A-Za-z'-]*", name))


def sentence_case(line: str, known: frozenset[str]) -> str:
    """Title Case lines ("Your Next Long Run") in sentence case, keeping known names capitalised."""
    words = line.split()
    capitals = [w for w in words if w[:1].isupper()]
    if len(words) < 3 or len(capitals) < 0.6 * len(words):
        return line
    out = [words[0]]
    for word in words[1:]:
        core = word.strip(".,:;!?'\"")
        keep = core.lower() in known or core.isupper() or core in _ALLOWED_NAMES
        out.append(word if keep else word.lower())
    return " ".join(out)


def spell_names(line: str, names: Iterable[str]) -> str:
    """Proper names (those with a capital) spelled as the catalogue does: "commuter 7" -> "Commuter 7"."""
    for name in sorted({n for n in names if any(c.isupper() for c in n)}, key=len, reverse=True):
        line = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", name, line, flags=re.I)
    return line


def _script_problem(line: str, language: str) -> str | None:
    cjk, latin = len(_CJK.findall(line)), len(_LATIN.findall(line))
    if language == "zh" and cjk < max(2, latin // 2):
        return "it is not written in Chinese"
    if language != "zh" and cjk:
        return "it contains Chinese characters in copy that is not Chinese"
    return None


_POSSESSIVE = re.compile(r"([A-Z][a-z]+)'s\b")
_LEAD_NAME = re.compile(r"^\s*([A-Z][a-zA-Z'-]+)\s*:")


def _names(line: str, known: frozenset[str]) -> list[str]:
    lead = _LEAD_NAME.match(line)  # "Rebellion: ..." names something even as the first word
    found = [lead.group(1)] if lead and lead.group(1).lower() not in known else []
    for sentence in re.split(r"(?<=[.!?:])\s+", line):
        capitals = list(_CAPITAL.finditer(sentence))
        # The first word may be capitalised anyway, unless it is a possessive ("Amy's roadie").
        opener = _POSSESSIVE.match(sentence.lstrip("\"' "))
        first = capitals[:1] if opener and opener.group(1).lower() not in POSSESSIVE_OPENERS else []
        for match in first + capitals[1:]:
            word = match.group(0)
            if (
                word.lower() not in known
                and word.lower().removesuffix("'s") not in known
                and word not in _ALLOWED_NAMES
            ):
                found.append(word)
    return found


def _repeats(line: str) -> bool:
    words = [w.lower() for w in re.findall(r"\w+", line) if len(w) > 3]
    if any(n >= 3 for n in Counter(words).values()):
        return True
    pairs = list(zip(words, words[1:], strict=False))
    return len(pairs) != len(set(pairs))


def _trigrams(text: str, ignore: frozenset[str]) -> set[tuple[str, ...]]:
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if w not in ignore]
    return set(zip(words, words[1:], words[2:], strict=False))


def echoes(line: str, prompt: str, ignore: frozenset[str]) -> bool:
    """Whether ``line`` repeats three words in a row of the prompt (names in ``ignore`` aside)."""
    return bool(_trigrams(line, ignore) & _trigrams(prompt, ignore))


def _voice_problems(text: str) -> list[str]:
    checks = (
        (
            bool(_META.search(text) or _FIRST_PERSON.search(text)),
            "it talks to the requester, not to the customer",
        ),
        (bool(_THIRD_PERSON.search(text)), "it talks about the customer instead of to them"),
        (bool(_ECHO.search(text)), "it repeats the instructions"),
        (bool(_HYPE.search(text)), "it makes a claim the brand never states (hype or an award)"),
        (bool(_PLACEHOLDER.search(text)), "it has a placeholder or markup left in"),
    )
    return [reason for found, reason in checks if found]


def _form_problems(text: str, language: str, sentences: int) -> list[str]:
    unfinished = sentences > 1 and not text.endswith((".", "?", "\u3002", "\uff1f"))
    checks = (
        (len(re.findall(r"\w+", text)) < 3 and language != "zh", "it is too short to say anything"),
        (bool(_DANGLING.search(text)) or unfinished, "it stops mid-sentence"),
        (_repeats(text), "it repeats itself"),
    )
    return [reason for found, reason in checks if found]


def screen_line(
    line: str,
    *,
    known: frozenset[str],
    language: str,
    sentences: int = 1,
    prompt: str = "",
    plural_names: Sequence[str] = (),
) -> list[str]:
    """Why a reader would not accept ``line`` (empty when it is fine).

    ``prompt``: the task it answers; ``plural_names``: product names that take a plural verb.
    """
    text = line.strip()
    if not text:
        return ["it is empty"]
    problems = _voice_problems(text) + _form_problems(text, language, sentences)
    wrong = agreement_errors(text, plural_names) if language == "en" else []
    if wrong:
        problems.append(f"a plural takes a singular verb ({', '.join(wrong)})")
    if prompt and echoes(text, prompt, known):
        problems.append("it repeats the instructions")
    script = _script_problem(text, language)
    if script:
        problems.append(script)
    names = _names(text, known) if language != "zh" else []
    if names:
        problems.append(f"it names {', '.join(dict.fromkeys(names))}, which is not the product or the brand")
    return list(dict.fromkeys(problems))


def whole_sentences(text: str) -> str:
    """``text`` without a trailing sentence the model did not finish (kept when it is the only one)."""
    parts = re.split(r"(?<=[.!?\u3002\uff01\uff1f])\s*", text.strip())
    done = [p for p in parts[:-1] if p] if parts and parts[-1] else [p for p in parts if p]
    return " ".join(done) if done else text.strip()
