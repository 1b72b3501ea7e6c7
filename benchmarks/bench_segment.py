"""Benchmark: RFM + segmentation of 1,000,000 customers (target: under 30 s).

Usage: python benchmarks/bench_segment.py [--customers N] [--workspace DIR]
Generates the synthetic data (seed 3) into the workspace folder unless it already holds it.
Reference, measured in the same run: one plain scikit-learn KMeans (k=5, n_init=4, all threads)
on the full feature matrix, i.e. a single fit with no k search.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sklearn.cluster import KMeans

from data.features import transaction_summary
from data.loader import load_files
from data.synth.generate import generate
from data.workspace import Workspace
from tools.segment import SegmentParams, segment_customers
from tools.segment.features import build_features


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()
    home = args.workspace or Path(tempfile.mkdtemp(prefix="bench-segment-"))
    workspace = Workspace(home)
    if not workspace.has_table("transactions"):
        data = generate(home / "sample", args.customers, seed=3, file_format="parquet")
        load_files(workspace, {k: v for k, v in data.tables.items() if k != "engagements"})
    con = workspace.connect(read_only=True)
    n = con.execute("SELECT count(*) FROM customers").fetchone()
    rows: list[tuple[str, float]] = []

    start = time.perf_counter()
    transaction_summary(con)
    rows.append(("RFM SQL (transaction_summary)", time.perf_counter() - start))
    start = time.perf_counter()
    features = build_features(con, None, [])
    rows.append(("RFM features (SQL + log + standardise)", time.perf_counter() - start))
    start = time.perf_counter()
    result = segment_customers(con, SegmentParams(seed=7))
    total = time.perf_counter() - start
    rows.append((f"mkt segment, k chosen by silhouette (k={result.report.k})", total))
    start = time.perf_counter()
    fixed = segment_customers(con, SegmentParams(k=5, seed=7))
    rows.append(("mkt segment, k=5 given", time.perf_counter() - start))
    start = time.perf_counter()
    KMeans(n_clusters=5, n_init=4, random_state=7).fit(features.matrix)
    reference = time.perf_counter() - start
    con.close()

    print(
        f"customers: {n[0] if n else 0:,}  segments (k search): {result.report.k}  (k=5 run: {fixed.report.k})"
    )
    print(f"{'step':<52} {'seconds':>8} {'vs reference':>13}")
    for name, seconds in rows:
        print(f"{name:<52} {seconds:>8.2f} {seconds / reference:>12.2f}x")
    print(f"{'reference: sklearn KMeans k=5 n_init=4, full matrix':<52} {reference:>8.2f} {1.0:>12.2f}x")
    print(f"target: RFM + segmentation under 30 s -> {'PASS' if total < 30 else 'FAIL'} ({total:.1f} s)")
    for note in result.report.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
