"""Safety for the Slack bot: event dedupe, the channel / user-group allow-list, secrets kept out of logs."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

_SLACK_TOKEN = re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+")


class EventDeduper:
    """Remembers recent event ids (bounded, thread-safe) so an event runs the agent at most once."""

    def __init__(self, max_events: int = 10_000, ttl_s: float = 3600.0) -> None:
        self.max_events = max_events
        self.ttl_s = ttl_s
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time ``event_id`` is offered (then remembered), False for any repeat."""
        now = time.monotonic()
        with self._lock:
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if len(self._seen) < self.max_events and now - seen_at < self.ttl_s:
                    break
                del self._seen[oldest]
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


GroupMembers = Callable[[str], Iterable[str]]


class AllowList:
    """Who may use the bot: listed channel ids, members of listed user groups (``S...``), ``dm``.

    An empty list allows everyone (the bot still only hears channels it was invited to). Group
    members are looked up through ``members(group_id)`` and cached for ``cache_s`` seconds.
    """

    def __init__(
        self, entries: Sequence[str], members: GroupMembers | None = None, cache_s: float = 300.0
    ) -> None:
        cleaned = [e.strip() for e in entries if e.strip()]
        self.channels = {e for e in cleaned if not e.startswith("S") and e.lower() != "dm"}
        self.groups = [e for e in cleaned if e.startswith("S")]
        self.direct_messages = any(e.lower() == "dm" for e in cleaned)
        self.open = not cleaned
        self._members = members
        self._cache_s = cache_s
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def allows(self, channel: str | None, user: str | None) -> bool:
        """Whether ``user`` may use the bot in ``channel``."""
        if self.open:
            return True
        if channel and channel in self.channels:
            return True
        if channel and channel.startswith("D") and self.direct_messages:
            return True
        return bool(user) and any(user in self._group(g) for g in self.groups)

    def _group(self, group_id: str) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(group_id)
            if cached and now - cached[0] < self._cache_s:
                return cached[1]
        if self._members is None:
            return frozenset()
        try:
            users = frozenset(self._members(group_id))
        except Exception as exc:  # an API failure denies access instead of failing the request
            logging.getLogger(__name__).warning("user group %s lookup failed: %s", group_id, redact(str(exc)))
            users = frozenset()
        with self._lock:
            self._cache[group_id] = (now, users)
        return users


class Approvers:
    """Who may approve someone else's side effect: listed user ids (``U...``) and user groups (``S...``).

    The requester may always decide their own; nobody else may unless listed here (empty: nobody).
    """

    def __init__(self, entries: Sequence[str], members: GroupMembers | None = None) -> None:
        cleaned = [e.strip() for e in entries if e.strip()]
        self.users = {e for e in cleaned if not e.startswith("S")}
        groups = [e for e in cleaned if e.startswith("S")]
        self._groups = AllowList(groups, members=members) if groups else None

    def __call__(self, user: str | None) -> bool:
        """Whether ``user`` is an approver."""
        if not user:
            return False
        return user in self.users or (self._groups is not None and self._groups.allows(None, user))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with Slack tokens (``xoxb-...``, ``xapp-...``) and the given secrets masked."""
    text = _SLACK_TOKEN.sub("[redacted token]", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class SecretFilter(logging.Filter):
    """A logging filter that masks Slack tokens and the given secrets in every record it sees."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and exception text) without secrets; never drops it."""
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


def install_secret_filter(secrets: Iterable[str], logger: logging.Logger | None = None) -> SecretFilter:
    """Attach a ``SecretFilter`` to every handler of ``logger`` (default: the root logger)."""
    flt = SecretFilter(secrets)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(flt)
    return flt
