"""The agent's tools: thin wrappers binding ``tools/`` functions to the workspace."""

from __future__ import annotations

from pydantic import BaseModel

from agent.toolbox import AgentTool, ToolContext
from data.summary import WorkspaceSummary, summarize
from tools.customer import CustomerProfile, CustomerQuery, customer_profile


class NoArguments(BaseModel):
    """This tool takes no arguments."""


def _workspace_summary(_args: BaseModel, ctx: ToolContext) -> WorkspaceSummary:
    return summarize(ctx.workspace)


WORKSPACE_SUMMARY = AgentTool(
    name="workspace_summary",
    description="Counts of customers, transactions and engagements, revenue, consent and channel mix.",
    args_model=NoArguments,
    run=_workspace_summary,
)


def _customer(args: BaseModel, ctx: ToolContext) -> CustomerProfile:
    assert isinstance(args, CustomerQuery)
    with ctx.workspace.connect(read_only=True) as con:
        return customer_profile(con, args)


CUSTOMER = AgentTool(
    name="customer_profile",
    description="One customer's orders, spend, recency, consent and segment (never email or phone).",
    args_model=CustomerQuery,
    run=_customer,
)


def default_tools() -> list[AgentTool]:
    """Every tool the agent may call."""
    return [WORKSPACE_SUMMARY, CUSTOMER]
