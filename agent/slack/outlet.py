"""Where a turn's messages go: a thread (chat.postMessage / chat.update) or a slash command's response_url."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agent.slack.blocks import Block, approval_blocks, decided_blocks, section
from agent.slack.guard import redact

log = logging.getLogger(__name__)


class Outlet(Protocol):
    """What a turn needs from Slack."""

    def progress(self, text: str) -> None:
        """Show what the agent is doing (may be dropped)."""

    def post(self, text: str, blocks: list[Block] | None = None) -> None:
        """Post the answer (or an error message) where the user asked."""

    def upload(self, paths: list[Path]) -> None:
        """Attach files (plots) next to the answer."""

    def ask_approval(self, approval_id: str, action: str, requester: str | None) -> str | None:
        """Post Approve / Reject buttons; returns the message's ts when known."""

    def approval_expired(self, message_ts: str | None, action: str) -> None:
        """Mark an approval nobody answered as rejected."""


class ThreadOutlet:
    """Answers in a thread: a placeholder updated as steps complete, then the answer and the plots."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, placeholder_ts: str | None) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.placeholder_ts = placeholder_ts

    def progress(self, text: str) -> None:
        """Update the placeholder message."""
        if self.placeholder_ts is None:
            return
        _safely(
            "chat.update", self.client.chat_update, channel=self.channel, ts=self.placeholder_ts, text=text
        )

    def post(self, text: str, blocks: list[Block] | None = None) -> None:
        """Post in the thread."""
        kwargs: dict[str, Any] = {"channel": self.channel, "thread_ts": self.thread_ts, "text": text[:3900]}
        if blocks:
            kwargs["blocks"] = blocks
        _safely("chat.postMessage", self.client.chat_postMessage, **kwargs)

    def upload(self, paths: list[Path]) -> None:
        """Upload the files into the thread."""
        if not paths:
            return
        uploads = [{"file": str(p), "filename": p.name, "title": p.stem.replace("_", " ")} for p in paths]
        _safely(
            "files.upload",
            self.client.files_upload_v2,
            file_uploads=uploads,
            channel=self.channel,
            thread_ts=self.thread_ts,
        )

    def ask_approval(self, approval_id: str, action: str, requester: str | None) -> str | None:
        """Post the buttons in the thread."""
        response = _safely(
            "chat.postMessage",
            self.client.chat_postMessage,
            channel=self.channel,
            thread_ts=self.thread_ts,
            text=f"Approval needed: {action}",
            blocks=approval_blocks(approval_id, action, requester),
        )
        return str(response["ts"]) if response is not None else None

    def approval_expired(self, message_ts: str | None, action: str) -> None:
        """Replace the buttons with 'Rejected (no answer in time)'."""
        if message_ts is None:
            return
        _safely(
            "chat.update",
            self.client.chat_update,
            channel=self.channel,
            ts=message_ts,
            text=f"Rejected (no answer in time): {action}",
            blocks=decided_blocks(action, False, None),
        )


class ResponseUrlOutlet:
    """Answers a slash command through its response_url (which allows only a few posts: no progress)."""

    def __init__(self, client: WebClient, respond: Respond, channel: str) -> None:
        self.client = client
        self.respond = respond
        self.channel = channel

    def progress(self, text: str) -> None:
        """No progress: response_url accepts at most five messages."""

    def post(self, text: str, blocks: list[Block] | None = None) -> None:
        """Post the answer in the channel through response_url."""
        _safely("response_url", self.respond, text=text[:3900], blocks=blocks, response_type="in_channel")

    def upload(self, paths: list[Path]) -> None:
        """Upload the files to the channel (works where the bot is a member)."""
        if not paths:
            return
        uploads = [{"file": str(p), "filename": p.name, "title": p.stem.replace("_", " ")} for p in paths]
        _safely("files.upload", self.client.files_upload_v2, file_uploads=uploads, channel=self.channel)

    def ask_approval(self, approval_id: str, action: str, requester: str | None) -> str | None:
        """Show the buttons to the requester only."""
        _safely(
            "response_url",
            self.respond,
            text=f"Approval needed: {action}",
            blocks=approval_blocks(approval_id, action, requester),
            response_type="ephemeral",
        )
        return None

    def approval_expired(self, message_ts: str | None, action: str) -> None:
        """Tell the requester the approval expired."""
        _safely(
            "response_url",
            self.respond,
            text=f"Rejected (no answer in time): {action}",
            blocks=[section(f":no_entry_sign: Rejected (no answer in time): {action}")],
            response_type="ephemeral",
        )


def _safely(what: str, call: Any, **kwargs: Any) -> Any:
    """Call the Slack API; a failure is logged (without tokens) instead of killing the turn."""
    try:
        return call(**kwargs)
    except SlackApiError as exc:
        log.warning("%s failed: %s", what, redact(str(exc.response.get("error", exc))))
    except Exception as exc:  # network errors, a dead response_url: the turn goes on
        log.warning("%s failed: %s: %s", what, type(exc).__name__, redact(str(exc)))
    return None
