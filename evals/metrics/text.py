"""Text helpers shared by the reader-facing checks: the copy without its legal footer, sentences."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from evals.metrics.compliance import OPT_OUT_SENTENCE, UNSUBSCRIBE
from evals.metrics.cta import cta_phrases
from evals.types import CheckContext, CopyDraft

_SENTENCE: Final = re.compile(r"(?<=[.!?])(?!\d)\s*|(?<=[。！？])\s*|\n+")  # "$71.25" is one word
_FOOTER_WORDS: Final = 14
_NO_FOOTER: Final = frozenset({"text", "title", "subject", "preheader"})  # parts no footer line ends
_PREFIX: Final = re.compile(r"^([^:：]{1,40})(?::\s+|：\s*)")  # "Brand: ..." or, in Chinese, "Brand：..."
_GREETING: Final = re.compile(r"^(?:hi|hello|hey|dear)\b[^.!?]{0,30}$", re.I)
_TOKEN: Final = re.compile(r"\{\{[^{}]*\}\}")
_CTA_WORDS: Final = 4
# A sentence that only states the deadline ("Ends Jan 5.", "Only until Dec 10"): offer facts too.
_DEADLINE_ONLY: Final = re.compile(
    r"^(?:offer |sale |deal )?(?:ends?|ending|valid|good|only|until|till|til|through|thru|expires?|runs|last day)\b"
    r"[^.!?]{0,24}?\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|\d{1,2}[/.]\d{1,2}|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|tonight|midnight|tomorrow)\w*[^.!?]{0,12}[.!]?$",
    re.I,
)


def sentences(text: str) -> list[str]:
    """``text`` split into sentences and lines, stripped, empty ones dropped."""
    return list(_sentences(text))


@lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENTENCE.split(text) if s and s.strip())


def without_brand_prefix(sentence: str, brand: str | None) -> str:
    """``sentence`` without a leading "<brand>: " label (an SMS opens with the brand's short name)."""
    prefix = _PREFIX.match(sentence)
    words = {w.strip(".,") for w in (brand or "").lower().split()}  # "Crumb & Co." is labelled "Crumb & Co:"
    if prefix and words and {w.strip(".,") for w in prefix.group(1).lower().split()} <= words:
        return sentence[prefix.end() :]
    return sentence


def copy_parts(draft: CopyDraft, context: CheckContext) -> dict[str, str]:
    """Every part without its legal footer (opt-out wording, unsubscribe line, postal address)."""
    return dict(_copy_parts(tuple(draft.parts.items()), context.postal_address or ""))


@lru_cache(maxsize=4096)
def _copy_parts(items: tuple[tuple[str, str], ...], address: str) -> tuple[tuple[str, str], ...]:
    out = []
    for name, text in items:
        lines = []
        for line in text.splitlines():
            line = OPT_OUT_SENTENCE.sub("", line).strip()
            line = re.sub(r"(?:回复|回)\s*(?:TD|T|N)\s*退订|退订回\s*T|取消订阅", "", line).strip()
            if address and address.strip() in line:  # the address, alone or after "Unsubscribe ... ·"
                line = line.replace(address.strip(), "").strip(" \u00b7\u2022|,\u2013\u2014-")
            if not line:
                continue
            # an email's unsubscribe line (an SMS's opt-out is gone already: "Include opt-out." is copy)
            if name not in _NO_FOOTER and UNSUBSCRIBE.search(line) and len(line.split()) <= _FOOTER_WORDS:
                continue
            if line.startswith("退订"):
                continue
            lines.append(line)
        out.append((name, "\n".join(lines)))
    return tuple(out)


def own_words(draft: CopyDraft, context: CheckContext) -> str:
    """What the writer wrote: the copy without footer, brand prefix, greeting, offer line and short CTAs.

    The offer line ("Take 10% off ... with code BREW10"), a line stating only the deadline ("Ends
    Jan 5."), the call to action, the greeting and the footer are assembled from the offer facts
    and are the same in every variant; the rest is the copy's message. Off-topic, brand voice and
    diversity all read (and embed) this one text. Falls back to the whole copy without its footer
    when nothing else is left.
    """
    facts = tuple(str(context.offer[k]).lower() for k in ("code", "discount") if context.offer.get(k))
    return _own_words(tuple(draft.parts.items()), context.postal_address or "", context.brand or "", facts)


@lru_cache(maxsize=16384)
def _own_words(
    items: tuple[tuple[str, str], ...], address: str, brand: str, facts: tuple[str, ...]
) -> str:  # cached: off-topic, brand voice and every sibling's diversity ask for the same drafts
    parts = [t for _, t in _copy_parts(items, address) if t]
    kept = []
    for text in parts:
        for sentence in _sentences(text):
            sentence = without_brand_prefix(sentence, brand)
            if _GREETING.match(sentence.strip(" ,")) or any(f in sentence.lower() for f in facts):
                continue
            if _DEADLINE_ONLY.match(sentence.strip()):
                continue
            if len(sentence.split()) <= _CTA_WORDS and cta_phrases(sentence):
                continue
            kept.append(sentence)
    own = " ".join(_TOKEN.sub("", " ".join(kept)).split()).strip(" ,")
    return own or " ".join(parts)
