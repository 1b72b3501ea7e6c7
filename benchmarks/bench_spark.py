"""Benchmark: segment + CLV + churn scoring on DuckDB and on Spark local[2], and where Spark pays.

Usage: python benchmarks/bench_spark.py [--transactions 10000000] [--customers 1000000]
           [--master local[2]] [--small 0.1] [--workdir DIR]

Generates a transaction log with vectorised numpy (written to Parquet), loads it into a DuckDB
workspace, trains a churn model once (Spark, on a 20,000-customer sample of the same data), then
times each step on both engines over the same rows: the DuckDB connection against the workspace
and a Spark source reading the Parquet files (with Spark's validation pass timed on its own).
Both runs use the same cores (DuckDB's threads = the master's cores). Everything is measured in
this run; the same steps at ``--small`` of the size give each engine's fixed cost and per-row
cost (t = a + b n), from which the table's crossover is computed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.engine.session import local_cores, spark_session
from data.engine.source import open_spark_source
from data.loader import load_files
from data.workspace import Workspace
from tools.churn import ScoreRequest, TrainRequest, score_churn, train_churn
from tools.clv import ClvRequest, calculate_clv
from tools.segment import SegmentParams, segment_customers

END = np.datetime64("2026-06-30T23:00:00", "s")
DAYS = 730


def generate(folder: Path, n_tx: int, n_customers: int, seed: int = 3) -> dict[str, Path]:
    """Customers (id, signup, consent, churn label) and transactions, as Parquet, vectorised."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("C", np.char.zfill(np.arange(n_customers).astype(str), 8))
    activity = rng.gamma(0.8, 1.0, n_customers)
    who = rng.choice(n_customers, size=n_tx, p=activity / activity.sum())
    first = rng.integers(0, DAYS * 86400, n_customers)  # seconds before END of the first purchase
    offset = (rng.uniform(size=n_tx) * first[who]).astype(np.int64)
    ts = END - first[who].astype("timedelta64[s]") + offset.astype("timedelta64[s]")
    amount = np.round(rng.gamma(2.0, 30.0 * rng.uniform(0.5, 2.0, n_customers)[who]), 2)
    order = np.argsort(ts, kind="stable")
    tx = pd.DataFrame({"customer_id": ids[who][order], "ts": ts[order], "amount": amount[order]})
    last = pd.Series(ts).groupby(who).max()
    recency = np.full(n_customers, float(DAYS))
    recency[last.index.to_numpy()] = (END - last.to_numpy()).astype("timedelta64[D]").astype(float)
    churned = rng.uniform(size=n_customers) < 1.0 / (1.0 + np.exp(-(recency - 200.0) / 60.0))
    signup = (END - first.astype("timedelta64[s]")).astype("datetime64[D]")
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": signup,
            "consent_email": rng.uniform(size=n_customers) < 0.7,
            "consent_sms": rng.uniform(size=n_customers) < 0.4,
            "churned": churned,
        }
    )
    paths = {"customers": folder / "customers.parquet", "transactions": folder / "transactions.parquet"}
    customers.to_parquet(paths["customers"], index=False)
    tx.to_parquet(paths["transactions"], index=False, row_group_size=1_000_000)
    return paths


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run(files: dict[str, Path], home: Path, master: str) -> dict[str, tuple[float, float]]:
    """Seconds per step on (DuckDB, Spark) for one data size.

    The churn model is trained once, by Spark on a 20,000-customer sample (not a timed step of
    either engine), and then scores everyone on both.
    """
    workspace = Workspace(home)
    load_files(workspace, dict(files))
    trainer = open_spark_source(workspace, dict(files), master=master)
    train_churn(trainer, workspace, TrainRequest(label="churned", seed=7, sample=20_000))
    trainer.close()
    seg = SegmentParams(k=5, seed=7)
    clv = ClvRequest(method="probabilistic")
    churn = ScoreRequest(method="model", reasons=0)
    times: dict[str, list[float]] = {}
    con = workspace.connect(read_only=True)
    con.execute(f"SET threads = {local_cores(master)}")
    try:
        times["segment"] = [timed(lambda: segment_customers(con, seg))[0]]
        times["CLV (BG/NBD + Gamma-Gamma)"] = [timed(lambda: calculate_clv(con, clv))[0]]
        times["churn scoring (model)"] = [timed(lambda: score_churn(con, workspace, churn))[0]]
    finally:
        con.close()
    t_open, source = timed(lambda: open_spark_source(workspace, dict(files), master=master))
    times["open + validate inputs"] = [0.0, t_open]
    times["segment"].append(timed(lambda: segment_customers(source, seg))[0])
    times["CLV (BG/NBD + Gamma-Gamma)"].append(timed(lambda: calculate_clv(source, clv))[0])
    times["churn scoring (model)"].append(timed(lambda: score_churn(source, workspace, churn))[0])
    source.close()
    return {k: (v[0], v[1]) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--small", type=float, default=0.1, help="Second, smaller run (share of the size).")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-spark-"))
    cores = local_cores(args.master)
    t0 = time.perf_counter()
    big = generate(root / "big", args.transactions, args.customers)
    small_tx, small_cu = int(args.transactions * args.small), int(args.customers * args.small)
    small = generate(root / "small", small_tx, small_cu, seed=4)
    print(f"generated {args.transactions:,} + {small_tx:,} transactions in {time.perf_counter() - t0:.1f} s")
    spark_session(args.master)  # JVM start-up, once per process: reported, not in the steps
    t_jvm = time.perf_counter() - t0
    small_t = run(small, root / "small-ws", args.master)
    big_t = run(big, root / "big-ws", args.master)
    print(f"\nsame run, {cores} cores each (DuckDB threads = Spark {args.master}); setup {t_jvm:.1f} s")
    print(f"{'step':32} {'DuckDB s':>9} {'Spark s':>9} {'DuckDB rows/s/core':>19} {'Spark rows/s/core':>18}")
    n = args.transactions
    total = [0.0, 0.0]
    for step, (duck, spark) in big_t.items():
        total = [total[0] + duck, total[1] + spark]
        rate_d = f"{n / duck / cores:>19,.0f}" if duck else f"{'-':>19}"
        print(f"{step:32} {duck:9.1f} {spark:9.1f} {rate_d} {n / spark / cores:>18,.0f}")
    print(
        f"{'total':32} {total[0]:9.1f} {total[1]:9.1f} {n / total[0] / cores:>19,.0f} {n / total[1] / cores:>18,.0f}"
    )
    print(
        f"\n(at {small_tx:,} transactions: DuckDB {sum(v[0] for v in small_t.values()):.1f} s, "
        f"Spark {sum(v[1] for v in small_t.values()):.1f} s)"
    )
    crossover(small_tx, n, small_t, big_t, cores)


def crossover(
    n_small: int,
    n_big: int,
    small_t: dict[str, tuple[float, float]],
    big_t: dict[str, tuple[float, float]],
    cores: int,
) -> None:
    """Fixed and per-row cost of each engine (two sizes), and the size where Spark catches up."""
    fit = {}
    for i, name in enumerate(("DuckDB", "Spark")):
        t1 = sum(v[i] for v in small_t.values())
        t2 = sum(v[i] for v in big_t.values())
        per_row = max((t2 - t1) / (n_big - n_small), 1e-12)
        fit[name] = (t1 - per_row * n_small, per_row)
        print(f"{name}: fixed {fit[name][0]:.1f} s + {per_row * 1e6:.2f} s per million rows on {cores} cores")
    (a_d, b_d), (a_s, b_s) = fit["DuckDB"], fit["Spark"]
    if b_s < b_d:
        print(f"crossover on these {cores} cores: {(a_s - a_d) / (b_d - b_s):,.0f} transactions")
    else:
        print(
            f"no crossover on one machine: Spark costs {b_s / b_d:.1f}x DuckDB per row on the same "
            f"{cores} cores; it pays once the data outgrow one machine, at the cores a cluster adds: "
            f"Spark on {max(1.0, b_s / b_d) * cores:.0f}+ cores matches DuckDB on {cores}"
        )


if __name__ == "__main__":
    main()
