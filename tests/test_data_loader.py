"""Validation and atomic loading of the customer tables (each error names file, row and column)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from data.errors import DataValidationError
from data.loader import load_files, open_source
from data.synth.generate import GeneratedData
from data.workspace import Workspace

CUSTOMERS = """customer_id,email,phone,country,signup_date,consent_email,consent_sms,consent_push,tier
C1,a@x.com,+15551,US,2025-01-02,true,false,true,gold
C2,b@x.com,,GB,2025-02-03,false,true,false,silver
C3,,+15553,US,2025-03-04,true,true,true,gold
"""
TRANSACTIONS = """customer_id,ts,amount,category
C1,2025-03-01 10:00:00,12.5,shoes
C1,2025-04-01 10:00:00,20,apparel
C2,2025-05-01 09:30:00,7.25,shoes
"""
ENGAGEMENTS = """customer_id,campaign_id,channel,ts,event,cost,revenue
C1,K1,email,2025-06-01 08:00:00,sent,0.01,0
C1,K1,email,2025-06-01 09:00:00,opened,0,0
C2,K1,sms,2025-06-01 08:00:00,sent,0.05,0
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> dict[str, Path]:
    return {
        "customers": write(tmp_path, "customers.csv", CUSTOMERS),
        "transactions": write(tmp_path, "transactions.csv", TRANSACTIONS),
        "engagements": write(tmp_path, "engagements.csv", ENGAGEMENTS),
    }


@pytest.fixture
def workspace(isolated_home: Path) -> Workspace:
    return Workspace(isolated_home)


def counts(workspace: Workspace) -> dict[str, int]:
    with workspace.connect(read_only=True) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("customers", "transactions", "engagements")
        }


def test_load_types_columns_and_keeps_extra_attributes(workspace: Workspace, good: dict[str, Path]) -> None:
    result = load_files(workspace, good)
    assert result.rows == {"customers": 3, "transactions": 3, "engagements": 3}
    with workspace.connect(read_only=True) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers'"
            ).fetchall()
        )
        assert types["signup_date"] == "DATE"
        assert types["consent_email"] == "BOOLEAN"
        assert types["tier"] == "VARCHAR"
        tx = con.execute("SELECT amount, order_id FROM transactions ORDER BY ts").fetchall()
    assert tx[0] == (12.5, None)


def test_load_is_idempotent(workspace: Workspace, good: dict[str, Path]) -> None:
    load_files(workspace, good)
    load_files(workspace, good)
    assert counts(workspace) == {"customers": 3, "transactions": 3, "engagements": 3}


def test_parquet_input(workspace: Workspace, good: dict[str, Path], tmp_path: Path) -> None:
    parquet = tmp_path / "tx.parquet"
    frame = pd.read_csv(good["transactions"], parse_dates=["ts"])
    frame.to_parquet(parquet)
    load_files(workspace, {"customers": good["customers"], "transactions": parquet})
    assert counts_of(workspace, "transactions") == 3


def counts_of(workspace: Workspace, table: str) -> int:
    with workspace.connect(read_only=True) as con:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("table", "text", "row", "column", "message"),
    [
        (
            "transactions",
            TRANSACTIONS.replace(",amount", "")
            .replace(",12.5", "")
            .replace(",20,", ",")
            .replace(",7.25", ""),
            None,
            "amount",
            "missing required column",
        ),
        ("transactions", TRANSACTIONS.replace("category", "categroy"), None, "categroy", "unexpected column"),
        ("transactions", TRANSACTIONS.replace("7.25", "seven"), 3, "amount", "expected double, got 'seven'"),
        ("customers", CUSTOMERS.replace("2025-02-03", "03/02/2025x"), 2, "signup_date", "expected date"),
        ("transactions", TRANSACTIONS.replace("20,apparel", "-20,apparel"), 2, "amount", "must be >= 0"),
        ("customers", CUSTOMERS.replace("C3,", "C1,"), 3, "customer_id", "duplicate value 'C1'"),
        (
            "transactions",
            TRANSACTIONS.replace("C2,2025", "C9,2025"),
            3,
            "customer_id",
            "customer 'C9' is not in the customers table",
        ),
        ("transactions", TRANSACTIONS.replace("2025-04-01", "2999-04-01"), 2, "ts", "date is in the future"),
        (
            "customers",
            CUSTOMERS.replace("2025-03-04", "2999-03-04"),
            3,
            "signup_date",
            "date is in the future",
        ),
        ("engagements", ENGAGEMENTS.replace("sms", "fax"), 3, "channel", "must be one of email, sms"),
        ("engagements", ENGAGEMENTS.replace("opened", "liked"), 2, "event", "must be one of sent"),
        (
            "transactions",
            TRANSACTIONS.replace("C1,2025-04-01", ",2025-04-01"),
            2,
            "customer_id",
            "missing value",
        ),
    ],
)
def test_validation_errors_name_file_row_and_column(
    workspace: Workspace,
    good: dict[str, Path],
    tmp_path: Path,
    table: str,
    text: str,
    row: int | None,
    column: str,
    message: str,
) -> None:
    files = dict(good)
    files[table] = write(tmp_path, f"bad_{table}.csv", text)
    with pytest.raises(DataValidationError) as info:
        load_files(workspace, files)
    err = info.value
    assert err.file == str(files[table])
    assert err.row == row
    assert err.column == column
    assert message in str(err)
    assert str(files[table]) in str(err)


def test_non_utf8_file_names_the_line(workspace: Workspace, good: dict[str, Path], tmp_path: Path) -> None:
    latin1 = CUSTOMERS.replace("GB", "Zürich").encode("latin-1")
    bad = write(tmp_path, "latin1.csv", latin1)
    with pytest.raises(DataValidationError, match=r"not UTF-8 text: invalid byte 0xfc at line 3") as info:
        load_files(workspace, {**good, "customers": bad})
    assert info.value.row == 2


@pytest.mark.parametrize(
    ("content", "message"), [("", "file is empty"), ("customer_id,ts,amount\n", "header but no data rows")]
)
def test_empty_files(
    workspace: Workspace, good: dict[str, Path], tmp_path: Path, content: str, message: str
) -> None:
    empty = write(tmp_path, "empty.csv", content)
    with pytest.raises(DataValidationError, match=message):
        load_files(workspace, {"customers": good["customers"], "transactions": empty})


def test_missing_file_and_bad_extension(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="file not found"):
        load_files(workspace, {"customers": tmp_path / "nope.csv"})
    odd = write(tmp_path, "customers.xlsx", "x")
    with pytest.raises(DataValidationError, match="unsupported file type"):
        load_files(workspace, {"customers": odd})


def test_failed_load_leaves_previous_data_intact(
    workspace: Workspace, good: dict[str, Path], tmp_path: Path
) -> None:
    load_files(workspace, good)
    more_customers = write(tmp_path, "c2.csv", CUSTOMERS + "C4,d@x.com,,US,2025-01-01,true,true,true,gold\n")
    bad_tx = write(tmp_path, "t2.csv", TRANSACTIONS + "C4,2025-01-05 00:00:00,-1,shoes\n")
    with pytest.raises(DataValidationError, match="must be >= 0"):
        load_files(workspace, {"customers": more_customers, "transactions": bad_tx})
    assert counts(workspace) == {"customers": 3, "transactions": 3, "engagements": 3}


def test_reloading_customers_cannot_orphan_existing_transactions(
    workspace: Workspace, good: dict[str, Path], tmp_path: Path
) -> None:
    load_files(workspace, good)
    fewer = write(tmp_path, "fewer.csv", "\n".join(CUSTOMERS.splitlines()[:2]) + "\n")
    with pytest.raises(DataValidationError, match="customer 'C2' is not in the customers table"):
        load_files(workspace, {"customers": fewer})
    assert counts(workspace)["customers"] == 3


def test_killed_load_keeps_previous_data(
    workspace: Workspace, good: dict[str, Path], large_sample: GeneratedData
) -> None:
    """A load killed (SIGKILL) while it writes leaves the previous tables, and the file opens."""
    load_files(workspace, good)
    before = workspace.warehouse.stat().st_size
    script = (
        "import sys; from pathlib import Path; from data.loader import load_files; "
        "from data.workspace import Workspace; "
        f"load_files(Workspace(Path({str(workspace.home)!r})), "
        f"{{k: Path(v) for k, v in { ({k: str(v) for k, v in large_sample.tables.items()})!r}.items()}})"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1])
    wal = workspace.warehouse.with_name(workspace.warehouse.name + ".wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() or workspace.warehouse.stat().st_size != before:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the load finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert counts(workspace) == {"customers": 3, "transactions": 3, "engagements": 3}


def test_open_source_reads_explicit_files_in_memory(workspace: Workspace, good: dict[str, Path]) -> None:
    con = open_source(workspace, {"customers": good["customers"], "transactions": good["transactions"]})
    total = con.execute("SELECT sum(amount) FROM transactions").fetchone()
    assert total is not None and total[0] == pytest.approx(39.75)
    assert not workspace.warehouse.exists()
