"""Structure in code: clean the model's lines, build offer sentences, assemble channel-ready parts.

The model writes only headlines and openings. Offer facts are inserted verbatim from the input,
calls to action and compliance lines (unsubscribe + postal address for email, opt-out for SMS)
come from ``prompts/copy_templates.yaml`` and the brand facts, and every part is fitted to its
channel limit here, so the guardrail mostly has the model's wording left to judge.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from data.errors import ToolError
from evals.limits import GSM7_SINGLE, LIMITS, UCS2_LANGUAGES, UCS2_PART, UCS2_SINGLE
from evals.metrics.grammar import is_plural
from evals.metrics.grounding import Facts, extract_claims, is_grounded
from evals.types import Thresholds
from prompts import Prompt, load_prompt
from tools.copy.models import BrandVoice, CopyRequest, OfferFacts

_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:email |push |ad |search ad |social )?(?:subject(?: line)?|preheader|headline|title|"
    r"opening|text message|text|sms|post|body|answer|message)\s*(?:\*\*)?\s*[:\-]\s*",
    re.I,
)
_PLACEHOLDER = re.compile(r"\[[^\]]*\]|<[^>]*>|#\w+|@\w+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[\u3002\uff01\uff1f])")
_TRAILING = re.compile(r"[\s,;:\-]+$|\s+\b(?:and|or|the|a|an|to|for|with|of|in|on|your|our)$", re.I)
_ASCII = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_ALLOWED_CAPS = frozenset({"STOP", "GPS", "USA", "UK", "OK"})


@dataclass(frozen=True)
class LineSpec:
    """A line the model writes: its part name, prompt kind, label and size."""

    part: str
    kind: str
    label: str
    max_chars: int
    words: int = 8
    sentences: int = 1


CHANNEL_LINES: dict[str, tuple[LineSpec, ...]] = {
    "email": (
        LineSpec("subject", "headline", "email_subject", LIMITS[("email", "subject")], words=8),
        LineSpec("opening", "opening", "email_opening", 240, sentences=2),
    ),
    "sms": (LineSpec("hook", "short", "sms", 70),),
    "push": (LineSpec("title", "headline", "push_title", LIMITS[("push", "title")], words=6),),
    "social": (LineSpec("opening", "opening", "social_opening", 180, sentences=2),),
    "ads": (LineSpec("headline", "headline", "ads_headline", LIMITS[("ads", "headline")], words=4),),
}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_ASCII)
    # Drop emoji and other symbols a brand guide forbids (and that break GSM-7 SMS).
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "S" or ch in "$€£%+&=")


def _calm(sentence: str) -> str:
    words = [
        w.capitalize() if len(w) > 3 and w.isupper() and w.strip(".,") not in _ALLOWED_CAPS else w
        for w in sentence.split()
    ]
    return re.sub(r"\.{2,}", ".", " ".join(words).replace("!", "."))


def _fit(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:max_chars]  # no spaces: Chinese, Japanese
    while True:
        trimmed = _TRAILING.sub("", cut)
        if trimmed == cut:
            return trimmed
        cut = trimmed


_META = re.compile(
    r"^(?:sure|certainly|of course|as an ai)\b|\b(?:rewritten|revised|re-?written) (?:version|email|text|copy)"
    r"|\bhere(?:'s| is) (?:a|an|the|my|your)\b.*\b(?:version|email|subject|headline|copy|text|sms)\b"
    r"|\b(?:edits?|changes) (?:made|to address)\b"
    r"|^(?:to fix|let me|i'll|i will|i have|i've|i can|i need)\b|\b(?:these|the|this) (?:issues?|checks?|feedback)\b",
    re.I,
)


@dataclass(frozen=True)
class CleanLine:
    """A cleaned model line, and the sentences dropped from it with the reason."""

    text: str
    dropped: tuple[str, ...] = ()


def clean_line(raw: str, spec: LineSpec, facts: Facts | None = None) -> CleanLine:
    """The usable part of a model answer: first line(s), no labels or placeholders, fitted to size.

    Sentences stating a number, date or code that is not an offer fact are dropped (``facts``).
    """
    text = _plain(raw).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    text = " ".join(lines[: spec.sentences]) if lines else ""
    text = _PLACEHOLDER.sub("", _LABEL.sub("", text))
    text = re.sub(r"\*+|_{2,}|`", "", text).strip().strip("\"'").strip()
    sentences = [_calm(s.strip()) for s in _SENTENCE.split(text) if s.strip()]
    dropped = [f"'{s}' talks about the writing, not to the customer" for s in sentences if _META.search(s)]
    sentences = [s for s in sentences if not _META.search(s)]
    if facts is not None:
        grounded = []
        for sentence in sentences:
            bad = [c.text for c in extract_claims(sentence) if not is_grounded(c, facts)]
            if bad:
                dropped.append(f"'{sentence}' states {', '.join(bad)}, which is not in the offer facts")
            else:
                grounded.append(sentence)
        sentences = grounded
    kept: list[str] = []
    for sentence in sentences[: spec.sentences]:
        if kept and len(" ".join([*kept, sentence])) > spec.max_chars:
            break
        kept.append(sentence)
    text = re.sub(r"\s+", " ", " ".join(kept)).strip()
    if spec.kind == "headline":
        text = text.rstrip(".")
    return CleanLine(_fit(text, spec.max_chars), tuple(dropped))


@dataclass(frozen=True)
class OfferLine:
    """An offer sentence and the facts it states."""

    text: str
    facts: dict[str, str]


def language_templates(language: str, templates: Prompt | None = None) -> dict[str, Any]:
    """The fixed copy of ``language`` from ``prompts/copy_templates.yaml`` (``ToolError`` if absent)."""
    known: dict[str, dict[str, Any]] = (templates or load_prompt("copy_templates")).raw("languages")
    if language not in known:
        raise ToolError(
            f"no copy templates for language '{language}': use one of {', '.join(sorted(known))} "
            "or add it to prompts/copy_templates.yaml"
        )
    return known[language]


def _date(value: date, pattern: str) -> str:
    return pattern.format(
        year=value.year, month=value.month, day=value.day, month_name=f"{value:%B}", month_abbr=f"{value:%b}"
    )


def article(product: str, tpl: dict[str, Any]) -> str:
    """The word before the product: "the Ridgeback 3", "our running shoes" (``articles`` in the templates)."""
    articles: dict[str, str] = tpl.get("articles") or {}
    return articles.get("many" if is_plural(product) else "one", "")


def offer_lines(offer: OfferFacts, tpl: dict[str, Any], *, short: bool = False) -> list[OfferLine]:
    """Offer sentences from the most to the least complete (callers take the first that fits)."""
    pieces = tpl["offer"]
    base = {"product": offer.product}
    names = {"product": offer.product, "the": article(offer.product, tpl)}
    if offer.discount:
        lead = pieces["with_discount"].format_map({**names, "discount": offer.discount})
        base["discount"] = offer.discount
    else:
        lead = pieces["without_discount"].format_map(names)
    optional: list[tuple[str, str, str]] = []
    price = offer.price_text()
    if price and not short:
        optional.append(("price", price, pieces["price"].format(price=price)))
    if offer.code:
        optional.append(("code", offer.code, pieces["code"].format(code=offer.code)))
    if offer.deadline is not None:
        key = "deadline_short" if short else "deadline"
        deadline = _date(offer.deadline, tpl["date_short" if short else "date"])
        optional.append(("deadline", deadline, pieces[key].format(**{key: deadline})))
    out: list[OfferLine] = []
    # Drop optional pieces from the least important (price) to the most (code, deadline).
    for start in range(len(optional) + 1):
        chosen = optional[start:]
        text = lead + "".join(piece for _, _, piece in chosen)
        out.append(OfferLine(text, {**base, **{k: v for k, v, _ in chosen}}))
    return out


def _first_fit(candidates: list[OfferLine], suffix: str, limit: int) -> OfferLine:
    for line in candidates:
        if len(line.text) + len(suffix) <= limit:
            return line
    last = candidates[-1]
    return OfferLine(_fit(last.text, max(limit - len(suffix), 10)), last.facts)


def _sentence(text: str, end: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "?", "!", "。", "？", "！")) else text + end


def assemble(
    request: CopyRequest, lines: dict[str, str], variant: int, templates: Prompt | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """The channel's parts around the model's ``lines``, and the offer facts they state."""
    tpl = language_templates(request.language, templates)
    ctas: list[str] = list(tpl["ctas"])
    cta = ctas[variant % len(ctas)]
    end, space = str(tpl["end"]), str(tpl["space"])
    offer, brand = request.offer, request.brand
    full = offer_lines(offer, tpl)
    short = offer_lines(offer, tpl, short=True)
    channel = request.channel
    if channel == "email":
        offer_line = full[0]
        body = "\n\n".join(
            x
            for x in (
                _greeting(request, tpl),
                _sentence(lines.get("opening", ""), end),
                f"{offer_line.text}{end}",
                f"{cta}{end}",
                _email_footer(brand, tpl),
            )
            if x
        )
        pre = _first_fit(short, end, LIMITS[("email", "preheader")])
        parts = {"subject": lines.get("subject", ""), "preheader": f"{pre.text}{end}", "body": body}
        return parts, {**pre.facts, **offer_line.facts}
    if channel == "sms":
        opt_out = tpl["compliance"]["sms_opt_out"]
        head, tail = f"{brand.name}:", f"{cta}{end}{space}{opt_out}{end}"
        limit = _sms_limit(request.language)
        fixed = len(head) + len(tail) + 3  # spaces and the offer's full stop
        # The offer's facts come first; the model's hook gets what room is left, or is left out.
        line = _first_fit(short, "", limit - fixed)
        room = limit - fixed - len(line.text) - 1
        hook = _sentence(lines.get("hook", ""), end)
        hook = hook if len(hook) <= room else ""  # a cut-off sentence reads worse than none
        text = " ".join(x for x in (head, hook, f"{line.text}{end}", tail) if x)
        return {"text": text}, line.facts
    if channel == "push":
        line = _first_fit(short, f"{end}{space}{cta}{end}", LIMITS[("push", "body")])
        return {"title": lines.get("title", ""), "body": f"{line.text}{end}{space}{cta}{end}"}, line.facts
    if channel == "ads":
        line = _first_fit(short, f"{end}{space}{cta}{end}", LIMITS[("ads", "description")])
        parts = {"headline": lines.get("headline", ""), "description": f"{line.text}{end}{space}{cta}{end}"}
        return parts, line.facts
    opening = _sentence(lines.get("opening", ""), end)
    budget = LIMITS[("social", "text")] - len(opening) - 2
    line = _first_fit(full, f"{end}{space}{cta}{end}", budget)
    return {"text": f"{opening}\n\n{line.text}{end}{space}{cta}{end}".strip()}, line.facts


_UCS2_SMS_LIMIT = UCS2_PART * Thresholds().max_sms_segments_ucs2  # 134: read once, not per candidate


def _sms_limit(language: str) -> int:
    """Characters an SMS may take: one GSM-7 part in English, the allowed UCS-2 parts in zh/ja/ko."""
    if language in UCS2_LANGUAGES:
        return _UCS2_SMS_LIMIT
    return GSM7_SINGLE if language == "en" else UCS2_SINGLE


def _greeting(request: CopyRequest, tpl: dict[str, Any]) -> str:
    name = "{{first_name}}" if "first_name" in request.personalization_fields else tpl["greeting_nameless"]
    return str(tpl["greeting"]).format(first_name=name)


def _email_footer(brand: BrandVoice, tpl: dict[str, Any]) -> str:
    template: str = tpl["compliance"]["email_footer"]
    address = brand.postal_address or ""
    footer = template.format(brand=brand.name, unsubscribe="{{unsubscribe_url}}", postal_address=address)
    return footer.strip()
