"""An OpenAI-compatible Chat Completions endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server).

The SDK's own retries are off (``max_retries=0``): retrying, honouring ``Retry-After`` and falling
back are the fallback model's job, so every attempt is visible in the call log. Customer emails
and phone numbers are redacted from every message before it leaves the machine.

Every call is bounded: a total deadline (``deadline_s``, or the turn's budget if sooner; a server
dripping bytes or keep-alives cannot hold it past that), ``max_tokens`` capped at
``max_tokens_cap``, and at most ``max_answer_bytes`` read from the wire. The body is read raw and
decoded here (JSON or server-sent events) so those limits hold between any two network reads.
A garbage completion (control bytes, ``}}{{``) is an error, never an answer.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import openai
import pydantic
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from agent.llm.calllog import NULL_LOG, CallLog, redact_url
from agent.llm.deadline import Deadline, call_deadline, within
from agent.llm.errors import BackendError, from_openai
from agent.llm.sanity import garbage_reason
from agent.llm.structured import InvalidJSONAnswer, parse_json_answer
from agent.pii import redact
from tools.chat_model import ChatChunk, ChatResult, Message

_CAUGHT = (openai.OpenAIError, ValueError, pydantic.ValidationError, httpx.HTTPError)


class OpenAIChatModel:
    """Chat through the ``openai`` SDK against any OpenAI-compatible base URL."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        deadline_s: float | None = None,
        max_tokens_cap: int = 2048,
        max_answer_bytes: int = 256 * 1024,
        call_log: CallLog = NULL_LOG,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.call_log = call_log
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s if deadline_s is not None else 2 * timeout_s
        self.max_tokens_cap = max_tokens_cap
        self.max_answer_bytes = max_answer_bytes
        # Local servers need no key, but the SDK insists on one.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0
        )
        # Close the pooled connections when this model goes away (no sockets left to the collector).
        weakref.finalize(self, self._client.close)

    def close(self) -> None:
        """Close the HTTP connections now."""
        self._client.close()

    def _request(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> dict[str, Any]:
        sent = [{"role": m["role"], "content": redact(m["content"])} for m in messages]
        request: dict[str, Any] = {
            "model": self.model,
            "messages": sent,
            "max_tokens": max(1, min(max_tokens, self.max_tokens_cap)),
            "temperature": temperature,
        }
        if json_schema is not None:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json_schema},
            }
        return request

    def _body(self, request: dict[str, Any], deadline: Deadline) -> Iterator[bytes]:
        """The raw response body, chunk by chunk as it arrives, within the deadline and byte cap."""
        timeout = max(0.05, min(self.timeout_s, deadline.remaining()))
        api = self._client.chat.completions.with_streaming_response
        with _within(api.create(**request, timeout=timeout), deadline) as response:
            read = 0
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > self.max_answer_bytes:
                    raise _limit(f"the answer passed the {self.max_answer_bytes:,}-byte cap", "oversize")
                if deadline.expired:
                    raise _limit(f"the call passed its {deadline.seconds:g} s deadline", "timeout", True)
                yield chunk

    def _completion(self, request: dict[str, Any]) -> ChatCompletion:
        """One non-streamed completion, read within the limits."""
        raw = b"".join(self._body(request, call_deadline(self.deadline_s)))
        return ChatCompletion.model_validate(json.loads(raw))

    def _events(self, request: dict[str, Any]) -> Iterator[ChatCompletionChunk]:
        """Server-sent events of a streamed completion, read within the limits (comments skipped)."""
        buffer = b""
        for chunk in self._body(request, call_deadline(self.deadline_s)):
            buffer += chunk.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                data = b"\n".join(
                    line[5:].strip() for line in event.split(b"\n") if line.startswith(b"data:")
                )
                if not data:
                    continue  # a keep-alive comment or an empty event
                if data == b"[DONE]":
                    return
                decoded = json.loads(data)
                if isinstance(decoded, dict) and "error" in decoded:
                    raise ValueError(f"the stream reported an error: {decoded['error']}")
                yield ChatCompletionChunk.model_validate(decoded)

    def _log(self, request: dict[str, Any], *, stream: bool, started: float, **outcome: Any) -> None:
        self.call_log.record(
            backend=self.name,
            base_url=redact_url(self.base_url),
            stream=stream,
            request=request,
            latency_s=round(time.perf_counter() - started, 4),
            **outcome,
        )

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        """One Chat Completions request; failures raise ``BackendError``."""
        request = self._request(messages, max_tokens, temperature, json_schema)
        if stop:
            request["stop"] = list(stop)
        started = time.perf_counter()
        try:
            completion = self._completion(request)
            if not getattr(completion, "choices", None):
                raise ValueError("response has no choices")
            text = completion.choices[0].message.content or ""
            _check_garbage(text, json_mode=json_schema is not None)
            parsed = parse_json_answer(text, json_schema) if json_schema is not None else None
        except InvalidJSONAnswer as exc:
            error = BackendError(
                f"endpoint answer does not match the schema: {exc}",
                backend=self.name,
                kind="invalid_output",
                retryable=True,
            )
            self._log(request, stream=False, started=started, outcome="error", error=str(error))
            raise error from exc
        except BackendError as limit:
            self._log(request, stream=False, started=started, outcome="error", error=str(limit))
            raise
        except _CAUGHT as exc:
            error = from_openai(exc, base_url=self.base_url)
            self._log(request, stream=False, started=started, outcome="error", error=str(error))
            raise error from exc
        latency = time.perf_counter() - started
        usage = completion.usage
        result = ChatResult(
            text=text,
            backend=self.name,
            model=completion.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            latency_s=latency,
            parsed=parsed,
        )
        self._log(request, stream=False, started=started, outcome="ok", answer=text, **_tokens(result))
        return result

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Iterator[ChatChunk]:
        """Stream a Chat Completions answer (server-sent events); failures raise ``BackendError``."""
        request = self._request(messages, max_tokens, temperature, None)
        started = time.perf_counter()
        parts: list[str] = []
        first: float | None = None
        prompt_tokens = completion_tokens = chunks = 0
        model = self.model
        finished = False
        try:
            events = self._events({**request, "stream": True, "stream_options": {"include_usage": True}})
            for event in events:
                model = event.model or model
                if event.usage is not None:
                    prompt_tokens = event.usage.prompt_tokens
                    completion_tokens = event.usage.completion_tokens
                if not event.choices:
                    continue
                finished = finished or event.choices[0].finish_reason is not None
                delta = event.choices[0].delta.content
                if delta:
                    _check_garbage(delta, json_mode=False)
                    if first is None:
                        first = time.perf_counter() - started
                    chunks += 1
                    parts.append(delta)
                    yield ChatChunk(text=delta)
            if not finished:
                raise ValueError("the stream ended before the answer was finished")
            _check_garbage("".join(parts), json_mode=False)
        except (*_CAUGHT, BackendError) as exc:
            error = exc if isinstance(exc, BackendError) else from_openai(exc, base_url=self.base_url)
            self._log(
                request,
                stream=True,
                started=started,
                outcome="error",
                error=str(error),
                partial="".join(parts),
            )
            raise error from exc
        result = ChatResult(
            text="".join(parts),
            backend=self.name,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens or chunks,
            latency_s=time.perf_counter() - started,
            first_token_s=first,
        )
        self._log(request, stream=True, started=started, outcome="ok", answer=result.text, **_tokens(result))
        yield ChatChunk(done=True, result=result)


class _within:  # noqa: N801 - used as a context manager, like the SDK's own
    """Enter ``manager`` (send the request, read the headers) within ``deadline`` (``deadline.within``)."""

    def __init__(self, manager: Any, deadline: Deadline) -> None:
        self.manager = manager
        self.deadline = deadline

    def __enter__(self) -> Any:
        return within(
            self.manager.__enter__,
            self.deadline,
            late=lambda _response: self.manager.__exit__(None, None, None),
            expired=lambda: _limit(
                f"the call passed its {self.deadline.seconds:g} s deadline", "timeout", True
            ),
        )

    def __exit__(self, *exc: object) -> None:
        self.manager.__exit__(*exc)


def _limit(message: str, kind: str, retryable: bool = False) -> BackendError:
    return BackendError(message, backend=OpenAIChatModel.name, kind=kind, retryable=retryable)


def _check_garbage(text: str, *, json_mode: bool) -> None:
    reason = garbage_reason(text, json=json_mode)
    if reason is not None:
        raise _limit(f"the endpoint sent a garbage completion ({reason})", "garbage", True)


def _tokens(result: ChatResult) -> dict[str, int]:
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens}
