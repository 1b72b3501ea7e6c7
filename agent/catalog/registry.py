"""The ``tool`` decorator: a typed function of (arguments, context) becomes an ``AgentTool``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from agent.toolbox import AgentTool, ToolContext

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


def tool(
    name: str,
    args: type[A],
    *,
    side_effect: bool = False,
    action: Callable[[A, ToolContext], str] | None = None,
    check: Callable[[A, ToolContext], None] | None = None,
) -> Callable[[Callable[[A, ToolContext], R]], AgentTool]:
    """Decorator: the function becomes an ``AgentTool`` taking ``args``; its docstring is the description.

    ``action`` says in words what a side effect will do (the approver reads it); ``check`` raises
    ``ToolError`` when a precondition fails, before any approval is asked.
    """

    def typed(parsed: BaseModel) -> A:
        assert isinstance(parsed, args)
        return parsed

    def wrap(fn: Callable[[A, ToolContext], R]) -> AgentTool:
        description = " ".join((fn.__doc__ or name).split())
        return AgentTool(
            name,
            description,
            args,
            lambda parsed, ctx: fn(typed(parsed), ctx),
            side_effect=side_effect,
            action=(lambda parsed, ctx: action(typed(parsed), ctx)) if action else None,
            check=(lambda parsed, ctx: check(typed(parsed), ctx)) if check else None,
        )

    return wrap


class NoArguments(BaseModel):
    """This tool takes no arguments."""
