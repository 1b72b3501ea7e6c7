"""Feedback insights: offline sentiment (VADER) and TF-IDF themes of customer feedback, per segment."""

from tools.insights.analyse import analyse_feedback, read_feedback
from tools.insights.models import InsightsParams, InsightsReport, LabelAgreement, SegmentInsight, Theme

__all__ = [
    "InsightsParams",
    "InsightsReport",
    "LabelAgreement",
    "SegmentInsight",
    "Theme",
    "analyse_feedback",
    "read_feedback",
]
