"""Churn scoring throughput (target: at least 200,000 customers per second) and model quality.

Usage: .venv/bin/python benchmarks/bench_churn.py [--customers 100000] [--score-rows 1000000]

Trains both candidate families on generated customers, then times calibrated scoring of
``--score-rows`` feature rows (the training features tiled), with and without per-customer reasons,
against a reference measured in the same run: the planted logistic formula in plain numpy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from data.loader import load_into
from data.synth.generate import generate
from data.workspace import Workspace
from tools.churn import ScoreRequest, TrainRequest, churn_features, score_churn, train_churn
from tools.churn.score import predict, top_effects
from tools.churn.train import candidates

TARGET = 200_000.0


def timed(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = generate(Path(tmp) / "data", args.customers, args.seed, file_format="parquet")
        con = duckdb.connect()
        load_into(con, data.tables)
        workspace = Workspace(Path(tmp) / "ws")
        t_features, features = timed(lambda: churn_features(con, label="churned"), 1)
        t_train, trained = timed(lambda: train_churn(con, workspace, TrainRequest()), 1)
        t_e2e, scored = timed(lambda: score_churn(con, workspace, ScoreRequest(reasons=3)), 1)

    X = features.features.to_numpy(np.float64)
    y = features.labels
    tiles = int(np.ceil(args.score_rows / X.shape[0]))
    big = np.tile(X, (tiles, 1))[: args.score_rows]
    truth = data.truth.churn
    names = list(features.features.columns)
    coef = np.array([truth.coefficients.get(k, 0.0) / truth.stds.get(k, 1.0) for k in names])
    centre = np.array([truth.means.get(k, 0.0) for k in names])

    def planted() -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(truth.intercept + (big - centre) @ coef)))

    t_ref, _ = timed(planted)
    rows = [("reference: planted logistic formula, numpy", t_ref, args.score_rows)]
    n_fit = min(X.shape[0], 60_000)
    half = n_fit // 2
    for name, model in candidates(args.seed).items():
        model.fit(X[:half], y[:half])
        calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(
            X[half:n_fit], y[half:n_fit]
        )
        t_score, _ = timed(lambda m=calibrated: predict(m, big))
        rows.append((f"{name}, calibrated P(churn)", t_score, args.score_rows))
        sub = big[: args.score_rows // 10]
        t_reasons, _ = timed(
            lambda m=calibrated, s=sub: top_effects(m, s, np.median(X, axis=0), predict(m, s), 3), 1
        )
        rows.append((f"{name}, P(churn) + top-3 reasons", t_reasons, sub.shape[0]))
    rows.append(("score_churn end to end (DuckDB features, reasons, rows)", t_e2e, scored.n_customers))

    print(
        f"\n{args.customers:,} generated customers (seed {args.seed}); features {t_features:.2f} s, "
        f"train (both families, calibrate, holdout, save) {t_train:.2f} s"
    )
    print(
        f"chosen {trained.chosen}; holdout ROC AUC {trained.holdout_roc_auc:.4f} (planted model's own AUC "
        f"{truth.planted_auc:.4f}), PR AUC {trained.holdout_pr_auc:.4f}, base rate {trained.base_rate:.3f}\n"
    )
    print(
        f"| {'scoring':<56} | {'rows':>9} | {'seconds':>8} | {'rows/s':>11} | {'vs target':>9} | {'vs reference':>12} |"
    )
    print(f"|{'-' * 58}|{'-' * 11}|{'-' * 10}|{'-' * 13}|{'-' * 11}|{'-' * 14}|")
    ref_rate = args.score_rows / t_ref
    for name, seconds, n in rows:
        rate = n / seconds
        print(
            f"| {name:<56} | {n:>9,} | {seconds:8.3f} | {rate:>11,.0f} "
            f"| {rate / TARGET:8.1f}x | {rate / ref_rate:11.3f}x |"
        )


if __name__ == "__main__":
    main()
