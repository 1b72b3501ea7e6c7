"""A quick summary of what the workspace holds (``mkt data show``)."""

from __future__ import annotations

from pydantic import BaseModel

from data.workspace import TABLES, Workspace


class TableSummary(BaseModel):
    """Row count and time span of one table."""

    table: str
    rows: int
    customers: int
    first: str | None = None
    last: str | None = None


class WorkspaceSummary(BaseModel):
    """What ``mkt data show`` reports."""

    workspace: str
    tables: list[TableSummary]
    revenue: float | None = None
    consent: dict[str, int] = {}
    channels: dict[str, int] = {}

    def summary(self) -> str:
        """Key numbers in one line."""
        rows = ", ".join(f"{t.rows:,} {t.table}" for t in self.tables) or "no tables loaded"
        revenue = f"; revenue {self.revenue:,.2f}" if self.revenue is not None else ""
        consent = (
            "; consent " + ", ".join(f"{k} {v:,}" for k, v in self.consent.items()) if self.consent else ""
        )
        return rows + revenue + consent


def summarize(workspace: Workspace) -> WorkspaceSummary:
    """Counts, spans, revenue, consent and channel mix of the loaded tables."""
    with workspace.connect(read_only=True) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        tables: list[TableSummary] = []
        for name in TABLES:
            if name not in present:
                continue
            time_col = "signup_date" if name == "customers" else "ts"
            row = con.execute(
                f'SELECT count(*), count(DISTINCT customer_id), min({time_col}), max({time_col}) FROM "{name}"'
            ).fetchone()
            assert row is not None
            tables.append(
                TableSummary(table=name, rows=row[0], customers=row[1], first=_iso(row[2]), last=_iso(row[3]))
            )
        summary = WorkspaceSummary(workspace=str(workspace.home), tables=tables)
        if "transactions" in present:
            total = con.execute("SELECT sum(amount) FROM transactions").fetchone()
            summary.revenue = round(float(total[0] or 0.0), 2) if total else None
        if "customers" in present:
            consent = con.execute(
                "SELECT count(*) FILTER (WHERE consent_email), count(*) FILTER (WHERE consent_sms), "
                "count(*) FILTER (WHERE consent_push) FROM customers"
            ).fetchone()
            if consent:
                summary.consent = dict(zip(("email", "sms", "push"), map(int, consent), strict=True))
        if "engagements" in present:
            rows = con.execute(
                "SELECT channel, count(*) FROM engagements WHERE event = 'sent' GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
            summary.channels = {str(ch): int(n) for ch, n in rows}
    return summary


def _iso(value: object) -> str | None:
    return None if value is None else str(value)
