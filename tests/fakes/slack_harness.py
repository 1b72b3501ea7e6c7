"""The Slack bot under test: the real Bolt app served on 127.0.0.1, signed requests, a fake Web API."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from agent.assistant import Assistant
from agent.slack.app import SlackBot, build_slack_app
from agent.slack.server import Limits, SlackHTTPServer
from agent.toolbox import AgentTool
from data.settings import Settings
from data.workspace import Workspace
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack_api import FakeSlackAPI, fake_slack_api

BOT_TOKEN = "xoxb-1111-2222-testbottoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_ts = itertools.count(1)


def new_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"1710000000.{next(_ts):06d}"


def new_trigger() -> str:
    """A fresh ``trigger_id`` (each command or click has its own; a replay repeats it)."""
    return f"{next(_ts)}.1.trigger"


def sign(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    status: int
    body: str
    seconds: float


@dataclass
class Harness:
    fake: FakeSlackAPI
    bot: SlackBot
    server: SlackHTTPServer
    model: ScriptedModel
    workspace: Workspace

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST ``body`` to the events URL, signed unless ``signature`` is given."""
        ts = timestamp or str(int(time.time()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(body, ts),
            **(headers or {}),
        }
        request = urllib.request.Request(
            self.server.url, data=body.encode(), headers=all_headers, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return Response(resp.status, resp.read().decode(), time.monotonic() - started)
        except urllib.error.HTTPError as err:
            with err:
                return Response(err.code, err.read().decode(), time.monotonic() - started)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        """Deliver an Events API callback."""
        envelope = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{new_ts().replace('.', '')}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        return self.post(json.dumps(envelope), "application/json", headers=headers)

    def mention(
        self,
        text: str,
        *,
        channel: str = "C1",
        user: str = "U1",
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, Response]:
        """``@mkt text`` in ``channel``; returns the message ts and the HTTP response."""
        ts = ts or new_ts()
        event = {"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, self.event(event)

    def command(self, text: str, *, channel: str = "C1", user: str = "U1", name: str = "cmd") -> Response:
        """``/mkt text``."""
        form = {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": channel,
            "user_id": user,
            "command": "/mkt",
            "text": text,
            "response_url": self.fake.response_url(name),
            "trigger_id": new_trigger(),
            "api_app_id": "A1",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> Response:
        """A button click (``block_actions``)."""
        message: dict[str, Any] = {"type": "message", "ts": message_ts or new_ts(), "text": "..."}
        if thread_ts:
            message["thread_ts"] = thread_ts
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user, "name": user.lower()},
            "api_app_id": "A1",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "thread_ts": thread_ts,
            },
            "channel": {"id": channel},
            "message": message,
            "response_url": self.fake.response_url(f"action-{message['ts']}"),
            "trigger_id": new_trigger(),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1"}
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def close(self) -> None:
        self.server.stop()
        self.bot.close()


def copy_workspace(source: Path, home: Path) -> Workspace:
    """A fresh workspace holding a copy of ``source``'s warehouse."""
    workspace = Workspace(home).ensure()
    shutil.copy(source / "warehouse.duckdb", workspace.warehouse)
    return workspace


@contextmanager
def running_bot(
    home: Path,
    replies: Sequence[Any],
    *,
    tools: list[AgentTool] | None = None,
    allowed: list[str] | None = None,
    workers: int = 4,
    approval_timeout_s: float = 30.0,
    approvers: list[str] | None = None,
    max_queue: int = 32,
    limits: Limits | None = None,
    staged: bool | None = None,
) -> Iterator[Harness]:
    """The whole bot on 127.0.0.1 with a scripted model over the workspace at ``home``."""
    with fake_slack_api(token=BOT_TOKEN) as fake:
        settings = Settings(home=home, slack_api_url=fake.api_url, slack_approvers=approvers or [])
        model = ScriptedModel(replies)
        assistant = Assistant(settings, Workspace(home), model=model, tools=tools, staged=staged)
        bot = build_slack_app(
            assistant,
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            allowed=allowed or [],
            workers=workers,
            approval_timeout_s=approval_timeout_s,
            progress_interval_s=0.0,
            max_queue=max_queue,
        )
        server = SlackHTTPServer(bot.app, host="127.0.0.1", port=0, limits=limits).start()
        harness = Harness(fake=fake, bot=bot, server=server, model=model, workspace=Workspace(home))
        try:
            yield harness
        finally:
            harness.close()
