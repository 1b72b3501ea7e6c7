"""Write an audience's customer ids to CSV: under the workspace's ``exports/`` folder by default.

A name that comes from a model or a chat message is only a hint: the file is written under
``exports/`` with a name made from the hint's letters, and an existing file is never overwritten
(a numbered name is chosen and the result says so). A path a person typed on the command line
(``mkt audience --output PATH``) is used as given, and overwriting it is reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from data.errors import ToolError
from tools.audience.models import AudienceSelection


class ExportResult(BaseModel):
    """What was written."""

    path: str
    rows: int
    overwrote: bool = False
    note: str = ""

    def summary(self) -> str:
        """Key numbers in one line."""
        extra = f" ({self.note})" if self.note else ""
        return f"wrote {self.rows:,} customer ids to {self.path}{extra}"


def export_path(exports_dir: Path, hint: str | None) -> Path:
    """A new CSV path under ``exports_dir`` named from ``hint``; never an existing file's path."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(hint or "").stem).strip("-_")[:60] or "audience"
    path = exports_dir / f"{stem}.csv"
    n = 1
    while path.exists():
        n += 1
        path = exports_dir / f"{stem}-{n}.csv"
    return path


def export_audience(selection: AudienceSelection, path: Path) -> ExportResult:
    """Write the audience's customer ids and segment to ``path`` (CSV, atomically)."""
    if path.suffix.lower() != ".csv":
        raise ToolError(f"{path}: the audience is exported as CSV; give a .csv path")
    overwrote = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    selection.members.to_csv(tmp, index=False)
    tmp.replace(path)
    return ExportResult(
        path=str(path),
        rows=len(selection.members),
        overwrote=overwrote,
        note="replaced the existing file" if overwrote else "",
    )
