"""Train an uplift model on past campaigns with randomised control groups; judge it by Qini.

Customers (not rows: a customer in two tests stays on one side) are split, seeded, into train and
holdout; train is split again into fit and validation. Two methods are fit on the fit part:

- ``two_model`` (T-learner): one classifier of P(convert) on treated rows, one on control rows;
  uplift = P(convert | treated) - P(convert | control).
- ``class_transformation`` (Jaskowski and Jaroszewicz 2012): Z = converted if treated, else not
  converted, with each arm weighted to half the rows; uplift = 2 P(Z = 1) - 1. P(convert |
  control) still comes from the control classifier.

Each classifier is histogram gradient boosting, Platt-calibrated on the validation part (so the
difference of two probabilities means something). ``auto`` keeps the method with the higher
validation Qini; the holdout is used once, for the figures reported. Saved with skops through the
churn model store (signed manifest, trusted types only): ``<name>.skops`` holds the treated (or
transformed-outcome) model and the metadata, ``<name>.control.skops`` the control model.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from data.errors import ToolError
from data.workspace import Workspace
from tools.churn import store
from tools.uplift import qini
from tools.uplift.data import UpliftRows, uplift_rows
from tools.uplift.models import CandidateQini, UpliftTrainParams, UpliftTrainResult

if TYPE_CHECKING:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

METHODS = ("two_model", "class_transformation")
VALIDATION_SHARE = 0.3


def _classifier(seed: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier  # sklearn loads when a model is fitted

    return HistGradientBoostingClassifier(
        max_iter=120,
        learning_rate=0.05,
        max_leaf_nodes=8,
        min_samples_leaf=40,
        l2_regularization=1.0,
        random_state=seed,
    )


def _fit(
    x: pd.DataFrame,
    y: np.ndarray,
    x_cal: pd.DataFrame,
    y_cal: np.ndarray,
    seed: int,
    weight: np.ndarray | None = None,
    weight_cal: np.ndarray | None = None,
) -> CalibratedClassifierCV:
    """A boosted classifier fit on (x, y), Platt-calibrated on (x_cal, y_cal), each with its weights.

    The calibration must see the same weighting as the fit: an unweighted calibration of the
    class-transformation model would undo the arm balancing whenever the test is not 50/50.
    """
    if len(np.unique(y)) < 2 or len(np.unique(y_cal)) < 2:
        raise ToolError("an arm of the test has no conversions (or only conversions): nothing to learn")
    base = _classifier(seed).fit(x, y, sample_weight=weight)
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    calibrated = CalibratedClassifierCV(FrozenEstimator(base), method="sigmoid")
    with warnings.catch_warnings():  # the frozen model is not refit: the weights are for the calibration
        warnings.filterwarnings("ignore", message="Since FrozenEstimator does not appear to accept")
        return calibrated.fit(x_cal, y_cal, sample_weight=weight_cal)


def _arm_weights(treated: np.ndarray) -> np.ndarray:
    """Weights giving each arm half the total weight (class transformation assumes a 50/50 test)."""
    share = float(treated.mean())
    return np.where(treated, 0.5 / share, 0.5 / (1.0 - share))


def fit_method(
    method: str, rows: UpliftRows, fit: np.ndarray, cal: np.ndarray, seed: int
) -> tuple[CalibratedClassifierCV, CalibratedClassifierCV]:
    """(treated or transformed-outcome model, control model) fit on rows ``fit``, calibrated on ``cal``."""
    x, t, y = rows.features, rows.treated, rows.converted
    control_model = _fit(x[fit & ~t], y[fit & ~t], x[cal & ~t], y[cal & ~t], seed)
    if method == "two_model":
        main = _fit(x[fit & t], y[fit & t], x[cal & t], y[cal & t], seed)
    else:
        z = np.where(t, y, ~y)
        main = _fit(x[fit], z[fit], x[cal], z[cal], seed, _arm_weights(t[fit]), _arm_weights(t[cal]))
    return main, control_model


def predict(method: str, main: Any, control_model: Any, x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Predicted (uplift, P(convert | control)) for the rows of ``x``."""
    p_control = control_model.predict_proba(x)[:, 1]
    if method == "two_model":
        return main.predict_proba(x)[:, 1] - p_control, p_control
    return 2.0 * main.predict_proba(x)[:, 1] - 1.0, p_control


def customer_split(rows: UpliftRows, share: float, seed: int) -> np.ndarray:
    """Rows whose customer falls in a seeded random ``share`` of the customers.

    ``customer_split(rows, params.holdout_share, params.seed)`` is the holdout of ``train_uplift``.
    """
    customers = np.unique(rows.customer_id.astype(str))
    picked = np.random.default_rng(seed).random(customers.size) < share
    return np.isin(rows.customer_id.astype(str), customers[picked])


def train_uplift(
    con: duckdb.DuckDBPyConnection, workspace: Workspace, params: UpliftTrainParams
) -> UpliftTrainResult:
    """Fit, choose, evaluate on the holdout and save an uplift model.

    Raises:
        ToolError: no campaign with a control group, too few customers in an arm, or an arm
            without conversions.
    """
    rows = uplift_rows(
        con,
        params.campaigns,
        sensitive=params.sensitive,
        use_sensitive=params.use_sensitive,
        exclude=params.exclude,
    )
    holdout = customer_split(rows, params.holdout_share, params.seed)
    cal = ~holdout & customer_split(rows, VALIDATION_SHARE, params.seed + 1)
    fit = ~holdout & ~cal
    methods = METHODS if params.method == "auto" else (params.method,)
    fitted: dict[str, tuple[Any, Any]] = {}
    candidates: list[CandidateQini] = []
    x = rows.features
    with threadpool_limits(1):
        for method in methods:
            fitted[method] = fit_method(method, rows, fit, cal, params.seed)
            uplift, _ = predict(method, *fitted[method], x[cal])
            score = qini.qini_coefficient(uplift, rows.treated[cal], rows.converted[cal], seed=params.seed)
            candidates.append(CandidateQini(method=method, validation_qini=round(score, 6)))
        chosen = max(candidates, key=lambda c: c.validation_qini).method
        main, control_model = fitted[chosen]
        uplift, _ = predict(chosen, main, control_model, x[holdout])
    t, y = rows.treated[holdout], rows.converted[holdout]
    share, gain = qini.qini_curve(uplift, t, y, seed=params.seed)
    random_score = np.random.default_rng(params.seed).random(int(holdout.sum()))
    features = list(x.columns)
    metadata = {
        "kind": "uplift",
        "method": chosen,
        "attributes": rows.attributes.to_json(),
        "channels": rows.channels,
        "campaigns": [a.model_dump() for a in rows.arms],
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = model_path(workspace, params.name)
    store.save(
        store.SavedModel(model=control_model, features=features, metadata={"kind": "uplift control"}),
        control_path(workspace, params.name),
    )
    store.save(store.SavedModel(model=main, features=features, metadata=metadata), path)
    return UpliftTrainResult(
        name=params.name,
        path=str(path),
        method=chosen,
        candidates=candidates,
        campaigns=rows.arms,
        features=features,
        skipped_attributes=rows.attributes.skipped,
        n_train=int((~holdout).sum()),
        n_holdout=int(holdout.sum()),
        holdout_qini=round(qini.area_over_random(share, gain), 6),
        holdout_qini_random=round(qini.qini_coefficient(random_score, t, y, seed=params.seed), 6),
        holdout_gain_top30=round(100 * qini.gain_at(share, gain, 0.3), 3),
        holdout_gain_all=round(100 * float(gain[-1]), 3),
    )


def model_path(workspace: Workspace, name: str) -> Path:
    """Where the uplift model ``name`` (treated or transformed-outcome part) is saved."""
    return workspace.models_dir / f"{name}.skops"


def control_path(workspace: Workspace, name: str) -> Path:
    """Where the control part of the uplift model ``name`` is saved."""
    return workspace.models_dir / f"{name}.control.skops"
