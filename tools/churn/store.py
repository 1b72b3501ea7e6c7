"""Saving and loading churn models with skops (never pickle), trusting only known types."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io as sio

from data.errors import ToolError
from data.workspace import Workspace

#: The only non-default types a churn model file may contain; anything else is refused.
TRUSTED_TYPES = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.frozen._frozen.FrozenEstimator",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.calibration.CalibratedClassifierCV",
    }
)


@dataclass(frozen=True)
class SavedModel:
    """A churn model with the feature list it was trained on and its training metadata."""

    model: Any
    features: list[str]
    metadata: dict[str, Any]


def model_path(workspace: Workspace, name: str) -> Path:
    """Where the model ``name`` lives in the workspace."""
    return workspace.models_dir / f"{name}.skops"


def save(saved: SavedModel, path: Path) -> Path:
    """Write the model atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sio.dump({"model": saved.model, "features": saved.features, "metadata": saved.metadata}, tmp)
    tmp.replace(path)
    return path


def load(path: Path) -> SavedModel:
    """Read a model file, refusing any type outside ``TRUSTED_TYPES``.

    Raises:
        ToolError: the file is missing, unreadable or holds untrusted types.
    """
    if not path.exists():
        raise ToolError(f"no churn model at {path}: train one with `mkt churn train` or use --method bgnbd")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several types for corrupt files
        raise ToolError(f"{path} is not a readable skops model file: {exc}") from exc
    unexpected = sorted(set(untrusted) - TRUSTED_TYPES)
    if unexpected:
        raise ToolError(f"refusing to load {path}: it contains untrusted types {', '.join(unexpected)}")
    try:
        bundle = sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ToolError(f"{path} could not be loaded: {exc}") from exc
    if not isinstance(bundle, dict) or not {"model", "features", "metadata"} <= set(bundle):
        raise ToolError(f"{path} is not a mkt churn model (missing model, features or metadata)")
    return SavedModel(
        model=bundle["model"], features=list(bundle["features"]), metadata=dict(bundle["metadata"])
    )
