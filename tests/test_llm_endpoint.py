"""The endpoint path: the real ``openai`` client over real HTTP against a scripted fake server.

Retries, Retry-After, timeouts, malformed answers and the hand-over to the real local model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.llm import (
    CallLog,
    ChatResult,
    FallbackChatModel,
    LocalChatModel,
    OpenAIChatModel,
    RetryPolicy,
    build_chat_model,
    collect,
)
from data.errors import ModelAPIError
from data.settings import load_settings
from tests.fakes.openai_server import FakeOpenAIServer, fake_openai_server

MESSAGES = [
    {"role": "system", "content": "You write short marketing copy."},
    {"role": "user", "content": "A subject line for the Cloudline 2."},
]
SECRET = "sk-test-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server() as srv:
        yield srv


@pytest.fixture(scope="module")
def local() -> LocalChatModel:
    model = LocalChatModel()
    model.loaded()
    return model


class Sleeps(list[float]):
    """Records every backoff wait (and waits for real, briefly)."""

    def __call__(self, seconds: float) -> None:
        import time

        self.append(seconds)
        time.sleep(min(seconds, 1.0))


def _endpoint(
    server: FakeOpenAIServer, log: CallLog | None = None, timeout_s: float = 5.0
) -> OpenAIChatModel:
    return OpenAIChatModel(
        base_url=server.base_url,
        model="fake-gpt",
        api_key=SECRET,
        timeout_s=timeout_s,
        call_log=log or CallLog(),
    )


def _fallback(
    server: FakeOpenAIServer,
    local: LocalChatModel,
    sleeps: Sleeps,
    *,
    retries: int = 2,
    timeout_s: float = 5.0,
) -> FallbackChatModel:
    policy = RetryPolicy(max_retries=retries, backoff_s=0.05, max_retry_after_s=1.0)
    return FallbackChatModel(_endpoint(server, timeout_s=timeout_s), local, policy=policy, sleep=sleeps)


def test_endpoint_answer_records_backend_tokens_latency_and_logs_exact_messages(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    log = CallLog(tmp_path / "calls.jsonl", secrets=[SECRET])
    result = _endpoint(server, log).chat(MESSAGES, max_tokens=20)
    assert result.text == "Fresh miles start here."
    assert (result.backend, result.model) == ("openai", "fake-gpt")
    assert result.completion_tokens == 4 and result.prompt_tokens > 0 and result.latency_s > 0
    assert server.requests[0]["messages"] == MESSAGES
    assert server.requests[0]["max_tokens"] == 20
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
    records = log.read()
    assert len(records) == 1
    assert records[0]["request"]["messages"] == MESSAGES and records[0]["outcome"] == "ok"
    assert SECRET not in (tmp_path / "calls.jsonl").read_text()


def test_customer_email_and_phone_never_reach_the_endpoint(server: FakeOpenAIServer) -> None:
    text = "Write to jane.doe@example.com or call +1 303 555 0199 about her order."
    _endpoint(server).chat([{"role": "user", "content": text}])
    sent = server.requests[0]["messages"][0]["content"]
    assert "jane.doe@example.com" not in sent and "555 0199" not in sent
    assert "[email]" in sent and "[phone]" in sent


def test_server_errors_are_retried_then_the_endpoint_answers(
    server: FakeOpenAIServer, local: LocalChatModel
) -> None:
    server.script("500", "500")
    sleeps = Sleeps()
    result = _fallback(server, local, sleeps).chat(MESSAGES)
    assert result.backend == "openai" and result.text == "Fresh miles start here."
    assert len(server.requests) == 3
    assert sleeps == [0.05, 0.1]
    assert len(result.fallback_reasons) == 2 and "HTTP 500" in result.fallback_reasons[0]


def test_rate_limit_honours_retry_after(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.script("429")
    sleeps = Sleeps()
    result = _fallback(server, local, sleeps).chat(MESSAGES)
    assert result.backend == "openai"
    assert sleeps == [1.0]
    assert "429" in result.fallback_reasons[0]


def test_retry_after_is_capped(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.retry_after = "3600"
    server.script("429")
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=1, max_retry_after_s=0.2)
    model = FallbackChatModel(_endpoint(server), local, policy=policy, sleep=sleeps)
    assert model.chat(MESSAGES).backend == "openai"
    assert sleeps == [0.2]


def test_persistent_server_errors_fall_back_to_the_real_local_model(
    server: FakeOpenAIServer, local: LocalChatModel
) -> None:
    server.script("500", "500", "500")
    sleeps = Sleeps()
    result = _fallback(server, local, sleeps).chat(MESSAGES, max_tokens=8)
    assert result.backend == "local"
    assert result.model.endswith(".gguf")
    assert result.text and result.text != "Fresh miles start here."
    assert 0 < result.completion_tokens <= 8
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert len(result.fallback_reasons) == 3


def test_hanging_endpoint_times_out_and_falls_back(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.hang_s = 2.0
    server.script("hang", "hang")
    sleeps = Sleeps()
    result = _fallback(server, local, sleeps, retries=1, timeout_s=0.3).chat(MESSAGES, max_tokens=4)
    assert result.backend == "local"
    assert all("timed out" in r for r in result.fallback_reasons)
    assert len(server.requests) == 2


def test_malformed_json_is_retried(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.script("malformed")
    sleeps = Sleeps()
    result = _fallback(server, local, sleeps).chat(MESSAGES)
    assert result.backend == "openai" and result.text == "Fresh miles start here."
    assert "malformed" in result.fallback_reasons[0]


def test_client_errors_are_not_retried(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.script("401")
    sleeps = Sleeps()
    result = _fallback(server, local, sleeps).chat(MESSAGES, max_tokens=4)
    assert result.backend == "local"
    assert len(server.requests) == 1 and sleeps == []
    assert "401" in result.fallback_reasons[0]


def test_stream_from_endpoint_arrives_in_pieces_with_usage(server: FakeOpenAIServer) -> None:
    chunks = list(_endpoint(server).stream(MESSAGES))
    pieces = [c.text for c in chunks if not c.done]
    assert len(pieces) == 4 and "".join(pieces) == "Fresh miles start here."
    final = chunks[-1].result
    assert isinstance(final, ChatResult)
    assert final.backend == "openai" and final.completion_tokens == 4
    assert final.first_token_s is not None and final.first_token_s <= final.latency_s
    assert server.requests[0]["stream"] is True


def test_stream_retries_before_the_first_token(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.script("500")
    result = collect(_fallback(server, local, Sleeps()).stream(MESSAGES))
    assert result.backend == "openai" and result.text == "Fresh miles start here."
    assert len(result.fallback_reasons) == 1


def test_stream_falls_back_to_local_streaming(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.script("429", "500")
    chunks = list(_fallback(server, local, Sleeps(), retries=1).stream(MESSAGES, max_tokens=6))
    final = chunks[-1].result
    assert final is not None and final.backend == "local"
    assert "".join(c.text for c in chunks[:-1]).strip() == final.text
    assert final.first_token_s is not None


def test_stream_cut_mid_answer_is_an_error_not_a_silent_partial(
    server: FakeOpenAIServer, local: LocalChatModel
) -> None:
    server.script("cut")
    stream = _fallback(server, local, Sleeps()).stream(MESSAGES)
    assert next(stream).text == "Fresh"
    with pytest.raises(ModelAPIError, match="cut off"):
        list(stream)


def test_json_schema_goes_to_the_endpoint_and_is_validated(server: FakeOpenAIServer) -> None:
    schema = {"type": "object", "properties": {"subject": {"type": "string"}}, "required": ["subject"]}
    server.reply = '{"subject": "Fresh miles start here"}'
    result = _endpoint(server).chat(MESSAGES, json_schema=schema)
    assert result.parsed == {"subject": "Fresh miles start here"}
    assert server.requests[0]["response_format"]["json_schema"]["schema"] == schema


def test_settings_pick_the_endpoint_with_local_fallback(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKT_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("MKT_LLM_MODEL", "house-model")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    model = build_chat_model(load_settings())
    result = model.chat(MESSAGES)
    assert (result.backend, result.model) == ("openai", "house-model")
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"


def test_without_endpoint_settings_the_local_model_is_used() -> None:
    assert isinstance(build_chat_model(load_settings()), LocalChatModel)


def test_langchain_adapter_invokes_and_streams_through_our_backend(server: FakeOpenAIServer) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from agent.llm.langchain_adapter import LangChainChatModel

    chat = LangChainChatModel(chat_model=_endpoint(server), max_tokens=30)
    answer = chat.invoke([SystemMessage("You write short copy."), HumanMessage("A subject line, please.")])
    assert answer.content == "Fresh miles start here."
    assert answer.response_metadata["backend"] == "openai"
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] == 4
    assert server.requests[0]["messages"][0] == {"role": "system", "content": "You write short copy."}
    assert server.requests[0]["max_tokens"] == 30
    pieces = [c.content for c in chat.stream("Again, streamed.")]
    assert "".join(str(p) for p in pieces) == "Fresh miles start here." and len(pieces) > 2
