"""A progress bar that appears only when work takes longer than a moment (2 s by default).

It shows the units done of the total, the rate and the time left, on stderr, and disappears when
the work ends. Work that finishes quickly prints nothing extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from agent.cli.output import err_console

Report = Callable[[int, int, str], None]
"""``report(done, total, what)``: units done so far of ``total``, and what is being worked on."""


class RateColumn(ProgressColumn):
    """Units per second, in the bar's own unit."""

    def __init__(self, unit: str) -> None:
        """Show the rate in ``unit`` per second."""
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        """The task's speed, or a dash before there is one."""
        speed = task.finished_speed or task.speed
        return Text("-" if speed is None else f"{speed:,.0f} {self.unit}/s")


@contextmanager
def delayed_progress(label: str, unit: str, *, after: float = 2.0, enabled: bool = True) -> Iterator[Report]:
    """Yield a ``report`` callback; a bar is drawn once ``after`` seconds have passed."""
    start = time.monotonic()
    bar: Progress | None = None
    task = None

    def report(done: int, total: int, what: str) -> None:
        nonlocal bar, task
        if not enabled:
            return
        if bar is None:
            if time.monotonic() - start < after:
                return
            bar = Progress(
                TextColumn(f"{label} [dim]{{task.description}}"),
                BarColumn(),
                MofNCompleteColumn(),
                RateColumn(unit),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            )
            bar.start()
            task = bar.add_task(what, total=total)
        assert task is not None
        bar.update(task, completed=done, total=total, description=what)

    try:
        yield report
    finally:
        if bar is not None:
            bar.stop()
