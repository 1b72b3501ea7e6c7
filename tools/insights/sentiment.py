"""Offline sentiment: VADER (Hutto and Gilbert 2014) compound score mapped to three classes.

Compound >= band -> positive, <= -band -> negative, else neutral; band 0.05 is the VADER authors'
recommendation. ``human_classes`` maps mean human ratings on VADER's -4..4 scale to the same three
classes with a neutral band of +-0.5 (raters on average within half a point of neutral).
Accuracy against such labels is measured in ``evaluate_against_human`` and reported per source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import pearsonr
from sklearn.metrics import accuracy_score, f1_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tools.insights.models import LabelAgreement

CLASSES = ("negative", "neutral", "positive")
HUMAN_NEUTRAL_BAND = 0.5


def compound_scores(
    texts: Sequence[str], analyzer: SentimentIntensityAnalyzer | None = None
) -> NDArray[np.float64]:
    """VADER compound score per text (-1..1); empty text scores 0."""
    analyzer = analyzer or SentimentIntensityAnalyzer()
    return np.array([float(analyzer.polarity_scores(str(t))["compound"]) if t else 0.0 for t in texts])


def to_classes(scores: NDArray[np.float64], band: float) -> NDArray[np.str_]:
    """Three classes from scores with a symmetric neutral band."""
    return np.where(scores >= band, "positive", np.where(scores <= -band, "negative", "neutral")).astype(str)


def human_classes(means: NDArray[np.float64], band: float = HUMAN_NEUTRAL_BAND) -> NDArray[np.str_]:
    """Three classes from mean human ratings on the -4..4 scale."""
    return to_classes(np.asarray(means, dtype=np.float64), band)


def agreement(labels: Sequence[str], predicted: Sequence[str]) -> LabelAgreement:
    """Accuracy, macro-F1 (over the three classes) and confusion counts."""
    truth = pd.Series(list(labels), dtype=str).str.strip().str.lower()
    guess = pd.Series(list(predicted), dtype=str)
    confusion = {
        label: {c: int(((truth == label) & (guess == c)).sum()) for c in CLASSES}
        for label in sorted(set(truth) | set(CLASSES))
    }
    return LabelAgreement(
        texts=len(truth),
        accuracy=round(float(accuracy_score(truth, guess)), 4),
        macro_f1=round(
            float(f1_score(truth, guess, labels=list(CLASSES), average="macro", zero_division=0)), 4
        ),
        confusion=confusion,
    )


def evaluate_against_human(frame: pd.DataFrame, band: float = 0.05) -> pd.DataFrame:
    """Per source (and overall): texts, accuracy, macro-F1 and Pearson r of compound vs human mean.

    ``frame`` has columns source, human_mean_sentiment (-4..4) and text.
    """
    scores = compound_scores(frame["text"].astype(str).tolist())
    scored = frame.assign(compound=scores)
    rows = []
    groups = [(str(name), part) for name, part in scored.groupby("source", sort=True)] + [("all", scored)]
    for name, part in groups:
        human = human_classes(part["human_mean_sentiment"].to_numpy(np.float64))
        result = agreement(human.tolist(), to_classes(part["compound"].to_numpy(), band).tolist())
        r = _correlation(
            part["compound"].to_numpy(np.float64), part["human_mean_sentiment"].to_numpy(np.float64)
        )
        rows.append(
            {
                "source": name,
                "texts": len(part),
                "accuracy": result.accuracy,
                "macro_f1": result.macro_f1,
                "pearson_r": round(r, 4),
            }
        )
    return pd.DataFrame(rows)


def _correlation(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Pearson r; 0.0 when fewer than three points or either side is constant (never NaN)."""
    if x.size < 3 or float(np.std(x)) == 0.0 or float(np.std(y)) == 0.0:
        return 0.0
    return float(pearsonr(x, y).statistic)
