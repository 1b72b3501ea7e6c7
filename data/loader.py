"""Validate input tables and load them into the DuckDB warehouse atomically.

All given tables are staged and checked first; only when every check passes are the workspace
tables replaced, inside one transaction. A failure (or a crash) leaves the previous data as it was.
Every statement is a single statement; names from the data go through ``data.sql.ident`` and
values are bound parameters, so no header cell or value can become SQL.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from data.casting import check_cast, typed_expression
from data.derive import (
    DERIVED_NOTE,
    customers_derived,
    derive_customers,
    fill_signup_dates,
    record_customers_source,
)
from data.errors import DataValidationError
from data.progress import LoadProgress, Report
from data.readers import ROW, read_table
from data.schema import SCHEMAS, SQL_TYPE, Column, TableSchema
from data.sql import ident
from data.workspace import Workspace

ORDER = ("customers", "transactions", "engagements")


@dataclass(frozen=True)
class LoadResult:
    """What a load replaced: rows per table, seconds taken, and what was derived or assumed."""

    rows: dict[str, int]
    seconds: float
    notes: list[str] = field(default_factory=list)


def load_files(
    workspace: Workspace,
    files: dict[str, Path],
    *,
    missing: Sequence[str] = (),
    progress: Report | None = None,
) -> LoadResult:
    """Validate and load ``files`` (table name -> path) into ``workspace``.

    Args:
        workspace: where the tables go.
        files: table name (customers, transactions, engagements) -> CSV or Parquet path.
        missing: strings that mean "no value" in CSV cells besides the empty cell.
        progress: called with (rows done, rows in all, what) as the checks go on.

    Raises:
        DataValidationError: naming file, row and column of the first problem found.
        WorkspaceBusyError: another process holds the warehouse past the retry window.
    """
    con = workspace.connect()
    try:
        return load_into(con, files, missing=missing, progress=progress)
    finally:
        con.close()


def load_into(
    con: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    *,
    missing: Sequence[str] = (),
    progress: Report | None = None,
) -> LoadResult:
    """Validate ``files`` and replace their tables in ``con``, in one transaction."""
    unknown = set(files) - set(SCHEMAS)
    if unknown:
        raise DataValidationError(f"unknown table(s) {sorted(unknown)}", file=", ".join(sorted(unknown)))
    if not files:
        raise DataValidationError("no input files given", file="-")
    start = time.perf_counter()
    tables = {name: read_table(Path(path), missing=missing) for name, path in files.items()}
    return load_tables(con, tables, {n: str(p) for n, p in files.items()}, start=start, progress=progress)


def load_tables(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pa.Table],
    names: dict[str, str],
    *,
    start: float | None = None,
    progress: Report | None = None,
) -> LoadResult:
    """Validate Arrow ``tables`` (each with its file's ``_row``) and replace them in one transaction.

    ``names`` gives the file each table came from, for error messages.
    """
    start = time.perf_counter() if start is None else start
    con.execute("BEGIN TRANSACTION")
    try:
        # a cast check per column read (less _row), a value check per schema column, the swap
        steps = {t: len(tab.column_names) + len(SCHEMAS[t].columns) for t, tab in tables.items()}
        tracker = LoadProgress(progress, {t: tab.num_rows for t, tab in tables.items()}, steps)
        rows, notes = _stage_and_replace(con, tables, names, tracker)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return LoadResult(rows=rows, seconds=time.perf_counter() - start, notes=notes)


def open_source(
    workspace: Workspace, files: dict[str, Path | None] | None = None
) -> duckdb.DuckDBPyConnection:
    """Where a tool reads customer tables: explicit files (validated, in memory) or the workspace.

    Tables not given as files are not available from the in-memory source, except customers, which
    a transaction log alone derives (signup = first purchase).
    """
    given = {k: v for k, v in (files or {}).items() if v is not None}
    if not given:
        return workspace.connect(read_only=True)
    con = duckdb.connect(":memory:")
    load_into(con, given)
    return con


def _stage_and_replace(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pa.Table],
    names: dict[str, str],
    tracker: LoadProgress,
) -> tuple[dict[str, int], list[str]]:
    order = [t for t in ORDER if t in tables]
    notes: list[str] = []
    for table in order:
        _stage(con, SCHEMAS[table], tables[table], names[table], tracker)
    existing = existing_tables(con)
    derived = "customers" not in tables and "transactions" in tables
    derived = derived and ("customers" not in existing or customers_derived(con))
    if derived:
        derive_customers(con, "stg_transactions", "stg_customers")
        order.insert(0, "customers")
        notes.append(DERIVED_NOTE)
    staged = set(order)
    if "customers" not in staged and "customers" not in existing:
        raise DataValidationError(
            "there is no customers table yet: load customers, or transactions (which derive them)",
            file=names[order[0]],
        )
    _check_references(con, order, existing, names)
    if "customers" in tables:
        tx = "stg_transactions" if "transactions" in staged else "transactions"
        have_tx = "transactions" in staged or "transactions" in existing
        filled = fill_signup_dates(con, "stg_customers", tx if have_tx else None)
        if filled:
            notes.append(f"signup_date missing for {filled:,} customer(s): taken as their first purchase")
    rows: dict[str, int] = {}
    for table in order:
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(table)} AS "
            f"SELECT * EXCLUDE ({ident(ROW)}) FROM {ident('stg_' + table)} ORDER BY {ident(ROW)}"
        )
        con.execute(f"DROP TABLE {ident('stg_' + table)}")
        counted = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()
        rows[table] = int(counted[0]) if counted else 0
        tracker.step(table, "replaced")
    if "customers" in staged:
        record_customers_source(con, "derived" if derived else "file")
    return rows, notes


def _check_references(
    con: duckdb.DuckDBPyConnection, order: list[str], existing: set[str], names: dict[str, str]
) -> None:
    """Every customer id in a staged (or kept) table is in the customers table that will be live."""
    customers_source = "stg_customers" if "customers" in order else "customers"
    for table in order:
        if SCHEMAS[table].references_customers:
            _check_known_customers(con, table, customers_source, names[table])
    if "customers" in order:
        for dependent in ("transactions", "engagements"):
            if dependent not in order and dependent in existing:
                _check_known_customers(
                    con, dependent, "stg_customers", f"existing {dependent} table", staged=False
                )


def _stage(
    con: duckdb.DuckDBPyConnection, schema: TableSchema, table: pa.Table, file: str, tracker: LoadProgress
) -> None:
    raw = f"raw_{schema.name}"
    _check_columns(schema, table.column_names, file)
    con.register(raw, table)
    try:
        select = _typed_select(con, schema, raw, file, tracker)
        con.execute(f"CREATE TEMP TABLE {ident('stg_' + schema.name)} AS {select}")
    finally:
        con.unregister(raw)
    _check_rows(con, schema, file, tracker)


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the permanent tables in ``con``'s main schema."""
    found = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary")
    return {str(r[0]) for r in found.fetchall()}


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


def _typed_select(
    con: duckdb.DuckDBPyConnection, schema: TableSchema, raw: str, file: str, tracker: LoadProgress
) -> str:
    """A SELECT casting each column to its type, after checking every value casts."""
    described = con.execute(f"DESCRIBE {ident(raw)}").fetchall()
    parts = [ident(ROW)]
    for name, source_type, *_ in described:
        if name == ROW:
            continue
        column = schema.known.get(name)
        expression, target = typed_expression(con, raw, name, str(source_type), column)
        check_cast(con, raw, name, str(source_type), target, file)
        tracker.step(schema.name, f"typing {name}")
        parts.append(f"{expression} AS {ident(name)}")
    present = {str(r[0]) for r in described}
    for column in schema.columns:
        if column.name not in present:
            parts.append(f"CAST(NULL AS {SQL_TYPE[column.kind]}) AS {ident(column.name)}")
    return f"SELECT {', '.join(parts)} FROM {ident(raw)}"


def _first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None
) -> tuple[int, str] | None:
    found = con.execute(sql, params or {}).fetchall()
    return (int(found[0][0]), str(found[0][1])) if found else None


def _check_rows(
    con: duckdb.DuckDBPyConnection, schema: TableSchema, file: str, tracker: LoadProgress
) -> None:
    stg = ident(f"stg_{schema.name}")
    for column in schema.columns:
        _check_column_values(con, stg, column, file)
        tracker.step(schema.name, f"checking {column.name}")


def _check_column_values(con: duckdb.DuckDBPyConnection, stg: str, column: Column, file: str) -> None:
    col = ident(column.name)
    row = ident(ROW)
    checks: list[tuple[str, str, dict[str, object]]] = []
    if not column.nullable:
        checks.append((f"{col} IS NULL", "missing value", {}))
    if column.min_value is not None:
        checks.append((f"{col} < $bound", f"must be >= {column.min_value:g}", {"bound": column.min_value}))
    if column.choices:
        checks.append(
            (
                f"NOT list_contains($choices, {col})",
                f"must be one of {', '.join(column.choices)}",
                {"choices": list(column.choices)},
            )
        )
    if column.not_future:
        now = "current_date" if column.kind == "date" else "CAST(now() AS TIMESTAMP) + INTERVAL 1 DAY"
        checks.append((f"{col} > {now}", "date is in the future", {}))
    for condition, message, params in checks:
        found = _first_row(
            con,
            f"SELECT {row}, CAST({col} AS VARCHAR) FROM {stg} WHERE {condition} ORDER BY {row} LIMIT 1",
            params,
        )
        if found is not None:
            shown = "" if found[1] == "None" else f" (got {found[1]!r})"
            raise DataValidationError(message + shown, file=file, row=found[0], column=column.name)
    if column.unique:
        found = _first_row(
            con,
            f"SELECT {row}, {col} FROM (SELECT {row}, {col}, row_number() OVER (PARTITION BY {col} "
            f"ORDER BY {row}) AS n FROM {stg}) WHERE n > 1 ORDER BY {row} LIMIT 1",
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
    source = ident(f"stg_{table}" if staged else table)
    row_expr = ident(ROW) if staged else "NULL"
    order = f"ORDER BY {ident(ROW)}" if staged else ""
    hits = con.execute(
        f"SELECT {row_expr}, t.customer_id FROM {source} t ANTI JOIN {ident(customers)} c "
        f"USING (customer_id) {order} LIMIT 1"
    ).fetchall()
    if hits:
        found = hits[0]
        raise DataValidationError(
            f"customer {found[1]!r} is not in the customers table",
            file=file,
            row=None if found[0] is None else int(found[0]),
            column="customer_id",
        )
