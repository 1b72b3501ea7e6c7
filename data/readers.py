"""Read CSV or Parquet input into Arrow with a 1-based ``_row`` column, failing clearly."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.errors import DataValidationError
from data.names import clean_column_names

ROW = "_row"
_CHUNK = 1 << 20
MAX_FIELD_BYTES = 16 << 20
"""The longest CSV value read (Arrow's block size; a longer one gets a clear error)."""


def read_table(path: Path, *, missing: Sequence[str] = ()) -> pa.Table:
    """Read ``path`` (``.csv`` or ``.parquet``) with a 1-based ``_row`` column.

    CSV values are read as text (typing happens in validation, so errors can name the row); only an
    empty cell is missing, plus any string in ``missing`` ("NA" stays the text "NA" unless listed).
    Parquet keeps its own types. Column names are checked and NFC-normalised either way.
    """
    name = str(path)
    if not path.exists():
        raise DataValidationError("file not found", file=name)
    if path.stat().st_size == 0:
        raise DataValidationError("file is empty", file=name)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = _read_parquet(path)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(path, list(missing))
    else:
        raise DataValidationError("unsupported file type (use .csv or .parquet)", file=name)
    if table.num_rows == 0:
        raise DataValidationError("file has a header but no data rows", file=name)
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    return table.append_column(ROW, rows)


def _read_parquet(path: Path) -> pa.Table:
    try:
        parquet = pq.ParquetFile(path)
        names = clean_column_names(list(parquet.schema_arrow.names), str(path))
        table = parquet.read()
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataValidationError(f"not a readable Parquet file ({exc})", file=str(path)) from exc
    return table.rename_columns(names)


def check_utf8(path: Path) -> None:
    """Raise naming the line and byte of the first invalid UTF-8 sequence in ``path``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = chunk[: exc.start]
                line += bad.count(b"\n")
                raise DataValidationError(
                    f"not UTF-8 text: invalid byte 0x{chunk[exc.start]:02x} at line {line} "
                    f"(byte {offset + exc.start}); re-save the file as UTF-8",
                    file=str(path),
                    row=max(line - 1, 1),
                ) from exc
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise DataValidationError("not UTF-8 text: truncated sequence at end", file=str(path)) from exc


def _read_csv(path: Path, missing: list[str]) -> pa.Table:
    check_utf8(path)
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise DataValidationError("file has no header line", file=str(path))
    header = next(csv.reader([header_line]), [])
    columns = clean_column_names(header, str(path))
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=columns, skip_rows=1, encoding="utf8", block_size=MAX_FIELD_BYTES
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                null_values=["", *missing],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _csv_error(path, len(columns), str(exc)) from exc


def _csv_error(path: Path, width: int, detail: str) -> DataValidationError:
    """A parse failure as a plain message: the ragged row by number, an oversized field by limit."""
    if "straddling" in detail or "block" in detail:
        return DataValidationError(
            f"a value is too long to read (fields of up to {MAX_FIELD_BYTES >> 20} MiB load; "
            "is a quote left open?)",
            file=str(path),
        )
    if "Expected" in detail and "columns" in detail:
        found = _ragged_row(path, width)
        if found is not None:
            row, count = found
            return DataValidationError(
                f"has {count} fields where the header has {width}", file=str(path), row=row
            )
    return DataValidationError(f"malformed CSV ({detail.splitlines()[0]})", file=str(path))


def _ragged_row(path: Path, width: int) -> tuple[int, int] | None:
    """The first data row (1-based) whose field count differs from ``width``, and its count."""
    csv.field_size_limit(MAX_FIELD_BYTES)
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row, fields in enumerate(reader, start=1):
            if fields and len(fields) != width:
                return row, len(fields)
    return None
