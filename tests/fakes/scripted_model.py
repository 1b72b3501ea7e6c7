"""A scripted chat model: replies from a list, implementing the real ``ChatModel`` interface.

Drives the agent loop through bad JSON, unknown tools, repeated calls and endless loops, and the copy
generator through its guardrail retries. It records every call (the messages exactly as sent,
temperature, stop strings), so tests can inspect what a model would see. Thread-safe, so concurrent
Slack requests can share one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tools.chat_model import ChatChunk, ChatResult, Message

Reply = str | dict[str, Any] | Callable[[Sequence[Message]], str]


class ScriptedModel:
    """Answers each call with the next scripted reply (text, a JSON-able dict, or a function of the messages).

    With ``repeat_last`` (the default) the last reply repeats once the script is used up; without it,
    running past the script fails the test.
    """

    name = "scripted"

    def __init__(self, replies: Sequence[Reply], *, repeat_last: bool = True) -> None:
        self.replies = list(replies)
        self.repeat_last = repeat_last
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @property
    def sent(self) -> list[list[Message]]:
        """The message lists of every call, in order."""
        return [call["messages"] for call in self.calls]

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        with self._lock:
            index = len(self.calls)
            self.calls.append(
                {"messages": [dict(m) for m in messages], "temperature": temperature, "stop": stop}
            )
        if index >= len(self.replies):
            if not self.repeat_last:
                raise AssertionError(f"the script has only {len(self.replies)} replies")
            index = len(self.replies) - 1
        reply = self.replies[index]
        text = reply(messages) if callable(reply) else reply if isinstance(reply, str) else json.dumps(reply)
        return ChatResult(
            text=text,
            backend=self.name,
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
