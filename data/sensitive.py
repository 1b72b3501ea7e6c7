"""Sensitive customer attributes: which columns models leave out unless the user opts in.

A term matches a column when it equals one of the column name's words, so ``age`` matches
``age``, ``Age`` and ``customer_age`` but not ``usage``, and ``senior`` matches
``SeniorCitizen``. The list is the ``MKT_SENSITIVE`` setting (comma-separated); an empty
setting uses ``DEFAULT_SENSITIVE``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT_SENSITIVE: tuple[str, ...] = (
    "gender",
    "sex",
    "age",
    "birth",
    "dob",
    "senior",
    "race",
    "ethnicity",
    "religion",
    "disability",
    "pregnant",
    "marital",
    "nationality",
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def words(column: str) -> list[str]:
    """The lower-case words of a column name: ``SeniorCitizen`` -> ``['senior', 'citizen']``."""
    return [w.lower() for w in _WORD.findall(column)]


def normalise_terms(terms: Iterable[str] | None) -> tuple[str, ...]:
    """``DEFAULT_SENSITIVE`` plus the given terms, in lower case without blanks.

    A configured list adds to the protected attributes, never replaces them: setting
    ``MKT_SENSITIVE=income`` must not make gender or age usable as model features.
    """
    extra = (t.strip().lower() for t in terms or () if t.strip())
    return tuple(dict.fromkeys([*DEFAULT_SENSITIVE, *extra]))


def is_sensitive(column: str, terms: Iterable[str] | None = None) -> bool:
    """Whether ``column`` names a sensitive attribute (one of its words is a term, or it is one)."""
    wanted = normalise_terms(terms)
    name = column.strip().lower()
    return name in wanted or any(w in wanted for w in words(column))


def sensitive_columns(columns: Iterable[str], terms: Iterable[str] | None = None) -> list[str]:
    """The sensitive ones of ``columns``, in their order."""
    wanted = normalise_terms(terms)
    return [c for c in columns if is_sensitive(c, wanted)]
