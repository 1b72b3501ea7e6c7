"""Validate input tables and load them into the DuckDB warehouse atomically.

All given tables are staged and checked first; only when every check passes are the workspace
tables replaced, inside one transaction. A failure (or a crash) leaves the previous data as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from data.errors import DataValidationError
from data.readers import ROW, read_table
from data.schema import SCHEMAS, SQL_TYPE, Column, TableSchema
from data.workspace import Workspace


@dataclass(frozen=True)
class LoadResult:
    """What a load replaced: rows per table and seconds taken."""

    rows: dict[str, int]
    seconds: float


def load_files(workspace: Workspace, files: dict[str, Path]) -> LoadResult:
    """Validate and load ``files`` (table name -> path) into ``workspace``.

    Raises:
        DataValidationError: naming file, row and column of the first problem found.
    """
    con = workspace.connect()
    try:
        return load_into(con, files)
    finally:
        con.close()


def load_into(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> LoadResult:
    """Validate ``files`` and replace their tables in ``con``, in one transaction."""
    unknown = set(files) - set(SCHEMAS)
    if unknown:
        raise DataValidationError(f"unknown table(s) {sorted(unknown)}", file=", ".join(sorted(unknown)))
    if not files:
        raise DataValidationError("no input files given", file="-")
    start = time.perf_counter()
    tables = {name: read_table(Path(path)) for name, path in files.items()}
    con.execute("BEGIN TRANSACTION")
    try:
        rows = _stage_and_replace(con, tables, {n: str(p) for n, p in files.items()})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return LoadResult(rows=rows, seconds=time.perf_counter() - start)


def open_source(
    workspace: Workspace, files: dict[str, Path | None] | None = None
) -> duckdb.DuckDBPyConnection:
    """Where a tool reads customer tables: explicit files (validated, in memory) or the workspace.

    Tables not given as files are not available from the in-memory source; pass all a tool needs.
    """
    given = {k: v for k, v in (files or {}).items() if v is not None}
    if not given:
        return workspace.connect(read_only=True)
    con = duckdb.connect(":memory:")
    load_into(con, given)
    return con


def _stage_and_replace(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], names: dict[str, str]
) -> dict[str, int]:
    order = [t for t in ("customers", "transactions", "engagements") if t in tables]
    for table in order:
        schema = SCHEMAS[table]
        con.register(f"raw_{table}", tables[table])
        _check_columns(schema, tables[table].column_names, names[table])
        con.execute(f'CREATE TEMP TABLE "stg_{table}" AS {_typed_select(con, schema, table, names[table])}')
        con.unregister(f"raw_{table}")
        _check_rows(con, schema, names[table])
    customers_source = "stg_customers" if "customers" in tables else "customers"
    for table in order:
        if SCHEMAS[table].references_customers:
            _check_known_customers(con, table, customers_source, names[table])
    if "customers" in tables and "customers" in _existing_tables(con):
        for dependent in ("transactions", "engagements"):
            if dependent not in tables and dependent in _existing_tables(con):
                _check_known_customers(
                    con, dependent, "stg_customers", f"existing {dependent} table", staged=False
                )
    rows: dict[str, int] = {}
    for table in order:
        con.execute(
            f'CREATE OR REPLACE TABLE "{table}" AS SELECT * EXCLUDE ({ROW}) FROM "stg_{table}" ORDER BY {ROW}'
        )
        con.execute(f'DROP TABLE "stg_{table}"')
        rows[table] = tables[table].num_rows
    return rows


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    found = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    return {r[0] for r in found.fetchall()}


def _check_columns(schema: TableSchema, present: list[str], file: str) -> None:
    cols = [c for c in present if c != ROW]
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise DataValidationError("column appears more than once", file=file, column=dupes[0])
    missing = [c for c in schema.required if c not in cols]
    if missing:
        raise DataValidationError(
            f"missing required column (needs: {', '.join(schema.required)})", file=file, column=missing[0]
        )
    extra = [c for c in cols if c not in schema.known]
    if extra and not schema.allow_extra:
        raise DataValidationError(
            f"unexpected column (allowed: {', '.join(schema.known)})", file=file, column=extra[0]
        )


def _typed_select(con: duckdb.DuckDBPyConnection, schema: TableSchema, table: str, file: str) -> str:
    """A SELECT casting each known column to its type, after checking every value casts."""
    raw = f"raw_{table}"
    present = [c for c in con.execute(f"DESCRIBE {raw}").fetchall()]
    names = [r[0] for r in present if r[0] != ROW]
    parts = [ROW]
    for name in names:
        column = schema.known.get(name)
        target = SQL_TYPE[column.kind] if column else _infer_type(con, raw, name)
        _check_cast(con, raw, name, target, file)
        parts.append(f'TRY_CAST("{name}" AS {target}) AS "{name}"')
    for column in schema.columns:
        if column.name not in names:
            parts.append(f'CAST(NULL AS {SQL_TYPE[column.kind]}) AS "{column.name}"')
    return f"SELECT {', '.join(parts)} FROM {raw}"


def _infer_type(con: duckdb.DuckDBPyConnection, raw: str, name: str) -> str:
    for target in ("DOUBLE", "BOOLEAN", "DATE"):
        bad = con.execute(
            f'SELECT count(*) FROM {raw} WHERE "{name}" IS NOT NULL AND TRY_CAST("{name}" AS {target}) IS NULL'
        ).fetchone()
        if bad is not None and bad[0] == 0:
            return target
    return "VARCHAR"


def _check_cast(con: duckdb.DuckDBPyConnection, raw: str, name: str, target: str, file: str) -> None:
    bad = con.execute(
        f'SELECT {ROW}, CAST("{name}" AS VARCHAR) FROM {raw} '
        f'WHERE "{name}" IS NOT NULL AND TRY_CAST("{name}" AS {target}) IS NULL ORDER BY {ROW} LIMIT 1'
    ).fetchone()
    if bad is not None:
        raise DataValidationError(
            f"expected {target.lower()}, got {bad[1]!r}", file=file, row=int(bad[0]), column=name
        )


def _first_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, str] | None:
    found = con.execute(sql).fetchone()
    return None if found is None else (int(found[0]), str(found[1]))


def _check_rows(con: duckdb.DuckDBPyConnection, schema: TableSchema, file: str) -> None:
    stg = f'"stg_{schema.name}"'
    for column in schema.columns:
        _check_column_values(con, stg, column, file)


def _check_column_values(con: duckdb.DuckDBPyConnection, stg: str, column: Column, file: str) -> None:
    col = f'"{column.name}"'
    checks: list[tuple[str, str]] = []
    if not column.nullable:
        checks.append((f"{col} IS NULL", "missing value"))
    if column.min_value is not None:
        checks.append((f"{col} < {column.min_value}", f"must be >= {column.min_value:g}"))
    if column.choices:
        allowed = ", ".join(f"'{c}'" for c in column.choices)
        checks.append((f"{col} NOT IN ({allowed})", f"must be one of {', '.join(column.choices)}"))
    if column.not_future:
        now = "current_date" if column.kind == "date" else "CAST(now() AS TIMESTAMP) + INTERVAL 1 DAY"
        checks.append((f"{col} > {now}", "date is in the future"))
    for condition, message in checks:
        found = _first_row(
            con, f"SELECT {ROW}, CAST({col} AS VARCHAR) FROM {stg} WHERE {condition} ORDER BY {ROW} LIMIT 1"
        )
        if found is not None:
            shown = "" if found[1] == "None" else f" (got {found[1]!r})"
            raise DataValidationError(message + shown, file=file, row=found[0], column=column.name)
    if column.unique:
        found = _first_row(
            con,
            f"SELECT {ROW}, {col} FROM (SELECT {ROW}, {col}, row_number() OVER (PARTITION BY {col} "
            f"ORDER BY {ROW}) AS n FROM {stg}) WHERE n > 1 ORDER BY {ROW} LIMIT 1",
        )
        if found is not None:
            raise DataValidationError(
                f"duplicate value {found[1]!r} (already on an earlier row)",
                file=file,
                row=found[0],
                column=column.name,
            )


def _check_known_customers(
    con: duckdb.DuckDBPyConnection, table: str, customers: str, file: str, *, staged: bool = True
) -> None:
    source = f'"stg_{table}"' if staged else f'"{table}"'
    row_expr = ROW if staged else "NULL"
    order = f"ORDER BY {ROW}" if staged else ""
    found = con.execute(
        f'SELECT {row_expr}, t.customer_id FROM {source} t ANTI JOIN "{customers}" c '
        f"USING (customer_id) {order} LIMIT 1"
    ).fetchone()
    if found is not None:
        raise DataValidationError(
            f"customer {found[1]!r} is not in the customers table",
            file=file,
            row=None if found[0] is None else int(found[0]),
            column="customer_id",
        )
