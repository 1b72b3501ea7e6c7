"""The workspace folder: DuckDB warehouse, Chroma store, models, runs."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data.errors import ConfigError, WorkspaceBusyError
from data.settings import Settings, load_settings

TABLES = ("customers", "transactions", "engagements")


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; folders are created on first use.

    ``busy_wait_s`` is how long opening the warehouse retries while another process holds it.
    """

    home: Path
    busy_wait_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Workspace:
        """The workspace named by the settings (``MKT_HOME``, default ``./.mkt``)."""
        settings = settings or load_settings()
        return cls(settings.home, busy_wait_s=settings.busy_wait_s)

    @property
    def warehouse(self) -> Path:
        """The DuckDB file holding the customer tables."""
        return self.home / "warehouse.duckdb"

    @property
    def chroma_dir(self) -> Path:
        """The embedded Chroma store."""
        return self.home / "chroma"

    @property
    def wal(self) -> Path:
        """DuckDB's write-ahead log next to the warehouse."""
        return self.warehouse.with_name(self.warehouse.name + ".wal")

    @property
    def models_dir(self) -> Path:
        """Trained models (skops files)."""
        return self.home / "models"

    @property
    def runs_dir(self) -> Path:
        """Plans, generated copy, eval reports, plots."""
        return self.home / "runs"

    @property
    def sample_dir(self) -> Path:
        """Where ``mkt demo`` writes the generated sample data."""
        return self.home / "sample"

    def ensure(self) -> Workspace:
        """Create the workspace folders if missing."""
        for path in (self.home, self.models_dir, self.runs_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the warehouse; read-only opens fail clearly when nothing was loaded yet."""
        if read_only:
            if not self.warehouse.exists():
                raise ConfigError(
                    f"no customer data in workspace {self.home}: run `mkt data load` or `mkt data generate`"
                )
            return self._open(read_only=True)
        self.ensure()
        return self._open(read_only=False)

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Connect, retrying for ``busy_wait_s`` while another process holds the file lock."""
        deadline = time.monotonic() + self.busy_wait_s
        pause = 0.05
        while True:
            try:
                return duckdb.connect(str(self.warehouse), read_only=read_only)
            except duckdb.IOException as exc:
                holder = lock_holder(str(exc))
                if holder is None:
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkspaceBusyError(
                        f"the workspace is busy (a load is running, pid {holder}); retry in a moment"
                    ) from None
                time.sleep(min(pause, left))
                pause = min(pause * 2, 1.0)

    def has_table(self, name: str) -> bool:
        """Whether the warehouse holds table ``name``."""
        if not self.warehouse.exists():
            return False
        with self._open(read_only=True) as con:
            row = con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [name]
            ).fetchone()
        return bool(row and row[0])


_LOCK = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


def lock_holder(message: str) -> str | None:
    """The pid in DuckDB's lock-conflict message, or None when the error is something else."""
    found = _LOCK.search(message)
    if found:
        return found.group(1)
    return "unknown" if "Could not set lock on file" in message else None
