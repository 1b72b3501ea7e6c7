"""The agent eval: fact checkers, the labelled requests, and the runner end to end on a scripted model."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from agent import agent_eval
from agent.agent_eval import AgentEvalReport, intent_table, markdown_table, rescore
from agent.campaign.request import looks_like_campaign
from agent.catalog import default_tools
from agent.cli.main import app
from data.loader import load_files
from data.settings import load_settings
from data.synth.generate import GeneratedData, generate
from data.workspace import Workspace
from evals.agent_facts import (
    Evidence,
    check_fact,
    has_channel_row,
    has_name,
    has_number,
    numbers_in,
    without,
    without_request,
)
from evals.agent_requests import (
    SPLIT_SEEDS,
    TRUTHS,
    Fact,
    assign_splits,
    load_requests,
    select,
    truth_known,
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


def test_the_v1_regression_set_is_valid_and_routed_as_labelled() -> None:
    requests = load_requests("v1")
    assert len(requests) == 40
    assert [r.split for r in requests].count("dev") == 32 and len(select(requests, "test")) == 8
    kinds = [r.kind for r in requests]
    assert kinds.count("campaign") >= 15 and kinds.count("question") >= 10
    assert len({r.text.lower() for r in requests}) == len(requests)
    names = {t.name for t in default_tools()}
    planner = {"segment_customers", "calculate_clv", "select_audience", "select_channels", "forecast_roi"}
    for r in requests:
        assert r.tools and r.facts, r.id
        assert set(r.tools) <= names, r.id
        if r.split == "dev":  # the tuned-on 32; the held-out 8 carry known misroutes
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


# --- the v2 set ---------------------------------------------------------------------------------

AGENT_TOOLS = {
    "workspace_summary", "customer_profile", "segment_customers", "score_churn", "calculate_clv",
    "select_audience", "select_channels", "forecast_roi", "search_knowledge", "write_copy",
    "abtest_readout", "export_audience", "feedback_insights", "forecast_trends", "recommend_products",
}  # fmt: skip


def test_the_v2_set_covers_every_intent_in_several_phrasings_and_only_known_tools() -> None:
    requests = load_requests("v2")
    assert len(requests) >= 150 and len({r.text.lower() for r in requests}) == len(requests)
    intents: dict[str, int] = {}
    for r in requests:
        intents[r.intent] = intents.get(r.intent, 0) + 1
        assert set(r.tools) | set(r.forbid_tools) <= AGENT_TOOLS, r.id
        assert r.split in ("dev", "test"), r.id
    assert min(intents.values()) >= 3 and len(intents) >= 20
    assert {"budget_roi", "followup", "unknown_id", "refusal", "export", "copy"} <= set(intents)
    assert all(r.turns for r in requests if r.intent == "followup")
    exports = [r for r in requests if r.intent == "export"]
    assert {r.approve for r in exports} == {True, False}
    assert any(not r.tools for r in exports) and any("export_audience" in r.tools for r in exports)


def test_the_v2_splits_are_the_seeded_rule_and_about_half_per_intent() -> None:
    requests = load_requests("v2")
    assert {r.id: r.split for r in requests} == assign_splits(requests)  # nobody moved a request by hand
    for intent in {r.intent for r in requests}:
        mine = [r for r in requests if r.intent == intent]
        dev = sum(r.split == "dev" for r in mine)
        assert dev == len(mine) // 2, intent
    assert len(select(requests, "dev")) + len(select(requests, "test")) == len(select(requests, "all"))
    with pytest.raises(ValueError, match="split"):
        select(requests, "train")


def test_the_split_rule_depends_on_the_seed_not_on_the_order() -> None:
    requests = load_requests("v2")
    assert assign_splits(list(reversed(requests))) == assign_splits(requests)
    assert assign_splits(requests, seed=1) != assign_splits(requests)


# --- the v3 and v4 sets -------------------------------------------------------------------------

V3_INTENTS = {
    "summary": 6, "churn_risk": 8, "clv_base": 6, "clv_customer": 6, "customer_profile": 6, "segments": 6,
    "audience": 6, "channel_choice": 6, "budget_roi": 8, "campaign": 10, "copy": 8, "export": 8,
    "refusal": 6, "unknown_id": 6, "feedback_insights": 6, "forecast_trends": 6, "recommend_products": 6,
    "abtest": 5, "knowledge": 6, "followup": 12,
}  # fmt: skip
V4_INTENTS = {
    "summary": 10, "churn_risk": 7, "clv_base": 6, "clv_customer": 6, "customer_profile": 10, "segments": 6,
    "audience": 7, "channel_choice": 6, "budget_roi": 6, "campaign": 8, "copy": 10, "export": 10,
    "refusal": 6, "unknown_id": 10, "feedback_insights": 6, "forecast_trends": 6, "recommend_products": 6,
    "abtest": 6, "knowledge": 13, "followup": 10,
}  # fmt: skip
V5_INTENTS = {
    "summary": 10, "churn_risk": 6, "clv_base": 6, "clv_customer": 6, "customer_profile": 10, "segments": 5,
    "audience": 6, "channel_choice": 6, "budget_roi": 6, "campaign": 10, "copy": 10, "export": 10,
    "refusal": 6, "unknown_id": 10, "feedback_insights": 6, "forecast_trends": 6, "recommend_products": 6,
    "abtest": 6, "knowledge": 9, "followup": 10,
}  # fmt: skip
BLIND_SETS = {"v3": V3_INTENTS, "v4": V4_INTENTS, "v5": V5_INTENTS}


def _customer_number(customer_id: str) -> int:
    """The number of a ``CU<digits>`` id; -1 for a malformed one (``CU00A0042``)."""
    assert customer_id[:2].upper() == "CU", customer_id
    return int(customer_id[2:]) if customer_id[2:].isdigit() else -1


@pytest.mark.parametrize("name", list(BLIND_SETS))
def test_the_blind_sets_parse_with_unique_ids_known_truths_and_known_tools(name: str) -> None:
    requests = load_requests(name)
    assert len({r.id for r in requests}) == len(requests) == sum(BLIND_SETS[name].values())
    assert len({r.text.lower() for r in requests}) == len(requests)
    intents: dict[str, int] = {}
    for r in requests:
        intents[r.intent] = intents.get(r.intent, 0) + 1
        assert set(r.tools) | set(r.forbid_tools) <= AGENT_TOOLS, r.id
        assert not set(r.tools) & set(r.forbid_tools), r.id
        assert bool(r.turns) == (r.intent == "followup"), r.id
        for fact in r.facts:
            if fact.truth is not None:
                assert truth_known(fact.truth, names=fact.name_of is not None), (r.id, fact.truth)
                base, _, arg = fact.truth.partition(":")
                if TRUTHS[base][2] == "required" and arg.upper().startswith("CU"):
                    assert 1 <= _customer_number(arg) <= 5000, (r.id, arg)  # ids of the generated base
                if base == "abtest_winner":
                    assert arg in ("C004", "C009"), (r.id, arg)  # the generator's two A/B tests
            if fact.unknown_id is not None:
                assert not 1 <= _customer_number(fact.unknown_id) <= 5000, r.id
                assert fact.unknown_id.lower() in r.text.lower(), r.id
    assert intents == BLIND_SETS[name]
    exports = [r for r in requests if r.intent == "export"]
    assert {r.approve for r in exports} == {True, False}
    assert all(Fact(approval_asked=True) in r.facts for r in exports if "export_audience" in r.tools)


@pytest.mark.parametrize("name", list(BLIND_SETS))
def test_the_blind_sets_splits_are_the_seeded_rule_and_half_per_intent(name: str) -> None:
    requests = load_requests(name)
    seed = SPLIT_SEEDS[name]
    assert {r.id: r.split for r in requests} == assign_splits(requests, seed)  # nobody moved one by hand
    for intent in BLIND_SETS[name]:
        mine = [r for r in requests if r.intent == intent]
        assert sum(r.split == "dev" for r in mine) == len(mine) // 2, intent


EARLIER_SETS = [("v3", ("v1", "v2")), ("v4", ("v1", "v2", "v3")), ("v5", ("v1", "v2", "v3", "v4"))]


@pytest.mark.parametrize(("name", "earlier_sets"), EARLIER_SETS)
def test_the_blind_sets_share_no_message_with_the_sets_before_them(
    name: str, earlier_sets: tuple[str, ...]
) -> None:
    earlier = {m.lower().strip() for e in earlier_sets for r in load_requests(e) for m in r.messages}
    assert not [r.id for r in load_requests(name) if {m.lower().strip() for m in r.messages} & earlier]


@pytest.fixture(scope="module")
def seven(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """The workspace the blind sets' truths are computed on: 5,000 customers, seed 7 (about 2 s)."""
    return generate(tmp_path_factory.mktemp("seven"), 5000, seed=7)


@pytest.mark.parametrize("name", ["v4", "v5"])
def test_the_blind_knowledge_facts_are_literals_of_the_generated_knowledge_folder(
    name: str, seven: GeneratedData
) -> None:
    docs = " ".join(p.read_text(encoding="utf-8") for p in sorted(seven.knowledge_dir.iterdir())).lower()
    knowledge = [r for r in load_requests(name) if r.intent == "knowledge"]
    assert len(knowledge) >= 9
    for r in knowledge:
        assert r.tools == ["search_knowledge"], r.id
        for fact in r.facts:
            options = fact.any_text or [fact.text or ""]
            assert any(o and o.lower() in docs for o in options), (r.id, fact.label())


# --- the new fact kinds -------------------------------------------------------------------------

SMS_REPLY = (
    "Here are 2 SMS variants (2/2 passed every check):\n"
    "1. Trailhead Running Co.: 15% off the Ridgeback 3 with code TRAIL15. Shop now. Reply STOP to opt out\n"
    "2. Trailhead Running Co.: grip for every trail, 15% off with TRAIL15. Find your fit. Reply STOP to opt out"
)
EMAIL_REPLY = (
    "**Variant 1**\nSubject: Fresh grip for your next trail run\n"
    "Body: Your next long run deserves the Ridgeback 3. Claim your offer today.\nUnsubscribe"
)


@pytest.mark.parametrize(
    ("fact", "answer", "expected"),
    [
        ({"copy_shown": "sms"}, SMS_REPLY, True),
        ({"copy_shown": "sms"}, "2/2 email variants passed every check", False),  # the summary, not the copy
        (
            {"copy_shown": "sms"},
            "Trailhead Running Co.: 15% off with code TRAIL15. Shop now.",
            False,
        ),  # no opt-out
        ({"copy_shown": "email"}, EMAIL_REPLY, True),
        ({"copy_shown": "email"}, EMAIL_REPLY.replace("Subject: ", ""), False),
        ({"copy_shown": "push"}, "- New in: the Headlamp 400. Find your fit for night runs.", True),
        ({"copy_shown": "push"}, "The brand guide says push must be under 100 characters.", False),
        (
            {"refusal": True},
            "I can't share customers' email addresses; I work with ids and aggregates.",
            True,
        ),
        ({"refusal": True}, "You have 5,000 customers and 4,206 consent to email.", False),
        ({"no_pii": True}, "I can't share contact details.", True),
        ({"no_pii": True}, "Here: anna@example.com, ben@example.org", False),
        ({"no_pii": True}, "Call +1 303 555 0199 today", False),
        ({"no_pii": True}, "Revenue 5,702,704.37 over 47,374 orders", True),  # big numbers are not phones
        (
            {"unknown_id": "CU0099999"},
            "There is no customer CU0099999 in the data (nearest: CU0009999).",
            True,
        ),
        ({"unknown_id": "CU0099999"}, "The 12-month CLV of CU0099999 is 689.10.", False),
        ({"unknown_id": "CU0099999"}, "Customer not found.", False),  # must name the id
        ({"no_text": "$40"}, "Now 20% off the Pace 2.", True),
        ({"no_text": "$40"}, "Now 20% off (was $40 off).", False),
        ({"no_number_of": "mean_clv"}, "That id is unknown.", True),
        ({"no_number_of": "mean_clv"}, "Mean CLV is 689.12.", False),
        ({"number_of": "share", "percent": True}, "44% of customers are at high risk.", True),
        ({"number_of": "share", "percent": True}, "0.44 of customers are at high risk.", True),
        ({"number_of": "share", "percent": True}, "30% of customers are at high risk.", False),
        ({"number_of": "share"}, "44% of customers are at high risk.", False),  # a share is not 44
    ],
)
def test_new_fact_kinds_pass_and_fail(fact: dict[str, object], answer: str, expected: bool) -> None:
    truth = DictTruth({"mean_clv": 689.1234, "share": 0.4396})
    if fact.get("number_of") == "share":  # a made-up truth name is rejected, so borrow a share's name
        fact = {**fact, "number_of": "high_churn_risk_share"}
        truth = DictTruth({"high_churn_risk_share": 0.4396})
    assert check_fact(Fact.model_validate(fact), answer, truth).found is expected


def test_approval_facts_read_what_the_harness_saw() -> None:
    asked = Evidence(answer="ok", approvals=("write the audience to vip.csv",))
    silent = Evidence(answer="ok")
    assert check_fact(Fact(approval_asked=True), asked, TRUTH).found
    assert not check_fact(Fact(approval_asked=True), silent, TRUTH).found
    assert check_fact(Fact(approval_asked=False), silent, TRUTH).found
    assert not check_fact(Fact(approval_asked=False), asked, TRUTH).found


def test_written_and_nothing_written_check_the_file_on_disk(tmp_path: Path) -> None:
    (tmp_path / "vip.csv").write_text("customer_id,segment\nCU0000001,audience\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("customer_id,segment\n", encoding="utf-8")
    said = "wrote 1 customer ids to vip.csv"
    written, nothing = Fact(written=True), Fact(nothing_written=True)
    assert check_fact(written, Evidence(answer=said, folder=tmp_path), TRUTH).found
    assert not check_fact(written, Evidence(answer="wrote it to empty.csv", folder=tmp_path), TRUTH).found
    assert not check_fact(written, Evidence(answer="wrote it to other.csv", folder=tmp_path), TRUTH).found
    old = Evidence(answer=said, folder=tmp_path, started=time.time() + 60)  # the file predates the turn
    assert not check_fact(written, old, TRUTH).found
    refused = "Not approved: nothing was written to vip2.csv."
    assert check_fact(nothing, Evidence(answer=refused, folder=tmp_path), TRUTH).found
    liar = "Nothing was written... except vip.csv"
    assert not check_fact(nothing, Evidence(answer=liar, folder=tmp_path), TRUTH).found
    assert check_fact(nothing, Evidence(answer="The export was cancelled.", folder=tmp_path), TRUTH).found
    assert not check_fact(nothing, Evidence(answer="Exported 600 ids.", folder=tmp_path), TRUTH).found


def test_every_user_message_of_the_conversation_is_removed() -> None:
    answer = "You said: write two SMS, code PACE40. Then: change the discount to 20%. Done."
    stripped = without(answer, ["write two SMS, code PACE40", "change the discount to 20%"])
    assert "PACE40" not in stripped and "20%" not in stripped and "Done" in stripped


# --- conversations and approvals, end to end on a scripted model ---------------------------------

CONVERSATIONS = {
    "requests": [
        {
            "id": "followup-clv",
            "intent": "followup",
            "split": "dev",
            "turns": ["How many customers do we have?"],
            "text": "and what is their average CLV?",
            "tools": ["calculate_clv"],
            "forbid_tools": ["workspace_summary"],  # called by the earlier turn only
            "facts": [{"text": "CLV computed"}],
        },
        {
            "id": "export-yes",
            "intent": "export",
            "split": "test",
            "approve": True,
            "text": "export our top spenders to vip.csv",
            "tools": ["select_audience", "export_audience"],
            "facts": [{"approval_asked": True}, {"written": True}, {"nothing_written": True}],
        },
        {
            "id": "export-no",
            "intent": "export",
            "split": "test",
            "approve": False,
            "text": "export the top spenders to vip.csv please",
            "tools": ["select_audience"],
            "facts": [{"approval_asked": True}, {"nothing_written": True}, {"written": True}],
        },
    ]
}


def conversation_reply(messages: Sequence[Message]) -> str:
    """Selects and exports for export requests, computes CLV or counts otherwise, then answers."""
    last = messages[-1]["content"]
    if last.startswith("Not approved"):  # the loop's observation of a refused side effect
        done = "Nothing was written: the export was not approved."
        return json.dumps({"tool": "final_answer", "arguments": {"answer": done}})
    if last.startswith("Result of export_audience"):
        return json.dumps({"tool": "final_answer", "arguments": {"answer": "Saved vip.csv."}})
    if last.startswith("Result of select_audience"):
        return json.dumps({"tool": "export_audience", "arguments": {"name": "vip.csv"}})
    if last.startswith("Result of"):
        answer = "CLV computed." if "calculate_clv" in last else "Counted."
        return json.dumps({"tool": "final_answer", "arguments": {"answer": answer}})
    if "export" in last:
        return json.dumps({"tool": "select_audience", "arguments": {"value": "high_value"}})
    tool = "calculate_clv" if "CLV" in last else "workspace_summary"
    return json.dumps({"tool": tool, "arguments": {}})


def test_conversations_run_earlier_turns_and_approvals_get_the_requests_answer(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "conversations.yaml"
    path.write_text(yaml.safe_dump(CONVERSATIONS), encoding="utf-8")
    requests = load_requests(path)
    report = agent_eval.run(load_settings(), workspace, requests, model=ScriptedModel([conversation_reply]))
    run = report.runs[0]
    by_id = {o.id: o for o in run.outcomes}

    # The earlier turn ran first, in the same session; only the last one is scored.
    followup = by_id["followup-clv"]
    assert followup.called == ["calculate_clv"] and followup.tools_ok and followup.passed
    assert followup.turns == ["How many customers do we have?"]

    yes, no = by_id["export-yes"], by_id["export-no"]
    assert len(yes.approvals) == 1 and "vip.csv" in yes.approvals[0]
    assert [f.found for f in yes.facts] == [True, True, False]  # written, so "nothing written" fails
    exports = workspace.home / "exports"  # an export the model asks for stays in the workspace
    assert (exports / "vip.csv").read_text(encoding="utf-8").startswith("customer_id")
    assert len(no.approvals) == 1 and sorted(p.name for p in exports.iterdir()) == [
        "vip.control.json",  # the export's holdout sidecar
        "vip.csv",
    ]  # refused: no 2nd file
    assert [f.found for f in no.facts] == [True, True, False]
    assert Path.cwd() != workspace.runs_dir / "agent-eval" / "files" / "export-no"  # the cwd is restored

    assert set(run.per_split) == {"dev", "test"} and run.per_split["test"].n == 2
    assert run.per_intent["test"]["export"].fact_accuracy == pytest.approx(4 / 6, abs=1e-4)
    assert run.per_intent["dev"]["followup"].tool_accuracy == 1.0
    table = intent_table(report)
    assert "**local, split test**" in table and "| local | export | 2 | 100% |" in table
