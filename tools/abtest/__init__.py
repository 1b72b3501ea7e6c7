"""A/B test readout: rates with intervals, P(best), lift, power; the winner's copy written back."""

from tools.abtest.api import readout
from tools.abtest.models import AbTestParams, AbTestReadout, VariantResult

__all__ = ["AbTestParams", "AbTestReadout", "VariantResult", "readout"]
