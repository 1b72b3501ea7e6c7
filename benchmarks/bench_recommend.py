"""Recommendation speed: next products for 100,000 customers, and the holdout evaluation.

Target (issue 8): recommendations for 100,000 customers in under 60 s. Reference measured in the
same run: the popularity baseline (top-k most bought, same just-bought exclusions) for the same
customers, as plain arrays; the ratio shows what the co-purchase model and the typed output cost.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np

from data.features import data_end
from data.loader import load_into
from data.synth.generate import generate
from tools.recommend import EvaluateParams, evaluate_holdout
from tools.recommend.api import recommend_customers
from tools.recommend.matrix import load_history, similarity, top_k

N_CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "100000"))
K = 10


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        gen = generate(Path(tmp) / "sample", N_CUSTOMERS, seed=2, file_format="parquet")
        con = duckdb.connect(":memory:")
        load_into(con, gen.tables)
    n_tx = con.execute("SELECT count(*) FROM transactions").fetchone()
    ids = [r[0] for r in con.execute("SELECT customer_id FROM customers ORDER BY customer_id").fetchall()]

    t0, c0 = time.perf_counter(), time.process_time()
    history = load_history(con, data_end(con) + timedelta(microseconds=1), 4.0)
    sim = similarity(history)
    recs = recommend_customers(history, sim, ids, K)
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
    assert len(recs) == len(ids)

    t0 = time.perf_counter()
    rows = history.customers.get_indexer(ids)
    popular = np.broadcast_to(history.popularity, (rows.size, history.popularity.size)).copy()
    top_k(popular, history.just_bought[rows], K, history.popularity)
    t_ref = time.perf_counter() - t0

    t0 = time.perf_counter()
    holdout = evaluate_holdout(con, EvaluateParams(holdout_weeks=13, k=K))
    t_eval = time.perf_counter() - t0

    print(
        f"customers {len(ids):,}, transactions {n_tx[0] if n_tx else 0:,}, products {len(history.products)}"
    )
    print(f"{'step':<58}{'seconds':>10}{'target':>10}{'ratio':>10}")
    print(
        f"{'recommend top-10 for every customer (load, model, output)':<58}{t_ours:>10.2f}{'< 60':>10}"
        f"{t_ours / t_ref:>9.1f}x"
    )
    print(f"{'  CPU seconds of the same (2 shared cores)':<58}{c_ours:>10.2f}")
    print(f"{'  reference: popularity top-10, same exclusions (arrays)':<58}{t_ref:>10.2f}")
    print(f"{'holdout evaluation, both methods (13 weeks)':<58}{t_eval:>10.2f}")
    print(
        f"hit-rate@{K} on {holdout.customers:,} customers: co-purchase {holdout.hit_rate:.1%}, "
        f"popularity {holdout.baseline_hit_rate:.1%} (x{holdout.lift:.2f})"
    )


if __name__ == "__main__":
    main()
