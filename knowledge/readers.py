"""Read Markdown, text, CSV and PDF files into chunks ready to embed.

- Markdown (``.md``, ``.markdown``): chunked by heading (see ``knowledge.chunking``).
- Text (``.txt``): chunked by paragraph.
- CSV (``.csv``): one document per row; the text lists ``column: value`` pairs and every
  non-empty column is also metadata (numbers as numbers), so it can be filtered on.
- PDF (``.pdf``): text per page, chunked by paragraph, with the page number as metadata.

A file that cannot be read, or holds no text, raises ``UnreadableFile`` with the reason; the
ingest reports it by name and goes on with the other files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from knowledge.chunking import Scalar, TextChunk, chunk_markdown, chunk_text

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".csv": "csv", ".pdf": "pdf"}


class UnreadableFile(Exception):
    """A file the ingest skips: the message says why."""


def read_chunks(path: Path) -> list[TextChunk]:
    """The chunks of ``path``; raises ``UnreadableFile`` when there is nothing usable in it."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnreadableFile(f"unsupported file type '{path.suffix}' (use {', '.join(sorted(SUFFIXES))})")
    try:
        if path.stat().st_size == 0:
            raise UnreadableFile("file is empty")
        if kind == "pdf":
            chunks = _read_pdf(path)
        else:
            text = _read_text(path)
            if kind == "csv":
                chunks = _read_csv(text)
            elif kind == "markdown":
                chunks = chunk_markdown(text)
            else:
                chunks = chunk_text(text)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from exc
    if not chunks:
        raise UnreadableFile("no text found in file")
    return chunks


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 text (byte {exc.start}): re-save the file as UTF-8") from exc
    if "\x00" in text:
        raise UnreadableFile("binary content, not text")
    return text


def _read_csv(text: str) -> list[TextChunk]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise UnreadableFile("CSV has no header row")
    columns = [c.strip() for c in reader.fieldnames]
    if len(set(columns)) != len(columns) or any(not c for c in columns):
        raise UnreadableFile("CSV header has empty or repeated column names")
    chunks: list[TextChunk] = []
    try:
        for number, row in enumerate(reader, start=1):
            values = {c.strip(): (v or "").strip() for c, v in row.items() if isinstance(c, str)}
            present = {c: v for c, v in values.items() if v}
            if not present:
                continue
            body = "\n".join(f"{c}: {v}" for c, v in present.items())
            meta: dict[str, Scalar] = {c: _typed(v) for c, v in present.items()}
            meta["row"] = number
            chunks.append(TextChunk(body, meta))
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV: {exc}") from exc
    return chunks


def _typed(value: str) -> Scalar:
    """A CSV cell as int, float or str (metadata filters compare numbers as numbers)."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return value
    return number if number == number and abs(number) != float("inf") else value


def _read_pdf(path: Path) -> list[TextChunk]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableFile("PDF is encrypted")
        pages = [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise UnreadableFile(f"not a readable PDF: {exc}") from exc
    chunks: list[TextChunk] = []
    for number, text in pages:
        for piece in chunk_text(text, page=number):
            chunks.append(TextChunk(piece.text, {**piece.metadata, "chunk": len(chunks)}))
    return chunks
