"""On the endpoint path the rules pick the campaign planner and read its request (``agent.endpoint.route``).

Found by the scripted endpoint eval (v5 dev): the regex alone sent an export to the planner (no
approval asked, nothing exported), and ``read_request`` alone targeted everyone for "our whales"
and "the big spenders cluster", which the planner's schema gives a model no way to correct.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.assistant import Assistant
from agent.campaign.request import looks_like_campaign, read_request
from agent.endpoint.route import planned_campaign
from agent.session import Session
from agent.toolbox import ToolContext
from data.settings import load_settings
from data.workspace import Workspace
from tests.fakes.openai_server import fake_openai_server
from tests.fakes.openai_tool_calls import text

WHALES = "need a campaign for our whales for the spring drop. no sms, they hate it"
CLUSTER = "launch campaign for the Summit GTX to the big spenders cluster, email only pls"
EXPORT = "save the flight risk list out for a push blast"


@pytest.fixture
def context(isolated_home: Path) -> ToolContext:
    return ToolContext(settings=load_settings(), workspace=Workspace(isolated_home))


def test_the_planner_gets_the_audience_the_rules_read(context: ToolContext) -> None:
    assert read_request(WHALES).value == "any"  # what the endpoint path planned before
    whales = planned_campaign(WHALES, context)
    assert whales is not None and whales.value == "high_value"
    cluster = planned_campaign(CLUSTER, context)
    assert read_request(CLUSTER).segments == []
    assert cluster is not None and cluster.segments == ["big spenders"] and cluster.channels == ["email"]


def test_an_export_that_the_campaign_regex_matches_goes_to_the_model(context: ToolContext) -> None:
    assert looks_like_campaign(EXPORT)
    assert planned_campaign(EXPORT, context) is None
    assert planned_campaign("how many customers do we have?", context) is None


def test_reading_the_request_leaves_the_conversations_memory_alone(context: ToolContext) -> None:
    assert planned_campaign(WHALES, context) is not None
    assert context.state.memory.audience is None and context.state.memory.campaign is None


def test_the_assistant_asks_the_endpoint_model_about_the_export(isolated_home: Path) -> None:
    with fake_openai_server() as server:
        server.say(text("Nothing to export yet."))
        settings = load_settings().model_copy(update={"llm_base_url": server.base_url, "llm_max_retries": 0})
        assistant = Assistant(settings, Workspace(isolated_home), copy_variants=0)
        reply = assistant.respond(Session.open(isolated_home / "runs", "route"), EXPORT)
    assert reply.stop_reason != "planned" and reply.text.startswith("Nothing to export yet.")
    assert server.requests and server.requests[0].get("tools")  # the model saw the tools, export_audience too
    offered = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert "export_audience" in offered


def test_a_message_the_campaign_regex_does_not_match_stays_the_models(context: ToolContext) -> None:
    rules_campaign = "let's wake up the hibernating segment. something cheap - five hundred bucks tops"
    assert not looks_like_campaign(rules_campaign)
    assert planned_campaign(rules_campaign, context) is None
