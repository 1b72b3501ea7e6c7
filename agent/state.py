"""Typed state shared by the tools of a conversation: what one tool computed and the next one reads.

One slot per kind of result (segments, churn scores, CLV values, the selected audience, the channel
plan, the last campaign brief), so a tool asks for exactly what it needs and gets a typed value.
The state lives as long as the conversation in memory: a follow-up ("export that audience",
"make the SMS shorter") finds the previous turn's results.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from agent.campaign.brief import CampaignBrief
from tools.audience.models import AudienceSelection
from tools.channel.plan import ChannelPlan
from tools.copy.models import BrandVoice


@dataclass
class ConversationState:
    """Results kept between tool calls and turns of one conversation."""

    segments: pd.DataFrame | None = None  # customer_id, segment
    churn: pd.Series | None = None  # P(churn) by customer id
    clv: pd.Series | None = None  # CLV by customer id
    audience: AudienceSelection | None = None
    channel_plan: list[ChannelPlan] | None = None
    brief: CampaignBrief | None = None
    brand: BrandVoice | None = None
