"""Where a tool reads customer tables, on the configured engine (``MKT_ENGINE``)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from data.engine.source import SparkSource, open_spark_source
from data.loader import open_source
from data.settings import Settings, load_settings
from data.workspace import Workspace


def open_engine(
    workspace: Workspace, files: dict[str, Path | None] | None = None, settings: Settings | None = None
) -> duckdb.DuckDBPyConnection | SparkSource:
    """A DuckDB connection (``MKT_ENGINE=duckdb``, the default) or a Spark source (``spark``).

    Either reads ``files`` (table -> path; on Spark also URIs or table names) when any is given,
    else the workspace. The tools take either and compute the same numbers.

    Raises:
        DataValidationError: an input breaks a rule (same errors on both engines).
        ConfigError: the Spark engine cannot start (no Java, no pyspark, bad master).
    """
    settings = settings or load_settings()
    if settings.engine == "spark":
        return open_spark_source(
            workspace, dict(files or {}), master=settings.spark_master, partitions=settings.spark_partitions
        )
    return open_source(workspace, files)
