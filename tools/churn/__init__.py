"""Churn scorer: features, supervised training with skops persistence, scoring, BG/NBD fallback.

Names are imported on first use (``data.lazy``): scoring with a saved model needs no sklearn
training code, and a turn that never scores churn imports none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
    from tools.churn.features import ChurnData, churn_features
    from tools.churn.models import ScoreRequest, ScoreResult, TrainRequest, TrainResult
    from tools.churn.score import plot_risk, score_churn
    from tools.churn.train import train_churn

_WHERE: dict[str, str] = {
    "ChurnData": "tools.churn.features",
    "churn_features": "tools.churn.features",
    "ScoreRequest": "tools.churn.models",
    "ScoreResult": "tools.churn.models",
    "TrainRequest": "tools.churn.models",
    "TrainResult": "tools.churn.models",
    "plot_risk": "tools.churn.score",
    "score_churn": "tools.churn.score",
    "train_churn": "tools.churn.train",
}

__getattr__ = lazy_attributes(__name__, _WHERE)

__all__ = [
    "ChurnData",
    "ScoreRequest",
    "ScoreResult",
    "TrainRequest",
    "TrainResult",
    "churn_features",
    "plot_risk",
    "score_churn",
    "train_churn",
]
