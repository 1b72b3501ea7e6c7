"""Hostile inputs (issue 17, Data): each fixture under tests/data/hostile/ broke a load before.

SQL through header cells, non-finite values, timezones, missing-value strings, malformed CSV,
duplicate Parquet columns, lock conflicts and the WAL left by ``mkt data reset``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import DataValidationError, WorkspaceBusyError
from data.loader import load_files
from data.workspace import Workspace

HOSTILE = Path(__file__).parent / "data" / "hostile"
CUSTOMERS = "customer_id,email,consent_email\nC1,a@x.com,true\nC2,b@x.com,false\nC3,,true\n"
ENGAGEMENTS = "customer_id,campaign_id,channel,ts,event\nC1,K1,email,2025-06-01 08:00:00,sent\n"
runner = CliRunner()


@pytest.fixture
def workspace(isolated_home: Path) -> Workspace:
    return Workspace(isolated_home, busy_wait_s=0.3)


@pytest.fixture
def loaded(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace holding three customers and one engagement."""
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "e.csv").write_text(ENGAGEMENTS)
    load_files(workspace, {"customers": tmp_path / "c.csv", "engagements": tmp_path / "e.csv"})
    return workspace


def rows(workspace: Workspace, sql: str) -> list[tuple[object, ...]]:
    with workspace.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def test_header_cell_cannot_write_a_file(
    loaded: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    load_files(loaded, {"customers": HOSTILE / "header_copy_injection.csv"})
    assert not (tmp_path / "injected.csv").exists()
    columns = [
        r[0]
        for r in rows(
            loaded, "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'"
        )
    ]
    assert "customer_id\" IS NOT NULL; COPY (SELECT 1) TO 'injected.csv'; --" in columns


def test_header_cell_cannot_drop_a_table(loaded: Workspace) -> None:
    load_files(loaded, {"customers": HOSTILE / "header_drop_injection.csv"})
    assert rows(loaded, "SELECT count(*) FROM engagements") == [(1,)]
    assert rows(loaded, "SELECT count(*) FROM customers") == [(3,)]


def test_header_with_a_plain_quote_loads_as_that_name(loaded: Workspace) -> None:
    load_files(loaded, {"customers": HOSTILE / "header_plain_quote.csv"})
    assert rows(loaded, 'SELECT "na""me" FROM customers ORDER BY customer_id') == [("x",), ("y",), ("z",)]


@pytest.mark.parametrize(
    ("fixture", "column", "message"),
    [
        ("header_empty_name.csv", None, "column 2 has an empty name"),
        ("header_control_char.csv", None, "column 2 name 'ti\\ter' has control characters"),
        ("header_nfc_duplicate.csv", "café", "column appears more than once"),
        ("header_reserved.csv", "_row", "reserved"),
        ("header_case_clash.csv", "tier", "clashes with column 'Tier'"),
    ],
)
def test_bad_column_names_are_named(
    workspace: Workspace, fixture: str, column: str | None, message: str
) -> None:
    with pytest.raises(DataValidationError) as info:
        load_files(workspace, {"customers": HOSTILE / fixture})
    assert info.value.file == str(HOSTILE / fixture)
    assert info.value.column == column
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("fixture", "row", "column", "message"),
    [
        ("amount_overflow.csv", 2, "amount", "not a finite number (got '1e400')"),
        ("amount_inf.csv", 1, "amount", "not a finite number (got 'inf')"),
        ("amount_nan.csv", 2, "amount", "not a finite number (got 'nan')"),
        ("ts_minus_infinity.csv", 2, "ts", "not a real date (got '-infinity')"),
        ("ts_infinity.csv", 1, "ts", "not a real date (got 'infinity')"),
        ("ts_year_one.csv", 3, "ts", "date before 1900 (got '0001-01-01 00:00:00')"),
    ],
)
def test_non_finite_values_are_refused_with_file_row_and_column(
    loaded: Workspace, fixture: str, row: int, column: str, message: str
) -> None:
    with pytest.raises(DataValidationError) as info:
        load_files(loaded, {"transactions": HOSTILE / fixture})
    err = info.value
    assert (err.file, err.row, err.column) == (str(HOSTILE / fixture), row, column)
    assert message in str(err)
    assert rows(loaded, "SELECT count(*) FROM customers") == [(3,)]


def test_nul_byte_is_refused(workspace: Workspace) -> None:
    with pytest.raises(DataValidationError) as info:
        load_files(workspace, {"customers": HOSTILE / "value_nul_byte.csv"})
    assert (info.value.row, info.value.column) == (2, "country")
    assert "NUL byte" in str(info.value)


def test_timestamps_with_offsets_are_converted_to_utc(workspace: Workspace) -> None:
    load_files(workspace, {"transactions": HOSTILE / "ts_offsets.csv"})
    got = rows(workspace, "SELECT amount, ts FROM transactions ORDER BY amount")
    assert got == [
        (1.0, datetime(2025, 3, 1, 8, 0)),
        (2.0, datetime(2025, 3, 1, 10, 0)),
        (3.0, datetime(2025, 3, 1, 15, 0)),
        (4.0, datetime(2025, 3, 1, 10, 0)),
    ]


def test_parquet_timestamps_with_a_zone_are_utc(workspace: Workspace, tmp_path: Path) -> None:
    ts = pa.array([datetime(2025, 3, 1, 10, 0)], pa.timestamp("us", tz="Europe/Berlin"))
    table = pa.table({"customer_id": ["C1"], "ts": ts, "amount": [1.0]})
    pq.write_table(table, tmp_path / "tz.parquet")
    load_files(workspace, {"transactions": tmp_path / "tz.parquet"})
    assert rows(workspace, "SELECT ts FROM transactions") == [(datetime(2025, 3, 1, 10, 0),)]


def test_missing_value_strings_stay_text_unless_configured(workspace: Workspace) -> None:
    fixture = HOSTILE / "missing_strings.csv"
    load_files(workspace, {"customers": fixture})
    sql = "SELECT country, first_name, last_name FROM customers ORDER BY customer_id"
    assert rows(workspace, sql) == [("NA", "Null", "Nan"), ("N/A", "nan", "NULL"), (None, "Ana", "null")]
    load_files(workspace, {"customers": fixture}, missing=["N/A", "NULL"])
    assert rows(workspace, sql) == [("NA", "Null", "Nan"), (None, "nan", None), (None, "Ana", "null")]


def test_ragged_row_is_named(workspace: Workspace) -> None:
    with pytest.raises(DataValidationError) as info:
        load_files(workspace, {"transactions": HOSTILE / "ragged_row.csv"})
    assert info.value.row == 2
    assert "has 4 fields where the header has 3" in str(info.value)


def test_huge_fields_load_up_to_the_limit_and_fail_clearly_past_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    big.write_text("customer_id,notes\nC1," + "x" * 3_000_000 + "\n")
    load_files(workspace, {"customers": big})
    assert rows(workspace, "SELECT length(notes) FROM customers") == [(3_000_000,)]
    huge = tmp_path / "huge.csv"
    huge.write_text('customer_id,notes\nC1,"' + "x" * (40 << 20) + '"\n')
    with pytest.raises(
        DataValidationError, match="a value is too long to read \\(fields of up to 16 MiB load"
    ):
        load_files(workspace, {"customers": huge})


def test_duplicate_parquet_column_is_named(workspace: Workspace, tmp_path: Path) -> None:
    table = pa.table(
        [pa.array(["C1"]), pa.array(["a"]), pa.array(["b"])], names=["customer_id", "tier", "tier"]
    )
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(DataValidationError) as info:
        load_files(workspace, {"customers": tmp_path / "dup.parquet"})
    assert info.value.column == "tier" and "appears more than once" in str(info.value)


def _hold_lock(workspace: Workspace) -> subprocess.Popen[str]:
    """A second process holding a write connection to the warehouse until its stdin closes."""
    script = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(workspace.warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_lock_conflict_is_one_line_with_the_pid(loaded: Workspace, tmp_path: Path) -> None:
    proc = _hold_lock(loaded)
    try:
        start = time.monotonic()
        with pytest.raises(WorkspaceBusyError) as info:
            load_files(loaded, {"customers": tmp_path / "c.csv"})
        assert time.monotonic() - start >= 0.2  # it retried for the window before giving up
        assert str(info.value) == (
            f"the workspace is busy (a load is running, pid {proc.pid}); retry in a moment"
        )
        with pytest.raises(WorkspaceBusyError):
            loaded.connect(read_only=True)
    finally:
        proc.communicate("")
    assert rows(loaded, "SELECT count(*) FROM customers") == [(3,)]


def test_lock_released_within_the_window_lets_the_load_through(loaded: Workspace, tmp_path: Path) -> None:
    proc = _hold_lock(loaded)
    patient = Workspace(loaded.home, busy_wait_s=20)
    assert proc.stdin is not None
    proc.stdin.close()  # the holder exits shortly after the load starts waiting
    load_files(patient, {"customers": tmp_path / "c.csv"})
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()
    assert rows(loaded, "SELECT count(*) FROM customers") == [(3,)]


def test_reset_removes_the_wal(workspace: Workspace) -> None:
    workspace.ensure()
    script = (
        "import os, sys, duckdb; con = duckdb.connect(sys.argv[1]); "
        "con.execute(\"SET checkpoint_threshold = '1GB'\"); "
        "con.execute('CREATE TABLE customers AS SELECT 1 AS customer_id'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(workspace.warehouse)], check=True)
    assert workspace.wal.exists()
    result = runner.invoke(
        app, ["data", "reset", "--yes"], env={**os.environ, "MKT_HOME": str(workspace.home)}
    )
    assert result.exit_code == 0, result.output
    assert not workspace.warehouse.exists() and not workspace.wal.exists()


def test_cli_says_busy_in_one_line(loaded: Workspace, tmp_path: Path) -> None:
    proc = _hold_lock(loaded)
    try:
        env = {**os.environ, "MKT_HOME": str(loaded.home), "MKT_BUSY_WAIT_S": "0.2"}
        result = runner.invoke(app, ["data", "load", "--customers", str(tmp_path / "c.csv")], env=env)
    finally:
        proc.communicate("")
    assert result.exit_code == 6
    assert f"the workspace is busy (a load is running, pid {proc.pid}); retry in a moment" in result.output
    assert "Traceback" not in result.output


def test_cli_loads_a_hostile_header_without_a_traceback(loaded: Workspace) -> None:
    env = {**os.environ, "MKT_HOME": str(loaded.home)}
    result = runner.invoke(
        app, ["data", "load", "--customers", str(HOSTILE / "header_drop_injection.csv")], env=env
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        app, ["data", "load", "--transactions", str(HOSTILE / "amount_overflow.csv")], env=env
    )
    assert bad.exit_code == 3 and "row 2, column 'amount': not a finite number" in bad.output.replace(
        "\n", ""
    )
    assert rows(loaded, "SELECT count(*) FROM engagements") == [(1,)]
