"""Split text into retrieval chunks that respect Markdown headings.

A chunk never spans two sections: each heading starts a new section, and every chunk carries its
heading path (``Brand guide > Channel rules``) both in its text (so the heading words count for
retrieval) and in its metadata. A section longer than ``max_chars`` is split at paragraph, then
line, then sentence boundaries. The default of 1,000 characters stays under the 256-token window
of the default embedding model for English prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CHARS = 1000
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

Scalar = str | int | float | bool
"""A metadata value Chroma can store and filter on."""


@dataclass(frozen=True)
class TextChunk:
    """One piece of a document: its text and where it came from inside the document."""

    text: str
    metadata: dict[str, Scalar] = field(default_factory=dict)


def chunk_markdown(text: str, *, max_chars: int = MAX_CHARS) -> list[TextChunk]:
    """Chunks of a Markdown document, one section (or part of one) each."""
    chunks: list[TextChunk] = []
    for path, body in _sections(text):
        heading = " > ".join(path)
        for part in _split(body, max_chars - len(heading) - 2):
            content = f"{heading}\n{part}" if heading else part
            meta: dict[str, Scalar] = {"chunk": len(chunks)}
            if path:
                meta["section"] = path[-1]
                meta["heading_path"] = heading
            chunks.append(TextChunk(content, meta))
    return chunks


def chunk_text(text: str, *, max_chars: int = MAX_CHARS, **extra: Scalar) -> list[TextChunk]:
    """Chunks of plain text, split at paragraph boundaries."""
    return [TextChunk(part, {"chunk": i, **extra}) for i, part in enumerate(_split(text.strip(), max_chars))]


def _sections(text: str) -> list[tuple[list[str], str]]:
    """(heading path, body) per section, in order; sections without body text are dropped."""
    sections: list[tuple[list[str], str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        content = "\n".join(body).strip()
        if content:
            sections.append(([title for _, title in path], content))
        body.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        flush()
        level = len(match.group(1))
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, match.group(2).strip()))
    flush()
    return sections


def _split(text: str, max_chars: int) -> list[str]:
    """Pack paragraphs (then lines, then sentences, then hard cuts) into parts of <= max_chars."""
    max_chars = max(max_chars, 100)
    if len(text) <= max_chars:
        return [text] if text.strip() else []
    for pattern in (r"\n\s*\n", r"\n", _SENTENCE.pattern):
        pieces = [p.strip() for p in re.split(pattern, text) if p.strip()]
        if len(pieces) > 1:
            break
    else:
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    parts: list[str] = []
    current = ""
    joiner = "\n"
    for piece in pieces:
        if len(piece) > max_chars:
            if current:
                parts.append(current)
                current = ""
            parts.extend(_split(piece, max_chars))
            continue
        candidate = f"{current}{joiner}{piece}" if current else piece
        if len(candidate) <= max_chars:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts
