"""Scripted assistant replies with OpenAI ``tool_calls``, as the fake server sends them.

A ``ScriptedReply`` is one assistant message: text, tool calls, or both. ``message`` renders it as
a non-streaming ``choices[0].message``; ``deltas`` renders it as the ``delta`` objects of a stream,
the way OpenAI sends them: the role first, text in word pieces, then per tool call one delta with
its index, id and name followed by its JSON arguments in two pieces.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_IDS = itertools.count(1)


@dataclass(frozen=True)
class ToolCallSpec:
    """One tool call; ``arguments`` given as a string is sent verbatim (e.g. malformed JSON)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str = field(default_factory=lambda: f"call_{next(_IDS)}")

    @property
    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class ScriptedReply:
    """One assistant message the fake server answers with."""

    content: str = ""
    tool_calls: tuple[ToolCallSpec, ...] = ()

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"

    def completion_tokens(self) -> int:
        return len(self.content.split()) + sum(len(c.arguments_json.split()) + 1 for c in self.tool_calls)


def calls(*specs: ToolCallSpec | tuple[str, dict[str, Any] | str], content: str = "") -> ScriptedReply:
    """A reply calling tools: ``calls(("segment_customers", {}), ("score_churn", {"top": 5}))``."""
    made = tuple(s if isinstance(s, ToolCallSpec) else ToolCallSpec(s[0], s[1]) for s in specs)
    return ScriptedReply(content=content, tool_calls=made)


def text(content: str) -> ScriptedReply:
    """A plain text reply (the model's answer)."""
    return ScriptedReply(content=content)


def _wire(call: ToolCallSpec) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments_json},
    }


def message(reply: ScriptedReply) -> dict[str, Any]:
    """The reply as a Chat Completions ``message`` object."""
    body: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.tool_calls:
        body["tool_calls"] = [_wire(c) for c in reply.tool_calls]
    return body


def _words(content: str) -> list[str]:
    pieces = content.split(" ")
    return [p if i == 0 else " " + p for i, p in enumerate(pieces)]


def deltas(reply: ScriptedReply) -> Iterator[dict[str, Any]]:
    """The reply as the ``delta`` objects of a stream, in the order OpenAI sends them."""
    words = _words(reply.content) if reply.content else []
    yield {"role": "assistant", "content": words[0] if words else None}
    for word in words[1:]:
        yield {"content": word}
    for index, call in enumerate(reply.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield {"tool_calls": [head]}
        args = call.arguments_json
        half = len(args) // 2
        for piece in (args[:half], args[half:]):
            if piece:
                yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
