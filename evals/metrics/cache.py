"""Per-text memo for the metrics' pure functions, with one switch to forget everything.

A draft's parts, sentences and prose are read by several metrics, and the variants of one request
share sentences (offer line, call to action, footer); each pure per-text function computes once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import _lru_cache_wrapper, lru_cache
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_CACHES: list[_lru_cache_wrapper[object]] = []


def text_cache(maxsize: int = 8192) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``functools.lru_cache`` that ``clear_text_caches`` empties.

    Only for pure functions of hashable arguments whose results are immutable (tuples, strings, numbers).
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        cached = lru_cache(maxsize=maxsize)(fn)
        _CACHES.append(cached)
        return cached  # type: ignore[return-value]

    return wrap


def clear_text_caches() -> None:
    """Forget every result cached with ``text_cache``."""
    for cached in _CACHES:
        cached.cache_clear()
