"""Lazy package exports: a package names what it offers, and each name is imported on first use.

``import tools.copy`` (or any of its light submodules, e.g. its models) then costs nothing for the
heavy parts (the guardrail's NLP libraries, scipy, an HTTP client) until a name that needs them is
used, which keeps commands and turns that never use them fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``where[name]`` (a module path) and returns its ``name``."""

    def attribute(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(where[name]), name)

    return attribute
