"""Tools as the agent sees them, and ``run_tool``: the one seam every tool call goes through.

An ``AgentTool`` wraps a typed function from ``tools/`` (the same one the CLI calls) with its
pydantic arguments and whether it has a side effect. ``run_tool`` validates the arguments, asks
for approval of side effects, runs the tool, redacts what the model will read and reports every
step as events, whoever calls it: the staged local policy, the endpoint policy, the campaign
planner, or a tool that needs another tool's result (``ToolContext.require``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from pydantic import BaseModel, ValidationError

from agent.events import EventHandler, StepEvent
from agent.failures import record
from agent.pii import redact_value
from agent.state import ConversationState
from data.engine.open import open_engine
from data.engine.source import SparkSource
from data.errors import MktError, ToolError
from data.settings import Settings
from data.workspace import Workspace
from prompts import load_prompt
from tools.chat_model import ChatModel

if TYPE_CHECKING:
    from knowledge.store import KnowledgeStore


@dataclass(frozen=True)
class AgentTool:
    """A tool the agent may call."""

    name: str
    description: str
    args_model: type[BaseModel]
    run: Callable[[BaseModel, ToolContext], BaseModel]
    side_effect: bool = False
    action: Callable[[BaseModel, ToolContext], str] | None = None
    check: Callable[[BaseModel, ToolContext], None] | None = None

    def describe(self, args: BaseModel, context: ToolContext) -> str:
        """The action in words, as an approver sees it."""
        if self.action is not None:
            return self.action(args, context)
        return f"{self.name} {args.model_dump_json()}"

    def arguments_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments (shown to the model)."""
        return self.args_model.model_json_schema()

    def signature(self) -> str:
        """One line for the prompt: name, description and argument names with types."""
        props = self.arguments_schema().get("properties", {})
        args = ", ".join(f"{k}: {_type_name(v)}" for k, v in props.items())
        return f"- {self.name}({args}): {self.description}"


def _type_name(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "|".join(json.dumps(v) for v in prop["enum"])
    if "anyOf" in prop:
        return "|".join(_type_name(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list[{_type_name(prop.get('items', {}))}]"
    return str(prop.get("type", "any"))


def _no_events(_event: StepEvent) -> None:
    return None


@dataclass
class ToolContext:
    """What tools need besides their arguments: settings, workspace, state, approval and events.

    ``calls`` lists every validated call of the turn in order (dependencies included); ``results``
    holds the latest result of each tool.
    """

    settings: Settings
    workspace: Workspace
    approve: Callable[[str], bool] = lambda _action: False
    state: ConversationState = field(default_factory=ConversationState)
    tools: Mapping[str, AgentTool] = field(default_factory=dict)
    on_event: EventHandler = _no_events
    model: ChatModel | None = None
    output_dir: Path | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: dict[str, BaseModel] = field(default_factory=dict)
    plots: list[Path] = field(default_factory=list)
    _store: KnowledgeStore | None = None

    @contextmanager
    def analytics(self) -> Iterator[duckdb.DuckDBPyConnection | SparkSource]:
        """The workspace's customer tables on the configured engine (``MKT_ENGINE``), closed after."""
        con = open_engine(self.workspace, None, self.settings)
        try:
            yield con
        finally:
            con.close()

    def plot_path(self, name: str) -> Path | None:
        """Where a tool writes the plot ``name`` (None: this turn keeps no plots)."""
        if self.output_dir is None:
            return None
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / name

    @property
    def folder(self) -> Path:
        """This turn's folder for intermediate files."""
        return self.output_dir or self.workspace.runs_dir

    def knowledge(self) -> KnowledgeStore:
        """The knowledge store, opened on first use (chromadb loads only for turns that search)."""
        if self._store is None:
            from knowledge.store import KnowledgeStore

            self._store = KnowledgeStore.open(self.settings)
        return self._store

    def require(self, name: str, **args: Any) -> BaseModel:
        """Run tool ``name`` through ``run_tool`` (so it is traced and counted) for its result.

        Raises:
            ToolError: the tool is unknown or failed; the message says why.
        """
        tool = self.tools.get(name)
        if tool is None:
            raise ToolError(f"this step needs {name}, which is not available")
        call = run_tool(tool, args, self)
        if call.result is None:
            raise ToolError(call.observation)
        return call.result


@dataclass
class ToolCall:
    """One tool run: validated arguments (None if invalid), result (None on error), what the model reads."""

    observation: str
    arguments: dict[str, Any] | None = None
    result: BaseModel | None = None
    headline: str = ""


def run_tool(tool: AgentTool, args: dict[str, Any], context: ToolContext) -> ToolCall:
    """Validate ``args`` with the tool's pydantic model, check, approve, run, and report it as events.

    Validation errors, failed preconditions, refusals and ``MktError`` from the tool come back as
    the observation (a model can adapt); the result is stored in ``context.results``.
    """
    emit = context.on_event
    try:
        parsed = tool.args_model.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        emit(StepEvent("tool_error", {"tool": tool.name, "error": problems}))
        return ToolCall(_say("observation_invalid", tool=tool.name, problems=problems))
    arguments = parsed.model_dump(mode="json")
    context.calls.append((tool.name, arguments))
    emit(StepEvent("tool_call", {"tool": tool.name, "arguments": arguments}))
    started = time.monotonic()
    try:
        if tool.check is not None:
            tool.check(parsed, context)
        if tool.side_effect:
            action = tool.describe(parsed, context)
            approved = context.approve(action)
            emit(StepEvent("approval", {"tool": tool.name, "action": action, "approved": approved}))
            if not approved:
                return ToolCall(_say("observation_refused", action=action), arguments)
        result = tool.run(parsed, context)
    except MktError as exc:  # bad arguments for this data, missing data: the model can adapt
        emit(StepEvent("tool_error", {"tool": tool.name, "error": str(exc)}))
        return ToolCall(_say("observation_error", tool=tool.name, error=str(exc)), arguments)
    except Exception as exc:  # a bug: one line with a reference, the traceback logged
        line = record(exc, context.workspace.runs_dir, tool.name)
        emit(StepEvent("tool_error", {"tool": tool.name, "error": line}))
        return ToolCall(_say("observation_error", tool=tool.name, error=line), arguments)
    context.results[tool.name] = result
    payload = redact_value(result.model_dump(mode="json"))
    summary = getattr(result, "summary", None)
    headline = summary() if callable(summary) else ""
    emit(
        StepEvent(
            "tool_result",
            {
                "tool": tool.name,
                "seconds": round(time.monotonic() - started, 3),
                "headline": headline,
                "result": payload,
            },
        )
    )
    data = json.dumps(payload, default=str)[:1500]
    return ToolCall(
        _say("observation", tool=tool.name, headline=headline, data=data), arguments, result, headline
    )


def _say(key: str, **values: str) -> str:
    """A message to the model from ``prompts/agent.yaml``."""
    return load_prompt("agent").render(key, **values)
