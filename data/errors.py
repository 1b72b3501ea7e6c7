"""One root error type for mkt, with the few subclasses callers act on differently.

- ``ConfigError``: the user must set or fix something (a path, a variable); the CLI says what.
- ``DataValidationError``: input data is wrong; names the file, row and column.
- ``ToolError``: a tool cannot answer for these arguments (bad or degenerate input); the agent
  feeds the message back to the model as the tool result.
- ``ModelAPIError``: a language-model backend failed; the fallback model takes over.
- ``WorkspaceBusyError``: another process holds the warehouse; the user retries in a moment.

The CLI turns any ``MktError`` into a one-line message and a non-zero exit code.
"""

from __future__ import annotations


class MktError(Exception):
    """Root of every error mkt raises on purpose."""

    exit_code: int = 1


class ConfigError(MktError):
    """Missing or invalid configuration: the message says what to set."""

    exit_code = 2


class DataValidationError(MktError):
    """Input data failed validation.

    Attributes:
        file: the input file (or table) the problem is in.
        row: 1-based data row (header excluded), when the problem is in one row.
        column: the column, when the problem is in one column.
    """

    exit_code = 3

    def __init__(self, message: str, *, file: str, row: int | None = None, column: str | None = None) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.detail = message
        where = [file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


class WorkspaceBusyError(MktError):
    """Another process holds the workspace warehouse (a load is running); retry shortly."""

    exit_code = 6


class ToolError(MktError):
    """A tool cannot compute an answer for these arguments or this data."""

    exit_code = 4


class ModelAPIError(MktError):
    """A language-model backend failed (connection, timeout, rate limit, server error)."""

    exit_code = 5
