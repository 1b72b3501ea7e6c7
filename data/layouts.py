"""Common export layouts and how their columns map onto mkt's tables.

A :class:`Mapping` says, for one input file, which of its columns feeds each target field. Targets
are the standard columns (``customer_id``, ``ts``, ``amount``, ...) plus a few helpers the mapping
engine understands: ``quantity`` and ``unit_price`` (amount = quantity x unit price), ``refunded``
(amount refunded, subtracted), ``invoice`` (an id whose ``C`` prefix marks a cancellation),
``status`` (a payment or order status), ``email`` (a customer id is made from it when there is no
id column), and ``email_opt_out`` / ``accepts_marketing`` (consent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TRANSACTION_TARGETS = (
    "customer_id",
    "ts",
    "amount",
    "quantity",
    "unit_price",
    "refunded",
    "invoice",
    "status",
    "order_id",
    "product_id",
    "category",
    "channel",
    "email",
    "phone",
    "country",
    "accepts_marketing",
)
CUSTOMER_TARGETS = (
    "customer_id",
    "email",
    "phone",
    "country",
    "signup_date",
    "consent_email",
    "consent_sms",
    "consent_push",
    "email_opt_out",
)
ENGAGEMENT_TARGETS = (
    "customer_id",
    "campaign_id",
    "channel",
    "ts",
    "event",
    "cost",
    "revenue",
    "variant",
    "test_group",
)


@dataclass(frozen=True)
class Mapping:
    """How one file's columns become one mkt table (and, for order exports, its customers).

    Attributes:
        layout: the recognised layout's name, or ``custom`` / ``standard``.
        table: customers, transactions or engagements.
        columns: target field -> source column in the file.
        fill_down: targets blank on an order's later lines, copied from its first line (Shopify).
        drop: source columns deliberately not loaded (personal data the tools do not use).
        keep_extra: keep unmapped columns as customer attributes (CRM exports).
        failed_statuses: status values of rows that are not purchases at all (failed payments).
        return_statuses: status values that mark a whole order as refunded or cancelled.
    """

    layout: str
    table: str
    columns: dict[str, str]
    fill_down: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    keep_extra: bool = False
    failed_statuses: tuple[str, ...] = ()
    return_statuses: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The mapping as saved in the workspace."""
        return {
            "layout": self.layout,
            "table": self.table,
            "columns": self.columns,
            "fill_down": list(self.fill_down),
            "drop": list(self.drop),
            "keep_extra": self.keep_extra,
            "failed_statuses": list(self.failed_statuses),
            "return_statuses": list(self.return_statuses),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Mapping:
        """A saved mapping back (as written by :meth:`to_json`)."""

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key, [])
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        columns = data.get("columns", {})
        return cls(
            layout=str(data["layout"]),
            table=str(data["table"]),
            columns={str(k): str(v) for k, v in columns.items()} if isinstance(columns, dict) else {},
            fill_down=strings("fill_down"),
            drop=strings("drop"),
            keep_extra=bool(data.get("keep_extra", False)),
            failed_statuses=strings("failed_statuses"),
            return_statuses=strings("return_statuses"),
        )


@dataclass(frozen=True)
class Layout:
    """A known export: the headers that identify it and the mapping it implies."""

    name: str
    description: str
    needs: frozenset[str]
    mapping: Mapping
    optional: dict[str, str] = field(default_factory=dict)


def _layout(
    name: str, description: str, table: str, columns: dict[str, str], optional: dict[str, str], **kw: object
) -> Layout:
    return Layout(
        name=name,
        description=description,
        needs=frozenset(columns.values()),
        mapping=Mapping(layout=name, table=table, columns=columns, **kw),  # type: ignore[arg-type]
        optional=optional,
    )


LAYOUTS: tuple[Layout, ...] = (
    _layout(
        "uci-online-retail",
        "invoice lines (UCI Online Retail: InvoiceNo, StockCode, Quantity, UnitPrice, CustomerID)",
        "transactions",
        {
            "invoice": "InvoiceNo",
            "product_id": "StockCode",
            "quantity": "Quantity",
            "ts": "InvoiceDate",
            "unit_price": "UnitPrice",
            "customer_id": "CustomerID",
        },
        {"country": "Country", "category": "Description"},
    ),
    _layout(
        "uci-online-retail-ii",
        "invoice lines (UCI Online Retail II: Invoice, StockCode, Quantity, Price, Customer ID)",
        "transactions",
        {
            "invoice": "Invoice",
            "product_id": "StockCode",
            "quantity": "Quantity",
            "ts": "InvoiceDate",
            "unit_price": "Price",
            "customer_id": "Customer ID",
        },
        {"country": "Country", "category": "Description"},
    ),
    _layout(
        "shopify-orders",
        "shop orders (Shopify: Name, Email, Created at, Lineitem quantity, Lineitem price)",
        "transactions",
        {
            "order_id": "Name",
            "email": "Email",
            "ts": "Created at",
            "quantity": "Lineitem quantity",
            "unit_price": "Lineitem price",
        },
        {
            "product_id": "Lineitem sku",
            "category": "Lineitem name",
            "status": "Financial Status",
            "accepts_marketing": "Accepts Marketing",
            "country": "Billing Country",
            "phone": "Phone",
        },
        fill_down=("email", "ts", "status", "accepts_marketing", "country", "phone"),
        return_statuses=("refunded", "voided"),
    ),
    _layout(
        "stripe-payments",
        "payments (Stripe: id, Created (UTC), Amount, Amount Refunded, Status, Customer ID)",
        "transactions",
        {
            "order_id": "id",
            "ts": "Created (UTC)",
            "amount": "Amount",
            "customer_id": "Customer ID",
        },
        {"refunded": "Amount Refunded", "status": "Status", "email": "Customer Email"},
        failed_statuses=("failed", "canceled", "cancelled", "incomplete"),
        return_statuses=("refunded",),
    ),
    _layout(
        "crm-contacts",
        "CRM contacts (HubSpot style: Record ID, Email, Create Date)",
        "customers",
        {"customer_id": "Record ID", "email": "Email", "signup_date": "Create Date"},
        {
            "phone": "Phone Number",
            "country": "Country/Region",
            "email_opt_out": "Unsubscribed from all email",
        },
        drop=("First Name", "Last Name"),
        keep_extra=True,
    ),
    _layout(
        "crm-contacts-salesforce",
        "CRM contacts (Salesforce style: Contact ID, Email, Created Date)",
        "customers",
        {"customer_id": "Contact ID", "email": "Email", "signup_date": "Created Date"},
        {"phone": "Phone", "country": "Mailing Country", "email_opt_out": "Email Opt Out"},
        drop=("First Name", "Last Name", "Full Name"),
        keep_extra=True,
    ),
)


def detect(columns: list[str]) -> Mapping | None:
    """The mapping of the first known layout whose identifying columns all appear in ``columns``."""
    present = set(columns)
    for layout in LAYOUTS:
        if layout.needs <= present:
            extra = {target: source for target, source in layout.optional.items() if source in present}
            base = layout.mapping
            return Mapping(**{**base.__dict__, "columns": {**base.columns, **extra}})
    return None


def standard(columns: list[str]) -> Mapping | None:
    """An identity mapping when ``columns`` already are one of mkt's own tables."""
    present = set(columns)
    if {"customer_id", "campaign_id", "event"} <= present:
        table = "engagements"
    elif {"customer_id", "ts", "amount"} <= present:
        table = "transactions"
    elif "customer_id" in present:
        table = "customers"
    else:
        return None
    return Mapping(layout="standard", table=table, columns={})


def parse_map(text: str) -> dict[str, str]:
    """``customer_id=CustomerID,ts=InvoiceDate`` as a dict (target -> source column).

    Raises:
        ValueError: an item without ``=``, an unknown target, or a target given twice.
    """
    known = set(TRANSACTION_TARGETS) | set(CUSTOMER_TARGETS) | set(ENGAGEMENT_TARGETS)
    result: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        target, sep, source = (x.strip() for x in item.partition("="))
        if not sep or not target or not source:
            raise ValueError(f"--map item {item!r} is not target=Column")
        if target not in known:
            raise ValueError(f"--map target {target!r} is not one of {', '.join(sorted(known))}")
        if target in result:
            raise ValueError(f"--map gives {target!r} twice")
        result[target] = source
    return result


def custom(columns: dict[str, str]) -> Mapping:
    """A user's ``--map``: the table follows from the targets it names."""
    targets = set(columns)
    if {"campaign_id", "event"} <= targets:
        table = "engagements"
    elif "ts" in targets and ("amount" in targets or {"quantity", "unit_price"} <= targets):
        table = "transactions"
    else:
        table = "customers"
    return Mapping(layout="custom", table=table, columns=columns, keep_extra=table == "customers")
