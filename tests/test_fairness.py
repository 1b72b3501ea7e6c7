"""Fair targeting: sensitive attributes stay out of the models unless opted in; four-fifths check."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.loader import load_files, load_into
from data.sensitive import DEFAULT_SENSITIVE, is_sensitive, sensitive_columns
from data.settings import load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tools.audience import audience_makeup
from tools.churn import TrainRequest, train_churn
from tools.churn.attributes import infer_spec
from tools.uplift.data import uplift_rows


def test_sensitive_terms_match_whole_words_of_column_names() -> None:
    for column in ("gender", "Gender", "customer_age", "SeniorCitizen", "date_of_birth", "Marital Status"):
        assert is_sensitive(column), column
    for column in ("usage", "page_views", "country", "tenure_days", "Dependents", "stage"):
        assert not is_sensitive(column), column
    assert is_sensitive("household_income", ["income"])
    assert is_sensitive("gender", ["income"]), "a configured term adds to the defaults, never replaces them"
    assert sensitive_columns(["plan", "Age", "sex", "usage"]) == ["Age", "sex"]
    assert is_sensitive("age", []), "an empty list means the default list"


def test_the_setting_takes_a_comma_list_and_defaults_when_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().sensitive == list(DEFAULT_SENSITIVE)
    monkeypatch.setenv("MKT_SENSITIVE", "gender, religion")
    assert load_settings().sensitive == ["gender", "religion"]
    monkeypatch.setenv("MKT_SENSITIVE", " ")
    assert load_settings().sensitive == list(DEFAULT_SENSITIVE)


def _with_sensitive(sample: GeneratedData, folder: Path) -> dict[str, Path]:
    """The sample's tables with gender, age and a senior flag added to the customers (seeded)."""
    customers = pd.read_csv(sample.tables["customers"])
    rng = np.random.default_rng(3)
    customers["gender"] = rng.choice(
        ["female", "male", "non-binary"], size=len(customers), p=[0.5, 0.45, 0.05]
    )
    customers["age"] = rng.integers(18, 80, size=len(customers))
    customers["SeniorCitizen"] = customers["age"] >= 65
    path = folder / "customers.csv"
    customers.to_csv(path, index=False)
    return {**sample.tables, "customers": path}


def test_churn_and_uplift_leave_sensitive_attributes_out_unless_opted_in(
    sample_data: GeneratedData, tmp_path: Path
) -> None:
    con = duckdb.connect()
    load_into(con, _with_sensitive(sample_data, tmp_path))
    spec = infer_spec(con, label="churned")
    for column in ("gender", "age", "SeniorCitizen"):
        assert spec.skipped[column].startswith("sensitive attribute"), column
    assert not {"gender: female", "age", "SeniorCitizen"} & set(spec.feature_names())
    assert "country: US" in spec.feature_names()
    opted = infer_spec(con, label="churned", use_sensitive=True)
    assert {"gender: female", "age", "SeniorCitizen"} <= set(opted.feature_names())
    more = infer_spec(con, label="churned", sensitive=["country"])
    assert {"country", "gender", "age"} <= set(more.skipped), "MKT_SENSITIVE adds to the default list"

    workspace = Workspace(tmp_path / "ws")
    fair = train_churn(con, workspace, TrainRequest(name="fair"))
    assert not {"gender: female", "age", "SeniorCitizen"} & set(fair.features)
    assert fair.skipped_attributes["gender"].startswith("sensitive attribute")
    opted_in = train_churn(con, workspace, TrainRequest(name="all", use_sensitive=True))
    assert {"gender: male", "age", "SeniorCitizen"} <= set(opted_in.features)

    rows = uplift_rows(con, [], sensitive=None, use_sensitive=False, exclude=["churned"])
    assert not {"gender: female", "age", "SeniorCitizen", "churned"} & set(rows.features.columns)
    rows = uplift_rows(con, [], sensitive=None, use_sensitive=True, exclude=["churned"])
    assert {"gender: female", "age"} <= set(rows.features.columns)


@pytest.fixture()
def people() -> duckdb.DuckDBPyConnection:
    """1,000 customers: 200 under 25, 800 aged 40; gender alternating; 60 seniors among the 40s."""
    con = duckdb.connect()
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(1000)],
            "age": [20] * 200 + [40] * 800,
            "gender": ["female", "male"] * 500,
            "senior": [False] * 940 + [True] * 60,
            "plan": ["basic"] * 1000,
        }
    )
    con.register("frame", frame)
    con.execute("CREATE TABLE customers AS SELECT * FROM frame")
    return con


def test_four_fifths_rule_flags_an_under_selected_group(people: duckdb.DuckDBPyConnection) -> None:
    # Audience: 10 of the 200 under-25s (5%) and 240 of the 800 aged 40 (30%): 250 of 1,000 (25%).
    audience = [f"C{i:04d}" for i in range(10)] + [f"C{i:04d}" for i in range(200, 440)]
    report = audience_makeup(people, audience)
    assert report.attributes == ["age", "gender", "senior"] and report.base_rate == 0.25
    young = next(g for g in report.groups if g.attribute == "age" and g.group == "under 25")
    assert (young.base, young.audience, young.selection_rate) == (200, 10, 0.05)
    assert young.impact_ratio == pytest.approx(0.2) and young.flagged
    forties = next(g for g in report.groups if g.attribute == "age" and g.group == "35-44")
    assert forties.selection_rate == 0.3 and not forties.flagged
    assert forties.audience_share == pytest.approx(240 / 250, abs=1e-4)
    # Gender is balanced in the audience (125 / 125); seniors (ids 940+) are never picked.
    assert not any(g.flagged for g in report.groups if g.attribute == "gender")
    senior = next(g for g in report.groups if g.attribute == "senior" and g.group == "true")
    assert senior.audience == 0 and senior.flagged
    assert [f"{g.attribute} {g.group}" for g in report.flagged] == ["age under 25", "senior true"]
    assert "age under 25 5.0% (0.20 of the base rate)" in report.summary()


def test_small_groups_are_noted_not_flagged_and_custom_terms(people: duckdb.DuckDBPyConnection) -> None:
    audience = [f"C{i:04d}" for i in range(200, 700)]
    report = audience_makeup(people, audience, min_group=100)
    senior = next(g for g in report.groups if g.attribute == "senior" and g.group == "true")
    assert senior.base == 60 and not senior.flagged
    assert any("senior true: only 60 customers" in n for n in report.notes)
    with_plan = audience_makeup(people, audience, sensitive=["plan"])
    assert with_plan.attributes == ["age", "gender", "plan", "senior"]
    same = audience_makeup(people, audience, sensitive=["religion"])
    assert same.attributes == ["age", "gender", "senior"], "a term not in the table changes nothing"
    with pytest.raises(ToolError, match="audience is empty"):
        audience_makeup(people, [])


def test_cli_churn_train_says_what_it_left_out_and_audience_reports_make_up(
    sample_data: GeneratedData, isolated_home: Path, tmp_path: Path
) -> None:
    load_files(Workspace(isolated_home), _with_sensitive(sample_data, tmp_path))
    runner = CliRunner()
    assert "--use-sensitive" in runner.invoke(app, ["churn", "train", "--help"]).output
    trained = runner.invoke(app, ["churn", "train"])
    assert trained.exit_code == 0, trained.output
    assert "not used: gender (sensitive attribute" in trained.output
    result = runner.invoke(app, ["audience", "--value", "high_value", "--json"])
    assert result.exit_code == 0, result.output
    fairness = json.loads(result.output)["fairness"]
    assert fairness["attributes"] == ["SeniorCitizen", "age", "gender"]
    assert fairness["audience_size"] == json.loads(result.output)["audience"]["size"]
    assert {g["group"] for g in fairness["groups"] if g["attribute"] == "age"} >= {"under 25", "65+"}
