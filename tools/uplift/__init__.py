"""Uplift: who a campaign changes, learnt from past campaigns with randomised control groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
    from tools.uplift.models import (
        CustomerUplift,
        UpliftScoreParams,
        UpliftScores,
        UpliftTrainParams,
        UpliftTrainResult,
    )
    from tools.uplift.score import UpliftScoring, score_uplift
    from tools.uplift.train import train_uplift

_WHERE: dict[str, str] = {
    "CustomerUplift": "tools.uplift.models",
    "UpliftScoreParams": "tools.uplift.models",
    "UpliftScores": "tools.uplift.models",
    "UpliftTrainParams": "tools.uplift.models",
    "UpliftTrainResult": "tools.uplift.models",
    "UpliftScoring": "tools.uplift.score",
    "score_uplift": "tools.uplift.score",
    "train_uplift": "tools.uplift.train",
}
__all__ = [
    "CustomerUplift",
    "UpliftScoreParams",
    "UpliftScores",
    "UpliftScoring",
    "UpliftTrainParams",
    "UpliftTrainResult",
    "score_uplift",
    "train_uplift",
]
__getattr__ = lazy_attributes(__name__, _WHERE)
