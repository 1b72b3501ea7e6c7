"""Generators a suite case can run, looked up by name when a case needs one.

A generator is any callable ``GenerationRequest -> Sequence[CopyDraft | dict]``, registered in
process (``register_generator``: the copy tool registers itself as ``copy`` when
``agent.copy_eval`` is imported, as ``mkt eval run`` does) or named as ``"module:attribute"`` in
``REGISTRY`` or in the suite, imported when a case asks for it. A case whose generator is missing
is skipped with the reason, so the harness never depends on the layers above it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from evals.types import Channel, CopyDraft


class GenerationRequest(BaseModel):
    """What a case asks a generator for: the inputs of the copy tool."""

    channel: Channel
    segment: str | None = None
    offer: dict[str, Any] = Field(default_factory=dict)
    brand: str | None = None
    brand_examples: list[str] = Field(default_factory=list)
    postal_address: str | None = None
    personalization_fields: list[str] = Field(default_factory=list)
    language: str | None = None
    n_variants: int = 3
    options: dict[str, Any] = Field(default_factory=dict)


Generator = Callable[[GenerationRequest], Sequence[CopyDraft | dict[str, Any]]]

# name -> "module:attribute", imported lazily.
REGISTRY: dict[str, str] = {}
_REGISTERED: dict[str, Generator] = {}


class GeneratorUnavailable(Exception):
    """The named generator cannot be imported (yet); the case is skipped with this reason."""


def register_generator(name: str, generator: Generator) -> None:
    """Register an in-process generator under ``name`` (takes precedence over ``REGISTRY``)."""
    _REGISTERED[name] = generator


def resolve_generator(name: str) -> Generator:
    """The generator called ``name``; raises ``GeneratorUnavailable`` with a reason if missing."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    target = REGISTRY.get(name, name if ":" in name else None)
    if target is None:
        known = ", ".join(sorted({*REGISTRY, *_REGISTERED})) or "none registered"
        raise GeneratorUnavailable(f"no generator named '{name}' (known: {known})")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise GeneratorUnavailable(
            f"generator '{name}' is not available yet ({module_name}: {exc})"
        ) from None
    func = getattr(module, attr, None)
    if not callable(func):
        raise GeneratorUnavailable(f"generator '{name}' is not available yet ({module_name} has no {attr})")
    generator: Generator = func
    return generator


def as_draft(item: CopyDraft | dict[str, Any] | Any, channel: Channel) -> CopyDraft:
    """Accept a ``CopyDraft``, a dict of parts, or any object with ``channel`` and ``parts``."""
    if isinstance(item, CopyDraft):
        return item
    if isinstance(item, dict):
        if "parts" in item:
            return CopyDraft.model_validate({"channel": channel, **item})
        return CopyDraft(channel=channel, parts={str(k): str(v) for k, v in item.items()})
    parts = getattr(item, "parts", None)
    if isinstance(parts, dict):
        return CopyDraft(
            channel=getattr(item, "channel", channel), parts={str(k): str(v) for k, v in parts.items()}
        )
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        return as_draft(dump(), channel)
    raise TypeError(f"a generator returned {type(item).__name__}, not copy parts")
