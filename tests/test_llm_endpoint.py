"""The endpoint path: the real ``openai`` client over real HTTP against a scripted fake server.

Retries, Retry-After, timeouts, malformed answers and the hand-over to the real local model.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.llm import (
    BackendError,
    CallLog,
    ChatResult,
    CircuitBreaker,
    Deadline,
    DeadlineExceeded,
    FallbackChatModel,
    LocalChatModel,
    OpenAIChatModel,
    RetryPolicy,
    build_chat_model,
    collect,
    turn_budget,
)
from agent.llm.sanity import garbage_reason
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


# Faults: each played by the fake server over real HTTP.


class Clock:
    """A hand-moved monotonic clock for the circuit breaker."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_dripping_server_cannot_hold_a_call_past_its_deadline(server: FakeOpenAIServer) -> None:
    server.drip_s = 0.3  # one byte every 0.3 s: no single read ever times out; the body takes ~90 s
    model = OpenAIChatModel(base_url=server.base_url, model="m", timeout_s=2.0, deadline_s=1.0)
    started = time.perf_counter()
    server.script("drip")
    with pytest.raises(BackendError, match="deadline") as caught:
        model.chat(MESSAGES)
    assert time.perf_counter() - started < 2.0
    assert caught.value.kind == "timeout" and caught.value.retryable


def test_dripped_headers_cannot_hold_a_call_past_its_deadline(server: FakeOpenAIServer) -> None:
    server.drip_s = 0.3  # the headers alone take ~30 s, each byte well within the read timeout
    model = OpenAIChatModel(base_url=server.base_url, model="m", timeout_s=2.0, deadline_s=1.0)
    server.script("drip_headers")
    started = time.perf_counter()
    with pytest.raises(BackendError, match="deadline"):
        model.chat(MESSAGES)
    assert time.perf_counter() - started < 1.5


def test_a_stream_of_keepalives_cannot_hold_a_call_past_its_deadline(server: FakeOpenAIServer) -> None:
    server.drip_s = 0.2
    model = OpenAIChatModel(base_url=server.base_url, model="m", timeout_s=2.0, deadline_s=1.0)
    server.script("keepalive")
    started = time.perf_counter()
    with pytest.raises(BackendError, match="deadline"):
        list(model.stream(MESSAGES))
    assert time.perf_counter() - started < 2.0


def test_the_turn_budget_bounds_a_hanging_endpoint_and_its_retries(
    server: FakeOpenAIServer, local: LocalChatModel
) -> None:
    server.hang_s = 5.0
    server.script("hang", "hang", "hang")
    sleeps = Sleeps()
    model = _fallback(server, local, sleeps, retries=2, timeout_s=30.0)
    started = time.perf_counter()
    with turn_budget(1.0):
        result = model.chat(MESSAGES, max_tokens=4)
    assert result.backend == "local"
    assert len(server.requests) == 1 and sleeps == []  # no retry could fit in what was left
    assert any("budget" in r for r in result.fallback_reasons)
    assert time.perf_counter() - started < 1.5 + 6.0  # the call itself stopped at 1 s; then local


def test_a_huge_answer_is_cut_at_the_byte_cap_and_the_local_model_answers(
    server: FakeOpenAIServer, local: LocalChatModel
) -> None:
    server.script("huge")
    model = FallbackChatModel(
        OpenAIChatModel(base_url=server.base_url, model="m", max_answer_bytes=100_000), local, sleep=Sleeps()
    )
    result = model.chat(MESSAGES, max_tokens=4)
    assert result.backend == "local" and len(result.text) < 200
    assert "byte cap" in result.fallback_reasons[0] and len(server.requests) == 1  # not retried


def test_max_tokens_is_capped_before_it_is_sent(server: FakeOpenAIServer) -> None:
    OpenAIChatModel(base_url=server.base_url, model="m", max_tokens_cap=512).chat(MESSAGES, max_tokens=10**6)
    assert server.requests[0]["max_tokens"] == 512


def test_garbage_completions_are_never_the_answer(server: FakeOpenAIServer, local: LocalChatModel) -> None:
    server.script("control", "braces")
    result = _fallback(server, local, Sleeps()).chat(MESSAGES)
    assert result.text == "Fresh miles start here." and result.backend == "openai"
    assert ["control bytes" in result.fallback_reasons[0], "'}}{{'" in result.fallback_reasons[1]] == [
        True,
        True,
    ]


def test_the_circuit_opens_after_failures_skips_the_endpoint_then_tries_it_again(
    server: FakeOpenAIServer, local: LocalChatModel
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, cooldown_s=30.0, clock=clock)
    policy = RetryPolicy(max_retries=1, backoff_s=0.01)
    model = FallbackChatModel(_endpoint(server), local, policy=policy, breaker=breaker, sleep=Sleeps())
    server.script("500", "500")
    assert model.chat(MESSAGES, max_tokens=4).backend == "local"
    assert len(server.requests) == 2 and breaker.is_open
    skipped = model.chat(MESSAGES, max_tokens=4)
    assert skipped.backend == "local" and len(server.requests) == 2  # the endpoint was not called
    assert "skipped after 2 consecutive failures" in skipped.fallback_reasons[0]
    assert "local model answered" in skipped.fallback_reasons[0]
    clock.now += 31.0
    assert model.chat(MESSAGES).backend == "openai" and not breaker.is_open
    assert len(server.requests) == 3


def test_deadlines_nest_and_never_extend() -> None:
    clock = Clock()
    outer = Deadline(10.0, clock=clock)
    with turn_budget(outer):
        with turn_budget(60.0) as inner:
            assert inner is outer  # an inner budget cannot extend the turn
        clock.now += 11.0
        assert outer.expired
        with pytest.raises(DeadlineExceeded, match="10 s budget"):
            outer.check()


@pytest.mark.parametrize(
    ("text", "garbage"),
    [
        ("Fresh miles start here.", False),
        ("Hi {{first_name}}{{last_name}}, 15% off!", False),
        ('{"goal": "win_back", "filters": [[], []]}', False),
        ("}}{{", True),
        ("\x00\x01 hello", True),
        ("{[<|>]}{[<|>]}", True),
        ("?!?!?!?!?!?!", True),
    ],
)
def test_garbage_detection(text: str, garbage: bool) -> None:
    json_mode = text.startswith('{"')
    assert (garbage_reason(text, json=json_mode) is not None) is garbage


def test_a_half_open_circuit_reopens_on_one_failure() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown_s=10.0, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.is_open and not breaker.allow()
    clock.now += 10.0
    assert breaker.allow()  # one trial after the cool-down
    breaker.failure()
    assert breaker.is_open and not breaker.allow()
    clock.now += 10.0
    assert breaker.allow()
    breaker.success()
    breaker.failure()
    assert not breaker.is_open  # closed again: it takes 3 failures to open


def test_after_the_cool_down_only_one_caller_tries_the_endpoint() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown_s=10.0, clock=lambda: now[0])
    breaker.failure()
    breaker.failure()
    assert not breaker.allow()
    now[0] = 11.0
    assert breaker.allow(), "the trial call"
    assert not breaker.allow() and not breaker.allow(), "concurrent callers wait for the trial"
    breaker.failure()
    now[0] = 15.0
    assert not breaker.allow(), "a failed trial re-opens the circuit for a whole cool-down"
    now[0] = 22.0
    assert breaker.allow()
    breaker.success()
    assert breaker.allow() and breaker.allow(), "a good trial closes the circuit for everyone"
