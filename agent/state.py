"""Typed state shared by the tools of a conversation: what one tool computed and the next one reads.

One slot per kind of result (segments, churn scores, CLV values, the selected audience, the channel
plan, the last campaign brief), so a tool asks for exactly what it needs and gets a typed value.
The state lives as long as the conversation in memory: a follow-up ("export that audience",
"make the SMS shorter") finds the previous turn's results. What follow-ups bind to (the last
campaign request, the last copy request per channel, the last customer named) is also saved with
the session (``state.json``), so a resumed conversation or a restarted Slack bot still finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agent.campaign.brief import CampaignBrief
from agent.campaign.request import CampaignRequest
from tools.audience.models import AudienceParams, AudienceSelection
from tools.baseline import Baseline
from tools.channel.models import ChannelOverview, ChannelPlan
from tools.control import ControlGroup
from tools.copy.models import BrandVoice

if TYPE_CHECKING:
    import pandas as pd

    from tools.channel.posterior import BaseSnapshot


class FollowUpMemory(BaseModel):
    """What a follow-up binds to, saved with the session."""

    campaign: CampaignRequest | None = None
    copy_args: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Last copy request per channel."
    )
    last_copy_channel: str | None = None
    customer_id: str | None = None
    audience: AudienceParams | None = Field(
        default=None, description="The last population a turn named (risk, value, segments): 'those'."
    )


@dataclass
class ConversationState:
    """Results kept between tool calls and turns of one conversation."""

    segments: pd.DataFrame | None = None  # customer_id, segment, rfm_tier
    churn: pd.Series | None = None  # P(churn) by customer id
    clv: pd.Series | None = None  # CLV by customer id
    audience: AudienceSelection | None = None
    channel_plan: list[ChannelPlan] | None = None
    audience_params: AudienceParams | None = None  # the filters of ``audience``
    overview: ChannelOverview | None = None  # the last channel plan with its economics
    channels: list[str] | None = None  # the channels it considered
    base: BaseSnapshot | None = None  # the base as the channel plans read it (consent, segments, counts)
    baseline: Baseline | None = None  # what the audience buys anyway
    control: ControlGroup | None = None  # the audience's randomised holdout
    brief: CampaignBrief | None = None
    brand: BrandVoice | None = None
    memory: FollowUpMemory = field(default_factory=FollowUpMemory)

    def save(self, folder: Path) -> None:
        """Write the follow-up memory to ``folder/state.json`` (atomically)."""
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "state.json.tmp"
        tmp.write_text(self.memory.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(folder / "state.json")

    @classmethod
    def load(cls, folder: Path) -> ConversationState:
        """The state with the follow-up memory saved in ``folder`` (empty when none or unreadable)."""
        path = folder / "state.json"
        try:
            memory = FollowUpMemory.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            memory = FollowUpMemory()
        return cls(memory=memory)
