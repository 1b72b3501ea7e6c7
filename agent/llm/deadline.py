"""Wall-time budgets: a ``Deadline`` per model call, and one per turn shared by every call in it.

A turn (the planner, the tool loop, copy generation) opens ``turn_budget(seconds)``; every model
call made inside it, in the same thread or context, reads ``current_deadline()`` and never waits
past it. The budget travels in a ``contextvars.ContextVar``, so callers pass nothing through the
``ChatModel`` interface and parallel Slack turns (one thread each) keep separate budgets.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from data.errors import ModelAPIError


class DeadlineExceeded(ModelAPIError):
    """The wall-time budget of a call or a turn ran out."""


class Deadline:
    """A point in monotonic time, ``seconds`` from now."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._at = clock() + seconds

    def remaining(self) -> float:
        """Seconds left (0 once expired)."""
        return max(0.0, self._at - self._clock())

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0.0

    def check(self, what: str = "the model call") -> None:
        """Raise ``DeadlineExceeded`` once expired."""
        if self.expired:
            raise DeadlineExceeded(f"{what} ran past its {self.seconds:g} s budget")

    def earliest(self, other: Deadline | None) -> Deadline:
        """Whichever of this deadline and ``other`` comes first."""
        return self if other is None or self.remaining() <= other.remaining() else other


_TURN: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("mkt_turn_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The budget of the turn in progress in this context, if one was opened."""
    return _TURN.get()


@contextmanager
def turn_budget(seconds: float | Deadline) -> Iterator[Deadline]:
    """Run the block under a wall-time budget (an inner budget never extends an outer one)."""
    deadline = seconds if isinstance(seconds, Deadline) else Deadline(seconds)
    deadline = deadline.earliest(_TURN.get())
    token = _TURN.set(deadline)
    try:
        yield deadline
    finally:
        _TURN.reset(token)


def call_deadline(seconds: float) -> Deadline:
    """The deadline of one model call: ``seconds`` from now, or the turn's end if sooner."""
    return Deadline(seconds).earliest(current_deadline())
