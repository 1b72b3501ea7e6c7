"""Text helpers shared by the reader-facing checks: the copy without its legal footer, sentences."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from evals.metrics.compliance import OPT_OUT_SENTENCE, UNSUBSCRIBE
from evals.types import CheckContext, CopyDraft

_SENTENCE: Final = re.compile(r"(?<=[.!?。！？])\s*|\n+")
_FOOTER_WORDS: Final = 14
_PREFIX: Final = re.compile(r"^([^:]{1,40}):\s+")
CJK: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def sentences(text: str) -> list[str]:
    """``text`` split into sentences and lines, stripped, empty ones dropped."""
    return list(_sentences(text))


@lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENTENCE.split(text) if s and s.strip())


def without_brand_prefix(sentence: str, brand: str | None) -> str:
    """``sentence`` without a leading "<brand>: " label (an SMS opens with the brand's short name)."""
    prefix = _PREFIX.match(sentence)
    words = set((brand or "").lower().split())
    if prefix and words and set(prefix.group(1).lower().split()) <= words:
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
            if not line or (address and line.strip() == address.strip()):
                continue
            if UNSUBSCRIBE.search(line) and len(line.split()) <= _FOOTER_WORDS:
                continue
            if line.startswith("退订"):
                continue
            lines.append(line)
        out.append((name, "\n".join(lines)))
    return tuple(out)
