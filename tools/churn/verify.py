"""Structural checks of a loaded churn model: what the skops type allow-list cannot see.

A file made only of allowed types can still hold a tree whose node points past the end of its
array (the compiled predictor reads memory out of bounds and the process dies), arrays of the
wrong shape or dtype, or a model for a different number of features. ``verify_model`` walks the
exact shapes ``train_churn`` produces and refuses anything else before a single prediction runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


class InvalidModel(ValueError):
    """The model's structure is not one ``train_churn`` writes."""


def _array(value: Any, what: str, shape: tuple[int, ...], kind: str = "f") -> np.ndarray[Any, Any]:
    if not isinstance(value, np.ndarray) or value.dtype.kind != kind or value.shape != shape:
        got = f"{value.dtype}{value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise InvalidModel(f"{what} should be a {kind}-array of shape {shape}, got {got}")
    if kind == "f" and not np.all(np.isfinite(value)):
        raise InvalidModel(f"{what} holds non-finite values")
    return value


def _count(model: Any, n_features: int) -> None:
    if getattr(model, "n_features_in_", None) != n_features:
        raise InvalidModel(
            f"{type(model).__name__} expects {getattr(model, 'n_features_in_', '?')} features, "
            f"the file lists {n_features}"
        )


def _classes(model: Any) -> None:
    classes = getattr(model, "classes_", None)
    if not isinstance(classes, np.ndarray) or classes.shape != (2,):
        raise InvalidModel(f"{type(model).__name__} is not a two-class model")


def verify_tree(tree: Any, n_features: int, where: str) -> None:
    """A tree's nodes: the record dtype, children after their parent and in bounds, features in range."""
    if not isinstance(tree, TreePredictor):
        raise InvalidModel(f"{where} is not a tree predictor")
    nodes = tree.nodes
    if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE or nodes.ndim != 1:
        raise InvalidModel(f"{where} has nodes of the wrong dtype or shape")
    n = nodes.shape[0]
    if n == 0:
        raise InvalidModel(f"{where} has no nodes")
    for name in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
        bitsets = getattr(tree, name)
        if not isinstance(bitsets, np.ndarray) or bitsets.dtype != np.uint32 or bitsets.ndim != 2:
            raise InvalidModel(f"{where} has malformed {name}")
        if bitsets.shape[1] != 8:
            raise InvalidModel(f"{where} has malformed {name}")
    split = nodes["is_leaf"] == 0
    index = np.arange(n)
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    # Nodes are written depth first, so a child always comes after its parent: no cycles, no escape.
    bad = split & ((left <= index) | (left >= n) | (right <= index) | (right >= n))
    if bad.any():
        raise InvalidModel(f"{where}: node {int(np.argmax(bad))} points outside the tree")
    feature = nodes["feature_idx"]
    if (split & ((feature < 0) | (feature >= n_features))).any():
        raise InvalidModel(f"{where} splits on a feature outside 0..{n_features - 1}")
    categorical = split & (nodes["is_categorical"] != 0)
    if (categorical & (nodes["bitset_idx"] >= tree.raw_left_cat_bitsets.shape[0])).any():
        raise InvalidModel(f"{where} points at a category bitset that does not exist")
    if not np.all(np.isfinite(nodes["value"][~split])):
        raise InvalidModel(f"{where} has non-finite leaf values")


def _boosting(model: HistGradientBoostingClassifier, n_features: int) -> None:
    _count(model, n_features)
    _classes(model)
    if (
        getattr(model, "_preprocessor", None) is not None
        or getattr(model, "is_categorical_", None) is not None
    ):
        raise InvalidModel("gradient boosting with categorical preprocessing is not a mkt churn model")
    if getattr(model, "n_trees_per_iteration_", None) != 1:
        raise InvalidModel("gradient boosting should have one tree per iteration (two classes)")
    _array(model._baseline_prediction, "the baseline prediction", (1, 1))
    predictors = model._predictors
    if not isinstance(predictors, list) or not predictors:
        raise InvalidModel("gradient boosting has no trees")
    for i, trees in enumerate(predictors):
        if not isinstance(trees, list) or len(trees) != 1:
            raise InvalidModel(f"iteration {i} should hold one tree")
        verify_tree(trees[0], n_features, f"tree {i}")


def _logistic(model: Pipeline, n_features: int) -> None:
    steps = model.steps
    kinds = [type(step).__name__ for _, step in steps] if isinstance(steps, list) else []
    if kinds != ["StandardScaler", "LogisticRegression"]:
        raise InvalidModel(f"the pipeline should be StandardScaler -> LogisticRegression, not {kinds}")
    scaler, logistic = steps[0][1], steps[1][1]
    assert isinstance(scaler, StandardScaler) and isinstance(logistic, LogisticRegression)
    _count(scaler, n_features)
    _count(logistic, n_features)
    for name in ("mean_", "scale_", "var_"):
        _array(getattr(scaler, name, None), f"the scaler's {name}", (n_features,))
    if not np.all(scaler.scale_ > 0):
        raise InvalidModel("the scaler divides by zero or a negative scale")
    _array(logistic.coef_, "the coefficients", (1, n_features))
    _array(logistic.intercept_, "the intercept", (1,))
    _classes(logistic)


def _vote(model: VotingClassifier, n_features: int) -> None:
    """The blend: an unweighted soft vote of one frozen boosting model and one frozen logistic pipeline."""
    if model.voting != "soft" or model.weights is not None:
        raise InvalidModel("the blend should be an unweighted soft vote")
    _count(model, n_features)
    _classes(model)
    _classes(model.le_)
    members = model.estimators_
    if not isinstance(members, list) or len(members) != 2:
        raise InvalidModel("the blend should hold two fitted models")
    kinds = set()
    for member in members:
        if not isinstance(member, FrozenEstimator):
            raise InvalidModel("a blended model is not a frozen estimator")
        kinds.add(_family(member.estimator, n_features))
    if kinds != {"boosting", "logistic"}:
        raise InvalidModel("the blend should average one boosting and one logistic model")


def _family(inner: Any, n_features: int) -> str:
    if isinstance(inner, HistGradientBoostingClassifier):
        _boosting(inner, n_features)
        return "boosting"
    if isinstance(inner, Pipeline):
        _logistic(inner, n_features)
        return "logistic"
    raise InvalidModel(f"the model wraps a {type(inner).__name__}")


def verify_model(model: Any, n_features: int) -> None:
    """Check a calibrated churn model against the shapes ``train_churn`` writes.

    Raises:
        InvalidModel: anything out of bounds, mis-shaped, of the wrong dtype or feature count.
    """
    if not isinstance(model, CalibratedClassifierCV):
        raise InvalidModel(f"the model is a {type(model).__name__}, not a calibrated classifier")
    _count(model, n_features)
    _classes(model)
    calibrated = model.calibrated_classifiers_
    if not isinstance(calibrated, list) or not calibrated:
        raise InvalidModel("the calibrated classifier has no fitted members")
    for member in calibrated:
        if not isinstance(member, _CalibratedClassifier) or not isinstance(member.estimator, FrozenEstimator):
            raise InvalidModel("a calibrated member is not a frozen estimator")
        calibrators = member.calibrators
        if not isinstance(calibrators, list) or len(calibrators) != 1:
            raise InvalidModel("a two-class model has exactly one calibrator")
        sigmoid = calibrators[0]
        if not isinstance(sigmoid, _SigmoidCalibration) or not np.isfinite([sigmoid.a_, sigmoid.b_]).all():
            raise InvalidModel("the calibrator is not a finite sigmoid")
        inner = member.estimator.estimator
        if isinstance(inner, VotingClassifier):
            _vote(inner, n_features)
        else:
            _family(inner, n_features)
