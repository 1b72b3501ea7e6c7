"""The agent's tools: thin wrappers binding ``tools/`` functions to the workspace and the conversation."""

from __future__ import annotations

from agent.catalog.analytics import churn, clv, customer, segment, workspace_summary
from agent.catalog.campaign import audience, channels, export, roi
from agent.catalog.content import abtest, insights, knowledge, recommend, trends, write_copy
from agent.toolbox import AgentTool


def default_tools() -> list[AgentTool]:
    """Every tool the agent may call."""
    return [
        workspace_summary,
        customer,
        segment,
        churn,
        clv,
        audience,
        channels,
        roi,
        knowledge,
        write_copy,
        insights,
        trends,
        recommend,
        abtest,
        export,
    ]
