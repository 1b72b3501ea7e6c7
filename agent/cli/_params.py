"""CLI options shared by several commands, and building a tool's pydantic input model from options.

``build`` turns validation errors into a one-line ToolError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from data.errors import ToolError

M = TypeVar("M", bound=BaseModel)

FileOpt = Annotated[
    Path | None, typer.Option(help="CSV or Parquet file (default: the workspace).", dir_okay=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
ControlOpt = Annotated[
    float | None,
    typer.Option(
        help="A campaign's control group share, held out at random (default: 10%, more when needed to "
        "detect the lift).",
        min=0.01,
        max=0.9,
    ),
]
UseSensitiveOpt = Annotated[
    bool, typer.Option(help="Also learn from sensitive attributes (MKT_SENSITIVE: gender, age, ...).")
]


def build(model: type[M], **values: Any) -> M:
    """``model(**values)``, or a one-line ``ToolError`` naming the first bad option."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise ToolError(f"{where.replace('_', '-')}: {first['msg']}") from None
