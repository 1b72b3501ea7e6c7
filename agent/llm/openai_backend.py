"""An OpenAI-compatible Chat Completions endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server).

The SDK's own retries are off (``max_retries=0``): retrying, honouring ``Retry-After`` and falling
back are the fallback model's job, so every attempt is visible in the call log. Customer emails
and phone numbers are redacted from every message before it leaves the machine.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import openai
import pydantic

from agent.llm.calllog import NULL_LOG, CallLog, redact_url
from agent.llm.errors import BackendError, from_openai
from agent.llm.structured import InvalidJSONAnswer, parse_json_answer
from agent.pii import redact
from tools.chat_model import ChatChunk, ChatResult, Message

_CAUGHT = (openai.OpenAIError, ValueError, pydantic.ValidationError)


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
        call_log: CallLog = NULL_LOG,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.call_log = call_log
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
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_schema is not None:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json_schema},
            }
        return request

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
            completion = self._client.chat.completions.create(**request)
            if not getattr(completion, "choices", None):
                raise ValueError("response has no choices")
            text = completion.choices[0].message.content or ""
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
            events = self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}
            )
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
                    if first is None:
                        first = time.perf_counter() - started
                    chunks += 1
                    parts.append(delta)
                    yield ChatChunk(text=delta)
            if not finished:
                raise ValueError("the stream ended before the answer was finished")
        except _CAUGHT as exc:
            error = from_openai(exc, base_url=self.base_url)
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


def _tokens(result: ChatResult) -> dict[str, int]:
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens}
