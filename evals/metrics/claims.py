"""Unverifiable claims: superlatives, rankings and awards the brand's own facts do not state.

"Voted best", "number one", "#1", "award-winning", "the world's finest", "clinically proven": a
reader (and a regulator) asks who says so. A claim passes only when a brand fact supports it:
an award when a fact names an award for the product the sentence is about (or for the whole
brand); any other claim when its words appear in one fact ("Voted Best Bike Shop by Westword
readers" supports "Voted Best Bike Shop").
"""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.entities import POSSESSIVE_OPENERS
from evals.metrics.patterns import compile_alternatives
from evals.metrics.text import copy_parts, sentences
from evals.types import CheckContext, CopyDraft, MetricResult

_AWARD: Final = re.compile(
    r"\baward(?:s|-winning| winning| winner)?\b|\bprize[- ]?winning\b|\bwinner of\b", re.I
)
_CLAIM: Final = compile_alternatives(
    r"\bvoted\b|#\s?1\b|\bno\.?\s?1\b|\bnumber[- ]one\b|\bbest[- ]?sell(?:ing|er)\b|\btop[- ]rated\b"
    r"|\b(?:rated|ranked) (?:the )?(?:best|top|first|#1|number one)\b"
    r"|\b(?:the|our|america's|world's|country's|town's|city's|world’s) (?:very )?(?:best|finest|greatest|top|leading"
    r"|safest|fastest|cheapest|healthiest|most trusted|most popular|most loved|highest|lowest)\b"
    r"|\bbest \w+ (?:in|of|on) (?:the )?(?:world|america|country|town|city|planet|market|state|[A-Z]\w+)\b"
    r"|\bbest \w+ money can buy\b|\bworld[- ]class\b|\bclinically proven\b|\bscientifically proven\b"
    r"|\bproven to\b|\bunbeatable\b|\bunrivall?ed\b|\bunmatched\b|\bmost trusted\b|\bloved by millions\b"
    r"|\bindustry[- ]leading\b|\bmarket[- ]leading\b|\bthe (?:leading|only) \w+ (?:in|that)\b"
    r"|\bdermatologists? (?:trust|recommend)\b|\bdoctors? recommend\b|\bexperts? agree\b"
    r"|\b(?:world|america|country|nation|industry|britain|uk|europe)(?:'s|’s) (?:most \w+|\w+est)\b"
    r"|\bmichelin[- ]starr?e?d?\b"
    # the most of a place: "The most durable pants in New York", "the comfiest sneakers in Brooklyn"
    r"|\b(?:the )?(?:most \w+|\w+est) (?:[\w-]+ ){0,2}in (?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
    r"|mon|tue|wed|thu|fri|sat|sun|spring|summer|autumn|fall|winter)\w*\b)(?-i:[A-Z][a-z]+)\b"
    # a place's best: "Colorado's best yoga studio", "Denver's favourite bakery"
    r"|\b(?!(?:" + "|".join(sorted(POSSESSIVE_OPENERS)) + r")\b)(?-i:[A-Z][a-z]+(?: [A-Z][a-z]+)?)(?:'s|’s)"
    r" (?:very )?(?:best|finest|top|greatest|leading|number one|#1|most[- ]\w+)\b"
    r"|\b(?:longest|freshest|finest|strongest|fastest|softest|brightest|cheapest|lowest|highest|largest|biggest"
    r"|warmest|cosiest|coziest|sharpest|smoothest|richest|tastiest|healthiest|safest|quietest|lightest|toughest"
    r"|greatest|newest)(?:-\w+)?\b[^.!?,]{0,30}\bin (?:the )?(?:us|usa|u\.s\.|america|world|country|nation|state|uk"
    r"|europe|town|city)\b"
    r"|\bswears? by\b|\b(?:no other|nothing else|nobody else)\b[^.!?]{0,30}\bcomes? close\b"
    r"|\bthe (?:most \w+|\w+est)\b[^.!?]{0,40}\b(?:on the market|you can buy|money can buy|anywhere|ever made"
    r"|out there)\b"
    # the same in Chinese: "全网销量第一" (number one in online sales), "行业领先", "全球最好"
    r"|(?:全网|全国|全美|全球|全城|行业|业内|销量|排名)(?:第一|冠军|领先|最\w)|第一名|最畅销|最受欢迎|顶级品质|全[\u4e00-\u9fff]{1,6}最[\u4e00-\u9fff]"
    r"|[九八七六五]成(?:的)?(?:住客|顾客|用户|客户|会员|家长|买家)"
    # shares of customers nobody counted: "9 in 10 guests come back", "90% of parents"
    r"|\b\d{1,2} (?:in|out of) 10\b|\b\d{2}% of (?:our )?(?:customers|guests|users|members|parents|shoppers"
    r"|buyers|clients|readers|cooks)\b"
    # endorsements and crowds nobody counted: "Dietitian-approved", "Loved by 2 million home cooks",
    # "Juilliard-trained teachers"
    r"|\b(?:dietitian|doctor|dentist|dermatologist|vet|chef|expert|nutritionist|pediatrician|physician|stylist"
    r"|editor)s?[- ](?:approved|recommended|endorsed|certified|tested|designed|trusted|formulated|picked)\b"
    r"|\b(?:loved|trusted|used|chosen|preferred|adored) by (?:over |more than |nearly |almost )?(?:\d[\d,.]*\s*"
    r"(?:million|thousand|k|m)?\b|millions|thousands|hundreds)"
    r"|\b(?!(?:hand|well|self|highly|fully|specially|professionally)-)(?-i:[A-Z])\w+-(?:trained|educated"
    r"|certified)\b",
    flags=re.I,
)
_WORDS: Final = re.compile(r"[a-z0-9#]+")
_FILLER: Final = frozenset("the a an our in of on by to is are and for that your from with at as".split())


def _content(text: str) -> set[str]:
    return {w for w in _WORDS.findall(text.lower()) if w not in _FILLER and len(w) > 1}


def _about(sentence: str, context: CheckContext) -> list[str]:
    named = [n for n in context.catalogue if n.lower() in sentence.lower()]
    product = str(context.offer.get("product", ""))
    return named or ([product] if product else [])


def _award_supported(sentence: str, context: CheckContext) -> bool:
    products = _about(sentence, context)
    for fact in context.brand_facts:
        if not re.search(r"\baward|\bprize|\bwon\b|\bwinner", fact, re.I):
            continue
        in_fact = [n for n in context.catalogue if n.lower() in fact.lower()]
        if not in_fact or any(p.lower() in fact.lower() for p in products):
            return True
    return False


_IDIOM: Final = re.compile(r"\bthe best (?:way|part|bit|thing|time|of)\b|\bin the best way\b", re.I)


def _claim_supported(sentence: str, start: int, context: CheckContext) -> bool:
    if any(m.start() <= start < m.end() for m in _IDIOM.finditer(sentence)):
        return True  # "in the best way", "the best part": an idiom, not a ranking
    window = re.split(r"[.,;:!?]", sentence[start:])[0]
    words = _content(" ".join(window.split()[:4]))  # none in Chinese: no fact can be matched word by word
    return bool(words) and any(words <= _content(fact) for fact in context.brand_facts)


@text_cache(16384)
def _mentions_claim(text: str) -> bool:
    return bool(_AWARD.search(text) or _CLAIM.search(text))


def unsupported_claims(draft: CopyDraft, context: CheckContext) -> list[str]:
    """The sentences that make a superlative, ranking or award claim no brand fact supports."""
    found: list[str] = []
    for text in copy_parts(draft, context).values():
        if not _mentions_claim(text):  # most copy claims nothing: one pass
            continue
        for sentence in sentences(text):
            if _AWARD.search(sentence):
                if not _award_supported(sentence, context):
                    found.append(sentence)
                continue  # a documented award, paraphrased ("took the top prize at the Awards")
            for m in _CLAIM.finditer(sentence):
                if not _claim_supported(sentence, m.start(), context):
                    found.append(sentence)
                    break
    return list(dict.fromkeys(found))


def claims_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail on superlatives and awards ("voted best", "#1", "award-winning") the brand facts do not state."""
    found = unsupported_claims(draft, context)
    reason = (
        f"claims the brand's facts do not support: {', '.join(repr(s) for s in found)}; "
        "drop the superlative or state only the brand's documented awards"
        if found
        else "no unsupported superlatives or awards"
    )
    return MetricResult(
        metric="claims", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason=reason, details={"sentences": found},
    )  # fmt: skip
