"""Churn scorer: features, supervised training with skops persistence, scoring, BG/NBD fallback."""

from tools.churn.features import ChurnData, churn_features
from tools.churn.models import ScoreRequest, ScoreResult, TrainRequest, TrainResult
from tools.churn.score import plot_risk, score_churn
from tools.churn.train import train_churn

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
