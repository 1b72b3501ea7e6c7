"""Safe SQL text for names that come from data: quoted identifiers, never interpolated values.

Values always travel as bound parameters (``$name`` / ``?``). Identifiers cannot be bound, so every
column or table name that did not come from our own code goes through :func:`ident`.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """``name`` as a DuckDB quoted identifier (embedded quotes doubled).

    Raises:
        ValueError: the name is empty or contains a NUL byte (no quoting makes those safe).
    """
    if not name or "\x00" in name:
        raise ValueError(f"not a usable SQL identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def ident_list(names: list[str]) -> str:
    """Comma-separated quoted identifiers."""
    return ", ".join(ident(n) for n in names)
