"""The endpoint path's limits, played by the fake OpenAI server on 127.0.0.1 through ``ChatOpenAI``.

Every request of the ``ChatOpenAI`` the settings build has a total deadline and a byte cap (a
dripping server, dripped headers, keep-alives and a 5 MB answer cannot hold or flood a turn);
garbage answers are never taken; a backend that keeps failing is skipped for a cool-down, and the
reply says the local model answered.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.endpoint import EndpointPolicy, openai_chat_model
from agent.llm.breaker import BreakerBoard
from agent.loop import LoopResult, StepEvent
from agent.toolbox import AgentTool, ToolContext
from data.loader import load_files
from data.settings import load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.openai_server import FakeOpenAIServer, fake_openai_server
from tests.fakes.openai_tool_calls import text
from tools.chat_model import Message

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server() as srv:
        yield srv


@pytest.fixture
def context(isolated_home: Path) -> ToolContext:
    return ToolContext(settings=load_settings(), workspace=Workspace(isolated_home))


def summary_tool() -> AgentTool:
    from agent.catalog import default_tools

    return next(t for t in default_tools() if t.name == "workspace_summary")


def policy_for(url: str, *, timeout_s: float = 1.0, breakers: BreakerBoard | None = None) -> EndpointPolicy:
    """The policy on the ``ChatOpenAI`` that the settings build (deadline = 2 x timeout, no retries)."""
    settings = load_settings(
        llm_base_url=url, llm_model="primary", llm_timeout_s=timeout_s, llm_max_retries=0
    )
    return EndpointPolicy(openai_chat_model(settings), [summary_tool()], breakers=breakers)


def turn(
    policy: EndpointPolicy, context: ToolContext, question: str
) -> tuple[LoopResult, list[StepEvent], float]:
    events: list[StepEvent] = []
    started = time.monotonic()
    result = policy.run([Message(role="user", content=question)], context, events.append)
    return result, events, time.monotonic() - started


def errors(events: list[StepEvent]) -> list[dict[str, Any]]:
    return [e.data for e in events if e.kind == "model_error"]


@pytest.mark.parametrize("fault", ["drip", "drip_headers", "keepalive"])
def test_a_server_that_trickles_cannot_hold_a_call_past_its_total_deadline(
    server: FakeOpenAIServer, context: ToolContext, fault: str
) -> None:
    server.drip_s = 0.3  # each byte well within the 1 s read timeout; the whole answer would take minutes
    server.script(fault)
    result, events, seconds = turn(policy_for(server.base_url), context, "How many customers?")
    assert seconds < 5, f"{fault} held the turn for {seconds:.1f} s (deadline 2 s)"
    assert result.stop_reason.startswith("the language model failed")
    (error,) = errors(events)
    assert "timed out" in error["error"]


def test_a_huge_answer_is_cut_at_the_byte_cap_and_never_stored(
    server: FakeOpenAIServer, context: ToolContext
) -> None:
    server.script("huge")  # 5 MB of answer
    result, events, _ = turn(policy_for(server.base_url, timeout_s=10), context, "How many customers?")
    assert result.stop_reason.startswith("the language model failed")
    assert "byte cap" in errors(events)[0]["error"]
    assert len(result.answer) < 2_000


def test_the_request_asks_for_a_bounded_answer(server: FakeOpenAIServer, context: ToolContext) -> None:
    server.say(text("Hello."))
    turn(policy_for(server.base_url), context, "Hi")
    assert server.requests[0]["max_completion_tokens"] == 2048


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("control", "garbage completion"), ("braces", "garbage completion"), ("cut", "stopped before its end")],
)
def test_a_garbage_or_cut_answer_is_never_the_answer(
    server: FakeOpenAIServer, context: ToolContext, fault: str, reason: str
) -> None:
    server.script(fault)
    result, events, _ = turn(policy_for(server.base_url), context, "Hi")
    assert result.stop_reason.startswith("the language model failed")
    assert reason in errors(events)[0]["error"]
    streamed = "".join(e.data["text"] for e in events if e.kind == "token")
    assert not any(c in streamed for c in "\x00\x1b\x07"), "no terminal escapes are printed as they stream"
    assert result.answer.startswith("I could not") and "\x00" not in result.answer


def test_a_backend_that_keeps_failing_is_skipped_for_a_cool_down_then_tried_again(
    server: FakeOpenAIServer, context: ToolContext
) -> None:
    now = [0.0]
    breakers = BreakerBoard(failures=2, cooldown_s=30, clock=lambda: now[0])
    policy = policy_for(server.base_url, breakers=breakers)
    server.script("500", "500")
    for _ in range(2):
        turn(policy, context, "Hi")
    assert len(server.requests) == 2

    result, events, seconds = turn(policy, context, "Hi")
    assert len(server.requests) == 2, "an open circuit sends nothing"
    assert seconds < 1 and result.stop_reason.startswith("the language model failed")
    (skipped,) = errors(events)
    assert skipped["skipped"] and "skipped for 30 s after 2 consecutive failures" in skipped["error"]

    now[0] = 31.0  # the cool-down is over: one trial, and it answers
    server.say(text("Back again."))
    result, _, _ = turn(policy, context, "Hi")
    assert result.answer == "Back again." and len(server.requests) == 3


def test_after_the_breaker_opens_the_reply_says_the_local_model_answered(
    sample_data: GeneratedData, context: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.assistant import Assistant
    from agent.session import Session

    load_files(context.workspace, sample_data.tables)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    monkeypatch.setenv("MKT_LLM_BASE_URL", dead)
    monkeypatch.setenv("MKT_LLM_MAX_RETRIES", "0")
    assistant = Assistant(load_settings(), context.workspace)
    session = Session.open(context.workspace.runs_dir, None)
    replies = [assistant.respond(session, "how many customers do we have?") for _ in range(4)]
    assert all("3,000" in r.text for r in replies)
    assert "cannot reach endpoint" in replies[0].text
    assert "skipped for" in replies[-1].text and "The local model and the tools answered" in replies[-1].text
