"""CLV calculator: RFM summary, BG/NBD and Gamma-Gamma fits, the simple formula, typed API."""

from tools.clv.api import calculate_clv, plot_clv, probabilistic_clv
from tools.clv.models import ClvRequest, ClvResult, CustomerClv, ModelFit
from tools.clv.simple import derive_margins, simple_clv
from tools.clv.summary import RfmSummary, rfm_summary

__all__ = [
    "ClvRequest",
    "ClvResult",
    "CustomerClv",
    "ModelFit",
    "RfmSummary",
    "calculate_clv",
    "derive_margins",
    "plot_clv",
    "probabilistic_clv",
    "rfm_summary",
    "simple_clv",
]
