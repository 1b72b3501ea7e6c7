"""mkt's ``ChatModel`` interface over a LangChain chat model, for the steps that are not agent turns.

The campaign planner and the copy writer talk to a ``tools.chat_model.ChatModel``; with a LangChain
model passed in (``Assistant(settings, workspace, model=...)``) they use this backend, so one model
serves the whole turn. ``max_tokens``, ``temperature`` and ``stop`` are passed as call options
(every major LangChain chat model accepts them); a JSON answer is asked for in words and parsed
against the schema (any model can do that). Emails and phone numbers are redacted before the call,
every call is written to the call log, and a failure is a ``ModelAPIError``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata

from agent.endpoint.models import backend_name
from agent.llm.calllog import NULL_LOG, CallLog
from agent.llm.structured import parse_json_answer, schema_instruction
from agent.pii import redact
from data.errors import ModelAPIError
from tools.chat_model import ChatChunk, ChatResult, Message

_ROLES: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


class LangChainBackend:
    """A ``ChatModel`` answering with ``model`` (any LangChain ``BaseChatModel``)."""

    def __init__(self, model: BaseChatModel, *, call_log: CallLog = NULL_LOG) -> None:
        self.model = model
        self.call_log = call_log

    @property
    def name(self) -> str:
        """``provider:model``, e.g. ``openai:gpt-4o-mini``."""
        return backend_name(self.model)

    def _messages(self, messages: Sequence[Message], json_schema: dict[str, Any] | None) -> list[BaseMessage]:
        convo = list(messages)
        if json_schema is not None:
            convo.append(Message(role="user", content=schema_instruction(json_schema)))
        return [_ROLES[m["role"]](content=redact(m["content"])) for m in convo]

    def _result(self, text: str, usage: UsageMetadata | None, started: float, **extra: Any) -> ChatResult:
        return ChatResult(
            text=text,
            backend=self.name,
            model=str(getattr(self.model, "model_name", "") or self.name),
            prompt_tokens=int(usage["input_tokens"]) if usage else 0,
            completion_tokens=int(usage["output_tokens"]) if usage else 0,
            latency_s=time.perf_counter() - started,
            **extra,
        )

    def _fail(self, exc: Exception, sent: list[BaseMessage], started: float) -> ModelAPIError:
        error = ModelAPIError(f"{self.name} failed: {type(exc).__name__}: {exc}")
        self._log(sent, started, outcome="error", error=str(error))
        return error

    def _log(self, sent: list[BaseMessage], started: float, **outcome: Any) -> None:
        request = [{"role": m.type, "content": m.content} for m in sent]
        latency = round(time.perf_counter() - started, 4)
        self.call_log.record(backend=self.name, request={"messages": request}, latency_s=latency, **outcome)

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        """One call; with ``json_schema`` the answer is parsed (``ModelAPIError`` if it is not valid)."""
        sent = self._messages(messages, json_schema)
        started = time.perf_counter()
        try:
            reply = self.model.invoke(
                sent, stop=list(stop) if stop else None, max_tokens=max_tokens, temperature=temperature
            )
            parsed = parse_json_answer(reply.text, json_schema) if json_schema is not None else None
        except Exception as exc:  # any model's failure, or an answer that is not the JSON asked for
            raise self._fail(exc, sent, started) from exc
        usage = reply.usage_metadata if isinstance(reply, AIMessage) else None
        self._log(sent, started, outcome="ok", response=reply.text)
        return self._result(reply.text, usage, started, parsed=parsed)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Iterator[ChatChunk]:
        """The answer piece by piece; the last chunk carries the ``ChatResult``."""
        sent = self._messages(messages, None)
        started = time.perf_counter()
        parts: list[str] = []
        usage: UsageMetadata | None = None
        first: float | None = None
        try:
            for chunk in self.model.stream(sent, max_tokens=max_tokens, temperature=temperature):
                if isinstance(chunk, AIMessageChunk) and chunk.usage_metadata:
                    usage = chunk.usage_metadata
                if chunk.text:
                    first = first if first is not None else time.perf_counter() - started
                    parts.append(chunk.text)
                    yield ChatChunk(text=chunk.text)
        except Exception as exc:  # see chat()
            raise self._fail(exc, sent, started) from exc
        text = "".join(parts)
        self._log(sent, started, outcome="ok", stream=True, response=text)
        yield ChatChunk(done=True, result=self._result(text, usage, started, first_token_s=first))
