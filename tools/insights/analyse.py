"""Feedback insights: sentiment mix and themes of customer feedback, overall and per segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import DataValidationError, ToolError
from data.readers import read_table
from tools.insights.models import InsightsParams, InsightsReport, SegmentInsight
from tools.insights.sentiment import agreement, compound_scores, to_classes
from tools.insights.themes import ThemeModel

NO_SEGMENT = "(no segment)"


def read_feedback(path: Path, *, text_column: str = "text") -> pd.DataFrame:
    """Feedback rows: customer_id (optional), text, and an optional ``sentiment`` label.

    Raises:
        DataValidationError: missing text column or no non-empty text.
    """
    table = read_table(path).to_pandas()
    if text_column not in table.columns:
        raise DataValidationError(
            f"missing the feedback text column (columns: {', '.join(c for c in table.columns if c != '_row')})",
            file=str(path),
            column=text_column,
        )
    frame = pd.DataFrame({"text": table[text_column].fillna("").astype(str)})
    frame["customer_id"] = table["customer_id"].astype(str) if "customer_id" in table.columns else ""
    if "sentiment" in table.columns:
        frame["sentiment"] = table["sentiment"].astype(str)
    if not frame["text"].str.strip().any():
        raise DataValidationError("every feedback text is empty", file=str(path), column=text_column)
    return frame


def analyse_feedback(
    feedback: pd.DataFrame,
    membership: pd.DataFrame | None = None,
    params: InsightsParams | None = None,
    *,
    membership_source: str = "segments",
) -> InsightsReport:
    """Sentiment and themes of ``feedback`` (columns text[, customer_id, sentiment]) per segment.

    ``membership`` (customer_id, segment) groups texts by segment; without it everything is one
    group. Texts whose customer has no segment are grouped as "(no segment)".

    Raises:
        ToolError: no feedback rows.
    """
    params = params or InsightsParams()
    if feedback.empty or not feedback["text"].astype(str).str.strip().any():
        raise ToolError("no feedback text to analyse")
    frame = feedback.reset_index(drop=True).copy()
    notes: list[str] = []
    if membership is not None and "customer_id" in frame.columns:
        frame = frame.merge(membership[["customer_id", "segment"]], on="customer_id", how="left")
        unmatched = int(frame["segment"].isna().sum())
        if unmatched:
            notes.append(
                f"{unmatched:,} texts from customers without a segment are grouped as {NO_SEGMENT!r}"
            )
        frame["segment"] = frame["segment"].fillna(NO_SEGMENT)
        source = membership_source
    else:
        frame["segment"] = "all customers"
        source = "single segment (no segments given)"
    texts = frame["text"].astype(str).tolist()
    frame["compound"] = compound_scores(texts)
    frame["predicted"] = to_classes(frame["compound"].to_numpy(), params.neutral_band)
    model = ThemeModel(texts, min_mentions=params.min_mentions, max_ngram=params.max_ngram)
    overall = _insight("all", frame, np.arange(len(frame), dtype=np.int64), model, params)
    segments = [
        _insight(str(name), frame, np.asarray(idx, dtype=np.int64), model, params)
        for name, idx in frame.groupby("segment", sort=True).indices.items()
    ]
    segments.sort(key=lambda s: -s.texts)
    labelled = None
    if "sentiment" in frame.columns:
        labelled = agreement(frame["sentiment"].tolist(), frame["predicted"].tolist())
    return InsightsReport(
        texts=len(frame),
        method=f"VADER compound, neutral band +-{params.neutral_band:g}; themes: TF-IDF 1-{params.max_ngram}-grams",
        segment_source=source,
        overall=overall,
        segments=segments,
        agreement=labelled,
        notes=notes,
    )


def _insight(
    name: str, frame: pd.DataFrame, rows: np.ndarray, model: ThemeModel, params: InsightsParams
) -> SegmentInsight:
    predicted = frame["predicted"].to_numpy()[rows]
    negative_rows = rows[predicted == "negative"]
    n = max(rows.size, 1)
    return SegmentInsight(
        segment=name,
        texts=int(rows.size),
        positive=round(float((predicted == "positive").sum()) / n, 4),
        neutral=round(float((predicted == "neutral").sum()) / n, 4),
        negative=round(float((predicted == "negative").sum()) / n, 4),
        mean_compound=round(float(frame["compound"].to_numpy()[rows].mean()), 4) if rows.size else 0.0,
        themes=model.top(rows, params.top_themes, params.min_mentions),
        negative_themes=model.top(negative_rows, min(params.top_themes, 5), params.min_mentions),
    )
