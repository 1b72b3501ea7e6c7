"""Churn that learns from the customers table's own columns (issue 15, item 3).

A subscription business with a planted churn model over its attributes: contract type, tenure and
monthly charges. No transactions: the attributes alone must be enough.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from agent.cli.main import app
from data.loader import load_into
from data.workspace import Workspace
from tools.churn import ScoreRequest, TrainRequest, churn_features, score_churn, train_churn
from tools.churn.attributes import infer_spec

runner = CliRunner()
CONTRACTS = ("Month-to-month", "One year", "Two year")


def subscribers(n: int, seed: int) -> tuple[pd.DataFrame, float]:
    """Customers with a planted logistic churn model, and that model's own ROC AUC."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(CONTRACTS, n, p=[0.55, 0.25, 0.2])
    tenure = rng.integers(0, 72, n)
    monthly = np.round(rng.uniform(20, 110, n), 2)
    total = np.where(tenure == 0, " ", np.round(monthly * tenure, 2).astype(str))
    logit = -1.0 + 1.6 * (contract == "Month-to-month") - 0.045 * tenure + 0.015 * (monthly - 65)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "customer_id": [f"S{i:05d}" for i in range(n)],
            "first_name": rng.choice(["Ana", "Ben", "Carla", "Dev"], n),
            "Contract": contract,
            "tenure": tenure,
            "MonthlyCharges": monthly,
            "TotalCharges": total,
            "PaperlessBilling": rng.choice(["Yes", "No"], n),
            "notes": [f"called on {i}" for i in range(n)],
            "StartDate": [date(2026, 6, 1) - timedelta(days=int(30.4 * t)) for t in tenure],
            "Churn": np.where(churn, "Yes", "No"),
        }
    )
    return frame, float(roc_auc_score(churn, logit))


@pytest.fixture(scope="module")
def subscription(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    frame, planted = subscribers(4000, seed=4)
    path = tmp_path_factory.mktemp("subs") / "subscribers.csv"
    frame.to_csv(path, index=False)
    return path, planted


@pytest.fixture
def con(subscription: tuple[Path, float]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    load_into(connection, {"customers": subscription[0]})
    return connection


def test_the_spec_reads_attributes_the_way_a_marketer_would(con: duckdb.DuckDBPyConnection) -> None:
    spec = infer_spec(con, label="Churn")
    assert spec.categorical["Contract"] == list(CONTRACTS)
    assert "tenure" in spec.numeric and "MonthlyCharges" in spec.numeric
    assert spec.numeric_text == ["TotalCharges"]  # numbers with a few blanks
    assert spec.dates == ["StartDate"]
    assert spec.skipped["first_name"] == "personal data"
    assert "distinct values" in spec.skipped["notes"]
    assert "Churn" not in spec.numeric + spec.numeric_text + list(spec.categorical)


def test_attributes_alone_train_a_model_at_the_planted_quality(
    con: duckdb.DuckDBPyConnection, subscription: tuple[Path, float], tmp_path: Path
) -> None:
    _, planted = subscription
    result = train_churn(con, Workspace(tmp_path / "ws"), TrainRequest(label="Churn", seed=1))
    assert "Contract: Month-to-month" in result.features and "TotalCharges (missing)" in result.features
    assert {b.model for b in result.baselines} == {"sklearn logistic regression", "sklearn gradient boosting"}
    # 800 holdout customers: the AUC's standard error is about 0.017.
    assert result.holdout_roc_auc == pytest.approx(planted, abs=0.05)
    best = max(b.holdout_roc_auc for b in result.baselines)
    assert result.holdout_roc_auc >= best - 0.02
    assert result.holdout_pr_auc > result.base_rate + 0.15


def test_reasons_use_the_attribute_names(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    train_churn(con, workspace, TrainRequest(label="Churn", seed=2))
    scores = score_churn(con, workspace, ScoreRequest(method="model", reasons=2))
    top = [c for c in scores.top(100) if c.top_features]
    reasons = {f.feature for c in top for f in c.top_features}
    assert "Contract: Month-to-month" in reasons
    assert reasons <= set(churn_features(con, label="Churn").features.columns)


def test_scoring_uses_the_saved_encoding(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    trained = train_churn(con, workspace, TrainRequest(label="Churn", seed=3))
    fresh, _ = subscribers(50, seed=9)
    fresh.loc[0, "Contract"] = "Three year"  # a level the model never saw: no indicator is on
    fresh = fresh.drop(columns=["Churn"])
    path = tmp_path / "fresh.csv"
    fresh.to_csv(path, index=False)
    with duckdb.connect() as other:
        load_into(other, {"customers": path})
        scores = score_churn(other, workspace, ScoreRequest(method="model", reasons=0))
    assert scores.n_customers == 50
    assert all(0 < c.churn_probability < 1 for c in scores.customers)
    assert len(trained.features) == len(set(trained.features))


def test_cli_reports_model_and_baselines(subscription: tuple[Path, float]) -> None:
    path, _ = subscription
    result = runner.invoke(app, ["churn", "train", "--customers", str(path), "--label", "Churn", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["chosen"] in ("gradient_boosting", "logistic_regression", "blend")
    assert len(report["baselines"]) == 2 and "Contract" in report["attributes"]
    human = runner.invoke(app, ["churn", "train", "--customers", str(path), "--label", "Churn"])
    assert "sklearn gradient boosting" in human.output and "not used: first_name" in human.output
