"""Analytics engines: embedded DuckDB (the default) or Apache Spark (``MKT_ENGINE=spark``).

Nothing here imports pyspark: ``data.engine.session`` does, on first use of the Spark engine, so
``mkt``'s cold start is unchanged. Feature queries are written once in DuckDB SQL
(``data.features``) and transpiled for Spark by ``data.engine.sql``.
"""

from __future__ import annotations

from typing import Literal

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")
