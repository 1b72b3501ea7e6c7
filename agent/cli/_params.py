"""Build a tool's pydantic input model from CLI options, turning validation errors into ToolError."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from data.errors import ToolError

M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **values: Any) -> M:
    """``model(**values)``, or a one-line ``ToolError`` naming the first bad option."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise ToolError(f"{where.replace('_', '-')}: {first['msg']}") from None
