"""Apply a :class:`~data.layouts.Mapping` to a raw file: mkt's tables, plus what was skipped and why.

Rows keep their file's ``_row``, so the loader's errors still name the original file and row.
Numbers and dates are checked against the source column first (the error names it); timestamps
in day-first or month-first formats (``12/1/2010 8:26``) are recognised and written as ISO.
Cancellations, refunds and failed payments are counted and left out of the purchases, as are rows
without a customer id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from data.casting import _cast, check_cast
from data.errors import DataValidationError
from data.layouts import Mapping
from data.readers import ROW
from data.sql import ident

DATE_FORMATS = (
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)
"""Non-ISO formats tried in order (month-first before day-first) when ISO parsing fails."""

_NUMBERS = ("quantity", "unit_price", "amount", "refunded", "cost", "revenue")
_TRUE = ("yes", "y", "true", "t", "1", "subscribed", "opt-in", "opted in")


@dataclass
class Converted:
    """mkt tables built from one file, and counts of what was left out."""

    tables: dict[str, pa.Table]
    mapping: Mapping
    no_customer: int = 0
    returns: int = 0
    returns_value: float = 0.0
    failed: int = 0
    notes: list[str] = field(default_factory=list)


def convert(raw: pa.Table, mapping: Mapping, file: str) -> Converted:
    """The tables ``mapping`` makes of ``raw`` (read with its ``_row`` column).

    Raises:
        DataValidationError: a mapped column missing from the file, or a value of a mapped column
            that is not a number / date, naming the file, row and source column.
    """
    if mapping.layout == "standard":
        return Converted(tables={mapping.table: raw}, mapping=mapping)
    missing = [s for s in mapping.columns.values() if s not in raw.column_names]
    if missing:
        raise DataValidationError(
            f"mapped column is not in the file (columns: {', '.join(c for c in raw.column_names if c != ROW)})",
            file=file,
            column=missing[0],
        )
    con = duckdb.connect(":memory:")
    try:
        con.register("src", raw)
        types = {str(r[0]): str(r[1]) for r in con.execute("DESCRIBE src").fetchall()}
        for target in _NUMBERS:
            if target in mapping.columns:
                source = mapping.columns[target]
                check_cast(con, "src", source, types[source], "DOUBLE", file)
        formats: dict[str, str | None] = {
            target: _date_format(con, mapping.columns[target], types[mapping.columns[target]], file)
            for target in ("ts", "signup_date")
            if target in mapping.columns
        }
        if mapping.table == "transactions":
            return _transactions(con, mapping, formats, file)
        return _simple(con, mapping, formats, raw.column_names)
    finally:
        con.close()


def _date_format(con: duckdb.DuckDBPyConnection, source: str, source_type: str, file: str) -> str | None:
    """None when ISO parsing reads every value, else the first format in DATE_FORMATS that does."""
    col = ident(source)
    if not source_type.upper().startswith("VARCHAR"):
        return None
    iso = _cast(col, "VARCHAR", "TIMESTAMP")
    if _all_parse(con, col, iso):
        return None
    for fmt in DATE_FORMATS:
        if _all_parse(con, col, f"try_strptime(trim({col}), '{fmt}')"):
            return fmt
    check_cast(con, "src", source, source_type, "TIMESTAMP", file)
    return None


def _all_parse(con: duckdb.DuckDBPyConnection, col: str, expression: str) -> bool:
    return _scalar(con, f"SELECT count(*) FROM src WHERE {col} IS NOT NULL AND {expression} IS NULL") == 0


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """The single value ``sql`` returns (all rows fetched, so the connection is free again)."""
    return con.execute(sql).fetchall()[0][0]


def _text(mapping: Mapping, target: str, formats: dict[str, str | None]) -> str:
    """The source column for ``target`` as text (dates in ISO form), or NULL when unmapped."""
    if target not in mapping.columns:
        return "CAST(NULL AS VARCHAR)"
    col = ident(mapping.columns[target])
    fmt = formats.get(target)
    if fmt is not None:
        shape = "%Y-%m-%d" if target == "signup_date" else "%Y-%m-%d %H:%M:%S"
        return f"strftime(try_strptime(trim({col}), '{fmt}'), '{shape}')"
    if target == "signup_date":
        return f"coalesce(CAST(TRY_CAST({_cast(col, 'VARCHAR', 'TIMESTAMP')} AS DATE) AS VARCHAR), {col})"
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def _customer_id(mapping: Mapping, formats: dict[str, str | None]) -> str:
    if "customer_id" in mapping.columns:
        text = _text(mapping, "customer_id", formats)
        return f"nullif(regexp_replace({text}, '^(\\d+)\\.0+$', '\\1'), '')"
    if "email" in mapping.columns:
        email = _text(mapping, "email", formats)
        return f"CASE WHEN {email} IS NULL THEN NULL ELSE 'cu_' || substr(sha256(lower({email})), 1, 16) END"
    raise DataValidationError("the mapping names no customer_id (or email) column", file=mapping.layout)


def _transactions(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, formats: dict[str, str | None], file: str
) -> Converted:
    cols = mapping.columns
    fields = {
        t: _text(mapping, t, formats)
        for t in ("ts", "order_id", "invoice", "product_id", "category", "channel", "status")
        + ("email", "phone", "country", "accepts_marketing")
    }
    number = {t: f"TRY_CAST({ident(cols[t])} AS DOUBLE)" if t in cols else "NULL" for t in _NUMBERS}
    gross = f"{number['quantity']} * {number['unit_price']}" if "quantity" in cols else number["amount"]
    base = [f"{ident(ROW)} AS _row", f"{_customer_id(mapping, formats)} AS customer_id"]
    base += [f"{expr} AS {t}" for t, expr in fields.items()]
    base += [f"{gross} AS gross", f"{number['refunded']} AS refunded", f"{number['quantity']} AS quantity"]
    con.execute(f"CREATE TEMP TABLE lines AS SELECT {', '.join(base)} FROM src")
    key = "order_id" if "order_id" in cols else "invoice"
    for target in mapping.fill_down:
        if target in cols:
            con.execute(
                f"UPDATE lines SET {target} = f.v FROM (SELECT _row, first_value({target} IGNORE NULLS) "
                f"OVER (PARTITION BY {key} ORDER BY _row) AS v FROM lines) f "
                f"WHERE lines._row = f._row AND lines.{target} IS NULL"
            )
    if "email" in cols and "customer_id" not in cols:
        con.execute(f"UPDATE lines SET customer_id = ({_customer_id_from_email()})")
    kind = (
        "CASE WHEN customer_id IS NULL THEN 'no_customer' "
        "WHEN list_contains($failed, lower(status)) THEN 'failed' "
        "WHEN invoice LIKE 'C%' OR quantity < 0 OR gross < 0 OR list_contains($returned, lower(status)) "
        "OR (refunded > 0 AND refunded >= gross) THEN 'return' ELSE 'purchase' END"
    )
    con.execute(
        f"CREATE TEMP TABLE classified AS SELECT *, {kind} AS kind, "
        "gross - coalesce(refunded, 0) AS amount FROM lines",
        {"failed": list(mapping.failed_statuses), "returned": list(mapping.return_statuses)},
    )
    counts = dict(con.execute("SELECT kind, count(*) FROM classified GROUP BY kind").fetchall())
    value = _scalar(con, "SELECT coalesce(sum(abs(gross)), 0) FROM classified WHERE kind = 'return'")
    order = "coalesce(order_id, invoice)" if "invoice" in cols else "order_id"
    tx = con.sql(
        f"SELECT _row AS {ident(ROW)}, customer_id, ts, amount, {order} AS order_id, product_id, category, "
        "channel FROM classified WHERE kind = 'purchase' ORDER BY _row"
    ).to_arrow_table()
    tx = tx.select([c for c in tx.column_names if c == ROW or _mapped(c, cols)])
    converted = Converted(
        tables={"transactions": tx},
        mapping=mapping,
        no_customer=int(counts.get("no_customer", 0)),
        returns=int(counts.get("return", 0)),
        returns_value=float(value),  # type: ignore[arg-type]
        failed=int(counts.get("failed", 0)),
    )
    if any(t in cols for t in ("email", "phone", "country", "accepts_marketing")):
        converted.tables["customers"] = _customers_of_orders(con, cols)
    converted.notes = _notes(converted)
    return converted


def _customer_id_from_email() -> str:
    return "CASE WHEN email IS NULL THEN NULL ELSE 'cu_' || substr(sha256(lower(email)), 1, 16) END"


def _mapped(column: str, cols: dict[str, str]) -> bool:
    if column in ("customer_id", "ts", "amount"):
        return True
    if column == "order_id":
        return "order_id" in cols or "invoice" in cols
    return column in cols


def _customers_of_orders(con: duckdb.DuckDBPyConnection, cols: dict[str, str]) -> pa.Table:
    """One customer per id seen in an orders export, with the contact fields it carries."""
    parts = [f"min(_row) AS {ident(ROW)}", "customer_id"]
    for target in ("email", "phone", "country"):
        if target in cols:
            parts.append(f"first({target} ORDER BY _row) FILTER (WHERE {target} IS NOT NULL) AS {target}")
    if "accepts_marketing" in cols:
        parts.append("bool_or(list_contains($yes, lower(accepts_marketing))) AS consent_email")
    return con.sql(
        f"SELECT {', '.join(parts)} FROM classified WHERE customer_id IS NOT NULL "
        "GROUP BY customer_id ORDER BY 1",
        params={"yes": list(_TRUE)} if "accepts_marketing" in cols else None,
    ).to_arrow_table()


def _simple(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, formats: dict[str, str | None], names: list[str]
) -> Converted:
    """Customers or engagements: columns renamed, CRM consent flipped, personal names dropped."""
    cols = mapping.columns
    parts = [ident(ROW), f"{_customer_id(mapping, formats)} AS customer_id"]
    for target in cols:
        if target in ("customer_id", "email_opt_out"):
            continue
        parts.append(f"{_text(mapping, target, formats)} AS {ident(target)}")
    params: dict[str, object] = {}
    if "email_opt_out" in cols and "consent_email" not in cols:
        parts.append(f"NOT list_contains($yes, lower(trim({ident(cols['email_opt_out'])}))) AS consent_email")
        params["yes"] = list(_TRUE)
    if mapping.keep_extra:
        used = set(cols.values()) | set(mapping.drop) | {ROW}
        taken = set(cols) | {"consent_email"}
        parts += [ident(n) for n in names if n not in used and n not in taken]
    table = con.sql(f"SELECT {', '.join(parts)} FROM src", params=params or None).to_arrow_table()
    skipped = int(_scalar(con, f"SELECT count(*) FROM src WHERE {_customer_id(mapping, formats)} IS NULL"))  # type: ignore[call-overload]
    if skipped:
        table = table.filter(pc.is_valid(table["customer_id"]))
    converted = Converted(tables={mapping.table: table}, mapping=mapping, no_customer=skipped)
    converted.notes = _notes(converted)
    dropped = [d for d in mapping.drop if d in names]
    if dropped:
        converted.notes.append(f"not loaded (personal data the tools do not use): {', '.join(dropped)}")
    return converted


def _notes(converted: Converted) -> list[str]:
    notes = []
    if converted.no_customer:
        notes.append(f"{converted.no_customer:,} row(s) without a customer id skipped")
    if converted.returns:
        notes.append(
            f"{converted.returns:,} cancellation/refund row(s) counted as returns, not purchases "
            f"(value {converted.returns_value:,.2f})"
        )
    if converted.failed:
        notes.append(f"{converted.failed:,} failed or cancelled payment(s) skipped")
    return notes
