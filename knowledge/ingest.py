"""Ingest files into the knowledge collections: idempotent, resumable, one bad file never aborts.

Each chunk's id is a hash of its collection, source and text, so re-ingesting the same file is an
upsert that adds nothing. The source is the file's path relative to the folder it was found in
(``eu/catalogue.md``), or its name when the file was given directly, so two ``catalogue.md`` in
different folders are two documents, not one that keeps replacing itself. Chunks already stored
are not embedded again, which is also what makes an interrupted ingest cheap to finish: each batch
is committed as it goes, and the next run embeds only what is missing. After a file's chunks are
stored, chunks of an earlier version of that file (same source) that are no longer in it are
deleted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.errors import ChromaError
from pydantic import BaseModel, Field

from data.errors import ToolError
from knowledge.chunking import Scalar, TextChunk
from knowledge.collections import collection_for
from knowledge.readers import SUFFIXES, UnreadableFile, read_chunks
from knowledge.store import KnowledgeStore, check_collection_name

BATCH_SIZE = 128
SOURCE_KEY = "source"


class FileReport(BaseModel):
    """What happened to one file."""

    path: str
    collection: str
    chunks: int
    added: int = 0
    unchanged: int = 0
    removed: int = 0


class SkippedFile(BaseModel):
    """A file that was not ingested, and why."""

    path: str
    reason: str


class IngestReport(BaseModel):
    """The outcome of one ingest run."""

    files: list[FileReport] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)

    @property
    def added(self) -> int:
        """Chunks embedded and stored in this run."""
        return sum(f.added for f in self.files)


@dataclass(frozen=True)
class Record:
    """A chunk with its id and full metadata, ready to upsert."""

    id: str
    text: str
    metadata: dict[str, Scalar]


Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stage is ``embed`` while vectors are computed."""


def chunk_ids(collection: str, source: str, chunks: Sequence[TextChunk]) -> list[Record]:
    """Records with content-derived ids; repeated identical chunks get an occurrence suffix."""
    seen: Counter[str] = Counter()
    records = []
    for chunk in chunks:
        seen[chunk.text] += 1
        key = f"{collection}\x1f{source}\x1f{chunk.text}\x1f{seen[chunk.text]}"
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        records.append(Record(digest, chunk.text, {**chunk.metadata, SOURCE_KEY: source}))
    return records


def source_of(path: Path, roots: Sequence[Path]) -> str:
    """The source a file's chunks are stored under: its path relative to the folder it was found in."""
    for root in roots:
        if root.is_dir():
            try:
                return path.relative_to(root).as_posix()
            except ValueError:
                continue
    return path.name


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: the given files, and supported files found under given folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            files.append(path)
    return files


def ingest(
    store: KnowledgeStore,
    paths: Iterable[Path],
    collection: str | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    on_commit: Callable[[int], None] | None = None,
) -> IngestReport:
    """Read, chunk, embed and upsert ``paths`` into ``collection`` (or the one each name suggests).

    Args:
        store: the open knowledge store.
        paths: files or folders (Markdown, text, CSV, PDF).
        collection: target collection; when None, the one each file's name suggests, else ``docs``.
        batch_size: chunks embedded and committed together.
        progress: called as embedding goes on, for a progress bar.
        on_commit: called with the number of chunks stored after each committed batch.
    """
    if collection is not None:
        check_collection_name(collection)
    report = IngestReport()
    roots = list(paths)
    planned: list[tuple[Path, str, list[Record]]] = []
    for path in expand(roots):
        target = collection or collection_for(path)
        if not path.exists():
            report.skipped.append(SkippedFile(path=str(path), reason="file not found"))
            continue
        try:
            chunks = read_chunks(path)
        except UnreadableFile as exc:
            report.skipped.append(SkippedFile(path=str(path), reason=str(exc)))
            continue
        planned.append((path, target, chunk_ids(target, source_of(path, roots), chunks)))
    if not planned and not report.skipped:
        raise ToolError("no files to ingest: give Markdown, text, CSV or PDF files or folders holding them")

    missing_total = 0
    work: list[tuple[Path, str, list[Record], list[Record]]] = []
    for path, target, records in planned:
        missing = _missing(store, target, records)
        missing_total += len(missing)
        work.append((path, target, records, missing))
    done = 0
    for path, target, records, missing in work:
        coll = store.writable(target)
        try:
            done = _upsert(store, coll, missing, batch_size, done, missing_total, progress, on_commit)
            removed = _remove_stale(coll, source_of(path, roots), {r.id for r in records})
        except (ValueError, ChromaError) as exc:  # e.g. a metadata key or value the store refuses
            report.skipped.append(SkippedFile(path=str(path), reason=f"the store refused it: {exc}"))
            continue
        report.files.append(
            FileReport(
                path=str(path),
                collection=target,
                chunks=len(records),
                added=len(missing),
                unchanged=len(records) - len(missing),
                removed=removed,
            )
        )
    return report


def _upsert(
    store: KnowledgeStore,
    coll: Any,
    records: list[Record],
    batch_size: int,
    done: int,
    total: int,
    progress: Progress | None,
    on_commit: Callable[[int], None] | None,
) -> int:
    """Embed and upsert ``records`` batch by batch (each batch is committed); returns ``done``."""
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        coll.upsert(
            ids=[r.id for r in batch],
            documents=[r.text for r in batch],
            metadatas=[r.metadata for r in batch],
            embeddings=store.embedder.embed([r.text for r in batch]),
        )
        done += len(batch)
        if progress is not None:
            progress("embed", done, total)
        if on_commit is not None:
            on_commit(done)
    return done


def _missing(store: KnowledgeStore, collection: str, records: list[Record]) -> list[Record]:
    """The records whose ids are not stored yet (all of them when the collection is new)."""
    if collection not in store.names():
        return records
    coll = store.writable(collection)
    present: set[str] = set()
    for start in range(0, len(records), 1000):
        ids = [r.id for r in records[start : start + 1000]]
        present.update(coll.get(ids=ids, include=[])["ids"])
    return [r for r in records if r.id not in present]


def _remove_stale(coll: Any, source: str, keep: set[str]) -> int:
    """Delete chunks of ``source`` that its current version no longer has."""
    stored = coll.get(where={SOURCE_KEY: source}, include=[])["ids"]
    stale = [i for i in stored if i not in keep]
    for start in range(0, len(stale), 1000):
        coll.delete(ids=stale[start : start + 1000])
    return len(stale)
