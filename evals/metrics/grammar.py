"""Grammar: subject-verb agreement for plural nouns ("the running shoes is ...").

A small model writing about a product category ("running shoes", "trail socks") often gives it a
singular verb, and a reader notices at once. Two rules, no parser:

- the offer's product or a catalogue name that reads as plural (``is_plural``: its last word ends in
  ``s`` and is not one of the singular ``-s`` words), followed by ``is``/``was``/``has``/``does``;
- a determiner opening a clause, an optional modifier and a lower-case plural noun followed by the
  same verbs ("the shoes is", "your new leggings has").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.text import copy_parts
from evals.types import CheckContext, CopyDraft, MetricResult

# Words ending in s that are singular (or take a singular verb).
SINGULAR_S: Final = frozenset(
    "news series species lens means gas bus plus bonus status canvas chaos thesis basis analysis crisis"
    " physics mathematics athletics economics politics gymnastics aerobics ethics yes this always perhaps"
    " whereas its his hers ours yours theirs us was has does is as thus chess glass bliss class cross dress"
    " kiss loss moss pass press process success stress business fitness wellness access address boss"
    " cactus campus chorus circus focus genius octopus radius virus walrus iris tennis alias atlas"
    " christmas texas paris kansas mars venus xmas".split()
)
_SINGULAR_VERB: Final = r"(?:is|was|has|does|isn't|wasn't|hasn't|doesn't|isn’t|wasn’t|hasn’t|doesn’t)"
_DETERMINER: Final = r"(?:the|these|those|your|our|their|all|my|some|many|both|new|fresh)"
# The noun phrase opens its clause, so it is the subject: "forget their sunglasses is the one" has
# the season as its subject, and is not flagged.
_GENERIC: Final = re.compile(
    r"(?:^|[.!?,;:(\u2013\u2014]\s*|\b(?i:and|but|so|because|while|when|if|that|as|now|plus)\s+)"
    rf"(?P<phrase>\b(?i:{_DETERMINER})\s+(?:[a-z][a-z-]*\s+)?(?P<noun>[a-z][a-z-]*s)\s+(?i:{_SINGULAR_VERB})\b)",
    re.M,
)


# A comma between a sentence's subject and its verb: "My running shoes, are designed to..."
_COMMA_SUBJECT: Final = re.compile(
    r"(?:^|[.!?]\s+)(?P<phrase>(?i:(?:our|my|the|these|those|your)\s+(?:[a-z-]+\s+){0,2}[a-z-]+,\s+(?:are|is|was|were))\b)",
    re.M,
)


@lru_cache(maxsize=4096)
def is_plural(name: str) -> bool:
    """Whether a product name reads as plural: its last word ends in ``s`` and is not a singular -s word.

    ``running shoes`` and ``Round-Ups`` are plural; ``Harvest Blend``, ``Penny Jar Plus``, ``Ridgeback 3``
    and ``Trail Shell`` are not.
    """
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", name)
    if not words:
        return False
    last = words[-1].lower().split("-")[-1]
    return (
        len(last) > 2
        and last.endswith("s")
        and not last.endswith(("ss", "'s", "us"))
        and last not in SINGULAR_S
    )


@lru_cache(maxsize=512)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alts})\s+{_SINGULAR_VERB}\b", re.I)


def agreement_errors(text: str, plural_names: Iterable[str] = ()) -> list[str]:
    """The "<plural noun> is" phrases in ``text``, in order."""
    return list(_agreement_errors(text, tuple(sorted(set(plural_names)))))


@text_cache(16384)
def _agreement_errors(text: str, plural_names: tuple[str, ...]) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    named = _name_pattern(plural_names)
    if named is not None:
        found += [(m.start(), m.group(0)) for m in named.finditer(text)]
    for m in _GENERIC.finditer(text):
        noun = m.group("noun")
        if noun not in SINGULAR_S and not noun.endswith(("ss", "us", "is")) and len(noun) > 3:
            found.append((m.start("phrase"), m.group("phrase")))
    found += [(m.start("phrase"), m.group("phrase")) for m in _COMMA_SUBJECT.finditer(text)]
    taken: list[tuple[int, str]] = []
    for start, phrase in sorted(found):
        if not any(start < s + len(p) and s < start + len(phrase) for s, p in taken):
            taken.append((start, phrase))
    return tuple(p for _, p in taken)


def plural_names(context: CheckContext) -> list[str]:
    """The offer's product and the catalogue names that read as plural.

    A title of two or more capitalised words ("Harbor Lights", a board game; "Tidepool Tiles") names
    one product and may take a singular verb: blind judges passed "Harbor Lights is 20% off".
    """
    names = [str(context.offer.get("product", "")), *context.catalogue]
    return [n for n in dict.fromkeys(names) if n and is_plural(n) and not _title(n)]


def _title(name: str) -> bool:
    words = name.split()
    return len(words) >= 2 and all(w[:1].isupper() or not w[:1].isalpha() for w in words)


def grammar_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when a plural noun takes a singular verb ("the running shoes is")."""
    if (draft.language or context.language or "en") != "en":
        return MetricResult(
            metric="grammar", score=0.0, threshold=0.0, passed=True, hard=True, skipped=True,
            higher_is_better=False, reason="agreement is checked in English only",
        )  # fmt: skip
    names = plural_names(context)
    found = [p for text in copy_parts(draft, context).values() for p in agreement_errors(text, names)]
    reason = (
        f"a plural takes a singular verb, or a comma parts a subject from its verb: "
        f"{', '.join(repr(p) for p in dict.fromkeys(found))}; use 'are', 'were', 'have' or 'do', without the comma"
        if found
        else "subjects and verbs agree"
    )
    return MetricResult(
        metric="grammar", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason=reason, details={"phrases": found},
    )  # fmt: skip
