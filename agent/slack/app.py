"""The ``slack_bolt`` App: mentions, direct messages, ``/mkt``, approval and regenerate buttons.

Every listener only checks, acknowledges and hands over: the ``TurnRunner`` does the slow part in
the background, so Slack always gets its answer within 3 seconds (``process_before_response`` is
off; events are acknowledged before their listener runs). Retries and duplicate event ids, and
replayed slash commands and button clicks (the same ``trigger_id``), are dropped by a global
middleware before any listener sees them. Beyond the runner's queue the bot answers "busy"; only
the requester or a configured approver (``MKT_SLACK_APPROVERS``) may approve a side effect.
"""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from agent.assistant import Assistant
from agent.slack.blocks import APPROVE, REGENERATE, REJECT, decided_blocks
from agent.slack.guard import AllowList, Approvers, EventDeduper
from agent.slack.outlet import ResponseUrlOutlet, ThreadOutlet
from agent.slack.runner import BUSY_TEXT, NotYourApproval, Turn, TurnRunner, session_id_for

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)

COMMAND = "/mkt"
NOT_ALLOWED = (
    "Sorry, mkt is not enabled here. Ask an admin to add this channel to MKT_SLACK_ALLOWED_CHANNELS."
)
HELP = (
    "Ask me about your customers and campaigns, e.g. `/mkt how many customers do we have?` or "
    "`@mkt plan a win-back campaign for high-value customers, email and SMS, 15% off`."
)
NOT_YOURS = "Only the person who asked (or an approver in MKT_SLACK_APPROVERS) can decide this."
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def make_client(token: str, api_url: str | None = None, rate_limit_retries: int = 3) -> WebClient:
    """A ``WebClient`` that waits out 429s (``Retry-After``) and retries dropped connections."""
    handlers = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)]
    if api_url:
        return WebClient(token=token, base_url=api_url.rstrip("/") + "/", retry_handlers=handlers)
    return WebClient(token=token, retry_handlers=handlers)


@dataclass
class SlackBot:
    """The Bolt app and the parts the listeners share."""

    app: App
    runner: TurnRunner
    deduper: EventDeduper
    allow: AllowList

    def close(self) -> None:
        """Stop the background workers."""
        self.runner.shutdown(wait=False)

    def socket_mode(self, app_token: str) -> SocketModeHandler:
        """A Socket Mode connection for this bot (``.start()`` blocks; ``.connect()`` does not)."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        return SocketModeHandler(self.app, app_token, web_client=self.app.client)


def build_slack_app(
    assistant: Assistant,
    *,
    bot_token: str,
    signing_secret: str | None = None,
    api_url: str | None = None,
    allowed: list[str] | None = None,
    workers: int | None = None,
    approval_timeout_s: float | None = None,
    progress_interval_s: float = 1.0,
    max_queue: int = 32,
    approvers: list[str] | None = None,
) -> SlackBot:
    """The bot for ``assistant``; settings (allow-list, workers, API URL) default to ``assistant.settings``.

    ``signing_secret`` is required for the HTTP Events API (requests are verified: 401 otherwise);
    Socket Mode needs none. Calls ``auth.test`` once, so a bad token fails here. ``max_queue``: turns
    that may wait beyond the running ones before the bot answers "busy".
    """
    settings = assistant.settings
    client = make_client(bot_token, api_url if api_url is not None else settings.slack_api_url)
    members = _group_members(client)
    app = App(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="mkt-slack-ack"),
    )
    runner = TurnRunner(
        assistant,
        workers=workers or settings.slack_workers,
        approval_timeout_s=approval_timeout_s or settings.slack_approval_timeout_s,
        progress_interval_s=progress_interval_s,
        secrets_to_hide=tuple(s for s in (bot_token, signing_secret) if s),
        max_queue=max_queue,
        may_approve=Approvers(settings.slack_approvers if approvers is None else approvers, members),
    )
    allow = AllowList(settings.slack_allowed_channels if allowed is None else allowed, members=members)
    if allow.open:
        log.warning("MKT_SLACK_ALLOWED_CHANNELS is empty: every channel the bot is in may use it")
    bot = SlackBot(app=app, runner=runner, deduper=EventDeduper(), allow=allow)
    _register(bot)
    return bot


def _group_members(client: WebClient) -> Any:
    def members(group_id: str) -> list[str]:
        response = client.usergroups_users_list(usergroup=group_id)
        users: list[Any] = response.get("users") or []
        return [str(u) for u in users]

    return members


def _register(bot: SlackBot) -> None:
    _register_dedupe(bot)
    _register_messages(bot)
    _register_command(bot)
    _register_decisions(bot)
    _register_regenerate(bot)


def _register_dedupe(bot: SlackBot) -> None:
    @bot.app.middleware
    def drop_duplicates(body: dict[str, Any], request: BoltRequest, next: Any) -> BoltResponse | None:  # noqa: A002
        """Retries, repeated event ids and replayed commands or clicks are acknowledged, never re-run."""
        key = _dedupe_key(body)
        if key and not bot.deduper.first_time(key):
            retries = request.headers.get("x-slack-retry-num") or []
            retry = retries[0] if retries else None
            log.info("%s already handled (retry %s): ignored", key, retry)
            return BoltResponse(status=200, body="")
        next()
        return None


def _dedupe_key(body: Any) -> str | None:
    """What makes a request unique: the event id, or the trigger id of a command or interaction."""
    if not isinstance(body, dict):
        return None
    if body.get("event_id"):
        return str(body["event_id"])
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    return None


def _start_turn(bot: SlackBot, event: dict[str, Any], client: WebClient, origin: str) -> None:
    """Check the allow-list, post the placeholder in the thread and queue the turn."""
    channel, user = str(event.get("channel", "")), event.get("user")
    thread = str(event.get("thread_ts") or event.get("ts", ""))
    if not bot.allow.allows(channel, user):
        log.info("refused %s from %s in %s (not in the allow-list)", origin, user, channel)
        client.chat_postEphemeral(channel=channel, user=str(user or ""), text=NOT_ALLOWED, thread_ts=thread)
        return
    text = _MENTION.sub("", str(event.get("text", ""))).strip()
    if not text:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=HELP)
        return
    if bot.runner.full:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=BUSY_TEXT)
        return
    placeholder = client.chat_postMessage(channel=channel, thread_ts=thread, text="Working on it…")
    outlet = ThreadOutlet(client, channel, thread, str(placeholder["ts"]))
    if bot.runner.submit(Turn(session_id_for(channel, thread), text, user, outlet, origin)) is None:
        outlet.progress(BUSY_TEXT)


def _register_messages(bot: SlackBot) -> None:
    @bot.app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient) -> None:
        """A mention: answered in its thread."""
        _start_turn(bot, event, client, "mention")

    @bot.app.event("message")
    def on_message(event: dict[str, Any], client: WebClient) -> None:
        """Direct messages are answered; other message events (edits, bots, channels) are ignored."""
        if event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id"):
            _start_turn(bot, event, client, "dm")


def _register_command(bot: SlackBot) -> None:
    @bot.app.command(COMMAND)
    def on_command(ack: Any, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """``/mkt <question>``: acknowledged at once, answered through response_url."""
        channel, user = str(command.get("channel_id", "")), command.get("user_id")
        if not bot.allow.allows(channel, user):
            ack(text=NOT_ALLOWED)
            return
        text = str(command.get("text", "")).strip()
        if not text or text.lower() == "help":
            ack(text=HELP)
            return
        if bot.runner.full:
            ack(response_type="ephemeral", text=BUSY_TEXT)
            return
        ack(response_type="ephemeral", text=f"Working on: {text}")
        outlet = ResponseUrlOutlet(client, respond, channel)
        if (
            bot.runner.submit(Turn(session_id_for(channel, f"slash-{user}"), text, user, outlet, "slash"))
            is None
        ):
            respond(text=BUSY_TEXT, response_type="ephemeral")


def _register_decisions(bot: SlackBot) -> None:
    @bot.app.action(re.compile(f"^({APPROVE}|{REJECT})$"))
    def on_decision(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Approve / Reject: the clicking user's id is recorded in the session trace."""
        ack()
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id")
        if not bot.allow.allows(channel, user):
            _reply_ephemeral(body, respond, client, NOT_ALLOWED)
            return
        try:
            pending = bot.runner.decide(str(action.get("value")), action.get("action_id") == APPROVE, user)
        except NotYourApproval:
            log.info("approval click by %s refused: not the requester or an approver", user)
            _reply_ephemeral(body, respond, client, NOT_YOURS)
            return
        if pending is None:
            _reply_ephemeral(body, respond, client, "This approval is no longer open (answered or expired).")
            return
        blocks = decided_blocks(pending.action, pending.approved, user)
        text = f"{'Approved' if pending.approved else 'Rejected'} by <@{user}>: {pending.action}"
        message = body.get("message") or {}
        if channel and message.get("ts"):
            client.chat_update(channel=channel, ts=message["ts"], text=text, blocks=blocks)
        elif body.get("response_url"):
            respond(text=text, blocks=blocks, replace_original=True)


def _register_regenerate(bot: SlackBot) -> None:
    @bot.app.action(re.compile(f"^{REGENERATE}"))
    def on_regenerate(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Regenerate a copy variant: a new turn in the same thread (the thread remembers the brief)."""
        ack()
        user = (body.get("user") or {}).get("id")
        channel = str((body.get("channel") or {}).get("id", ""))
        message, container = body.get("message") or {}, body.get("container") or {}
        thread = str(message.get("thread_ts") or container.get("thread_ts") or message.get("ts") or "")
        try:
            value = json.loads(str(action.get("value") or "{}"))
            copy_channel, variant = str(value["channel"]), int(value.get("variant", 0)) + 1
        except (ValueError, KeyError, TypeError):
            log.warning("regenerate button with a bad value ignored")
            return
        text = f"regenerate the {copy_channel} copy (variant {variant})"
        _start_turn(
            bot, {"channel": channel, "user": user, "thread_ts": thread, "text": text}, client, "regenerate"
        )


def _reply_ephemeral(body: dict[str, Any], respond: Respond, client: WebClient, text: str) -> None:
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    channel = (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    if channel and user:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
