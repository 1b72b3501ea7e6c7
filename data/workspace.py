"""The workspace folder: DuckDB warehouse, Chroma store, models, runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from data.errors import ConfigError
from data.settings import Settings, load_settings

TABLES = ("customers", "transactions", "engagements")


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; folders are created on first use."""

    home: Path

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Workspace:
        """The workspace named by the settings (``MKT_HOME``, default ``./.mkt``)."""
        settings = settings or load_settings()
        return cls(settings.home)

    @property
    def warehouse(self) -> Path:
        """The DuckDB file holding the customer tables."""
        return self.home / "warehouse.duckdb"

    @property
    def chroma_dir(self) -> Path:
        """The embedded Chroma store."""
        return self.home / "chroma"

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
            return duckdb.connect(str(self.warehouse), read_only=True)
        self.ensure()
        return duckdb.connect(str(self.warehouse))

    def has_table(self, name: str) -> bool:
        """Whether the warehouse holds table ``name``."""
        if not self.warehouse.exists():
            return False
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            row = con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [name]
            ).fetchone()
        return bool(row and row[0])
