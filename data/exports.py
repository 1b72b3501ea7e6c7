"""``mkt data load FILE...``: recognise each file's layout, convert it, load all in one transaction.

The mapping used for a file is saved in the workspace (``mappings.json``, keyed by the file's
header) and re-used the next time a file with the same header is loaded without ``--map``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from data.errors import DataValidationError
from data.layouts import LAYOUTS, Mapping, custom, detect, standard
from data.loader import LoadResult, load_tables
from data.mapping import convert
from data.progress import Report
from data.readers import ROW, read_table
from data.workspace import Workspace


@dataclass
class FileLoad:
    """How one input file was read: its layout, the mapping used and what was left out."""

    file: str
    mapping: Mapping
    source: str
    notes: list[str] = field(default_factory=list)


@dataclass
class ExportLoad:
    """A whole ``mkt data load`` of export files."""

    result: LoadResult
    files: list[FileLoad]


def mappings_path(workspace: Workspace) -> Path:
    """Where the workspace keeps the mappings it has used."""
    return workspace.home / "mappings.json"


def header_key(columns: list[str]) -> str:
    """A stable key of a file header (column names in order)."""
    return hashlib.sha256("\x1f".join(columns).encode()).hexdigest()[:16]


def saved_mapping(workspace: Workspace, columns: list[str]) -> Mapping | None:
    """The mapping last used for a file with exactly this header, if any."""
    path = mappings_path(workspace)
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        entry = stored.get(header_key(columns))
        return None if entry is None else Mapping.from_json(entry["mapping"])
    except (ValueError, KeyError, TypeError):
        return None


def save_mappings(workspace: Workspace, loads: list[tuple[list[str], Mapping]]) -> None:
    """Remember each (header, mapping) pair; written atomically."""
    path = mappings_path(workspace)
    stored: dict[str, object] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            stored = {}
    for columns, mapping in loads:
        if mapping.layout != "standard":
            stored[header_key(columns)] = {"columns": columns, "mapping": mapping.to_json()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def choose_mapping(
    workspace: Workspace, columns: list[str], override: dict[str, str] | None, file: str
) -> tuple[Mapping, str]:
    """The mapping for a file and where it came from (--map, saved, a known layout, standard)."""
    if override:
        return custom(override), "--map"
    found = saved_mapping(workspace, columns)
    if found is not None:
        return found, "saved mapping"
    found = standard(columns)
    if found is not None and found.table != "customers":
        return found, "mkt's own columns"
    layout = detect(columns)
    if layout is not None:
        return layout, "recognised layout"
    if found is not None:
        return found, "mkt's own columns"
    known = "; ".join(x.description for x in LAYOUTS)
    raise DataValidationError(
        "layout not recognised: give --map customer_id=COLUMN,ts=COLUMN,amount=COLUMN "
        f"(or quantity=...,unit_price=...). Known layouts: {known}",
        file=file,
    )


def load_exports(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    override: dict[str, str] | None = None,
    missing: Sequence[str] = (),
    progress: Report | None = None,
) -> ExportLoad:
    """Read, map and load ``paths`` together (all or nothing).

    Raises:
        DataValidationError: an unreadable or unrecognised file, bad values, or two files that
            would both fill the same table.
    """
    start = time.perf_counter()
    tables: dict[str, pa.Table] = {}
    names: dict[str, str] = {}
    implied: set[str] = set()
    files: list[FileLoad] = []
    headers: list[tuple[list[str], Mapping]] = []
    for path in paths:
        raw = read_table(Path(path), missing=missing)
        columns = [c for c in raw.column_names if c != ROW]
        mapping, source = choose_mapping(workspace, columns, override, str(path))
        converted = convert(raw, mapping, str(path))
        for table, data in converted.tables.items():
            by_product = table != mapping.table
            if table in tables and (by_product or table not in implied):
                if by_product:
                    continue
                raise DataValidationError(
                    f"both {names[table]} and this file fill the {table} table: load them separately",
                    file=str(path),
                )
            tables[table], names[table] = data, str(path)
            implied.discard(table)
            if by_product:
                implied.add(table)
        files.append(FileLoad(str(path), mapping, source, converted.notes))
        headers.append((columns, mapping))
    con = workspace.connect()
    try:
        result = load_tables(con, tables, names, start=start, progress=progress)
    finally:
        con.close()
    save_mappings(workspace, headers)
    return ExportLoad(result=result, files=files)
