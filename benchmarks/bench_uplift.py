"""Uplift targeting quality: Qini of the uplift ranking vs churn-risk targeting vs random, held out.

Usage: .venv/bin/python benchmarks/bench_uplift.py [--customers 20000] [--seeds 5 6 7]

For each seed, generates a workspace (its two win-back tests hold out half their customers as a
randomised control), trains the churn model and the uplift model (``mkt churn train`` /
``mkt uplift train``), and ranks the uplift model's held-out customer-campaigns four ways: by
predicted uplift, by churn risk (the usual win-back targeting), at random, and by the planted true
uplift (the ceiling, same run). Each ranking's Qini coefficient is reported on the observed
outcomes (treated minus control conversions) and on the planted truth (sum of true uplift),
with the share of the persuadable audience that is planted persuadable / sleeping dog, and the
time to score every customer with the uplift model against churn scoring in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data.loader import load_into
from data.synth.generate import generate
from data.workspace import Workspace
from tools.churn import ScoreRequest, TrainRequest, score_churn, store, train_churn
from tools.uplift import UpliftScoreParams, UpliftTrainParams, qini, score_uplift, train_uplift
from tools.uplift.data import uplift_rows
from tools.uplift.train import control_path, customer_split, model_path, predict


def holdout_rankings(folder: Path, n: int, seed: int) -> dict[str, dict[str, float]]:
    """Qini (observed and true) of each ranking on the uplift model's holdout, one generated workspace."""
    data = generate(folder / "data", n, seed=seed, file_format="parquet")
    con = duckdb.connect()
    load_into(con, dict(data.tables))
    workspace = Workspace(folder / "ws")
    train_churn(con, workspace, TrainRequest())
    params = UpliftTrainParams()
    train_uplift(con, workspace, params)
    start = time.perf_counter()
    churn = score_churn(con, workspace, ScoreRequest(method="model", reasons=0))
    churn_s = time.perf_counter() - start
    risk = pd.Series({c.customer_id: c.churn_probability for c in churn.customers})
    rows = uplift_rows(con, [], sensitive=None, use_sensitive=False, exclude=params.exclude)
    hold = customer_split(rows, params.holdout_share, params.seed)
    main = store.load(model_path(workspace, params.name))
    control = store.load(control_path(workspace, params.name))
    predicted, _ = predict(str(main.metadata["method"]), main.model, control.model, rows.features[hold])
    truth = pd.read_csv(folder / "data" / "truth" / "uplift.csv").set_index("customer_id")
    channel = {c.campaign_id: c.channel for c in data.truth.uplift.campaigns} if data.truth.uplift else {}
    ids, campaigns = rows.customer_id[hold].astype(str), rows.campaign_id[hold]
    true_uplift = np.array(
        [truth.at[c, f"uplift_{channel[k]}"] for c, k in zip(ids, campaigns, strict=True)], dtype=np.float64
    )
    scores = {
        "uplift model": predicted,
        "churn risk": risk.reindex(ids).to_numpy(np.float64),
        "random": np.random.default_rng(seed).random(ids.size),
        "planted uplift (ceiling)": true_uplift,
    }
    t, y = rows.treated[hold], rows.converted[hold]
    out = {
        name: {
            "observed": qini.qini_coefficient(s, t, y, seed=seed),
            "true": qini.true_qini(s, true_uplift, seed=seed),
        }
        for name, s in scores.items()
    }
    start = time.perf_counter()
    scored = score_uplift(con, workspace, UpliftScoreParams(channel="email")).frame
    uplift_s = time.perf_counter() - start
    kinds = scored.merge(truth.reset_index(), on="customer_id")
    chosen = kinds[kinds["kind"] == "persuadable"]["uplift_type"].value_counts(normalize=True)
    base = truth["uplift_type"].value_counts(normalize=True)
    out["persuadable audience"] = {
        "persuadable": float(chosen.get("persuadable", 0.0)),
        "sleeping dog": float(chosen.get("sleeping dog", 0.0)),
        "base persuadable": float(base["persuadable"]),
        "base sleeping dog": float(base["sleeping dog"]),
        "holdout rows": float(hold.sum()),
    }
    out["timing"] = {"uplift score s": uplift_s, "churn score s": churn_s}
    con.close()
    return out


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[5, 6, 7])
    args = parser.parse_args()
    results = []
    for seed in args.seeds:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            results.append(holdout_rankings(Path(tmp), args.customers, seed))
        print(f"seed {seed}: {time.perf_counter() - start:.1f} s")
    print(
        f"\nQini coefficient on the uplift model's holdout ({args.customers:,} customers, seeds {args.seeds})"
    )
    print(f"{'ranking':<26} {'observed (mean)':>16} {'per seed':>30} {'true (mean)':>12}")
    for name in ("uplift model", "churn risk", "random", "planted uplift (ceiling)"):
        observed = [r[name]["observed"] for r in results]
        true = [r[name]["true"] for r in results]
        per_seed = " ".join(f"{v:.4f}" for v in observed)
        print(f"{name:<26} {np.mean(observed):>16.4f} {per_seed:>30} {np.mean(true):>12.4f}")
    audience = [r["persuadable audience"] for r in results]
    print("\nPersuadable audience (email), planted type shares, mean over seeds")
    for key in ("persuadable", "sleeping dog", "base persuadable", "base sleeping dog"):
        print(f"  {key:<18} {np.mean([a[key] for a in audience]):.1%}")
    rows = ", ".join(f"{a['holdout rows']:,.0f}" for a in audience)
    print(f"  holdout rows per seed: {rows}")
    timing = [r["timing"] for r in results]
    print(f"\nScoring all {args.customers:,} customers (mean over seeds, features included)")
    print(f"  uplift model (two classifiers): {np.mean([t['uplift score s'] for t in timing]):.2f} s")
    print(f"  churn model (reference, same run): {np.mean([t['churn score s'] for t in timing]):.2f} s")


if __name__ == "__main__":
    main()
