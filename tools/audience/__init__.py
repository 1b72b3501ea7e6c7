"""Audience selection: who a campaign targets, what they are worth, who can be reached, and export."""

from tools.audience.export import ExportResult, export_audience, export_path
from tools.audience.models import AudienceParams, AudienceSelection, AudienceSummary
from tools.audience.select import select_audience

__all__ = [
    "AudienceParams",
    "AudienceSelection",
    "AudienceSummary",
    "ExportResult",
    "export_audience",
    "export_path",
    "select_audience",
]
