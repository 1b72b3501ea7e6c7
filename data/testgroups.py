"""Campaigns with randomised control groups in the engagements table (``test_group`` column).

Control customers were held out, not contacted: their ``held_out`` and ``converted`` rows say what
they would have done anyway. Anything that counts what a send caused (conversion rates per
channel, ROI of the sends) must leave them out; incremental effects are treatment minus control.
"""

from __future__ import annotations

import duckdb


def has_test_groups(con: duckdb.DuckDBPyConnection, table: str = "engagements") -> bool:
    """Whether ``table`` has a ``test_group`` column."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return "test_group" in {str(r[0]) for r in rows}


def contacted(con: duckdb.DuckDBPyConnection, alias: str = "") -> str:
    """A SQL condition true for rows of contacted customers (everything but control rows).

    ``alias`` is the engagements table's alias in the query (e.g. ``"e"``); the condition is
    ``TRUE`` for a table without a ``test_group`` column.
    """
    if not has_test_groups(con):
        return "TRUE"
    prefix = f"{alias}." if alias else ""
    return f"{prefix}test_group IS DISTINCT FROM 'control'"
