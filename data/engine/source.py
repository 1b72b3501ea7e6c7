"""A Spark source: the customer tables as Spark temp views, read from files, URIs, tables or the workspace.

Inputs may be CSV or Parquet files or folders (local paths or URIs Spark reads, such as ``s3a://``),
a Delta table folder (when the Delta package is on the session), or a Hive/Unity table name. Each is
cast to the table's schema (``data.schema``) and checked with the same named errors as a DuckDB
load (``DataValidationError`` naming the input and column). Without input files the workspace's
DuckDB tables are exported to Parquet once (``<home>/spark/``, refreshed when the warehouse
changes) and read from there. Importing this module does not import pyspark.
"""

from __future__ import annotations

import itertools
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data.errors import ConfigError, DataValidationError
from data.schema import SCHEMAS, Column
from data.sql import ident
from data.workspace import TABLES, Workspace

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_TYPE = {
    "str": "STRING",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ",
    "float": "DOUBLE",
}
_SOURCES = itertools.count(1)
_TABLE_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}")


@dataclass
class SparkSource:
    """The customer tables of one analysis, registered as temp views in ``session``."""

    session: SparkSession
    origins: dict[str, str]
    output_dir: str
    master: str
    derived: list[str] = field(default_factory=list)
    prefix: str = field(default_factory=lambda: f"mkt{next(_SOURCES)}_")
    _cache: dict[tuple[object, ...], Any] = field(default_factory=dict, repr=False)

    engine = "spark"

    def view(self, table: str) -> str:
        """The temp view holding ``table`` (views are per source, so two sources never mix)."""
        return self.prefix + table

    def sql(self, duckdb_sql: str, **params: Any) -> DataFrame:
        """Run a query written in DuckDB SQL (see ``data.engine.sql``), values bound as parameters.

        Table names ``customers``, ``transactions`` and ``engagements`` refer to this source's views.
        """
        from data.engine.sql import spark_sql

        tables = tuple((name, self.view(name)) for name in TABLES)
        return self.session.sql(spark_sql(duckdb_sql, tables), args=params or None)

    def cached(self, key: tuple[object, ...], build: Callable[[], Any]) -> Any:
        """``build()`` once per key for the life of this source (DataFrames are persisted)."""
        if key not in self._cache:
            value = build()
            if hasattr(value, "persist"):
                value = value.persist()
            self._cache[key] = value
        return self._cache[key]

    def table(self, name: str) -> DataFrame:
        """Table ``name`` of this source as a Spark DataFrame."""
        return self.session.table(self.view(name))

    def has_table(self, name: str) -> bool:
        """Whether the source holds table ``name``."""
        return name in self.origins

    def columns(self, table: str) -> list[str]:
        """Column names of ``table``."""
        return list(self.table(table).columns)

    def output_path(self, kind: str) -> str:
        """Default place of an output: ``<folder of the inputs>/<kind>.parquet``."""
        return f"{self.output_dir.rstrip('/')}/{kind}.parquet"

    def close(self) -> None:
        """Drop this source's views (the session stays up for the next analysis in this process)."""
        for value in self._cache.values():
            if hasattr(value, "unpersist"):
                value.unpersist()
        self._cache.clear()
        for name in self.origins:
            self.session.catalog.dropTempView(self.view(name))


def open_spark_source(
    workspace: Workspace,
    files: dict[str, str | Path | None] | None = None,
    *,
    master: str = "local[*]",
    partitions: int | None = None,
) -> SparkSource:
    """The tables named in ``files`` (table -> path, URI or table name), or else the workspace's.

    Raises:
        DataValidationError: an input that is missing, lacks a required column or breaks a rule.
        ConfigError: Spark cannot start (no Java, bad master).
    """
    try:
        from data.engine.session import spark_session
    except ImportError as exc:
        raise ConfigError(
            "MKT_ENGINE=spark needs pyspark: `pip install 'mkt[spark]'` (or -e '.[spark]'), and Java 17"
        ) from exc

    session = spark_session(master, partitions)
    given = {k: str(v) for k, v in (files or {}).items() if v is not None}
    if given:
        first = given.get("transactions") or next(iter(given.values()))
        out = _parent(first, workspace.runs_dir)
        validate = True
    else:
        given = _workspace_parquet(workspace)
        # One folder per source: concurrent turns (Slack) never write or read back each other's scores.
        out = str(workspace.runs_dir / "spark" / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}")
        validate = False
    source = SparkSource(session=session, origins={}, output_dir=out, master=master)
    for table in TABLES:
        if table in given:
            frame, unreadable = _typed(_read(session, given[table]), table, given[table])
            if validate:
                _check(frame, table, given[table], unreadable)
            frame = frame.drop(*[flag for flag, _, _ in unreadable])
            frame.createOrReplaceTempView(source.view(table))
            source.origins[table] = given[table]
    if "customers" not in source.origins and "transactions" in source.origins:
        source.sql(
            "SELECT customer_id, CAST(min(ts) AS DATE) AS signup_date FROM transactions GROUP BY customer_id"
        ).createOrReplaceTempView(source.view("customers"))
        source.origins["customers"] = "derived from transactions"
        source.derived.append("customers derived from the transactions (signup = first purchase)")
    return source


def _parent(location: str, fallback: Path) -> str:
    """The folder holding an input (file or Parquet/Delta folder); ``fallback`` for a table name."""
    if "://" in location:
        return location.rstrip("/").rsplit("/", 1)[0]
    path = Path(location)
    return str(path.resolve().parent) if path.exists() else str(fallback)


def bq(name: str) -> str:
    """``name`` as a Spark SQL quoted identifier (embedded backticks doubled)."""
    if not name or "\x00" in name:
        raise ValueError(f"not a usable SQL identifier: {name!r}")
    return "`" + name.replace("`", "``") + "`"


def _read(session: SparkSession, location: str) -> DataFrame:
    path = Path(location)
    local = "://" not in location
    if local and not path.exists():
        if _TABLE_NAME.fullmatch(location) and session.catalog.tableExists(location):
            return session.table(location)
        raise DataValidationError("file not found (nor a table of this Spark session)", file=location)
    lower = location.lower().rstrip("/")
    if local and path.is_dir() and (path / "_delta_log").is_dir():
        return session.read.format("delta").load(location)
    if lower.endswith((".csv", ".txt")):
        return session.read.option("header", "true").option("inferSchema", "false").csv(location)
    return session.read.parquet(location)


def _typed(frame: DataFrame, table: str, origin: str) -> tuple[DataFrame, list[tuple[str, str, str]]]:
    """Cast the schema's columns to their types; extra columns are kept as they are.

    ``TRY_CAST``, so a value that is not of its column's type ("N/A" as an amount) becomes a flag,
    not a Java error: with the frame come (flag column, column, type) for ``_check`` to count.
    """
    schema = SCHEMAS[table]
    present = set(frame.columns)
    missing = [c for c in schema.required if c not in present]
    if missing:
        raise DataValidationError(f"missing required column '{missing[0]}'", file=origin, column=missing[0])
    known = schema.known
    parts = [
        f"TRY_CAST({bq(name)} AS {SPARK_TYPE[known[name].kind]}) AS {bq(name)}" if name in known else bq(name)
        for name in frame.columns
    ]
    flags: list[tuple[str, str, str]] = []
    for i, name in enumerate(c for c in frame.columns if c in known):
        kind = SPARK_TYPE[known[name].kind]
        flag = f"__mkt_unreadable_{i}"
        parts.append(f"({bq(name)} IS NOT NULL AND TRY_CAST({bq(name)} AS {kind}) IS NULL) AS {bq(flag)}")
        flags.append((flag, name, kind))
    return frame.selectExpr(*parts), flags


def _check(frame: DataFrame, table: str, origin: str, unreadable: list[tuple[str, str, str]]) -> None:
    """One pass over the input: values not of their type, nulls where none are allowed, low values, duplicates.

    ``unreadable``: the (flag column, column, type) of ``_typed``; a set flag is a value that is not
    of its column's type.
    """
    columns: list[Column] = [c for c in SCHEMAS[table].columns if c.name in frame.columns]
    tests: list[tuple[str, str, str]] = [
        (name, bq(flag), f"has values that are not {kind.lower()}") for flag, name, kind in unreadable
    ]
    for column in columns:
        name = bq(column.name)
        if not column.nullable:
            tests.append((column.name, f"{name} IS NULL", "has an empty value"))
        if column.min_value is not None:
            tests.append(
                (column.name, f"{name} < {column.min_value}", f"has a value below {column.min_value:g}")
            )
        if column.choices:
            allowed = ", ".join(f"'{c}'" for c in column.choices)
            tests.append(
                (column.name, f"{name} NOT IN ({allowed})", f"has a value not in {list(column.choices)}")
            )
    aggregates = [f"count_if({expr}) AS c{i}" for i, (_, expr, _) in enumerate(tests)]
    unique = [c.name for c in columns if c.unique]
    aggregates += [f"count({bq(u)}) - count(DISTINCT {bq(u)}) AS u{i}" for i, u in enumerate(unique)]
    if not aggregates:
        return
    row = frame.selectExpr(*aggregates).collect()[0]
    for i, (column_name, _, what) in enumerate(tests):
        if row[f"c{i}"]:
            raise DataValidationError(
                f"column {what} in {row[f'c{i}']:,} rows", file=origin, column=column_name
            )
    for i, name in enumerate(unique):
        if row[f"u{i}"]:
            raise DataValidationError(f"{row[f'u{i}']:,} duplicate ids", file=origin, column=name)


def _workspace_parquet(workspace: Workspace) -> dict[str, str]:
    """The workspace tables as Parquet files under ``<home>/spark/``.

    Each is exported again only when its contents changed (a fingerprint of its rows is kept beside
    the file), so the analytics of one agent turn do not export the workspace once per tool.
    """
    con = workspace.connect(read_only=True)
    folder = workspace.home / "spark"
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    try:
        tables = {
            str(r[0]) for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        for table in TABLES:
            if table not in tables:
                continue
            target = folder / f"{table}.parquet"
            stamp = folder / f"{table}.parquet.rows"
            row = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {ident(table)} AS t").fetchone()
            fingerprint = f"{row[0] if row else 0}:{row[1] if row else 0}"
            if not target.exists() or not stamp.exists() or stamp.read_text() != fingerprint:
                tmp = folder / f"{table}.parquet.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"  # one per writer
                literal = str(tmp).replace("'", "''")
                con.execute(f"COPY {ident(table)} TO '{literal}' (FORMAT parquet)")
                tmp.replace(target)
                stamp.write_text(fingerprint)
            found[table] = str(target)
    finally:
        con.close()
    return found
