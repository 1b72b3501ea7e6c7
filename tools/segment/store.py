"""Segment membership in the workspace: the DuckDB table ``segments``, replaced atomically.

Columns: customer_id, segment, cluster, r_score, f_score, m_score, rfm_tier, and the run metadata
run_id, k, seed, as_of, created_at. The old table stays intact until the new one is committed.
Other tools read membership with ``read_membership`` (workspace table or a CSV/Parquet file).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from data.errors import DataValidationError, ToolError
from data.readers import read_table
from data.workspace import Workspace
from tools.segment.segmenter import Segmentation

TABLE = "segments"


def write_segments(workspace: Workspace, segmentation: Segmentation) -> int:
    """Replace the workspace's ``segments`` table with this run's membership; returns its rows."""
    report = segmentation.report
    frame = segmentation.membership.assign(
        run_id=report.run_id,
        k=report.k,
        seed=report.seed,
        as_of=pd.Timestamp(report.as_of),
        created_at=pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)),
    )
    con = workspace.connect()
    try:
        con.register("new_segments", frame)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM new_segments")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("new_segments")
    finally:
        con.close()
    return len(frame)


def export_membership(segmentation: Segmentation, path: Path) -> Path:
    """Write membership to CSV or Parquet (by suffix), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        segmentation.membership.to_parquet(tmp, index=False)
    elif path.suffix.lower() == ".csv":
        segmentation.membership.to_csv(tmp, index=False)
    else:
        raise ToolError(f"membership file must end in .csv or .parquet, got {path.name}")
    tmp.replace(path)
    return path


def has_segments(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` holds a ``segments`` table."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
    ).fetchall()
    return bool(rows and rows[0][0])


def read_membership(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> pd.DataFrame | None:
    """customer_id -> segment from ``path`` (CSV/Parquet with those columns) or the ``segments`` table.

    Returns None when neither exists.
    """
    if path is not None:
        table = read_table(path).to_pandas()
        missing = [c for c in ("customer_id", "segment") if c not in table.columns]
        if missing:
            raise DataValidationError(
                "segment file needs customer_id and segment", file=str(path), column=missing[0]
            )
        frame = pd.DataFrame(table[["customer_id", "segment"]].astype(str))
        if frame["customer_id"].duplicated().any():
            dup = frame["customer_id"][frame["customer_id"].duplicated()].iloc[0]
            raise DataValidationError(f"customer {dup!r} appears twice", file=str(path), column="customer_id")
        return frame
    if not has_segments(con):
        return None
    stored: pd.DataFrame = con.execute(
        f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, segment FROM {TABLE}"
    ).df()
    return stored
