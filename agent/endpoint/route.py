"""Which endpoint turns the campaign planner answers, and with which request.

The planner's schema lets a model choose only the goal; the audience, channels, offer and budget
are what code reads in the text. So the reading must be the rules' full one (``agent.staged``:
"our whales" are high-value customers, "the big spenders cluster" is a segment), not
``read_request`` alone. And a message the campaign regex matches goes to the planner only when
the rules do not read another intent in it: "save the flight risk list out for a push blast" is an
export (the model calls ``export_audience`` and the person approves it), which the regex alone
sent to the planner, where nothing is exported and no approval is asked. A message the regex does
not match stays the model's, whatever the rules say (on the dev splits of sets 1-5 the rules
alone would send three questions there).
"""

from __future__ import annotations

import dataclasses

from agent.campaign.request import CampaignRequest, looks_like_campaign
from agent.staged import campaign_request, understand
from agent.state import ConversationState
from agent.toolbox import ToolContext


def planned_campaign(text: str, context: ToolContext) -> CampaignRequest | None:
    """The campaign request ``text`` asks the planner for, or None: the model answers the turn.

    The rules read a copy of the conversation's follow-up memory (the turn must not change it).
    """
    if not looks_like_campaign(text):
        return None
    memory = context.state.memory.model_copy(deep=True)
    scratch = dataclasses.replace(context, state=ConversationState(memory=memory))
    intent, slots, _ = understand(text, scratch)
    return campaign_request(text, slots) if intent in ("campaign", None) else None
