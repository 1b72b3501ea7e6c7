"""One customer's profile from the workspace: attributes, consent, purchase aggregates; never PII."""

from __future__ import annotations

from datetime import datetime

import duckdb
from pydantic import BaseModel, Field

from data.errors import ToolError
from data.features import transaction_summary


class CustomerQuery(BaseModel):
    """Which customer to describe."""

    customer_id: str = Field(min_length=1, description="The customer id, e.g. CU0000042.")


class CustomerProfile(BaseModel):
    """What the assistant may know about one customer (no email, no phone)."""

    customer_id: str
    country: str | None
    signup_date: str
    consent: dict[str, bool]
    transactions: int
    total_spend: float
    mean_order_value: float | None
    last_purchase: str | None
    days_since_last_purchase: float | None
    segment: str | None = None

    def summary(self) -> str:
        """One line for people and for the model."""
        last = f", last purchase {self.days_since_last_purchase:.0f} days ago" if self.last_purchase else ""
        seg = f", segment {self.segment}" if self.segment else ""
        return (
            f"{self.customer_id}: {self.transactions} orders, total {self.total_spend:,.2f}{last}{seg}; "
            f"consent " + ", ".join(k for k, v in self.consent.items() if v)
        )


def customer_profile(
    con: duckdb.DuckDBPyConnection, query: CustomerQuery, as_of: datetime | None = None
) -> CustomerProfile:
    """Describe one customer from the customers, transactions and (if present) segments tables."""
    row = con.execute(
        "SELECT customer_id, country, CAST(signup_date AS VARCHAR), consent_email, consent_sms, consent_push "
        "FROM customers WHERE customer_id = ?",
        [query.customer_id],
    ).fetchone()
    if row is None:
        raise ToolError(f"no customer with id {query.customer_id!r}")
    mine = transaction_summary(con, as_of, include_inactive=True, customer_ids=[query.customer_id]).iloc[0]
    segment = None
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "segments" in tables:
        seg = con.execute(
            "SELECT segment FROM segments WHERE customer_id = ?", [query.customer_id]
        ).fetchone()
        segment = None if seg is None else str(seg[0])
    has_tx = int(mine["n_transactions"]) > 0
    return CustomerProfile(
        customer_id=str(row[0]),
        country=None if row[1] is None else str(row[1]),
        signup_date=str(row[2]),
        consent={"email": bool(row[3]), "sms": bool(row[4]), "push": bool(row[5])},
        transactions=int(mine["n_transactions"]),
        total_spend=round(float(mine["total_amount"]), 2),
        mean_order_value=round(float(mine["mean_amount"]), 2) if has_tx else None,
        last_purchase=str(mine["last_ts"]) if has_tx else None,
        days_since_last_purchase=round(float(mine["recency_days"]), 1) if has_tx else None,
        segment=segment,
    )


def missing_customers(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[str]]:
    """The ids in ``ids`` that no customer has, each with the three closest existing ids."""
    if not ids:
        return {}
    rows = con.execute(
        "SELECT customer_id FROM customers WHERE list_contains(?::VARCHAR[], customer_id)", [ids]
    ).fetchall()
    found = {str(r[0]) for r in rows}
    closest = "SELECT customer_id FROM customers ORDER BY levenshtein(customer_id, ?), customer_id LIMIT 3"
    return {i: [str(r[0]) for r in con.execute(closest, [i]).fetchall()] for i in ids if i not in found}


def require_customer(con: duckdb.DuckDBPyConnection, customer_id: str) -> None:
    """Nothing when ``customer_id`` exists; else a ``ToolError`` naming it and the closest ids."""
    missing = missing_customers(con, [customer_id])
    if customer_id in missing:
        hint = f" (closest ids: {', '.join(missing[customer_id])})" if missing[customer_id] else ""
        raise ToolError(f"no customer with id {customer_id!r}{hint}")
