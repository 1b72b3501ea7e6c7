"""Invented entities: product, collection or brand names the offer, catalogue and brand guide lack.

Numbers and codes are grounded by ``grounding``; this grounds names. A name is a run of
capitalised words (possibly with a model number: "Gravel King 3") that does not open a sentence
(unless it is a possessive: "Dana's pick");
it is known when the same words, in order, appear in the offer, the catalogue, the brand's facts,
examples or address, or when it is such phrases back to back ("Stemwise Best Florist": the brand,
then its award). Words match singular to plural ("Awards" = "Award"); a comma, dash or bracket ends
a name. "Meet the Velvet Blend" fails when the catalogue has no Velvet Blend; so do a collab partner
("Sprout x Moonbeam Books") and a version ("Glowpath Headlamp 2.0") no brand text names. So do
the things a brand would run or give (an app, a club, points, a free tote, a new colour, a partner
chef, a showroom) when no brand text mentions them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from evals.limits import base_part
from evals.metrics.cache import text_cache
from evals.metrics.cjk import CJK
from evals.metrics.patterns import compile_alternatives
from evals.metrics.product_kinds import swapped_kinds
from evals.metrics.text import copy_parts, sentences
from evals.metrics.tokens import TOKEN
from evals.types import CheckContext, CopyDraft, MetricResult

_WORD: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’&.-]*")
_CAPITAL: Final = re.compile(r"^(?:[A-Z][a-z]+[A-Za-z]*|[A-Z][a-z]+[A-Z][A-Za-z]*)(?:['’]s)?[.,]?$")
_NUMBER: Final = re.compile(r"^\d{1,4}[A-Za-z]?$")
# Capitalised words that are not names of products: greetings, pronouns, calendar, opt-out words.
COMMON: Final = frozenset(
    "i i'm i'd i've i'll hi hello hey dear ok okay yes no stop help reply unsubscribe monday tuesday "
    "wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays saturdays sundays "
    "jan january feb february mar march apr april may jun june "
    "jul july aug august sep sept september oct october nov november dec december christmas halloween "
    "thanksgiving easter black cyber new year year's eve valentine valentine's day diwali hanukkah kwanzaa "
    "ramadan eid lunar boxing labor labour memorial independence presidents patrick usa us dad mom mum mother "
    "father grandma "
    "grandpa granny nana papa mama british american english french german italian spanish canadian australian "
    "european japanese chinese mexican irish scottish welsh dutch swiss nordic scandinavian".split()
)
POSSESSIVE_OPENERS: Final = frozenset(
    "today tonight tomorrow yesterday week weekend month year season winter summer spring autumn fall "
    "nature world everyone everybody life mother father mom dad it here there that what who let where how".split()
)
_HEADLINES: Final = frozenset({"subject", "title", "headline"})
#: Last words of a product variant or line ("Reef Edition", "Luxe Collection"): a name claim even in a
#: Title Case headline.
VARIANT_WORDS: Final = frozenset(
    "edition collection series pack bundle kit set pro plus max deluxe expansion lite mini ultra range line".split()
)
_TOKEN_OR_BREAK: Final = re.compile(_WORD.pattern + r"|[,()\[\]\u2013\u2014]| - ")  # a name never spans these
_ARTICLES: Final = frozenset({"the", "a", "an", "our", "your"})
_GLUE: Final = frozenset({"&", "of", "de"})


_ABBREVIATIONS: Final = {
    "st": "street", "ave": "avenue", "rd": "road", "blvd": "boulevard", "ln": "lane", "dr": "drive",
    "corp": "corporation", "co": "company", "inc": "incorporated", "sq": "square", "mt": "mount",
}  # fmt: skip
_SUFFIX: Final = re.compile(r"(?:['’]s)?[.,]?$")


def _key(word: str) -> str:
    """The word for matching: no possessive or stop, lower case, a plural's last s off ("Awards" = "Award")."""
    key = _SUFFIX.sub("", word).lower()
    key = _ABBREVIATIONS.get(key, key)  # "Ludlow St" is the address's "Ludlow Street"
    if (
        key in COMMON
        or key in POSSESSIVE_OPENERS
        or len(key) <= 3
        or not key.endswith("s")
        or key.endswith("ss")
    ):
        return key  # "Christmas", "always" stay whole
    return key[:-1]


@lru_cache(maxsize=512)
def _known_text(texts: tuple[str, ...]) -> str:
    return " " + " ".join(_key(w) for t in texts for w in _WORD.findall(t)) + " "


def _known_sources(context: CheckContext) -> tuple[str, ...]:
    texts = [str(v) for v in context.offer.values()] + list(context.catalogue) + list(context.brand_facts)
    texts += list(context.brand_examples) + [context.brand or "", context.postal_address or ""]
    texts += [context.product_description or "", context.segment or ""]
    return tuple(texts)


def name_runs(sentence: str) -> list[list[str]]:
    """Runs of capitalised words in one sentence; its first word counts only as a possessive ("Dana's")."""
    return [list(run) for run in _name_runs(sentence)]


@text_cache(16384)
def _name_runs(sentence: str) -> tuple[tuple[str, ...], ...]:  # variants share most sentences
    words = _TOKEN_OR_BREAK.findall(TOKEN.sub(" ", sentence))
    runs: list[list[str]] = []
    run: list[str] = []
    opens = True  # the next word opens a sentence (or a bracket: "(Keep the tone warm.)")
    for i, w in enumerate(words):
        if not w[0].isalnum():  # a comma, a dash or a bracket ends a name
            if run:
                runs.append(run)
            run = []
            opens = w in "()[]"
            continue
        capital = bool(_CAPITAL.match(w)) and _key(w) not in COMMON
        # A first word names someone when it is a possessive: "Dana's pick" ("Today's pick" does not).
        named = not opens or (w.endswith(("'s", "’s")) and _key(w) not in POSSESSIVE_OPENERS)
        opens = False
        if capital and named or (run and (_NUMBER.match(w) or (w.lower() in _GLUE and i + 1 < len(words)))):
            run.append(w)
            if w.endswith((",", ".")) or w.endswith(("'s", "’s")):
                runs.append(run)
                run = []
            continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    return tuple(tuple(_trim(r)) for r in runs if _trim(r))


def _trim(run: list[str]) -> list[str]:
    while run and (run[-1].lower() in _GLUE or _NUMBER.match(run[-1])):
        run = run[:-1]
    while run and run[0].lower() in _ARTICLES:  # "The Brightline" is the brand
        run = run[1:]
    return run


def _title_case(text: str, known: str) -> bool:
    every = [w for w in _WORD.findall(text) if len(w) >= 3]
    words = [w for w in every if f" {_key(w)} " not in known]
    return len(every) >= 3 and len(words) >= 1 and sum(w[0].isupper() for w in words) / len(words) >= 0.7


def _is_known(keys: list[str], known: str, names: frozenset[str], whole: bool = True) -> bool:
    """Whether the words, in order, are one known phrase or known phrases back to back.

    "Stemwise Best Florist" is the brand, then the award its facts name; "Quillnook Dot Grid
    Journal A5" is the brand, then a catalogue name. A piece of one word must be a whole name (the
    brand's, a product's): "Quillnook Planner app" is not the brand and a word from a product.
    """
    if not keys:
        return True
    if whole and f" {' '.join(keys)} " in known:
        return True
    return any(
        f" {' '.join(keys[:cut])} " in known
        and (cut > 1 or keys[0] in names)
        and _is_known(keys[cut:], known, names, whole=False)
        for cut in range(len(keys) - (1 if whole else 0), 0, -1)
    )


@lru_cache(maxsize=512)
def _whole_names(brand: str, catalogue: tuple[str, ...]) -> frozenset[str]:
    """The brand, each word of it ("Stemwise" of "Stemwise Flowers") and each product, as keys."""
    names = {" ".join(_key(w) for w in _WORD.findall(n)) for n in (brand, *catalogue)}
    return frozenset(names | {_key(w) for w in _WORD.findall(brand)})


def invented_names(draft: CopyDraft, context: CheckContext) -> list[str]:
    """The names in the copy that no offer, catalogue or brand text contains."""
    known = _known_text(_known_sources(context))
    names = _whole_names(context.brand or "", tuple(context.catalogue))
    found: list[str] = []
    for part, text in copy_parts(draft, context).items():
        # In a Title Case headline capitals say nothing, except on a product's variant ("Reef Edition").
        title_case = base_part(part) in _HEADLINES and _title_case(text, known)
        for sentence in (c for s in sentences(text) for c in s.split(": ")):
            for run in _name_runs(sentence):
                if title_case and _key(run[-1]) not in VARIANT_WORDS:
                    continue
                if not _is_known([_key(w) for w in run], known, names):
                    found.append(" ".join(w.rstrip(".,") for w in run))
        found += _collabs_and_versions(text, context, known, names)
        found += [o for o in unknown_offerings(text, context, known) if not any(n in o for n in found)]
    return list(dict.fromkeys(found))


_COLLAB: Final = re.compile(r"([A-Z][\w&'’-]*(?: [A-Z][\w&'’-]*)*) [x×] ([A-Z][\w&'’-]*(?: [A-Z][\w&'’-]*)*)")
_VERSION: Final = r"(?:\d+\.\d+|II|III|IV|Pro|Max|Plus|Mini|XL|Lite|Ultra|Gen \d+)"


def _collabs_and_versions(text: str, context: CheckContext, known: str, names: frozenset[str]) -> list[str]:
    """Partners in a collab and product versions that no offer, catalogue or brand text names.

    "Sprout x Moonbeam Books", "Glowpath Headlamp 2.0": found even in a Title Case headline.
    """
    found = []
    if " x " in text or "×" in text:  # most copy has no collab: skip the pattern
        found += [
            side
            for m in _COLLAB.finditer(text)
            for side in m.groups()
            if not _is_known([_key(w) for w in _WORD.findall(side)], known, names)
        ]
    versions = _versions_of((str(context.offer.get("product", "")), *context.catalogue))
    if versions is not None and _ANY_VERSION.search(text):
        found += [
            m.group(0)
            for m in versions.finditer(text)
            if f" {' '.join(_key(w) for w in _WORD.findall(m.group(0)))} " not in known
        ]
    return found


_ANY_VERSION: Final = re.compile(rf" {_VERSION}\b")

# What a brand may own or give beyond its products, and so what a writer invents: "the Northlight
# app", "a free tote", "our loyalty club", "a new walnut finish". Each is an invention unless the
# offer, catalogue or brand texts mention it.
_PROGRAMS: Final = (
    r"(?:club|loyalty|program|programme|membership|card|gift card|newsletter|podcast|caf[eé]|lounge|workshops?"
    r"|masterclass|webinar|events?|festival|tour|pop-up|popup|points|credits?|wallet|vip|concierge|hotline"
    r"|chatbot|tutor|stylist|consultations?|try-on|warranty|guarantee|financing|referral|voucher|showroom"
    r"|flagship|boutique|outlet)"
)
_GIFTS: Final = r"(?:totes?|tote bags?|mugs?|stickers?|samples?|swag|keychains?|pouch|case)"
_OWNED: Final = rf"(?:{_PROGRAMS}|{_GIFTS})"
_OFFERING: Final = compile_alternatives(
    # a programme the brand runs: "our loyalty club", "the Meeple Club", "earn points"
    rf"\b(?:our|the|a|an|your|free|bonus|complimentary)\s+(?:[\w-]+\s+){{0,2}}?{_PROGRAMS}\b"
    r"|\b(?:earn|collect|trade|redeem|spend|bank)\s+(?:[\w-]+\s+)?points\b"
    # a gift thrown in: "a free tote", "ships with a Tidewater canvas tote" (not "a tote with ambitions")
    rf"|\b(?:free|bonus|complimentary|with an?|plus an?)\s+(?:[\w-]+\s+){{0,2}}?{_GIFTS}\b"
    rf"|(?<=[a-z]\s)(?-i:[A-Z][\w&'’-]*)\s+(?:[\w-]+\s+)?{_GIFTS}\b"
    # an app by name or as the brand's ("the Ridgeline Trails app", "our new app"), not "open the app"
    r"|\b(?:our|the|a|your)\s+(?:new\s+)?(?:(?-i:[A-Z][\w-]*)\s+|&\s+){1,4}apps?\b|\bour (?:new )?apps?\b"
    r"|(?<![\w-])free\s+(?!shipping\b|delivery\b|returns?\b|exchanges?\b|trial\b|of\b|to\b|for\b|from\b|with\b|and\b"
    r"|on\b|in\b|when\b|if\b|until\b|this\b|today\b|now\b)[\w-]+(?:\s+[\w-]+)?"
    r"|\bnow (?:comes?|ends?|includes?|features?|has|arrives?|available) (?:in|with)\b[^.!?,]{0,25}"
    r"|\bnow (?:includes?|features?|offers?)\b[^.!?,]{0,25}"
    r"|\bnew (?:colou?rs?|colou?rways?|flavou?rs?|scents?"
    r"|sizes?|editions?|versions?|models?|shades?|finish(?:es)?|styles?)\b|\blimited[- ]edition\b|\bexpansion\b"
    r"|\bsequel\b|\bcoming soon\b",
    flags=re.I,
)
# A partner or a chef: "Made with Chef Marco Reyes", "in collaboration with Alder & Co."
_PARTNER: Final = re.compile(
    r"\b(?:(?:made|designed|created|developed|crafted|curated|roasted|brewed|cooked|built) (?:with|by)"
    r"|in (?:collaboration|partnership) with|teamed up with|partnered with|(?:with|by|featuring) (?=chef\b))"
    r"\s+(?:chef\s+)?(?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)\w*\b)"
    r"(?P<name>(?-i:[A-Z][\w&'’-]*(?:\s+(?:&\s+)?[A-Z][\w&'’-]*)*))",
    re.I,
)
_TRAILING_FILLER: Final = re.compile(
    r"(?:\s+(?:at|is|are|with|to|for|from|and|or|of|on|in|because|it))+$", re.I
)
_OWNED_END: Final = re.compile(rf"\b{_OWNED}$", re.I)
_FILLER_WORDS: Final = frozenset(
    "our the a an your free bonus complimentary new now comes come arrive arrives available in of at is are was "
    "because it its for and or to on with from that this which who when if as so but by up you we they be has "
    "have just too".split()
)
# The same in Chinese: a limited edition, a new colour, a co-brand, a gift thrown in ("还送手套一副").
_OFFERING_ZH: Final = re.compile(
    r"限量版|限量款|限定款|限定版|新色|新款|联名|俱乐部|积分|会员卡|会员日|会员专享"
    r"|(?:赠送|还送|加赠|附赠|免费送|送您|再送)[\u4e00-\u9fffA-Za-z ]{1,20}"
)
_ZH_FILLER: Final = re.compile(
    r"^(?:赠送|还送|加赠|附赠|免费送|送您|再送)|一(?:副|个|份|支|套|盒|瓶|只|件|张)$"
)


def _mentioned(word: str, spaced: str) -> bool:
    """Whether a brand text has the word or a form of it ("wrap": "wrapping"; "lifetime": "life").

    ``spaced`` is the known text with hyphens as spaces ("day" is in "next-day").
    """
    if len(word) < 4:
        return f" {word} " in spaced
    return f" {word}" in spaced or any(word.startswith(k) for k in _known_words(spaced) if len(k) >= 4)


@lru_cache(maxsize=512)
def _known_words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


def unknown_offerings(text: str, context: CheckContext, known: str) -> list[str]:
    """Things the copy gives or announces that no offer, catalogue or brand text mentions.

    "Try them on in the Northlight app", "ships with a Tidewater canvas tote", "now comes in
    walnut", "赠送限量版隔热烘焙手套": an app, a gift, a new version the brand never offered.
    """
    found = []
    spaced = known.replace("-", " ")
    for m in _OFFERING.finditer(text):
        words = [w for w in _WORD.findall(m.group(0)) if w.lower() not in _FILLER_WORDS]
        words = [k for w in words for k in _key(w).split("-") if not k[:1].isdigit()]
        head = words[-1:] if _OWNED_END.search(m.group(0)) else words[-2:]  # "a real tutor": the tutor
        if head and not all(_mentioned(w, spaced) for w in head):
            found.append(_TRAILING_FILLER.sub("", m.group(0).strip()))
    for m in _PARTNER.finditer(text):
        if not _is_known([_key(w) for w in _WORD.findall(m.group("name"))], known, frozenset()):
            found.append(m.group(0).strip())
    if CJK.search(text):
        raw = "".join(_known_sources(context))
        for m in _OFFERING_ZH.finditer(text):
            thing = "".join(
                CJK.findall(_ZH_FILLER.sub("", m.group(0)))
            )  # its Chinese words, no verb or count
            if thing and not any(thing[i : i + 2] in raw for i in range(max(1, len(thing) - 1))):
                found.append(m.group(0))
    return found


@lru_cache(maxsize=512)
def _versions_of(products: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for "<any of these products> <version>" (None without products)."""
    names = sorted({p for p in products if p}, key=len, reverse=True)
    return re.compile(rf"(?:{'|'.join(map(re.escape, names))}) {_VERSION}\b") if names else None


def entities_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail on product, collection or brand names that are not in the offer, catalogue or brand guide."""
    names, kinds = invented_names(draft, context), swapped_kinds(draft, context)
    found = names + kinds
    problems = []
    if names:
        problems.append(
            f"names not in the offer, catalogue or brand guide: {', '.join(repr(n) for n in names)}"
        )
    if kinds:
        problems.append(f"names products the shop does not sell: {', '.join(repr(k) for k in kinds)}")
    reason = (
        "; ".join(problems) + "; name only the offer's product and the brand's real products"
        if found
        else "every name is the offer's, the catalogue's or the brand's"
    )
    return MetricResult(
        metric="entities", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason=reason, details={"names": names, "kinds": kinds},
    )  # fmt: skip
