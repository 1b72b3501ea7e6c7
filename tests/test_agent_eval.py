"""The agent eval: fact checkers, the labelled requests, and the runner end to end on a scripted model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from agent.campaign.request import looks_like_campaign
from agent.catalog import default_tools
from agent.cli.main import app
from data.loader import load_files
from data.settings import load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from evals import agent_eval
from evals.agent_eval import (
    AgentEvalReport,
    Fact,
    check_fact,
    has_channel_row,
    has_name,
    has_number,
    load_requests,
    markdown_table,
    numbers_in,
    rescore,
    without_request,
)
from tests.fakes.scripted_model import ScriptedModel
from tools.chat_model import Message


class DictTruth:
    """Truth values from a dict (the workspace is not needed to test the checkers)."""

    def __init__(self, values: dict[str, float | str]) -> None:
        self.values = values

    def value(self, name: str) -> float | str:
        return self.values[name]


TRUTH = DictTruth(
    {"customers": 5000.0, "mean_clv": 689.1234, "largest_segment": "at risk", "revenue": 5702704.37}
)


# --- fact checkers -----------------------------------------------------------------------------


def test_numbers_carry_the_rounding_they_show() -> None:
    assert numbers_in("We have 5,000 customers, mean 12.34, about 5k, id CU0000042.") == [
        (5000.0, 0.5),
        (12.34, 0.005),
        (5000.0, 500.0),
    ]


@pytest.mark.parametrize(
    ("text", "truth", "tolerance", "expected"),
    [
        ("You have 5,000 customers.", 5000, 0.0, True),
        ("You have 5000 customers.", 5000, 0.0, True),
        ("You have 4,990 customers.", 5000, 0.0, False),
        ("You have 4,990 customers.", 5000, 0.01, True),
        ("The mean CLV is 689.12 USD.", 689.1234, 0.0, True),
        ("The mean CLV is 689 USD.", 689.1234, 0.0, True),  # rounded to whole units
        ("The mean CLV is 680 USD.", 689.1234, 0.0, False),
        ("Revenue: $5.7M", 5702704.37, 0.01, False),  # millions are not read
        ("customer CU0005000", 5000, 0.0, False),  # digits inside ids do not count
        ("no numbers here", 5000, 0.0, False),
    ],
)
def test_has_number(text: str, truth: float, tolerance: float, expected: bool) -> None:
    assert has_number(text, truth, tolerance) is expected


def test_names_match_whole_words_ignoring_case_and_separators() -> None:
    assert has_name("The largest segment is At-Risk with 900 customers.", "at risk")
    assert has_name("largest: at_risk", "at risk")
    assert not has_name("customers at riskier times", "at risk")
    assert has_name("No clear winner yet.", "no clear winner")


def test_channel_rows_are_table_rows() -> None:
    brief = "| channel | recipients |\n|---|---:|\n| email | 1,200 |\n| sms | 0 |\nReachable: push 300."
    assert has_channel_row(brief, "email") and has_channel_row(brief, "SMS")
    assert not has_channel_row(brief, "push")  # named in the text, but no row


def test_the_echoed_request_earns_nothing() -> None:
    request = "Plan a win-back campaign by email, 15% off"
    answer = f"## Campaign brief: win-back\n\n> {request}\n\nNo offer line."
    stripped = without_request(answer, request)
    fact = Fact(text="15%")
    assert check_fact(fact, answer, TRUTH).found
    assert not check_fact(fact, stripped, TRUTH).found
    assert check_fact(Fact(text="Campaign brief: WIN-BACK"), stripped, TRUTH).found


def test_check_fact_each_kind() -> None:
    answer = "We have 5,000 customers; the largest segment is at risk.\n| sms | 10 |\nReply STOP to opt out."
    results = {
        f.label(): check_fact(f, answer, TRUTH)
        for f in [
            Fact(number_of="customers"),
            Fact(number_of="mean_clv"),
            Fact(name_of="largest_segment"),
            Fact(any_text=["unsubscribe", "opt out"]),
            Fact(channel="sms"),
            Fact(not_channel="email"),
            Fact(not_channel="sms"),
        ]
    }
    assert {k: r.found for k, r in results.items()} == {
        "number_of customers": True,
        "number_of mean_clv": False,
        "name_of largest_segment": True,
        "any_text unsubscribe | opt out": True,
        "channel sms": True,
        "not_channel email": True,
        "not_channel sms": False,
    }
    assert results["number_of mean_clv"].expected == "689.123"


def test_audience_size_is_read_from_the_audience_section_only() -> None:
    truth = DictTruth({"audience_at_risk": 2198.0, "audience_high_value": 1000.0})
    brief = (
        "## Campaign brief: win-back\n\n### Audience\n81 high-value customers at risk of churning.\n"
        "| score churn | 0.4 | 2,198 of 5,000 customers at high churn risk |"
    )
    assert not check_fact(Fact(audience="audience_at_risk"), brief, truth).found  # 2,198 elsewhere
    assert check_fact(Fact(audience="audience_at_risk"), brief.replace("81 ", "2,198 "), truth).found
    assert not check_fact(Fact(audience="audience_high_value"), "no audience section", truth).found


@pytest.mark.parametrize(
    "raw",
    [
        {},  # no kind
        {"text": "15%", "channel": "sms"},  # two kinds
        {"number_of": "unicorns"},  # unknown truth
        {"number_of": "largest_segment"},  # a name, not a number
        {"name_of": "customers"},  # a number, not a name
        {"name_of": "abtest_winner"},  # needs a campaign id
        {"audience": "customers"},  # not an audience
        {"text": "x", "colour": "red"},  # unknown field
    ],
)
def test_bad_facts_are_rejected(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Fact.model_validate(raw)


# --- the labelled requests ---------------------------------------------------------------------


def test_the_packaged_requests_are_valid_and_routed_as_labelled() -> None:
    requests = load_requests()
    assert len(requests) >= 30
    kinds = [r.kind for r in requests]
    assert kinds.count("campaign") >= 15 and kinds.count("question") >= 10
    assert len({r.text.lower() for r in requests}) == len(requests)
    names = {t.name for t in default_tools()}
    planner = {"segment_customers", "calculate_clv", "select_audience", "select_channels", "forecast_roi"}
    for r in requests:
        assert r.tools and r.facts, r.id
        assert set(r.tools) <= names, r.id
        assert looks_like_campaign(r.text) == (r.kind == "campaign"), r.id
        if r.kind == "campaign":
            assert planner <= set(r.tools), r.id


# --- the runner end to end ---------------------------------------------------------------------

REQUESTS = {
    "requests": [
        {
            "id": "campaign-ok",
            "kind": "campaign",
            "text": "Plan a promotion campaign by email, 15% off trail shoes, budget 2,000",
            "tools": [
                "segment_customers",
                "calculate_clv",
                "select_audience",
                "select_channels",
                "forecast_roi",
            ],
            "facts": [
                {"text": "15%"},
                {"text": "budget 2,000"},
                {"channel": "email"},
                {"not_channel": "push"},
                {"audience": "audience_any"},
                {"text": "plan a promotion"},  # only in the quoted request: must not count
            ],
        },
        {
            "id": "question-ok",
            "kind": "question",
            "text": "How many customers do we have?",
            "tools": ["workspace_summary"],
            "facts": [{"number_of": "customers"}],
        },
        {
            "id": "question-wrong-tool",
            "kind": "question",
            "text": "What is the average CLV?",
            "tools": ["calculate_clv"],
            "facts": [{"number_of": "mean_clv"}],
        },
    ]
}


def scripted_reply(messages: Sequence[Message]) -> str:
    """Plans campaigns; answers questions with workspace_summary, then a final answer."""
    if "plan marketing campaigns" in messages[0]["content"]:
        return json.dumps({"goal": "promotion", "risk": "any", "value": "any"})
    if messages[-1]["content"].startswith("Result of workspace_summary"):
        answer = "You have 3,000 customers." if "How many" in messages[1]["content"] else "It is 1."
        return json.dumps({"tool": "final_answer", "arguments": {"answer": answer}})
    return json.dumps({"tool": "workspace_summary", "arguments": {}})


@pytest.fixture
def workspace(sample_data: GeneratedData, isolated_home: Path) -> Workspace:
    ws = Workspace(isolated_home)
    load_files(ws, sample_data.tables)
    return ws


def test_agent_eval_end_to_end(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    requests = tmp_path / "requests.yaml"
    requests.write_text(yaml.safe_dump(REQUESTS), encoding="utf-8")
    model = ScriptedModel([scripted_reply])
    report = agent_eval.run(load_settings(), workspace, load_requests(requests), model=model)

    assert report.truths["customers"] == 3000 and report.truths["audience_any"] == 3000
    assert report.n_customers == 3000 and [r.backend for r in report.runs] == ["local"]
    run = report.runs[0]
    outcomes = {o.id: o for o in run.outcomes}
    campaign = outcomes["campaign-ok"]
    assert campaign.tools_ok and campaign.stop_reason == "planned" and "write_copy" not in campaign.called
    assert campaign.extra == ["search_knowledge"]
    assert [f.fact for f in campaign.facts if not f.found] == ["text plan a promotion"]
    assert outcomes["question-ok"].passed and outcomes["question-ok"].backend == "scripted"
    wrong = outcomes["question-wrong-tool"]
    assert wrong.missing == ["calculate_clv"] and wrong.extra == ["workspace_summary"]
    assert not wrong.facts[0].found and wrong.facts[0].expected != ""

    c, q, overall = run.per_kind["campaign"], run.per_kind["question"], run.overall
    assert (c.n, c.tool_accuracy, c.tool_recall, c.fact_accuracy, c.passed) == (1, 1.0, 1.0, 0.8333, 0.0)
    assert c.tool_precision == pytest.approx(5 / 6, abs=1e-4)
    assert (q.n, q.tool_accuracy, q.tool_precision, q.tool_recall, q.fact_accuracy) == (2, 0.5, 0.5, 0.5, 0.5)
    assert (overall.n, overall.tool_accuracy, overall.fact_accuracy, overall.passed) == (
        3,
        0.6667,
        0.75,
        0.3333,
    )
    assert "| local | question | 2 | 50% |" in markdown_table(report)
    assert rescore(run, load_requests(requests), DictTruth(report.truths)) == run  # same answers, same scores

    # The command: options reach the run, the table is printed, the report written as JSON.
    asked: dict[str, object] = {}

    def fake_run(_settings: object, _workspace: object, chosen: list[object], **options: object):
        asked.update(options, n=len(chosen))
        return report

    monkeypatch.setattr(agent_eval, "run", fake_run)
    out = tmp_path / "report.json"
    args = ["eval", "agent", "--requests", str(requests), "--only", "question", "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert asked["n"] == 2 and asked["backends"] == ["local"] and asked["copy_variants"] == 0
    assert AgentEvalReport.model_validate_json(out.read_text(encoding="utf-8")) == report
    assert "no endpoint configured" in result.output and "| local | question | 2 | 50% |" in result.output
