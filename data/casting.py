"""Typing raw input columns: the cast expression per column and the checks every value must pass.

Rules a user would notice:
- a timestamp written with an offset (``+02:00``, ``Z``, ``-0500``) is converted to UTC; one
  without an offset is taken as UTC already; Parquet timestamps with a zone are converted to UTC;
- numbers must be finite (``inf``, ``nan`` and overflowing ``1e400`` are refused);
- dates must be real (``±infinity`` and anything before 1900, such as year 0001, are refused);
- no text may contain a NUL byte.
"""

from __future__ import annotations

import duckdb

from data.errors import DataValidationError
from data.readers import ROW
from data.schema import SQL_TYPE, Column
from data.sql import ident

EARLIEST = "1900-01-01"
OFFSET_PATTERN = r"\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?)$"
"""A time of day followed by a UTC offset or ``Z`` at the end of the text."""
_SPACED_OFFSET = r"\s+([zZ]|[+-]\d\d(:?\d\d)?)$"
"""Whitespace before the offset (Shopify writes ``10:23:45 -0500``), which DuckDB cannot parse."""

_FLOATS = ("DOUBLE", "FLOAT", "REAL")
_KEPT = frozenset(
    ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT")
    + ("UTINYINT", "DOUBLE", "FLOAT", "BOOLEAN", "DATE", "VARCHAR")
)

_MESSAGES = {
    "nul": "contains a NUL byte",
    "number": "not a finite number (got {raw!r})",
    "infinite": "not a real date (got {raw!r})",
    "early": f"date before {EARLIEST[:4]} (got {{raw!r}})",
}


def typed_expression(
    con: duckdb.DuckDBPyConnection, raw: str, name: str, source_type: str, column: Column | None
) -> tuple[str, str]:
    """The SQL expression typing column ``name`` of ``raw``, and its target SQL type."""
    col = ident(name)
    source = source_type.upper()
    if column is not None:
        target = SQL_TYPE[column.kind]
    elif source == "VARCHAR":
        target = _infer_text_type(con, raw, col)
    elif source.startswith("TIMESTAMP"):
        target = "TIMESTAMP"
    elif source.startswith("DECIMAL"):
        target = "DOUBLE"
    else:
        target = source if source in _KEPT else "VARCHAR"
    return _cast(col, source, target), target


def _cast(col: str, source: str, target: str) -> str:
    zoned = source in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
    if target == "TIMESTAMP":
        if source == "VARCHAR":
            return (
                f"CASE WHEN regexp_matches({col}, '{OFFSET_PATTERN}') "
                f"THEN timezone('UTC', TRY_CAST(regexp_replace({col}, '{_SPACED_OFFSET}', '\\1') AS TIMESTAMPTZ)) "
                f"ELSE TRY_CAST({col} AS TIMESTAMP) END"
            )
        if zoned:
            return f"timezone('UTC', {col})"
    if target == "DATE" and zoned:
        return f"CAST(timezone('UTC', {col}) AS DATE)"
    if target == source:
        return col
    return f"TRY_CAST({col} AS {target})"


def _infer_text_type(con: duckdb.DuckDBPyConnection, raw: str, col: str) -> str:
    """The narrowest type every non-missing text value of an extra column casts to cleanly."""
    for target in ("DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP"):
        value = _cast(col, "VARCHAR", target)
        ok = f"{value} IS NOT NULL"
        if target == "DOUBLE":
            ok += f" AND isfinite({value})"
        elif target in ("DATE", "TIMESTAMP"):
            ok += f" AND isfinite({value}) AND {value} >= DATE '{EARLIEST}'"
        bad = con.execute(
            f"SELECT count(*) FROM {ident(raw)} WHERE {col} IS NOT NULL AND NOT ({ok})"
        ).fetchone()
        if bad is not None and bad[0] == 0:
            return target
    return "VARCHAR"


def check_cast(
    con: duckdb.DuckDBPyConnection, raw: str, name: str, source_type: str, target: str, file: str
) -> None:
    """Raise naming the first row whose value of ``name`` does not type cleanly as ``target``.

    Raises:
        DataValidationError: with file, row and column, and the offending text.
    """
    col = ident(name)
    expression = _cast(col, source_type.upper(), target)
    text_source = source_type.upper() == "VARCHAR"
    reasons = [f"WHEN {expression} IS NULL THEN 'cast'"]
    if text_source:
        reasons.insert(0, f"WHEN strpos({col}, chr(0)) > 0 THEN 'nul'")
    if target in _FLOATS:
        reasons.append(f"WHEN NOT isfinite({expression}) THEN 'number'")
    if target in ("DATE", "TIMESTAMP"):
        reasons.append(f"WHEN NOT isfinite({expression}) THEN 'infinite'")
        reasons.append(f"WHEN {expression} < DATE '{EARLIEST}' THEN 'early'")
    if target == "VARCHAR" and not text_source:
        reasons.append(f"WHEN strpos({expression}, chr(0)) > 0 THEN 'nul'")
    row = ident(ROW)
    hits = con.execute(
        f"SELECT {row}, CAST({col} AS VARCHAR), CASE {' '.join(reasons)} END AS reason "
        f"FROM {ident(raw)} WHERE {col} IS NOT NULL AND reason IS NOT NULL ORDER BY {row} LIMIT 1"
    ).fetchall()
    if not hits:
        return
    found = hits[0]
    shown = str(found[1]) if len(str(found[1])) <= 80 else str(found[1])[:77] + "..."
    reason = str(found[2])
    message = (
        f"expected {target.lower()}, got {shown!r}"
        if reason == "cast"
        else _MESSAGES[reason].format(raw=shown)
    )
    raise DataValidationError(message, file=file, row=int(found[0]), column=name)
