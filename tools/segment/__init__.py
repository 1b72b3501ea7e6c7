"""Customer segmentation: RFM features, KMeans with silhouette-chosen k, names, RFM tiers."""

from tools.segment.models import SegmentParams, SegmentProfile, SegmentReport, TierCount
from tools.segment.segmenter import Segmentation, segment_customers
from tools.segment.store import export_membership, read_membership, write_segments

__all__ = [
    "SegmentParams",
    "SegmentProfile",
    "SegmentReport",
    "Segmentation",
    "TierCount",
    "export_membership",
    "read_membership",
    "segment_customers",
    "write_segments",
]
