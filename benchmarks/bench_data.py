"""Data layer speed: generate + load 1M transactions for 100k customers; `mkt data show`; 1M invoice lines.

Targets (issue 2): generate and load under 60 s; `mkt data show` under 2 s. Issue 15: loading 1M
invoice lines in the UCI Online Retail layout (month-first dates, cancellations, missing customer
ids) through layout recognition and mapping under 60 s (`python benchmarks/bench_data.py invoices`).
Reference measured in the same run: DuckDB's own read_csv of the same files into tables with no
validation, so the ratio shows what validation and the atomic swap cost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from data.exports import load_exports
from data.loader import load_files
from data.summary import summarize
from data.synth.generate import generate
from data.workspace import Workspace

N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "103000"))
N_LINES = int(os.environ.get("BENCH_LINES", "1000000"))


def write_invoice_lines(path: Path, n: int, seed: int = 3) -> None:
    """``n`` UCI-style invoice lines: 4 lines per invoice, 2% cancellations, 25% without a customer."""
    rng = np.random.default_rng(seed)
    invoice = 536365 + np.arange(n) // 4
    cancelled = rng.random(n // 4 + 1)[np.arange(n) // 4] < 0.02
    quantity = rng.integers(1, 25, n) * np.where(cancelled, -1, 1)
    minutes = np.sort(rng.integers(0, 365 * 24 * 60, n // 4 + 1))[np.arange(n) // 4]
    stamps = np.datetime64("2010-12-01T08:00") + minutes.astype("timedelta64[m]")
    customers = rng.integers(12000, 18000, n // 4 + 1)[np.arange(n) // 4].astype(str)
    customers = np.where(rng.random(n // 4 + 1)[np.arange(n) // 4] < 0.25, "", customers)
    table = pa.table(
        {
            "InvoiceNo": np.char.add(np.where(cancelled, "C", ""), invoice.astype(str)),
            "StockCode": rng.integers(20000, 24000, n).astype(str),
            "Description": np.full(n, "WHITE HANGING HEART T-LIGHT HOLDER"),
            "Quantity": quantity,
            "InvoiceDate": pa.array(stamps.astype("datetime64[s]")).cast(pa.string()),
            "UnitPrice": np.round(rng.gamma(2.0, 1.5, n), 2),
            "CustomerID": customers,
            "Country": np.full(n, "United Kingdom"),
        }
    )
    dates = pc.strftime(table["InvoiceDate"].cast(pa.timestamp("s")), format="%m/%d/%Y %H:%M")
    table = table.set_column(table.column_names.index("InvoiceDate"), "InvoiceDate", dates)
    pacsv.write_csv(table, path)


def invoices() -> None:
    """Load N_LINES invoice lines through layout recognition; print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "online_retail.csv"
        t0 = time.perf_counter()
        write_invoice_lines(path, N_LINES)
        t_write = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = load_exports(Workspace(root / "ws"), [path])
        t_load = time.perf_counter() - t0
    print(f"invoice lines {N_LINES:,} ({path.name}); layout {loaded.files[0].mapping.layout}")
    for note in loaded.files[0].notes:
        print(f"  {note}")
    print(f"  loaded: {', '.join(f'{k} {v:,}' for k, v in loaded.result.rows.items())}")
    print(f"{'step':<44}{'seconds':>10}{'target':>10}")
    print(f"{'write the CSV (not timed against target)':<44}{t_write:>10.2f}")
    print(f"{'recognise + map + validate + load':<44}{t_load:>10.2f}{'< 60':>10}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        gen = generate(root / "sample", N_CUSTOMERS, seed=1)
        t_gen = time.perf_counter() - t0
        ws = Workspace(root / "ws")
        t0 = time.perf_counter()
        rows = load_files(ws, gen.tables).rows
        t_load = time.perf_counter() - t0

        t0 = time.perf_counter()
        with duckdb.connect(str(root / "ref.duckdb")) as con:
            for name, path in gen.tables.items():
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}')")
        t_ref = time.perf_counter() - t0

        t0 = time.perf_counter()
        summarize(ws)
        t_show = time.perf_counter() - t0
        env = {**os.environ, "MKT_HOME": str(ws.home)}
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "agent.cli.main", "data", "show"], env=env, check=True, capture_output=True
        )
        t_show_cli = time.perf_counter() - t0

    print(
        f"customers {rows['customers']:,}, transactions {rows['transactions']:,}, "
        f"engagements {rows['engagements']:,}"
    )
    print(f"{'step':<44}{'seconds':>10}{'target':>10}{'ratio':>10}")
    print(f"{'generate (write CSV + knowledge + truth)':<44}{t_gen:>10.2f}")
    print(f"{'load with validation, atomic swap':<44}{t_load:>10.2f}{'':>10}{t_load / t_ref:>9.2f}x")
    print(f"{'  reference: duckdb read_csv, no checks':<44}{t_ref:>10.2f}")
    print(f"{'generate + load':<44}{t_gen + t_load:>10.2f}{'< 60':>10}")
    print(f"{'data show (in process)':<44}{t_show:>10.3f}{'< 2':>10}")
    print(f"{'mkt data show (new process, incl. imports)':<44}{t_show_cli:>10.3f}{'< 2':>10}")


if __name__ == "__main__":
    if sys.argv[1:] == ["invoices"]:
        invoices()
    else:
        main()
