"""Column names read from a file header: checked and normalised before any SQL sees them."""

from __future__ import annotations

import unicodedata

from data.errors import DataValidationError

RESERVED = frozenset({"_row"})
MAX_NAME_CHARS = 255


def clean_column_names(raw: list[str], file: str) -> list[str]:
    """``raw`` header cells stripped and NFC-normalised, each one checked.

    A name must be non-empty, printable (no control characters such as NUL or tab), at most
    255 characters, not reserved (``_row``), and unique after NFC normalisation and ignoring
    case (DuckDB column names are case-insensitive).

    Raises:
        DataValidationError: naming the file and the offending column (its 1-based position when the
            name itself cannot be shown).
    """
    names: list[str] = []
    seen: dict[str, str] = {}
    for position, cell in enumerate(raw, start=1):
        name = unicodedata.normalize("NFC", cell.strip())
        if not name:
            raise DataValidationError(f"column {position} has an empty name", file=file)
        if not name.isprintable():
            raise DataValidationError(f"column {position} name {name!r} has control characters", file=file)
        if len(name) > MAX_NAME_CHARS:
            raise DataValidationError(
                f"column {position} name is longer than {MAX_NAME_CHARS} characters", file=file
            )
        if name.casefold() in RESERVED:
            raise DataValidationError("column name is reserved by mkt: rename it", file=file, column=name)
        key = name.casefold()
        if key in seen:
            same = "appears more than once" if seen[key] == name else f"clashes with column {seen[key]!r}"
            raise DataValidationError(f"column {same}", file=file, column=name)
        seen[key] = name
        names.append(name)
    return names
