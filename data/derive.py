"""What a load fills in when the input leaves it out: customers from a log, signup from purchases.

Whether the current customers table was derived is kept in the ``mkt_meta`` table, so a later
transaction log re-derives it, while customers a user loaded are never replaced by a log.
"""

from __future__ import annotations

import duckdb

from data.readers import ROW
from data.schema import CUSTOMERS, SQL_TYPE
from data.sql import ident

META = "mkt_meta"
DERIVED_NOTE = (
    "no customers file: customers derived from the transactions (signup = first purchase; "
    "no consent, so not reachable by email, SMS or push)"
)


def derive_customers(con: duckdb.DuckDBPyConnection, transactions: str, out: str) -> None:
    """Create temp table ``out``: one customer per id in ``transactions``, signup at the first purchase."""
    parts = [f"min({ident(ROW)}) AS {ident(ROW)}", "customer_id"]
    for column in CUSTOMERS.columns[1:]:
        if column.name == "signup_date":
            parts.append("CAST(min(ts) AS DATE) AS signup_date")
        else:
            parts.append(f"CAST(NULL AS {SQL_TYPE[column.kind]}) AS {ident(column.name)}")
    con.execute(
        f"CREATE TEMP TABLE {ident(out)} AS SELECT {', '.join(parts)} FROM {ident(transactions)} "
        "GROUP BY customer_id"
    )


def fill_signup_dates(con: duckdb.DuckDBPyConnection, customers: str, transactions: str | None) -> int:
    """Set each missing signup date in ``customers`` to that customer's first purchase; the count set."""
    if transactions is None:
        return 0
    first = (
        f"SELECT customer_id, CAST(min(ts) AS DATE) AS first_day FROM {ident(transactions)} "
        "GROUP BY customer_id"
    )
    counted = con.execute(
        f"SELECT count(*) FROM {ident(customers)} c JOIN ({first}) f USING (customer_id) "
        "WHERE c.signup_date IS NULL"
    ).fetchone()
    n = int(counted[0]) if counted else 0
    if n:
        con.execute(
            f"UPDATE {ident(customers)} AS c SET signup_date = f.first_day FROM ({first}) AS f "
            "WHERE c.customer_id = f.customer_id AND c.signup_date IS NULL"
        )
    return n


def customers_derived(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the workspace's customers table was derived from a transaction log."""
    if not _has_meta(con):
        return False
    found = con.execute(f"SELECT value FROM {ident(META)} WHERE key = 'customers_source'").fetchone()
    return found is not None and found[0] == "derived"


def record_customers_source(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Remember where the customers table came from (``derived`` or ``file``)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {ident(META)} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(
        f"INSERT OR REPLACE INTO {ident(META)} VALUES ('customers_source', $source)", {"source": source}
    )


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $name",
        {"name": META},
    ).fetchone()
    return bool(found and found[0])
