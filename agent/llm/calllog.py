"""The JSON-lines record of every model call: the exact messages sent, tokens, timing, outcome.

Backends call ``CallLog.record`` at the one place they invoke the model, once per attempt, so a
retried or fallen-back request shows every try. API keys are never passed in; as a second guard,
any configured secret that still appears in a record is masked before it is written.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger("mkt.llm")
_ROUTED: ContextVar[Path | None] = ContextVar("mkt_llm_call_log", default=None)


@contextmanager
def calls_logged_to(path: Path) -> Iterator[None]:
    """Within this block (in this thread or task), every ``CallLog`` writes to ``path`` instead.

    One model serves many conversations (the Slack bot runs turns in parallel threads); this puts
    each turn's calls in its own session's file.
    """
    token = _ROUTED.set(path)
    try:
        yield
    finally:
        _ROUTED.reset(token)


def redact_url(url: str) -> str:
    """Drop any ``user:password@`` part of a URL."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class CallLog:
    """Writes one JSON object per model call to a file (if given) and to the ``mkt.llm`` logger."""

    def __init__(self, path: Path | None = None, *, secrets: Sequence[str | None] = ()) -> None:
        self.path = path
        self._secrets = [s for s in secrets if s]
        self._lock = threading.Lock()

    def record(self, **event: Any) -> None:
        """Append one call record (``ts`` is added)."""
        line = json.dumps({"ts": round(time.time(), 3), **event}, ensure_ascii=False, default=str)
        for secret in self._secrets:
            line = line.replace(secret, "***")
        logger.debug(line)
        path = _ROUTED.get() or self.path
        if path is None:
            return
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def read(self) -> list[dict[str, Any]]:
        """All records written to the file so far (empty without a file)."""
        if self.path is None or not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


NULL_LOG = CallLog()
