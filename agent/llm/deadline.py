"""Wall-time budgets: a ``Deadline`` per model call, and one per turn shared by every call in it.

A turn (the planner, the tool loop, copy generation) opens ``turn_budget(seconds)``; every model
call made inside it, in the same thread or context, reads ``current_deadline()`` and never waits
past it. The budget travels in a ``contextvars.ContextVar``, so callers pass nothing through the
``ChatModel`` interface and parallel Slack turns (one thread each) keep separate budgets.
``within(start, deadline, ...)`` waits for what a read timeout cannot bound (dripped headers).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

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


T = TypeVar("T")


def within(
    start: Callable[[], T],
    deadline: Deadline,
    *,
    late: Callable[[T], None],
    expired: Callable[[], BaseException],
) -> T:
    """``start()``, run in a helper thread and waited for up to ``deadline``.

    For what a dripping server can hold past any read timeout (the status line and headers, a
    byte at a time). On time-out ``expired()`` is raised; the helper finishes on its own and hands
    what it got, if anything, to ``late`` (to close it). An error in ``start`` is raised here.
    """
    done = threading.Event()
    lock = threading.Lock()
    value: list[T] = []
    error: list[BaseException] = []
    abandoned = False

    def run() -> None:
        try:
            value.append(start())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            error.append(exc)
        with lock:
            done.set()
            gave_up = abandoned
        if gave_up and value:
            late(value[0])

    threading.Thread(target=run, name="mkt-model-call", daemon=True).start()
    finished = done.wait(deadline.remaining())
    with lock:
        if not finished and not done.is_set():
            abandoned = True
            raise expired()
    if error:
        raise error[0]
    return value[0]


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
