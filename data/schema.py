"""The three customer tables: columns, types and constraints (DESIGN.md section 4).

Only ``customer_id`` is required of customers: a missing consent column (or an empty cell) means
the customer is not reachable on that channel, and a missing signup date is taken as the first
purchase. A transaction log alone derives its customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "bool", "date", "timestamp", "float"]

SQL_TYPE: dict[Kind, str] = {
    "str": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "float": "DOUBLE",
}

CHANNELS = ("email", "sms", "push", "social", "ads")
EVENTS = ("sent", "delivered", "opened", "clicked", "converted", "unsubscribed", "held_out")
TEST_GROUPS = ("treatment", "control")


@dataclass(frozen=True)
class Column:
    """One column of an input table and the rules its values follow."""

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    unique: bool = False
    not_future: bool = False


@dataclass(frozen=True)
class TableSchema:
    """An input table; ``allow_extra`` keeps unknown columns as optional attributes."""

    name: str
    columns: tuple[Column, ...]
    allow_extra: bool = False
    references_customers: bool = field(default=True)

    @property
    def required(self) -> list[str]:
        """Names of the columns every input must have."""
        return [c.name for c in self.columns if c.required]

    @property
    def known(self) -> dict[str, Column]:
        """Columns by name."""
        return {c.name: c for c in self.columns}


CUSTOMERS = TableSchema(
    name="customers",
    columns=(
        Column("customer_id", "str", unique=True),
        Column("email", "str", required=False, nullable=True),
        Column("phone", "str", required=False, nullable=True),
        Column("country", "str", required=False, nullable=True),
        Column("signup_date", "date", required=False, nullable=True, not_future=True),
        Column("consent_email", "bool", required=False, nullable=True),
        Column("consent_sms", "bool", required=False, nullable=True),
        Column("consent_push", "bool", required=False, nullable=True),
    ),
    allow_extra=True,
    references_customers=False,
)

TRANSACTIONS = TableSchema(
    name="transactions",
    columns=(
        Column("customer_id", "str"),
        Column("ts", "timestamp", not_future=True),
        Column("amount", "float", min_value=0.0),
        Column("order_id", "str", required=False, nullable=True),
        Column("product_id", "str", required=False, nullable=True),
        Column("category", "str", required=False, nullable=True),
        Column("channel", "str", required=False, nullable=True),
    ),
)

ENGAGEMENTS = TableSchema(
    name="engagements",
    columns=(
        Column("customer_id", "str"),
        Column("campaign_id", "str"),
        Column("channel", "str", choices=CHANNELS),
        Column("ts", "timestamp", not_future=True),
        Column("event", "str", choices=EVENTS),
        Column("cost", "float", required=False, nullable=True, min_value=0.0),
        Column("revenue", "float", required=False, nullable=True, min_value=0.0),
        Column("variant", "str", required=False, nullable=True),
        Column("test_group", "str", required=False, nullable=True, choices=TEST_GROUPS),
    ),
)
"""Engagements of a campaign with a randomised control group carry ``test_group``: ``treatment``
rows are the usual funnel of a contacted customer; a ``control`` customer was held out (one
``held_out`` row at send time, cost 0) and has a ``converted`` row only if they bought anyway.
Counts of what a send caused must leave control rows out; treatment minus control is the
campaign's incremental effect. Empty for campaigns without a control group."""

SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (CUSTOMERS, TRANSACTIONS, ENGAGEMENTS)}
