"""Progress of a load in rows: each table's rows count as done in proportion to its checks run."""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[int, int, str], None]
"""``report(done, total, what)``: rows done so far of ``total``, and what is being worked on."""


class LoadProgress:
    """Turns per-table steps (a cast check, a value check, the swap) into rows done."""

    def __init__(self, report: Report | None, rows: dict[str, int], steps: dict[str, int]) -> None:
        """Track ``rows`` per table, each table taking ``steps`` steps."""
        self._report = report
        self._rows = rows
        self._steps = {t: max(n, 1) for t, n in steps.items()}
        self._done = dict.fromkeys(rows, 0)
        self.total = sum(rows.values())

    def step(self, table: str, what: str) -> None:
        """One more step of ``table`` is done."""
        if self._report is None or table not in self._done:
            return
        self._done[table] = min(self._done[table] + 1, self._steps[table])
        done = sum(int(self._rows[t] * self._done[t] / self._steps[t]) for t in self._rows)
        self._report(done, self.total, f"{table}: {what}")
