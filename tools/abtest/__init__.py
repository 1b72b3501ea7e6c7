"""A/B test readout: rates with intervals, P(best), lift, power; the winner's copy written back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
    from tools.abtest.api import readout
    from tools.abtest.models import AbTestParams, AbTestReadout, VariantResult

_WHERE: dict[str, str] = {
    "AbTestParams": "tools.abtest.models",
    "AbTestReadout": "tools.abtest.models",
    "VariantResult": "tools.abtest.models",
    "readout": "tools.abtest.api",
}
__all__ = ["AbTestParams", "AbTestReadout", "VariantResult", "readout"]
__getattr__ = lazy_attributes(__name__, _WHERE)
