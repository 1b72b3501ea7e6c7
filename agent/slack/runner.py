"""Agent turns in the background: one worker pool, one turn at a time per thread, approvals by button.

A Slack request is acknowledged before any of this runs (Slack's 3-second rule). The runner posts
a placeholder, runs ``Assistant.respond`` on a worker, updates the placeholder as steps complete,
then posts the answer in Block Kit and uploads the plots. Any exception becomes a short message in
the thread; the details go to the log, without tokens.

The queue is bounded: beyond ``workers + max_queue`` turns waiting or running, ``submit`` says no
and the bot answers "busy". Only the requester, or someone ``may_approve`` accepts (the configured
approvers), can decide a side effect.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from agent.assistant import Assistant, plots_in
from agent.events import StepEvent
from agent.reply import Reply
from agent.session import Session
from agent.slack.blocks import ERROR_TEXT, progress_text, reply_blocks
from agent.slack.guard import redact
from agent.slack.outlet import Outlet

BUSY_TEXT = "I'm busy with other requests right now. Please try again in a minute."
log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def session_id_for(channel: str, thread: str) -> str:
    """The session of a Slack thread (or slash-command user): ``slack-<channel>-<thread_ts>``, sanitised."""
    return _UNSAFE.sub("_", f"slack-{channel}-{thread}")[:80]


@dataclass
class Turn:
    """One message to answer."""

    session_id: str
    text: str
    user: str | None
    outlet: Outlet
    origin: str = "mention"


@dataclass
class PendingApproval:
    """A side effect waiting for a button."""

    id: str
    action: str
    session_id: str
    requester: str | None = None
    event: threading.Event = field(default_factory=threading.Event)
    approved: bool = False
    user: str | None = None


class NotYourApproval(Exception):
    """Someone other than the requester (and not an approver) clicked Approve or Reject."""


class Progress:
    """Turns agent events into placeholder lines, updating at most once per ``interval_s``."""

    def __init__(self, outlet: Outlet, interval_s: float) -> None:
        self.outlet = outlet
        self.interval_s = interval_s
        self.lines: dict[str, str] = {}
        self._last = 0.0
        self._dirty = False

    def on_event(self, event: StepEvent) -> None:
        """Record a step or tool result and maybe update the placeholder."""
        line = _line(event)
        if line is None:
            return
        key, text = line
        self.lines[key] = text
        self._dirty = True
        now = time.monotonic()
        if now - self._last >= self.interval_s:
            self._last, self._dirty = now, False
            self.outlet.progress(progress_text(list(self.lines.values())))

    def finish(self, seconds: float, failed: bool = False) -> None:
        """Final state of the placeholder."""
        lines = list(self.lines.values())
        text = "Failed." if failed else progress_text(lines, done=True, seconds=seconds)
        self.outlet.progress("\n".join([text, *lines[-12:]]) if failed else text)


def _line(event: StepEvent) -> tuple[str, str] | None:
    d = event.data
    if event.kind == "step":
        mark = {"start": "…", "done": "✓", "failed": "✗"}.get(str(d.get("status")), "•")
        secs = (
            f" ({float(d['seconds']):.1f} s)"
            if d.get("seconds") is not None and d.get("status") != "start"
            else ""
        )
        detail = f": {d['detail']}" if d.get("detail") and d.get("status") != "start" else ""
        return f"step:{d.get('step')}", f"{mark} {d.get('step')}{secs}{detail}"[:300]
    if event.kind == "tool_call":
        return f"tool:{d.get('tool')}", f"… {d.get('tool')}"
    if event.kind == "tool_result":
        head = f": {d['headline']}" if d.get("headline") else ""
        return f"tool:{d.get('tool')}", f"✓ {d.get('tool')} ({float(d.get('seconds') or 0):.1f} s){head}"[
            :300
        ]
    if event.kind == "tool_error":
        return f"tool:{d.get('tool')}", f"✗ {d.get('tool')}: {str(d.get('error', ''))[:200]}"
    if event.kind == "approval":
        verdict = "approved" if d.get("approved") else "rejected"
        return f"approval:{d.get('action')}", f"• approval {verdict}: {str(d.get('action', ''))[:200]}"
    return None


class TurnRunner:
    """Runs turns on a worker pool; turns of the same session run one after another."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        workers: int = 4,
        approval_timeout_s: float = 600.0,
        progress_interval_s: float = 1.0,
        secrets_to_hide: tuple[str, ...] = (),
        max_queue: int = 32,
        may_approve: Callable[[str | None], bool] = lambda user: False,
    ) -> None:
        self.assistant = assistant
        self.capacity = workers + max_queue
        self.may_approve = may_approve
        self._in_flight = 0
        self.approval_timeout_s = approval_timeout_s
        self.progress_interval_s = progress_interval_s
        self._secrets = secrets_to_hide
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mkt-slack-turn")
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        self._approvals: dict[str, PendingApproval] = {}
        self._guard = threading.Lock()

    @property
    def runs_dir(self) -> Path:
        """Where sessions are saved."""
        return self.assistant.workspace.runs_dir

    def submit(self, turn: Turn) -> Future[Reply | None] | None:
        """Run ``turn`` in the background; None (nothing queued) when the queue is full."""
        with self._guard:
            if self._in_flight >= self.capacity:
                log.warning("queue full (%d turns): %s turn refused as busy", self._in_flight, turn.origin)
                return None
            self._in_flight += 1
        try:
            future = self._pool.submit(self._run, turn)
        except RuntimeError:  # shut down
            with self._guard:
                self._in_flight -= 1
            return None
        future.add_done_callback(self._done)
        return future

    @property
    def full(self) -> bool:
        """Whether a new turn would be refused as busy."""
        with self._guard:
            return self._in_flight >= self.capacity

    def _done(self, _: Future[Reply | None]) -> None:
        with self._guard:
            self._in_flight -= 1

    def shutdown(self, wait: bool = True) -> None:
        """Reject open approvals and stop the workers."""
        with self._guard:
            pending = list(self._approvals.values())
        for p in pending:
            p.event.set()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def decide(self, approval_id: str, approved: bool, user: str | None) -> PendingApproval | None:
        """Record a button click; None when the approval is unknown, expired or already decided.

        Raises:
            NotYourApproval: ``user`` is neither the requester nor an approver (nothing changes).
        """
        with self._guard:
            pending = self._approvals.get(approval_id)
        if pending is None:
            return None
        if not user or (user != pending.requester and not self.may_approve(user)):
            raise NotYourApproval(user)  # the group lookup runs outside the lock
        with self._guard:
            pending = self._approvals.pop(approval_id, None)
        if pending is None:
            return None
        pending.approved, pending.user = approved, user
        pending.event.set()
        return pending

    def _run(self, turn: Turn) -> Reply | None:
        lock = self._acquire(turn.session_id)
        try:
            with lock:
                return self._answer(turn)
        finally:
            self._release(turn.session_id)

    def _answer(self, turn: Turn) -> Reply | None:
        started = time.monotonic()
        progress = Progress(turn.outlet, self.progress_interval_s)
        try:
            session = Session.open(self.runs_dir, turn.session_id)
            if session.notice:
                turn.outlet.post(session.notice)
            session.trace("slack", origin=turn.origin, user=turn.user)
            approve = self._approver(turn, session, progress)
            reply = self.assistant.respond(session, turn.text, on_event=progress.on_event, approve=approve)
        except Exception as exc:
            ref = secrets.token_hex(3)
            details = redact("".join(traceback.format_exception(exc)), self._secrets)
            log.error("turn %s (session %s) failed:\n%s", ref, turn.session_id, details)
            progress.finish(time.monotonic() - started, failed=True)
            turn.outlet.post(ERROR_TEXT.format(ref=ref))
            return None
        progress.finish(reply.seconds)
        turn.outlet.post(reply.text or "(no answer)", reply_blocks(reply))
        turn.outlet.upload(_plots(reply))
        return reply

    def _approver(self, turn: Turn, session: Session, progress: Progress) -> Callable[[str], bool]:
        def approve(action: str) -> bool:
            pending = PendingApproval(
                id=secrets.token_urlsafe(12), action=action, session_id=session.id, requester=turn.user
            )
            with self._guard:
                self._approvals[pending.id] = pending
            try:
                message_ts = turn.outlet.ask_approval(pending.id, action, turn.user)
                decided = pending.event.wait(self.approval_timeout_s) and pending.user is not None
            finally:
                with self._guard:
                    self._approvals.pop(pending.id, None)
            approved = decided and pending.approved
            session.trace(
                "approval",
                action=action,
                approved=approved,
                approver=pending.user if decided else None,
                requester=turn.user,
                via="slack",
                timed_out=not decided,
            )
            if not decided:
                turn.outlet.approval_expired(message_ts, action)
            progress.on_event(StepEvent(kind="approval", data={"action": action, "approved": approved}))
            return approved

        return approve

    def _acquire(self, key: str) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
            return lock

    def _release(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def _plots(reply: Reply) -> list[Path]:
    paths = plots_in(reply)
    if reply.brief is not None:
        paths += [Path(p) for p in reply.brief.plots if Path(p).exists()]
    unique: dict[str, Path] = {str(p.resolve()): p for p in paths}
    return list(unique.values())
