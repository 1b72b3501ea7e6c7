"""The agent loop always ends with a useful answer: bad JSON, unknown tools, bad arguments,
repeated calls and endless loops are all bounded (driven by a scripted model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.catalog import default_tools
from agent.loop import AgentLoop, Limits, StepEvent
from agent.toolbox import ToolContext
from data.loader import load_files
from data.settings import load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.scripted_model import ScriptedModel
from tools.chat_model import Message

SYSTEM = Message(role="system", content="You are a test agent.")


@pytest.fixture
def context(sample_data: GeneratedData, isolated_home: Path) -> ToolContext:
    workspace = Workspace(isolated_home)
    load_files(workspace, sample_data.tables)
    return ToolContext(settings=load_settings(), workspace=workspace)


def run(model: ScriptedModel, context: ToolContext, text: str = "How many customers?", **limits: int):
    events: list[StepEvent] = []
    loop = AgentLoop(model, default_tools(), context, limits=Limits(**limits), on_event=events.append)
    result = loop.run([SYSTEM, Message(role="user", content=text)])
    return result, events


def test_tool_then_answer(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "workspace_summary", "arguments": {}},
            {"tool": "final_answer", "arguments": {"answer": "You have 3,000 customers."}},
        ]
    )
    result, events = run(model, context)
    assert result.answer == "You have 3,000 customers."
    assert result.stop_reason == "answered"
    assert [c[0] for c in result.tool_calls] == ["workspace_summary"]
    observation = model.sent[1][-1]["content"]
    assert (
        observation.startswith("Result of workspace_summary: 3,000 customers")
        and '"rows": 3000' in observation
    )
    assert [e.kind for e in events].count("tool_result") == 1


def test_bad_json_is_fed_back_then_recovers(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            "Sure! I will count them for you.",
            '{"tool": "workspace_summary", "arguments": {},}',  # trailing comma: repaired
            {"tool": "final_answer", "arguments": {"answer": "3,000 customers."}},
        ]
    )
    result, events = run(model, context)
    assert result.answer == "3,000 customers."
    assert any(e.kind == "invalid" for e in events)
    assert "Invalid action" in model.sent[1][-1]["content"]


def test_only_garbage_ends_with_an_answer(context: ToolContext) -> None:
    model = ScriptedModel(["not json at all"], repeat_last=True)
    result, _ = run(model, context, max_errors=2, max_model_calls=10)
    assert result.stop_reason == "too many invalid replies"
    assert len(model.sent) == 3
    assert "could not complete" in result.answer


def test_unknown_tool_gets_the_tool_list(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "send_all_emails", "arguments": {}},
            {"tool": "final_answer", "arguments": {"answer": "done"}},
        ]
    )
    result, _ = run(model, context)
    feedback = model.sent[1][-1]["content"]
    assert "'send_all_emails' is not one of" in feedback and "customer_profile" in feedback
    assert result.answer == "done"


def test_invalid_arguments_are_validated_and_explained(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "customer_profile", "arguments": {"id": "CU0000001"}},
            {"tool": "customer_profile", "arguments": {"customer_id": "CU0000001"}},
            {"tool": "final_answer", "arguments": {"answer": "ok"}},
        ]
    )
    result, _ = run(model, context)
    assert (
        "invalid arguments for customer_profile: customer_id: Field required" in model.sent[1][-1]["content"]
    )
    assert result.tool_calls == [("customer_profile", {"customer_id": "CU0000001"})]


def test_tool_error_goes_back_to_the_model(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "customer_profile", "arguments": {"customer_id": "NOPE"}},
            {"tool": "final_answer", "arguments": {"answer": "That customer does not exist."}},
        ]
    )
    result, _ = run(model, context)
    assert "Error from customer_profile: no customer with id 'NOPE'" in model.sent[1][-1]["content"]
    assert result.answer == "That customer does not exist."


def test_repeated_identical_call_stops_with_results(context: ToolContext) -> None:
    model = ScriptedModel([{"tool": "workspace_summary", "arguments": {}}], repeat_last=True)
    result, _ = run(model, context)
    assert result.stop_reason == "repeated identical call to workspace_summary"
    assert len(model.sent) == 2
    assert "workspace_summary" in result.answer and "3000" in result.answer.replace(",", "")


def test_endless_distinct_calls_hit_the_caps(context: ToolContext) -> None:
    counter = iter(range(1, 1000))

    def next_customer(_messages: object) -> str:
        return json.dumps(
            {"tool": "customer_profile", "arguments": {"customer_id": f"CU{next(counter):07d}"}}
        )

    model = ScriptedModel([next_customer], repeat_last=True)
    result, _ = run(model, context, max_tool_calls=3, max_model_calls=20)
    assert result.stop_reason == "tool-call limit reached"
    assert len(result.tool_calls) == 3
    assert "customer_profile" in result.answer

    model = ScriptedModel([next_customer], repeat_last=True)
    result, _ = run(model, context, max_tool_calls=50, max_model_calls=4)
    assert result.stop_reason == "model-call limit reached"
    assert len(model.sent) == 4


def test_no_email_or_phone_reaches_the_model(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "customer_profile", "arguments": {"customer_id": "CU0000001"}},
            {"tool": "final_answer", "arguments": {"answer": "ok"}},
        ]
    )
    run(model, context, text="Email cu0000001@example.com or call +1 555 000 0001 about CU0000001")
    everything = " ".join(m["content"] for sent in model.sent for m in sent)
    assert "@example.com" not in everything and "555 000 0001" not in everything
    assert "[email]" in everything and "CU0000001" in everything


def test_numbers_in_an_answer_must_come_from_a_tool() -> None:
    from pydantic import BaseModel

    from agent.loop import ungrounded_numbers

    class Found(BaseModel):
        customers: int = 3000
        mean_clv: float = 689.1034
        high_risk_share: float = 0.4396

    assert ungrounded_numbers("3,000 customers, mean CLV 689.10, 44% at risk, top 5", [Found()]) == []
    assert ungrounded_numbers("We have 1024 customers worth 2018.57", [Found()]) == ["1024", "2018.57"]


def test_an_answer_with_invented_numbers_is_replaced_by_the_tool_results(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "workspace_summary", "arguments": {}},
            {"tool": "final_answer", "arguments": {"answer": "We have 1,024 customers."}},
        ]
    )
    result, events = run(model, context)
    assert result.stop_reason == "the model's answer stated numbers no tool gave: 1,024"
    assert "3,000 customers" in result.answer and "1,024" not in result.answer
    assert any(e.kind == "invalid" and "1,024" in e.data["reason"] for e in events)


def test_a_final_answer_without_text_is_streamed_in_plain_words(context: ToolContext) -> None:
    model = ScriptedModel(
        [
            {"tool": "workspace_summary", "arguments": {}},
            {"tool": "final_answer", "arguments": {}},
            "We have 3,000 customers.",
        ]
    )
    events: list[StepEvent] = []
    loop = AgentLoop(
        model, default_tools(), context, on_event=events.append, answer_prompt="Answer in words."
    )
    result = loop.run([SYSTEM, Message(role="user", content="How many customers?")])
    assert result.answer == "We have 3,000 customers." and result.stop_reason == "answered"
    assert "".join(e.data["text"] for e in events if e.kind == "token").strip() == result.answer
    assert model.sent[2][-1]["content"] == "Answer in words."


@pytest.fixture(scope="module")
def router() -> object:
    from agent.router import ToolRouter
    from knowledge.embeddings import get_embedding_function

    return ToolRouter(default_tools(), get_embedding_function(load_settings()).embed)


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("How many customers are in the database?", "workspace_summary"),
        ("How many customers might churn soon?", "score_churn"),
        ("What's the lifetime value of our customers on average?", "calculate_clv"),
        ("Show me the customer segments", "segment_customers"),
        ("What do we say about text messages in the brand guide?", "search_knowledge"),
        ("Who won the C009 test?", "abtest_readout"),
        ("Give me the profile of CU0000002", "customer_profile"),
    ],
)
def test_the_router_sends_questions_to_the_right_tool(router: object, question: str, tool: str) -> None:
    from agent.router import ToolRouter

    assert isinstance(router, ToolRouter)
    assert router.rank(question)[0][0].name == tool


def test_staged_turns_route_take_stated_arguments_and_answer_from_the_result(
    context: ToolContext, router: object
) -> None:
    from agent.router import ToolRouter

    assert isinstance(router, ToolRouter)
    model = ScriptedModel(["never asked"])
    events: list[StepEvent] = []
    loop = AgentLoop(model, default_tools(), context, on_event=events.append, staged=True, router=router)
    result = loop.run([SYSTEM, Message(role="user", content="Give me the profile of CU0000002")])
    assert result.tool_calls == [("customer_profile", {"customer_id": "CU0000002"})]
    assert result.stop_reason == "answered" and "CU0000002" in result.answer
    assert model.calls == []  # the id was stated, the tool routed: no generation needed
    assert [e.kind for e in events][:2] == ["route", "tool_call"]
