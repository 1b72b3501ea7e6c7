"""Data layer speed: generate + load 1M transactions for 100k customers; `mkt data show`.

Targets (issue 2): generate and load under 60 s; `mkt data show` under 2 s.
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

from data.loader import load_files
from data.summary import summarize
from data.synth.generate import generate
from data.workspace import Workspace

N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "103000"))


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
    main()
