"""Fair targeting: an audience's make-up on sensitive attributes against the base, four-fifths rule.

For every sensitive column of the customers table (``data.sensitive``: the ``MKT_SENSITIVE``
terms), customers are grouped by its value: a text or boolean column by level (the ten largest,
the rest as "other"), a numeric one by age band when it is an age (under 25, 25-34, ..., 65+)
and by quartile otherwise, missing values as "(missing)". A group's selection rate is the share
of its customers in the audience; the base rate is the audience's share of all customers. A
group whose selection rate is below four-fifths of the base rate is flagged (the "four-fifths
rule" of adverse-impact analysis); groups under ``min_group`` customers are reported, not flagged.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import numpy as np
import pandas as pd

from data.errors import ToolError
from data.sensitive import sensitive_columns, words
from data.sql import ident
from tools.audience.models import FairnessReport, GroupMakeup

FOUR_FIFTHS = 0.8
MAX_LEVELS = 10
AGE_BANDS = (0, 25, 35, 45, 55, 65, np.inf)


def _groups(values: pd.Series, column: str) -> pd.Series:
    """Group label of each customer for one attribute."""
    if pd.api.types.is_bool_dtype(values) or all(isinstance(v, bool | np.bool_) for v in values.dropna()):
        labels = values.astype("object").map(str).str.lower()
    elif pd.api.types.is_numeric_dtype(values):
        if "age" in words(column):
            labels = pd.cut(values, AGE_BANDS, right=False, labels=_band_names()).astype("object")
        else:
            labels = pd.qcut(values, 4, duplicates="drop").astype(str).astype("object")
    else:
        text = values.astype("object")
        top = text.value_counts().index[:MAX_LEVELS]
        labels = text.where(text.isin(top) | text.isna(), "other")
    return labels.where(values.notna(), "(missing)").astype(str)


def _band_names() -> list[str]:
    names = []
    for low, high in zip(AGE_BANDS[:-1], AGE_BANDS[1:], strict=True):
        names.append(
            f"under {high:g}" if low == 0 else (f"{low:g}+" if high == np.inf else f"{low:g}-{high - 1:g}")
        )
    return names


def audience_makeup(
    con: duckdb.DuckDBPyConnection,
    audience: Iterable[str],
    *,
    sensitive: list[str] | None = None,
    min_group: int = 20,
) -> FairnessReport:
    """Make-up of ``audience`` (customer ids) on the sensitive attributes, against all customers.

    Raises:
        ToolError: no customers table, or an empty audience.
    """
    described = (
        {str(r[0]) for r in con.execute("DESCRIBE customers").fetchall()} if _has_customers(con) else None
    )
    if described is None:
        raise ToolError("the fairness check needs the customers table: load customers first")
    chosen = {str(c) for c in audience}
    if not chosen:
        raise ToolError("the audience is empty: nothing to check")
    columns = sensitive_columns(sorted(described - {"customer_id"}), sensitive)
    base = len(chosen)
    if not columns:
        total = int(con.execute("SELECT count(*) FROM customers").fetchall()[0][0])
        return FairnessReport(
            attributes=[], base_size=total, audience_size=base, base_rate=base / max(total, 1), groups=[]
        )
    select = ", ".join(ident(c) for c in columns)
    frame = con.execute(f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {select} FROM customers").df()
    inside = frame["customer_id"].isin(chosen).to_numpy()
    total = len(frame)
    base_rate = float(inside.sum()) / total
    groups: list[GroupMakeup] = []
    notes: list[str] = []
    for column in columns:
        labels = _groups(frame[column], column)
        for group, members in labels.groupby(labels, sort=True):
            n = len(members)
            picked = int(inside[members.index.to_numpy()].sum())
            rate = picked / n
            ratio = rate / base_rate if base_rate > 0 else 1.0
            small = n < min_group
            if small and ratio < FOUR_FIFTHS:
                notes.append(f"{column} {group}: only {n} customers, too few to judge")
            groups.append(
                GroupMakeup(
                    attribute=column,
                    group=str(group),
                    base=n,
                    audience=picked,
                    base_share=round(n / total, 4),
                    audience_share=round(picked / max(int(inside.sum()), 1), 4),
                    selection_rate=round(rate, 4),
                    impact_ratio=round(ratio, 3),
                    flagged=bool(ratio < FOUR_FIFTHS and not small),
                )
            )
    return FairnessReport(
        attributes=columns,
        base_size=total,
        audience_size=int(inside.sum()),
        base_rate=round(base_rate, 4),
        groups=groups,
        notes=notes,
    )


def _has_customers(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return "customers" in {str(r[0]) for r in rows}
