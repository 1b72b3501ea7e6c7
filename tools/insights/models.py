"""Pydantic input and output models of the feedback-insights tool."""

from __future__ import annotations

from pydantic import BaseModel, Field


class InsightsParams(BaseModel):
    """How to read and summarise feedback."""

    neutral_band: float = Field(
        default=0.05,
        ge=0.0,
        lt=1.0,
        description="|VADER compound| below this is neutral (VADER authors' 0.05).",
    )
    top_themes: int = Field(default=8, ge=1, le=50, description="Themes listed per segment.")
    min_mentions: int = Field(default=2, ge=1, description="A theme must appear in at least this many texts.")
    max_ngram: int = Field(default=2, ge=1, le=4, description="Longest phrase considered, in words.")


class Theme(BaseModel):
    """A frequent phrase and how much of the segment's feedback mentions it."""

    phrase: str
    mentions: int
    share: float = Field(description="Fraction of the segment's texts that contain the phrase.")
    score: float = Field(description="Mean TF-IDF weight in the segment (ranking key).")


class SegmentInsight(BaseModel):
    """Sentiment mix and themes of one segment's feedback."""

    segment: str
    texts: int
    positive: float
    neutral: float
    negative: float
    mean_compound: float = Field(description="Mean VADER compound score, -1 (negative) to 1 (positive).")
    themes: list[Theme]
    negative_themes: list[Theme] = Field(description="Themes of the negative texts only.")


class LabelAgreement(BaseModel):
    """Agreement of the predicted sentiment with labels given in the input."""

    texts: int
    accuracy: float
    macro_f1: float
    confusion: dict[str, dict[str, int]] = Field(description="label -> predicted -> count.")


class InsightsReport(BaseModel):
    """Feedback insights overall and per segment."""

    texts: int
    method: str
    segment_source: str
    overall: SegmentInsight
    segments: list[SegmentInsight]
    agreement: LabelAgreement | None = None
    notes: list[str] = Field(default_factory=list)
