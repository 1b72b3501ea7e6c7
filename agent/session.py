"""Conversation memory per session, saved under ``runs/sessions/<id>/`` and resumable.

``history.json`` holds the conversation (rewritten atomically after every turn, so a crash never
leaves half a file); ``trace.jsonl`` gets one JSON line per event of every turn (messages exactly
as sent, tool calls and results, timings, tokens, backend); ``llm_calls.jsonl`` is the model-call
log written by the backends.

A history that cannot be read (corrupt JSON, a hand edit that broke its shape, a wrong role) never
stops a session: the file is kept aside as ``history.corrupt-<time>.json``, the conversation
starts fresh, and ``Session.notice`` says so in one line for the interface to show.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from data.errors import ConfigError
from tools.chat_model import Message

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_ROLES = ("system", "user", "assistant")
MAX_HISTORY_BYTES = 20_000_000
log = logging.getLogger(__name__)


class CorruptHistory(ValueError):
    """A saved history that is not what ``Session.save`` writes."""


def _read_history(path: Path) -> tuple[list[Message], int]:
    """The messages and turn count in ``path``; ``CorruptHistory`` says what is wrong."""
    if path.stat().st_size > MAX_HISTORY_BYTES:
        raise CorruptHistory(f"it is larger than {MAX_HISTORY_BYTES:,} bytes")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CorruptHistory("it is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise CorruptHistory(f"it is not valid JSON (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(saved, dict):
        raise CorruptHistory("it is not a JSON object")
    messages, turns = saved.get("messages", []), saved.get("turns", 0)
    if not isinstance(messages, list):
        raise CorruptHistory("'messages' is not a list")
    if not isinstance(turns, int) or isinstance(turns, bool) or turns < 0:
        raise CorruptHistory("'turns' is not a whole number >= 0")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            raise CorruptHistory(f"message {i + 1} is not a {{role, content}} object")
        if message["role"] not in _ROLES or not isinstance(message["content"], str):
            raise CorruptHistory(f"message {i + 1} has role {message['role']!r} or content that is not text")
    return messages, turns


def new_session_id() -> str:
    """A sortable, unique session id such as ``20261123-201500-3fa9``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass
class Session:
    """One conversation: its messages and where its files live."""

    id: str
    folder: Path
    messages: list[Message] = field(default_factory=list)
    turns: int = 0
    notice: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, runs_dir: Path, session_id: str | None = None, *, resume: bool = False) -> Session:
        """Open session ``session_id`` (new id if None); with ``resume`` its saved history must exist."""
        sid = session_id or new_session_id()
        if not _ID.match(sid):
            raise ConfigError(f"invalid session id {sid!r}: use letters, digits, '-', '_' or '.'")
        folder = runs_dir / "sessions" / sid
        session = cls(id=sid, folder=folder)
        history = folder / "history.json"
        if history.exists():
            try:
                session.messages, session.turns = _read_history(history)
            except (CorruptHistory, OSError) as exc:
                session.notice = session._set_aside(history, exc)
        elif resume:
            raise ConfigError(f"no saved session {sid!r} under {runs_dir / 'sessions'}")
        return session

    def _set_aside(self, history: Path, problem: Exception) -> str:
        """Keep an unreadable history for inspection and say what happened, in one line."""
        kept = history.with_name(f"history.corrupt-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json")
        try:
            history.replace(kept)
            where = f"it was kept as {kept.name}"
        except OSError:
            where = "it was left in place"
        log.warning("session %s: unreadable history (%s); starting fresh", self.id, problem)
        return (
            f"The saved history of session {self.id} could not be read ({problem}); {where} "
            "and a fresh conversation was started."
        )

    @property
    def trace_file(self) -> Path:
        """JSON lines, one per event."""
        return self.folder / "trace.jsonl"

    @property
    def llm_log_file(self) -> Path:
        """The backends' record of every model call."""
        return self.folder / "llm_calls.jsonl"

    def add(self, role: str, content: str) -> None:
        """Append a message to the conversation memory."""
        self.messages.append({"role": role, "content": content})  # type: ignore[typeddict-item]

    def reset(self) -> None:
        """Forget the conversation (files stay)."""
        self.messages = []
        self.save()

    def save(self) -> Path:
        """Write the history atomically and return its path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "history.json"
        tmp = path.with_suffix(".json.tmp")
        payload = {"id": self.id, "turns": self.turns, "messages": self.messages}
        tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path

    def trace(self, event: str, **data: Any) -> None:
        """Append one event to ``trace.jsonl``."""
        record = {"ts": round(time.time(), 3), "session": self.id, "turn": self.turns, "event": event, **data}
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.trace_file.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def list_sessions(runs_dir: Path) -> list[str]:
    """Saved session ids, oldest first."""
    root = runs_dir / "sessions"
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "history.json").exists())
