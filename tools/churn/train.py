"""Supervised churn model: gradient boosting, logistic regression or their blend, chosen on validation AUC.

Customers are split (stratified, seeded) into train / validation / holdout. Both model families are
fit on train, and their blend (the mean of the two fitted models' probabilities, a soft vote) is the
third candidate: where the families are about as good it ranks better than either (their errors
differ), and where one is clearly worse the validation split passes it over. The candidate with the
higher validation ROC AUC is calibrated (Platt scaling on the validation split, which keeps its
ranking) and judged once on the untouched holdout. Default scikit-learn
logistic regression and gradient boosting, fit on the same training rows and judged on the same
holdout, are reported beside it as baselines. Gradient boosting runs
single-threaded: on a shared machine OpenMP threads contend badly (70x slower seen on 2 busy
cores), and one thread trains a model on 100,000 customers in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from data.errors import ToolError
from data.workspace import Workspace
from tools.churn import store
from tools.churn.features import ChurnData, churn_features
from tools.churn.models import BaselineScore, CandidateScore, TrainRequest, TrainResult

#: Fewest customers per class a model is trained on (so each split holds both classes).
MIN_PER_CLASS = 20
#: Name of the candidate that averages the two model families' probabilities.
BLEND = "blend"


def candidates(seed: int) -> dict[str, Any]:
    """The two model families compared on validation AUC."""
    return {
        "gradient_boosting": HistGradientBoostingClassifier(
            max_iter=60, learning_rate=0.15, max_leaf_nodes=8, l2_regularization=1.0, random_state=seed
        ),
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    }


def baselines(seed: int) -> dict[str, Any]:
    """Default scikit-learn models (logistic inputs scaled) to compare with, on the same features."""
    return {
        "sklearn logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "sklearn gradient boosting": GradientBoostingClassifier(random_state=seed),
    }


def blend(fitted: dict[str, Any], X: np.ndarray, y: np.ndarray) -> VotingClassifier:
    """The soft vote of already fitted models (frozen: fitting the vote refits none of them)."""
    vote = VotingClassifier([(name, FrozenEstimator(m)) for name, m in fitted.items()], voting="soft")
    return vote.fit(X, y)


def train_churn(con: duckdb.DuckDBPyConnection, workspace: Workspace, request: TrainRequest) -> TrainResult:
    """Train, select, calibrate, evaluate and save a churn model; returns holdout metrics.

    Raises:
        ToolError: no label column, or too few churned / retained customers to learn from.
    """
    data = churn_features(
        con,
        request.as_of,
        label=request.label,
        sensitive=request.sensitive,
        use_sensitive=request.use_sensitive,
    )
    return fit_and_save(data, workspace, request)


def fit_and_save(data: ChurnData, workspace: Workspace, request: TrainRequest) -> TrainResult:
    """The training steps on an already built feature matrix."""
    assert data.labels is not None
    y = data.labels
    positives, negatives = int(y.sum()), int((~y).sum())
    if min(positives, negatives) < MIN_PER_CLASS:
        raise ToolError(
            f"label '{request.label}' has {positives} churned and {negatives} retained customers; need at "
            f"least {MIN_PER_CLASS} of each to train and evaluate a model"
        )
    X = data.features.to_numpy(np.float64)
    idx = np.arange(y.size)
    rest, holdout = train_test_split(
        idx, test_size=request.holdout_share, stratify=y, random_state=request.seed
    )
    share = request.validation_share / (1.0 - request.holdout_share)
    train, valid = train_test_split(rest, test_size=share, stratify=y[rest], random_state=request.seed)
    scores: list[CandidateScore] = []
    fitted: dict[str, Any] = {}
    for name, model in candidates(request.seed).items():
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(X[train], y[train])
        fitted[name] = model
    fitted[BLEND] = blend(fitted, X[train], y[train])
    for name, model in fitted.items():
        auc = float(roc_auc_score(y[valid], model.predict_proba(X[valid])[:, 1]))
        scores.append(CandidateScore(model=name, validation_auc=auc))
    chosen = max(scores, key=lambda s: s.validation_auc).model
    calibrated = CalibratedClassifierCV(FrozenEstimator(fitted[chosen]), method="sigmoid")
    calibrated.fit(X[valid], y[valid])
    prob = calibrated.predict_proba(X[holdout])[:, 1]
    features = list(data.features.columns)
    compared = _baselines(X, y, train, holdout, request.seed)
    metrics = {
        "holdout_roc_auc": float(roc_auc_score(y[holdout], prob)),
        "holdout_pr_auc": float(average_precision_score(y[holdout], prob)),
        "holdout_brier": float(brier_score_loss(y[holdout], prob)),
    }
    metadata: dict[str, Any] = {
        "chosen": chosen,
        "label": request.label,
        "as_of": data.as_of.isoformat(),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_train": int(train.size),
        "reference": _reference(X[train], features, data.attributes.indicators()),
        "attributes": data.attributes.to_json(),
        "sklearn_version": sklearn.__version__,
        "base_rate": float(y.mean()),
        **metrics,
    }
    path = store.save(
        store.SavedModel(model=calibrated, features=features, metadata=metadata),
        store.model_path(workspace, request.name),
    )
    return TrainResult(
        name=request.name,
        path=str(path),
        chosen=chosen,
        candidates=scores,
        features=features,
        label=request.label,
        n_train=int(train.size),
        n_validation=int(valid.size),
        n_holdout=int(holdout.size),
        base_rate=float(y.mean()),
        as_of=data.as_of,
        baselines=compared,
        attributes=[
            *data.attributes.numeric,
            *data.attributes.numeric_text,
            *data.attributes.dates,
            *data.attributes.categorical,
        ],
        skipped_attributes=data.attributes.skipped,
        **metrics,
    )


def _baselines(
    X: np.ndarray, y: np.ndarray, train: np.ndarray, holdout: np.ndarray, seed: int
) -> list[BaselineScore]:
    scores = []
    for name, model in baselines(seed).items():
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(X[train], y[train])
            prob = model.predict_proba(X[holdout])[:, 1]
        scores.append(
            BaselineScore(
                model=name,
                holdout_roc_auc=float(roc_auc_score(y[holdout], prob)),
                holdout_pr_auc=float(average_precision_score(y[holdout], prob)),
            )
        )
    return scores


def _reference(X: np.ndarray, features: list[str], indicators: set[str]) -> list[float]:
    """A typical customer for the reasons: each feature's median; 0 ("off") for a 0/1 indicator.

    Against a median (or a share) an indicator of a common level stays on, so "Contract:
    Month-to-month" could never show as a reason; switched off, being on that level moves the risk
    by that level's own effect.
    """
    values = []
    for k, name in enumerate(features):
        typical = 0.0 if name in indicators else float(np.nanmedian(X[:, k]))
        values.append(typical if np.isfinite(typical) else 0.0)
    return values
