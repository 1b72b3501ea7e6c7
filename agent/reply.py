"""The assistant's answer to one turn, as every interface receives it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent.campaign.brief import CampaignBrief


class Reply(BaseModel):
    """The assistant's answer to one turn."""

    text: str = Field(description="The answer as plain text (Markdown allowed).")
    brief: CampaignBrief | None = Field(default=None, description="Set when the turn planned a campaign.")
    plots: list[str] = Field(default_factory=list, description="PNG files written during the turn.")
    report: str = Field(default="", description="HTML report of the brief, when there is one.")
    tool_calls: list[str] = Field(default_factory=list, description="Tools called, in order.")
    stop_reason: str = ""
    backend: str = Field(default="", description="Backend(s) that answered, e.g. 'local'.")
    seconds: float = 0.0
