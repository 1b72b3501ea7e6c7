"""The Slack bot: the same ``Assistant`` as the terminal, answered in Slack threads.

``build_slack_app`` wires a ``slack_bolt`` App (mentions, direct messages, ``/mkt``, approval and
regenerate buttons) to a ``TurnRunner`` that runs agent turns in the background;
``SlackHTTPServer`` serves it over the HTTP Events API, ``slack_bolt``'s Socket Mode handler over
a websocket (``mkt slack serve`` / ``mkt slack run``).
"""

from agent.slack.app import SlackBot, build_slack_app
from agent.slack.server import SlackHTTPServer

__all__ = ["SlackBot", "SlackHTTPServer", "build_slack_app"]
