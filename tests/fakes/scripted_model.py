"""A chat model that answers from a script: implements the real ``ChatModel`` interface, records prompts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from agent.llm.base import ChatChunk, ChatResult, Message


class ScriptedModel:
    """Answers each call with the next scripted reply (a string, or a function of the messages)."""

    name = "scripted"

    def __init__(self, replies: Sequence[str | Callable[[Sequence[Message]], str]]) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    def _next(self, messages: Sequence[Message]) -> str:
        reply = self.replies[min(len(self.calls), len(self.replies) - 1)]
        return reply(messages) if callable(reply) else reply

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        text = self._next(messages)
        self.calls.append({"messages": list(messages), "temperature": temperature, "stop": stop})
        return ChatResult(text=text, backend=self.name, model="script", completion_tokens=len(text.split()))

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.0
    ) -> Iterator[ChatChunk]:
        result = self.chat(messages, max_tokens=max_tokens, temperature=temperature)
        yield ChatChunk(text=result.text)
        yield ChatChunk(done=True, result=result)
