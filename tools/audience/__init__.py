"""Audience selection: who a campaign targets, what they are worth, who can be reached, and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
    from tools.audience.export import ExportResult, export_audience, export_path
    from tools.audience.fairness import audience_makeup
    from tools.audience.models import (
        AudienceParams,
        AudienceSelection,
        AudienceSummary,
        FairnessReport,
        GroupMakeup,
    )
    from tools.audience.select import select_audience

_WHERE: dict[str, str] = {
    "AudienceParams": "tools.audience.models",
    "AudienceSelection": "tools.audience.models",
    "AudienceSummary": "tools.audience.models",
    "ExportResult": "tools.audience.export",
    "FairnessReport": "tools.audience.models",
    "GroupMakeup": "tools.audience.models",
    "audience_makeup": "tools.audience.fairness",
    "export_audience": "tools.audience.export",
    "export_path": "tools.audience.export",
    "select_audience": "tools.audience.select",
}
__all__ = [
    "AudienceParams",
    "AudienceSelection",
    "AudienceSummary",
    "ExportResult",
    "FairnessReport",
    "GroupMakeup",
    "audience_makeup",
    "export_audience",
    "export_path",
    "select_audience",
]
__getattr__ = lazy_attributes(__name__, _WHERE)
