"""Read CSV or Parquet input into Arrow with a 1-based ``_row`` column, failing clearly."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.errors import DataValidationError

ROW = "_row"
_CHUNK = 1 << 20


def read_table(path: Path) -> pa.Table:
    """Read ``path`` (``.csv`` or ``.parquet``) with a 1-based ``_row`` column.

    CSV values are read as text (typing happens in validation, so errors can name the row);
    Parquet keeps its own types.
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
        table = _read_csv(path)
    else:
        raise DataValidationError("unsupported file type (use .csv or .parquet)", file=name)
    if table.num_rows == 0:
        raise DataValidationError("file has a header but no data rows", file=name)
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    return table.append_column(ROW, rows)


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataValidationError(f"not a readable Parquet file ({exc})", file=str(path)) from exc


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


def _read_csv(path: Path) -> pa.Table:
    check_utf8(path)
    with path.open("r", encoding="utf-8-sig") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise DataValidationError("file has no header line", file=str(path))
    names: dict[str, object] = next(
        iter(
            pacsv.read_csv(
                pa.py_buffer(header_line.encode()),
                read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            ).to_pylist()
        ),
        {},
    )
    columns = [str(v).strip() for v in names.values()]
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, encoding="utf8"),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise DataValidationError(f"malformed CSV ({exc})", file=str(path)) from exc
