"""Tools as the agent sees them: a typed function, its pydantic arguments, and what it may do.

One implementation per capability: each ``AgentTool`` wraps a function from ``tools/`` (the same one
the CLI calls). ``to_langchain`` exposes the same tools as LangChain ``StructuredTool`` objects, bound
with their pydantic schemas, for any LangChain agent or chat model with native tool calling.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel

from data.settings import Settings
from data.workspace import Workspace


@dataclass
class ToolContext:
    """What tools need besides their arguments: settings, workspace, approval, shared results."""

    settings: Settings
    workspace: Workspace
    approve: Callable[[str], bool] = lambda _action: False
    results: dict[str, BaseModel] = field(default_factory=dict)
    plots: list[Path] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None

    def plot_path(self, name: str) -> Path | None:
        """Where a tool writes the plot ``name`` (None: this turn keeps no plots)."""
        if self.output_dir is None:
            return None
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / name


@dataclass(frozen=True)
class AgentTool:
    """A tool the agent may call."""

    name: str
    description: str
    args_model: type[BaseModel]
    run: Callable[[BaseModel, ToolContext], BaseModel]
    side_effect: bool = False
    action: Callable[[BaseModel], str] | None = None

    def describe(self, args: BaseModel) -> str:
        """The action in words, as an approver sees it."""
        if self.action is not None:
            return self.action(args)
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


def to_langchain(tools: Sequence[AgentTool], context: ToolContext) -> list[StructuredTool]:
    """The same tools as LangChain ``StructuredTool`` objects bound to ``context``."""

    def make(tool: AgentTool) -> StructuredTool:
        def call(**kwargs: Any) -> str:
            result = tool.run(tool.args_model(**kwargs), context)
            return result.model_dump_json()

        return StructuredTool.from_function(
            func=call, name=tool.name, description=tool.description, args_schema=tool.args_model
        )

    return [make(t) for t in tools]
