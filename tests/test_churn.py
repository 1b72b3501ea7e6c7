"""The churn scorer against the generator's planted churn model, plus persistence and bad inputs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import duckdb
import numpy as np
import pytest
import skops.io as sio
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_into
from data.synth.churn import roc_auc
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.churn import ScoreRequest, TrainRequest, churn_features, score_churn, store, train_churn

runner = CliRunner()


@pytest.fixture(scope="module")
def large_con(large_sample: GeneratedData) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    load_into(con, large_sample.tables)
    yield con
    con.close()


@pytest.fixture(scope="module")
def trained(
    large_con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, object]:
    workspace = Workspace(tmp_path_factory.mktemp("churn-ws"))
    return workspace, train_churn(large_con, workspace, TrainRequest(label="churned", seed=3))


def test_features_are_the_planted_definitions(
    large_sample: GeneratedData, large_con: duckdb.DuckDBPyConnection
) -> None:
    truth = large_sample.truth.churn
    data = churn_features(large_con, datetime.combine(large_sample.truth.as_of, time(23)), label="churned")
    assert data.labels is not None and data.labels.mean() == pytest.approx(truth.base_rate)
    for name, mean in truth.means.items():
        assert data.features[name].mean() == pytest.approx(mean, rel=1e-6), name
    logit = sum(
        c * (data.features[k] - truth.means[k]) / truth.stds[k] for k, c in truth.coefficients.items()
    )
    # The planted model applied to our features ranks customers exactly as the generator did.
    assert roc_auc(data.labels, np.asarray(logit, dtype=np.float64)) == pytest.approx(
        truth.planted_auc, abs=1e-9
    )


def test_trained_model_is_close_to_the_planted_auc(large_sample: GeneratedData, trained: tuple) -> None:
    workspace, result = trained
    planted = large_sample.truth.churn.planted_auc
    # Holdout of 4,000 customers: the AUC's standard error is about 0.006; 0.02 is ~3 of them.
    assert result.holdout_roc_auc == pytest.approx(planted, abs=0.02)
    assert result.holdout_pr_auc > result.base_rate + 0.2  # far better than guessing
    assert result.chosen in {c.model for c in result.candidates}
    best = max(result.candidates, key=lambda c: c.validation_auc)
    assert result.chosen == best.model
    assert Path(result.path).exists() and Path(result.path).parent == workspace.models_dir
    saved = store.load(Path(result.path))
    assert saved.features == result.features and saved.metadata["label"] == "churned"
    assert saved.metadata["holdout_roc_auc"] == pytest.approx(result.holdout_roc_auc)


def test_scores_are_calibrated_and_explain_themselves(
    large_sample: GeneratedData, large_con: duckdb.DuckDBPyConnection, trained: tuple
) -> None:
    workspace, _ = trained
    scores = score_churn(large_con, workspace, ScoreRequest(method="auto", reasons=2))
    assert scores.method == "model" and scores.n_customers == large_sample.truth.n_customers
    prob = np.array([c.churn_probability for c in scores.customers])
    assert np.all((prob > 0) & (prob < 1))
    # Calibrated: predicted and observed churn agree overall and within risk deciles.
    labels = churn_features(large_con, label="churned").labels
    assert labels is not None
    assert prob.mean() == pytest.approx(labels.mean(), abs=0.02)
    deciles = np.argsort(prob).reshape(10, -1)
    for rows in deciles:
        assert prob[rows].mean() == pytest.approx(labels[rows].mean(), abs=0.06)
    # Recency carries the planted model's largest weight: it is the usual top reason among the riskiest.
    reasons = Counter(c.top_features[0].feature for c in scores.top(200) if c.top_features)
    assert reasons.most_common(1)[0][0] == "log_recency_days"
    assert all(
        len(c.top_features) <= 2 and all(f.effect > 0 for f in c.top_features) for c in scores.customers
    )


def test_without_a_model_churn_is_one_minus_p_alive(
    large_sample: GeneratedData, large_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    scores = score_churn(large_con, Workspace(tmp_path / "empty"), ScoreRequest())
    assert scores.method == "bgnbd" and scores.model is None and scores.notes
    prob = {c.customer_id: c.churn_probability for c in scores.customers}
    data = churn_features(large_con, label="churned")
    assert data.labels is not None
    ordered = np.array([prob[c] for c in data.customer_id])
    assert np.all((ordered >= 0) & (ordered <= 1))
    assert roc_auc(data.labels, ordered) > 0.65  # useful without any label, below a supervised model


def test_model_features_must_match_the_data(sample_data: GeneratedData, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    with duckdb.connect() as con:
        load_into(con, sample_data.tables)
        train_churn(con, workspace, TrainRequest())
    with duckdb.connect() as con:  # same customers, but no engagements table: no open/click rates
        load_into(con, {k: v for k, v in sample_data.tables.items() if k != "engagements"})
        with pytest.raises(ToolError, match=r"missing: \['open_rate', 'click_rate'\]"):
            score_churn(con, workspace, ScoreRequest(method="model"))
        bgnbd = score_churn(con, workspace, ScoreRequest(method="bgnbd"))
        assert bgnbd.n_customers == 3000


def test_only_trusted_types_are_loaded(tmp_path: Path) -> None:
    evil = tmp_path / "evil.skops"
    sio.dump({"model": eval, "features": ["x"], "metadata": {}}, evil)
    with pytest.raises(ToolError, match="untrusted types builtins.eval"):
        store.load(evil)
    corrupt = tmp_path / "corrupt.skops"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(ToolError, match="not a readable skops model"):
        store.load(corrupt)
    with pytest.raises(ToolError, match="mkt churn train"):
        store.load(tmp_path / "absent.skops")


def test_bad_labels_give_clear_errors(sample_data: GeneratedData, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    with duckdb.connect() as con:
        load_into(con, sample_data.tables)
        with pytest.raises(ToolError, match="no label column 'left'"):
            train_churn(con, workspace, TrainRequest(label="left"))
        con.execute("UPDATE customers SET churned = false")
        with pytest.raises(ToolError, match="0 churned and 3000 retained"):
            train_churn(con, workspace, TrainRequest())
        con.execute("ALTER TABLE customers ADD COLUMN status VARCHAR")
        con.execute("UPDATE customers SET status = 'gone'")
        with pytest.raises(ToolError, match="must be boolean"):
            train_churn(con, workspace, TrainRequest(label="status"))
    assert not workspace.models_dir.exists() or not any(workspace.models_dir.iterdir())


def test_cli_train_then_score(sample_data: GeneratedData, tmp_path: Path) -> None:
    files = [f"--{k}={v}" for k, v in sample_data.tables.items()]
    missing = runner.invoke(app, ["churn", "score", "--method", "model", *files])
    assert missing.exit_code == 4 and "mkt churn train" in missing.output
    trained = runner.invoke(app, ["churn", "train", "--label", "churned", "--json", *files])
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.stdout)
    assert 0.8 < report["holdout_roc_auc"] <= 1 and report["features"][0] == "log_recency_days"
    plot, out = tmp_path / "risk.png", tmp_path / "scores.csv"
    scored = runner.invoke(
        app, ["churn", "score", "--json", "--top", "5", "--plot", str(plot), "--output", str(out), *files]
    )
    assert scored.exit_code == 0, scored.output
    payload = json.loads(scored.stdout)
    assert payload["method"] == "model" and len(payload["top"]) == 5
    assert payload["top"][0]["churn_probability"] >= payload["top"][4]["churn_probability"]
    assert plot.read_bytes()[:4] == b"\x89PNG" and len(out.read_text().splitlines()) == 3001
    human = runner.invoke(app, ["churn", "score", "--method", "bgnbd", "--top", "3", *files])
    assert human.exit_code == 0 and "Top 3 churn risks" in human.output and "P(alive)" in human.output
    for cmd in ("train", "score"):
        assert runner.invoke(app, ["churn", cmd, "--help"]).exit_code == 0
