"""One SQL text for both engines: DuckDB SQL, transpiled to Spark SQL with sqlglot.

Feature queries are written in DuckDB's dialect (the default engine, and the one tests run
everywhere). :func:`spark_sql` parses such a query and writes it as Spark SQL; the few functions
sqlglot maps to something with other semantics are rewritten first (``epoch_us`` -> ``unix_micros``,
exact to the microsecond, where sqlglot would pick the whole-second ``unix_timestamp``). Bound
parameters stay bound: DuckDB's ``$name`` becomes Spark's ``:name`` (``spark.sql(query, args=...)``).
"""

from __future__ import annotations

from functools import lru_cache, partial

import sqlglot
from sqlglot import exp

#: DuckDB function -> Spark function with the same meaning, where sqlglot's own mapping differs.
RENAMED = {"EPOCH_US": "UNIX_MICROS"}


@lru_cache(maxsize=128)
def spark_sql(duckdb_sql: str, tables: tuple[tuple[str, str], ...] = ()) -> str:
    """``duckdb_sql`` (one statement) as Spark SQL, table names mapped by ``tables`` (name, view).

    Raises:
        ValueError: the text is not one parseable DuckDB statement.
    """
    statements = sqlglot.parse(duckdb_sql, read="duckdb")
    if len(statements) != 1 or statements[0] is None:
        raise ValueError("spark_sql takes exactly one SQL statement")
    views = dict(tables)
    tree = statements[0].transform(_rename)
    if views:
        tree = tree.transform(partial(_view, views))
    return tree.sql(dialect="spark")


def _view(views: dict[str, str], node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and not node.db and node.name in views:
        alias = node.alias or node.name
        return exp.Table(
            this=exp.to_identifier(views[node.name]), alias=exp.TableAlias(this=exp.to_identifier(alias))
        )
    return node


def _rename(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and str(node.name).upper() in RENAMED:
        return exp.Anonymous(this=RENAMED[str(node.name).upper()], expressions=node.expressions)
    return node
