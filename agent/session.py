"""Conversation memory per session, saved under ``runs/sessions/<id>/`` and resumable.

``history.json`` holds the conversation (rewritten atomically after every turn, so a crash never
leaves half a file); ``trace.jsonl`` gets one JSON line per event of every turn (messages exactly
as sent, tool calls and results, timings, tokens, backend); ``llm_calls.jsonl`` is the model-call
log written by the backends.
"""

from __future__ import annotations

import json
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
            saved = json.loads(history.read_text(encoding="utf-8"))
            session.messages = saved.get("messages", [])
            session.turns = int(saved.get("turns", 0))
        elif resume:
            raise ConfigError(f"no saved session {sid!r} under {runs_dir / 'sessions'}")
        return session

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
