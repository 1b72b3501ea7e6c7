"""Shared CLI output: rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(payload: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Write machine-readable output to stdout (one JSON document)."""
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, default=str)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Render rows as a rich table with right-aligned numbers."""
    table = Table(title=title, title_justify="left")
    materialised = [list(r) for r in rows]
    for i, name in enumerate(columns):
        numeric = bool(materialised) and all(isinstance(r[i], int | float) for r in materialised)
        table.add_column(name, justify="right" if numeric else "left")
    for row in materialised:
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)
