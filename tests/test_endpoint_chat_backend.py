"""mkt's ChatModel interface over a LangChain chat model, driven through the real ChatOpenAI client
against the fake OpenAI server: what the planner and the copy writer send arrives as sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from agent.endpoint.chat_backend import LangChainBackend
from agent.llm.calllog import CallLog
from data.errors import ModelAPIError
from tests.fakes.openai_server import FakeOpenAIServer, fake_openai_server
from tools.chat_model import ChatModel, Message, collect

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server() as srv:
        yield srv


def backend(server: FakeOpenAIServer, log: CallLog | None = None) -> LangChainBackend:
    model = ChatOpenAI(
        model="writer", base_url=server.base_url, api_key=SecretStr("sk-t"), max_retries=0, stream_usage=True
    )
    return LangChainBackend(model, call_log=log or CallLog())


def test_a_call_passes_the_options_and_redacts_contacts(server: FakeOpenAIServer, tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    model = backend(server, log)
    assert isinstance(model, ChatModel)
    result = model.chat(
        [
            Message(role="system", content="Write copy."),
            Message(role="user", content="For ann@shop.example."),
        ],
        max_tokens=12,
        temperature=0.7,
        stop=["\n"],
    )
    assert result.text == "Fresh miles start here." and result.backend == "openai:writer"
    assert result.model == "writer" and result.completion_tokens == 4 and result.prompt_tokens > 0
    sent = server.requests[0]
    assert (sent["max_completion_tokens"], sent["temperature"], sent["stop"]) == (12, 0.7, ["\n"])
    assert sent["messages"][1]["content"] == "For [email]."
    (record,) = log.read()
    assert record["outcome"] == "ok" and "ann@" not in (tmp_path / "calls.jsonl").read_text()


def test_a_json_answer_is_asked_for_and_parsed_against_the_schema(server: FakeOpenAIServer) -> None:
    schema = {
        "type": "object",
        "properties": {"goal": {"enum": ["win_back", "launch"]}},
        "required": ["goal"],
    }
    server.reply = 'Here you go: {"goal": "win_back"}'
    result = backend(server).chat([Message(role="user", content="Plan it.")], json_schema=schema)
    assert result.parsed == {"goal": "win_back"}
    assert "JSON schema" in server.requests[0]["messages"][-1]["content"]

    server.reply = '{"goal": "party"}'
    with pytest.raises(ModelAPIError, match="openai:writer failed"):
        backend(server).chat([Message(role="user", content="Plan it.")], json_schema=schema)


def test_a_stream_arrives_in_pieces_and_ends_with_the_result(server: FakeOpenAIServer) -> None:
    chunks = list(backend(server).stream([Message(role="user", content="Write a line.")]))
    assert [c.text for c in chunks if not c.done] == ["Fresh", " miles", " start", " here."]
    result = collect(iter(chunks))
    assert result.text == "Fresh miles start here." and result.completion_tokens == 4
    assert result.first_token_s is not None


def test_a_failing_endpoint_is_a_model_api_error(server: FakeOpenAIServer) -> None:
    server.script("500")
    with pytest.raises(ModelAPIError, match="openai:writer failed: .*500"):
        backend(server).chat([Message(role="user", content="Hi")])
