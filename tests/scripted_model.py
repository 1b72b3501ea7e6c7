"""A scripted chat model: replies from a list, implementing the real ``ChatModel`` interface.

Used to drive the agent loop through bad JSON, unknown tools, repeated calls and endless loops.
It records every message list it was sent, so tests can inspect exactly what a model would see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from agent.llm.base import ChatChunk, ChatResult, Message


class ScriptedModel:
    """Replies with the next scripted text (or the result of a callable on the messages)."""

    def __init__(
        self,
        replies: Sequence[str | dict[str, Any] | Callable[[Sequence[Message]], str]],
        *,
        repeat_last: bool = False,
    ) -> None:
        self.replies = list(replies)
        self.repeat_last = repeat_last
        self.sent: list[list[Message]] = []

    @property
    def name(self) -> str:
        return "scripted"

    def _next(self, messages: Sequence[Message]) -> str:
        self.sent.append([dict(m) for m in messages])  # type: ignore[misc]
        index = len(self.sent) - 1
        if index >= len(self.replies):
            if not self.repeat_last:
                raise AssertionError(f"the script has only {len(self.replies)} replies")
            index = len(self.replies) - 1
        reply = self.replies[index]
        if callable(reply):
            return reply(messages)
        return reply if isinstance(reply, str) else json.dumps(reply)

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        text = self._next(messages)
        return ChatResult(
            text=text,
            backend="scripted",
            model="script",
            prompt_tokens=10,
            completion_tokens=len(text.split()),
        )

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 256, temperature: float = 0.0
    ) -> Iterator[ChatChunk]:
        result = self.chat(messages, max_tokens=max_tokens, temperature=temperature)
        for word in result.text.split(" "):
            yield ChatChunk(text=word + " ")
        yield ChatChunk(done=True, result=result)
