"""Unexpected failures: one line with a reference for the person, the traceback in a log file.

A bug must never show a user a traceback (or secrets inside one); it must leave enough behind to
be fixed. ``record`` writes the traceback to ``<workspace>/runs/errors.log`` under a short
reference and returns the line to show.
"""

from __future__ import annotations

import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path


def record(exc: BaseException, log_dir: Path, what: str) -> str:
    """Log ``exc`` under a new reference in ``log_dir/errors.log``; the one line to show instead."""
    reference = uuid.uuid4().hex[:8]
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / "errors.log").open("a", encoding="utf-8") as log:
            log.write(f"--- {reference} {datetime.now(UTC).isoformat()} {what}\n")
            log.write("".join(traceback.format_exception(exc)))
        where = f"details in {log_dir / 'errors.log'}"
    except OSError:
        where = "the details could not be logged"
    return f"{what} failed unexpectedly ({type(exc).__name__}); reference {reference}, {where}"
