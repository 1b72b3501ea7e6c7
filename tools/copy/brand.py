"""Brand voice from text: a brand guide file, or chunks retrieved from the ``brand`` collection."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from data.errors import ToolError
from data.settings import Settings
from knowledge.collections import BRAND
from knowledge.retrieval import retrieve
from knowledge.store import KnowledgeStore
from tools.copy.models import BrandVoice

BrandSource = Callable[[], str]
"""Anything that returns brand-guide text (a file reader, a knowledge-base retrieval)."""

BRAND_QUERY = "brand voice, tone, voice examples, do and don't, postal address, channel rules"

_H1 = re.compile(r"^#\s+(.+?)\s*$", re.M)
_BRAND_FIELD = re.compile(
    r"^\s*[-*]?\s*\**(?:brand(?: name)?|company|name)\**\s*:\**\s*(.+?)\s*$", re.I | re.M
)
_GUIDE_WORDS = r"(?:brand|style|voice|tone)\s+(?:guide(?:lines)?|book|voice|manual)|brand|guide(?:lines)?"
_TITLE_PREFIX = re.compile(rf"^(?:the\s+)?(?:{_GUIDE_WORDS})\s*[:\-\u2013\u2014|]\s*", re.I)
_TITLE_SUFFIX = re.compile(rf"\s*[:\-\u2013\u2014|]?\s*(?:{_GUIDE_WORDS})\s*$", re.I)
_ADDRESS = re.compile(r"postal address\s*:?\s*(.+?)(?=\.\s|\.?\s*$|\n)", re.I | re.M)
_SECTION = re.compile(r"^##\s+(?P<title>.+?)\s*$", re.M)
_QUOTED_BULLET = re.compile(r"^\s*[-*]\s*[\"\u201c](.+?)[\"\u201d]\s*$", re.M)


def _sections(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    matches = list(_SECTION.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        found[m.group("title").strip().lower()] = text[m.end() : end].strip()
    return found


def brand_name(text: str) -> str:
    """The brand's name: its ``Brand:`` field, else the title without "brand guide" words.

    ``# Brand guide: Cloudline Running`` and ``# Cloudline Running brand guide`` both give
    ``Cloudline Running``.

    Raises:
        ToolError: neither a brand field nor a title is there.
    """
    field = _BRAND_FIELD.search(text)
    if field is not None and field.group(1).strip("* "):
        return field.group(1).strip("* ").strip()
    heading = _H1.search(text)
    if heading is None:
        raise ToolError(
            "cannot find the brand name (a 'Brand: <name>' line or a '# <Brand> brand guide' title)"
        )
    name = _TITLE_SUFFIX.sub("", _TITLE_PREFIX.sub("", heading.group(1).strip())).strip(" :-")
    if not name:
        raise ToolError(f"the title '{heading.group(1)}' names no brand: add a 'Brand: <name>' line")
    return name


def brand_from_text(text: str, *, name: str | None = None, postal_address: str | None = None) -> BrandVoice:
    """Read the brand name, voice, voice examples and postal address out of a brand guide."""
    if not text.strip() and not name:
        raise ToolError("the brand guide is empty: give a brand guide with a name and a voice section")
    if name is None:
        name = brand_name(text)
    if postal_address is None:
        found = _ADDRESS.search(text)
        postal_address = found.group(1).strip() if found else None
    sections = _sections(text)
    voice = next(
        (body for title, body in sections.items() if title == "voice" or title.startswith("voice")), ""
    )
    voice = " ".join(voice.split("\n\n")[0].split())
    examples = _QUOTED_BULLET.findall(sections.get("voice examples", "")) or _QUOTED_BULLET.findall(text)
    brand = BrandVoice(name=name, examples=examples[:8], postal_address=postal_address)
    return brand.model_copy(update={"voice": voice[:400]}) if voice else brand


def brand_from_file(path: Path, **overrides: str | None) -> BrandVoice:
    """Read a brand guide (Markdown or text) from ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolError(f"cannot read the brand guide {path}: {exc}") from exc
    return brand_from_text(text, **overrides)


def guide_from_chunks(chunks: list[tuple[str, str]]) -> str:
    """Rebuild brand-guide Markdown from retrieved chunks given as ``(heading path, text)``.

    Knowledge chunks carry their heading path (``Acme brand guide > Voice``) as their first line;
    this turns them back into ``# Acme brand guide`` / ``## Voice`` sections for ``brand_from_text``.
    """
    title: str | None = None
    sections: dict[str, list[str]] = {}
    for path, text in chunks:
        names = [p.strip() for p in path.split(">") if p.strip()]
        body = text.split("\n", 1)[1] if path and text.startswith(path) and "\n" in text else text
        if names and title is None:
            title = names[0]
        sections.setdefault(names[-1] if len(names) > 1 else "", []).append(body.strip())
    lines = [f"# {title}"] if title else []
    for name, bodies in sections.items():
        lines.append(f"## {name}" if name else "")
        lines.extend(bodies)
    return "\n\n".join(lines)


def brand_from_knowledge(
    settings: Settings, name: str | None = None, address: str | None = None
) -> BrandVoice:
    """Brand voice rebuilt from the knowledge base's ``brand`` collection.

    Raises:
        ToolError: no brand guide has been ingested.
    """
    store = KnowledgeStore.open(settings)
    if BRAND not in store.names():
        raise ToolError(
            "no brand voice: ingest a brand guide (`mkt knowledge ingest brand_guide.md`) or pass --brand-file"
        )
    result = retrieve(store, BRAND_QUERY, BRAND, k=8)
    chunks = [(str(c.metadata.get("heading_path", "")), c.text) for c in result.chunks]
    return brand_from_text(guide_from_chunks(chunks), name=name, postal_address=address)
