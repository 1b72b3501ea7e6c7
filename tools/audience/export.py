"""Write an audience's customer ids to CSV: under the workspace's ``exports/`` folder by default.

With a control group the CSV has a ``test_group`` column (``treatment`` / ``control``, the same
column the engagements table takes back, so the results can be loaded and read out as treatment
minus control), and a sidecar ``<name>.control.json`` records the holdout's share, seed, expected
rates and power.

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
from tools.control import ControlGroup


class ExportResult(BaseModel):
    """What was written."""

    path: str
    rows: int
    overwrote: bool = False
    note: str = ""
    control_rows: int = 0
    control_file: str | None = None

    def summary(self) -> str:
        """Key numbers in one line."""
        extra = f" ({self.note})" if self.note else ""
        held = (
            f"; {self.control_rows:,} of them are the control group (test_group=control: do not send), "
            f"holdout details in {self.control_file}"
            if self.control_file
            else ""
        )
        return f"wrote {self.rows:,} customer ids to {self.path}{extra}{held}"


def export_path(exports_dir: Path, hint: str | None) -> Path:
    """A new CSV path under ``exports_dir`` named from ``hint``; never an existing file's path."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(hint or "").stem).strip("-_")[:60] or "audience"
    path = exports_dir / f"{stem}.csv"
    n = 1
    while path.exists():
        n += 1
        path = exports_dir / f"{stem}-{n}.csv"
    return path


def control_path(path: Path) -> Path:
    """The holdout sidecar of an exported CSV: ``name.control.json``."""
    return path.with_name(path.stem + ".control.json")


def export_audience(
    selection: AudienceSelection, path: Path, control: ControlGroup | None = None
) -> ExportResult:
    """Write the audience's customer ids, segment and (with ``control``) test group to ``path`` (CSV, atomically)."""
    if path.suffix.lower() != ".csv":
        raise ToolError(f"{path}: the audience is exported as CSV; give a .csv path")
    overwrote = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    members = selection.members[["customer_id", "segment"]].copy()
    side = None
    if control is not None:
        held = set(control.control_ids)
        members["test_group"] = ["control" if str(c) in held else "treatment" for c in members["customer_id"]]
        side = control_path(path)
        tmp_side = side.with_name(side.name + ".tmp")
        tmp_side.write_text(control.model_dump_json(indent=2, exclude={"control_ids"}), encoding="utf-8")
        tmp_side.replace(side)
    tmp = path.with_name(path.name + ".tmp")
    members.to_csv(tmp, index=False)
    tmp.replace(path)
    return ExportResult(
        path=str(path),
        rows=len(members),
        overwrote=overwrote,
        note="replaced the existing file" if overwrote else "",
        control_rows=0 if control is None else int((members["test_group"] == "control").sum()),
        control_file=None if side is None else str(side),
    )
