"""The campaign planner: request -> plan (model, under a JSON schema) -> tools -> ``CampaignBrief``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.loop import StepEvent
from agent.session import Session
from agent.toolbox import ToolContext
from data.errors import ToolError

if TYPE_CHECKING:
    from collections.abc import Callable

    from agent.assistant import Assistant, Reply


def plan_campaign(
    assistant: Assistant, session: Session, text: str, context: ToolContext, emit: Callable[[StepEvent], None]
) -> Reply:
    """Plan and run the campaign ``text`` asks for; the reply carries the brief."""
    raise ToolError("the campaign planner is being built")
