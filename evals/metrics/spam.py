"""Spam triggers and shouting: trigger phrases, share of ALL-CAPS words, exclamation marks."""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.tokens import strip_tokens
from evals.types import CheckContext, CopyDraft, MetricResult

# Phrases that spam filters and readers treat as spam (drawn from the lists published by email
# service providers); kept to phrases a careful marketer never needs. Standard CTAs ("Order now",
# "Shop now", "Get yours") are not on it: readers expect them.
SPAM_PHRASES: Final[tuple[str, ...]] = (
    "100% free", "act now", "all natural", "amazing deal", "apply now", "as seen on", "be your own boss",
    "best price", "big bucks", "billion", "buy direct", "call now", "cancel at any time", "cash bonus",
    "cheap", "click below", "click here", "congratulations", "dear friend", "do it today",
    "don't delete", "don't hesitate", "double your", "earn $", "earn extra", "extra cash", "fast cash",
    "free gift", "free money", "free trial", "get paid", "guarantee", "guaranteed", "hurry",
    "incredible deal", "increase sales", "instant", "lowest price", "make money", "miracle",
    "no catch", "no cost", "no credit check", "no obligation", "no questions asked", "not spam",
    "once in a lifetime", "risk-free", "risk free", "satisfaction guaranteed",
    "save big", "special promotion", "this is not spam", "this won't last", "urgent", "winner",
    "you have been selected", "you're a winner", "you won't believe", "won't believe",
    "what happens next", "will blow your mind", "mind-blowing", "shocking", "unbelievable",
    "limited time only", "while supplies last", "last chance", "100% satisfied", "risk-free trial",
)  # fmt: skip
_SPAM_RE: Final = re.compile(
    r"(?<![\w$])(?:"
    + "|".join(re.escape(p) for p in sorted(SPAM_PHRASES, key=len, reverse=True))
    + r")(?!\w)",
    re.I,
)
_WORD: Final = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Upper-case words that are not shouting: opt-out keywords, units, common acronyms.
_ALLOWED_CAPS: Final = frozenset(
    {"STOP", "HELP", "FAQ", "GPS", "USA", "USD", "EUR", "GBP", "SMS", "OK", "TV", "UK"}
)


# Clickbait / hype cues (the feature families of Chakraborty et al. 2016): hyperbolic words,
# forward-referencing curiosity gaps, and listicle openings.
_HYPE: Final = re.compile(
    r"\b(?:amazing|awesome|incredible|unbelievable|insane|epic|perfect|literally|totally|absolutely|ever"
    r"|best|worst|greatest|most|mind|shocking|stunning|adorable|hilarious|genius|ultimate|secrets?"
    r"|omg|wow|seriously|everything|nothing|must)\b",
    re.I,
)
_CURIOSITY: Final = re.compile(
    r"\b(?:this|these|here's|here is|what happens|why|which|how|who|you'll|you won't|will make you)\b", re.I
)
_LISTICLE: Final = re.compile(r"^\s*\d+\s+(?!%|percent|off\b)", re.I)


def hype_score(text: str) -> float:
    """0-1 clickbait-style hype: hyperbolic words, curiosity gaps, a listicle opening."""
    words = max(len(text.split()), 1)
    hyper = min(len(_HYPE.findall(text)) / words * 5, 1.0)
    gap = min(len(_CURIOSITY.findall(text)) / words * 5, 1.0)
    return round(0.4 * hyper + 0.4 * gap + (0.2 if _LISTICLE.search(text) else 0.0), 4)


def spam_phrases(text: str) -> list[str]:
    """The spam-trigger phrases found in ``text`` (lower-case, in order)."""
    return [m.group(0).lower() for m in _SPAM_RE.finditer(text)]


def shouting_ratio(text: str, allowed: frozenset[str] = frozenset()) -> float:
    """Share of words of 3+ letters written in ALL CAPS (codes, acronyms and brand words excepted)."""
    words = [w for w in _WORD.findall(text) if len(w) >= 3]
    if not words:
        return 0.0
    caps = [w for w in words if w.isupper() and w not in _ALLOWED_CAPS and w not in allowed]
    return len(caps) / len(words)


def spam_score(text: str, allowed_caps: frozenset[str] = frozenset()) -> float:
    """One 0-1 spamminess number: trigger phrases, shouting, exclamation marks and hype combined."""
    return _combined(text, spam_phrases(text), shouting_ratio(text, allowed_caps), hype_score(text))


def _combined(text: str, found: list[str], ratio: float, hype: float) -> float:
    """``spam_score`` from its parts already measured on ``text`` (``spam_check`` measures each once)."""
    per10 = max(len(_WORD.findall(text)) / 10, 1.0)
    phrases = min(len(found) / per10, 1.0)
    shouting = min(ratio * 2, 1.0)
    bangs = min(text.count("!") / per10, 1.0)
    return round(0.35 * phrases + 0.2 * shouting + 0.15 * bangs + 0.3 * hype, 4)


def _allowed_caps(context: CheckContext) -> frozenset[str]:
    words = [str(v) for v in context.offer.values()] + [context.brand or ""]
    return frozenset(w for text in words for w in _WORD.findall(text) if w.isupper())


_TRUE_URGENCY: Final = frozenset({"last chance", "limited time"})


def spam_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail on spam-trigger phrases, shouting (ALL-CAPS share) or too many exclamation marks."""
    th = context.thresholds
    text = strip_tokens(draft.text())
    allowed = _allowed_caps(context)
    stated = " ".join(context.brand_facts).lower()  # "30-day guarantee" is a fact, not a spam cue
    won = bool(re.search(r"\b(?:won|winner|award)", stated))  # "winner" of the brand's real award
    dated = bool(context.offer.get("deadline"))  # "Last chance" is true of an offer that ends
    found = [
        p
        for p in spam_phrases(text)
        if re.sub(r"(?:ed|d|s)$", "", p) not in stated
        and not (won and p == "winner")
        and not (dated and p in _TRUE_URGENCY)
    ]
    ratio = shouting_ratio(text, allowed)
    bangs = text.count("!")
    hype = hype_score(text)
    problems: list[str] = []
    if len(found) > th.max_spam_words:
        problems.append(f"spam-trigger phrase(s): {', '.join(dict.fromkeys(found))}; reword them")
    if ratio > th.max_shouting:
        problems.append(
            f"{ratio:.0%} of the words are in ALL CAPS (at most {th.max_shouting:.0%}); use sentence case"
        )
    if bangs > th.max_exclamations:
        problems.append(f"{bangs} exclamation marks (at most {th.max_exclamations})")
    return MetricResult(
        metric="spam",
        score=_combined(text, found, ratio, hype),
        threshold=None,
        passed=not problems,
        hard=True,
        higher_is_better=False,
        reason="; ".join(problems) if problems else "no spam triggers, shouting or exclamation runs",
        details={
            "phrases": found,
            "shouting": round(ratio, 4),
            "exclamations": bangs,
            "hype": hype,
        },
    )
