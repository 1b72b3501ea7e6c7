"""The customers table's own columns as churn features, encoded the same way at training and scoring.

At training, :func:`infer_spec` looks at the columns once and fixes an :class:`AttributeSpec`:
numbers and booleans are used as they are (text that is almost all numbers, like a
``TotalCharges`` column with a few blanks, counts as a number), dates become ages in days at the
cut-off, and text with few distinct values becomes one indicator per level, named
``"column: level"`` so a customer's reasons read like the data ("Contract: Month-to-month").
Identifiers, contact details, personal names, the label and free text are left out, and so are
sensitive attributes (``data.sensitive``: gender, age, senior status... as configured by
``MKT_SENSITIVE``) unless the caller opts in. The spec is saved with the model; scoring encodes
new data with exactly the same columns and levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from data.sensitive import is_sensitive, normalise_terms
from data.sql import ident

EXCLUDED = frozenset({"customer_id", "email", "phone", "signup_date"})
PERSONAL = frozenset({"first_name", "last_name", "name", "full_name", "firstname", "lastname", "address"})
MAX_LEVELS = 30
MIN_LEVEL_SHARE = 0.005
NUMERIC_TEXT_SHARE = 0.95
_NUMERIC_TYPES: tuple[str, ...] = (
    "DOUBLE",
    "FLOAT",
    "REAL",
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "DECIMAL",
) + ("UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "BOOLEAN")


@dataclass(frozen=True)
class AttributeSpec:
    """Which customer columns feed the model, and how.

    Attributes:
        numeric: numeric or boolean columns, used as they are (missing stays NaN).
        numeric_text: text columns read as numbers (values that are not numbers become NaN).
        dates: date or timestamp columns, used as the age in days at the cut-off.
        categorical: text column -> its levels; one 0/1 feature per level.
        skipped: columns left out and why (shown in the training report).
        fill: value put in for a missing number or date (its median when the spec was made);
            None until the spec has seen data.
        flags: columns that had missing values then; each gets a 0/1 "(missing)" feature.
    """

    numeric: list[str] = field(default_factory=list)
    numeric_text: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    categorical: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    fill: dict[str, float] | None = None
    flags: list[str] = field(default_factory=list)

    def feature_names(self) -> list[str]:
        """Feature columns this spec produces, in order."""
        names = [*self.numeric, *self.numeric_text, *(date_feature(c) for c in self.dates)]
        names += [missing_feature(c) for c in self.flags]
        for column, levels in self.categorical.items():
            names += [level_feature(column, level) for level in levels]
        return names

    def indicators(self) -> set[str]:
        """Names of the 0/1 features: one per level, one per missing-value flag."""
        levels = {level_feature(c, v) for c, values in self.categorical.items() for v in values}
        return levels | {missing_feature(c) for c in self.flags}

    def to_json(self) -> dict[str, Any]:
        """The spec as saved in the model's metadata."""
        return {
            "numeric": self.numeric,
            "numeric_text": self.numeric_text,
            "dates": self.dates,
            "categorical": self.categorical,
            "skipped": self.skipped,
            "fill": self.fill or {},
            "flags": self.flags,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AttributeSpec:
        """A saved spec back; None (a model trained before attributes) means no attribute features."""
        if not data:
            return cls()
        return cls(
            numeric=[str(c) for c in data.get("numeric", [])],
            numeric_text=[str(c) for c in data.get("numeric_text", [])],
            dates=[str(c) for c in data.get("dates", [])],
            categorical={str(k): [str(v) for v in vs] for k, vs in data.get("categorical", {}).items()},
            skipped={str(k): str(v) for k, v in data.get("skipped", {}).items()},
            fill={str(k): float(v) for k, v in data.get("fill", {}).items()},
            flags=[str(c) for c in data.get("flags", [])],
        )


def date_feature(column: str) -> str:
    """Feature name of a date column's age."""
    return f"{column} (age days)"


def missing_feature(column: str) -> str:
    """Feature name of a column's missing-value indicator."""
    return f"{column} (missing)"


def level_feature(column: str, level: str) -> str:
    """Feature name of one level of a text column."""
    return f"{column}: {level}"


def infer_spec(
    con: duckdb.DuckDBPyConnection,
    *,
    label: str | None,
    sensitive: tuple[str, ...] | list[str] | None = None,
    use_sensitive: bool = False,
    exclude: tuple[str, ...] | list[str] = (),
) -> AttributeSpec:
    """Decide, from the customers table, which columns to learn from and how to encode them.

    Args:
        con: the workspace connection.
        label: the label column (never a feature).
        sensitive: terms naming sensitive attributes; None uses ``DEFAULT_SENSITIVE``.
        use_sensitive: opt in to learning from sensitive attributes.
        exclude: further columns to leave out (e.g. an outcome that is not a trait).
    """
    spec = AttributeSpec()
    terms = normalise_terms(sensitive)
    described = con.execute("DESCRIBE customers").fetchall()
    total = _count(con, "SELECT count(*) FROM customers")
    for name, kind, *_ in described:
        column, sql_type = str(name), str(kind).upper()
        if column in EXCLUDED or column == label:
            continue
        if column in exclude:
            spec.skipped[column] = "excluded"
            continue
        if not use_sensitive and is_sensitive(column, terms):
            spec.skipped[column] = "sensitive attribute: opt in to learn from it"
            continue
        distinct = _count(con, f"SELECT count(DISTINCT {ident(column)}) FROM customers")
        if column.lower().replace(" ", "_") in PERSONAL:
            spec.skipped[column] = "personal data"
        elif distinct < 2:
            spec.skipped[column] = "empty" if distinct == 0 else "a single value"
        elif sql_type.startswith(_NUMERIC_TYPES):
            spec.numeric.append(column)
        elif sql_type.startswith(("DATE", "TIMESTAMP")):
            spec.dates.append(column)
        elif sql_type == "VARCHAR":
            _text_column(con, spec, column, total)
        else:
            spec.skipped[column] = f"type {sql_type.lower()}"
    return spec


def _text_column(con: duckdb.DuckDBPyConnection, spec: AttributeSpec, column: str, total: int) -> None:
    col = ident(column)
    present = _count(con, f"SELECT count({col}) FROM customers")
    numbers = _count(con, f"SELECT count(TRY_CAST(trim({col}) AS DOUBLE)) FROM customers")
    if numbers >= NUMERIC_TEXT_SHARE * present:
        spec.numeric_text.append(column)
        return
    levels = con.execute(
        f"SELECT {col}, count(*) AS n FROM customers WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    if len(levels) > MAX_LEVELS and levels[MAX_LEVELS - 1][1] < 0.02 * total:
        spec.skipped[column] = f"{len(levels):,} distinct values (an id or free text)"
        return
    spec.categorical[column] = [
        str(v) for v, n in levels[:MAX_LEVELS] if n >= max(2, MIN_LEVEL_SHARE * total)
    ]


def encode(
    con: duckdb.DuckDBPyConnection, spec: AttributeSpec, customer_ids: pd.Index, cutoff: datetime
) -> tuple[pd.DataFrame, AttributeSpec]:
    """The spec's features for ``customer_ids`` (rows in that order), with no missing values.

    A spec without ``fill`` (just inferred) takes each number's median and its missing-value
    flags from these data and is returned completed; a saved spec is applied as it is.
    """
    parts = ["customer_id"]
    parts += [f"CAST({ident(c)} AS DOUBLE) AS {ident(c)}" for c in spec.numeric]
    parts += [f"TRY_CAST(trim({ident(c)}) AS DOUBLE) AS {ident(c)}" for c in spec.numeric_text]
    parts += [
        f"date_diff('day', CAST({ident(c)} AS DATE), CAST($cutoff AS DATE)) AS {ident(date_feature(c))}"
        for c in spec.dates
    ]
    parts += [f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in spec.categorical]
    if len(parts) == 1:
        return pd.DataFrame(index=customer_ids), replace(spec, fill=spec.fill or {})
    params = {"cutoff": cutoff} if spec.dates else {}
    raw = con.execute(f"SELECT {', '.join(parts)} FROM customers", params).df()
    raw = raw.set_index("customer_id").reindex(customer_ids)
    numbers = [*spec.numeric, *spec.numeric_text, *(date_feature(c) for c in spec.dates)]
    values = {c: raw[c].to_numpy(np.float64, na_value=np.nan) for c in numbers}
    if spec.fill is None:
        fill = {c: _median(v) for c, v in values.items()}
        flags = [c for c, v in values.items() if np.isnan(v).any()]
        spec = replace(spec, fill=fill, flags=flags)
    assert spec.fill is not None
    out = pd.DataFrame(index=customer_ids)
    for column, v in values.items():
        out[column] = np.where(np.isnan(v), spec.fill.get(column, 0.0), v)
    for column in spec.flags:
        out[missing_feature(column)] = np.isnan(values[column]).astype(np.float64)
    for column, levels in spec.categorical.items():
        text = raw[column].astype(object)
        for level in levels:
            out[level_feature(column, level)] = (text == level).to_numpy(np.float64)
    return out, spec


def _median(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(np.median(finite)) if finite.size else 0.0


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])
