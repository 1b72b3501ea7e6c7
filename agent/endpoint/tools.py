"""Agent tools as LangChain tools whose every call goes through ``run_tool``.

The model sees each tool's pydantic argument schema (as JSON schema, bound for native tool
calling); running a call hands the raw arguments to ``agent.toolbox.run_tool``, which validates them,
asks approval for side effects, redacts the result and emits the trace events. Invalid arguments
therefore come back to the model as run_tool's error observation, like any other tool error.

Calls run one at a time (LangGraph runs the parallel calls of one model message in threads; the
workspace's tools are not written for that). Copy reaches the model as the copy itself, every
variant part by part with its verdict (``observation``): run_tool's JSON of a ``CopyResult`` is cut
at 1,500 characters, mostly check details, so the model never saw the second variant, nor all of
a long email's first. ``Ledger`` keeps what the calls did for the reply,
and holds the approvals the policy collected at the human-in-the-loop interrupt, so run_tool's own
approval check does not ask the person twice.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from agent.events import StepEvent
from agent.pii import redact
from agent.toolbox import AgentTool, ToolCall, ToolContext, run_tool
from prompts import load_prompt
from tools.copy.models import CopyResult


@dataclass
class LedgerEntry:
    """One tool call of the turn: the model's arguments and, when they were valid, the validated ones."""

    name: str
    requested: dict[str, Any]
    arguments: dict[str, Any] | None


@dataclass
class Ledger:
    """The turn's tool calls, and the side effects a person approved at the interrupt."""

    approve: Callable[[str], bool]
    entries: list[LedgerEntry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _granted: Counter[str] = field(default_factory=Counter)

    def grant(self, action: str) -> None:
        """A person approved ``action`` once (consumed by the call that performs it)."""
        self._granted[action] += 1

    def approved(self, action: str) -> bool:
        """run_tool's approval check: an action granted at the interrupt, else ask the person now."""
        if self._granted[action] > 0:
            self._granted[action] -= 1
            return True
        return self.approve(action)

    def record(self, name: str, requested: dict[str, Any], arguments: dict[str, Any] | None) -> None:
        """Remember one call."""
        self.entries.append(LedgerEntry(name, dict(requested), arguments))

    def in_order(self, requested: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        """The calls with valid arguments, in the order the model asked for them."""
        left = list(self.entries)
        ordered: list[LedgerEntry] = []
        for name, args in requested:
            match = next((e for e in left if e.name == name and e.requested == args), None)
            if match is not None:
                left.remove(match)
                ordered.append(match)
        return [(e.name, e.arguments) for e in ordered + left if e.arguments is not None]


def tool_schema(tool: AgentTool) -> dict[str, Any]:
    """The JSON schema the model sees: the tool's pydantic argument model."""
    schema = dict(tool.arguments_schema())
    schema.pop("title", None)
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def observation(tool: AgentTool, done: ToolCall) -> str:
    """What the model reads of one call: run_tool's observation, or for copy the copy in full."""
    if not isinstance(done.result, CopyResult):
        return done.observation
    from agent.staged import copy_text  # the copy as the staged answer shows it

    data = redact(copy_text(done.result))
    return load_prompt("agent").render("observation", tool=tool.name, headline=done.headline, data=data)


def to_langchain(
    tools: Sequence[AgentTool],
    context: ToolContext,
    on_event: Callable[[StepEvent], None],
    ledger: Ledger | None = None,
) -> list[BaseTool]:
    """LangChain tools for ``tools``, bound to ``context``; each call runs through ``run_tool``.

    With a ``ledger`` the calls are recorded there and side effects it granted are not asked
    again; without one, run_tool asks ``context.approve`` as usual.
    """
    book = ledger or Ledger(approve=context.approve)
    scoped = dataclasses.replace(context, approve=book.approved, on_event=on_event)

    def make(tool: AgentTool) -> BaseTool:
        def call(**kwargs: Any) -> str:
            with book.lock:
                done = run_tool(tool, kwargs, scoped)
                book.record(tool.name, kwargs, done.arguments)
            return observation(tool, done)

        return StructuredTool.from_function(
            func=call, name=tool.name, description=tool.description, args_schema=tool_schema(tool)
        )

    return [make(t) for t in tools]
