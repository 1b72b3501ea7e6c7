"""Churn model files: signed manifests and structural checks the type allow-list cannot make."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from data.errors import ToolError
from tools.churn import store
from tools.churn.train import blend

FEATURES = ["recency", "frequency", "monetary", "open_rate", "click_rate"]


def _data() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, len(FEATURES)))
    return X, (X[:, 0] + rng.normal(scale=0.5, size=400)) > 0


def _calibrated(inner: Any) -> CalibratedClassifierCV:
    X, y = _data()
    inner.fit(X, y)
    return CalibratedClassifierCV(FrozenEstimator(inner), method="sigmoid").fit(X, y)


@pytest.fixture(scope="module")
def fitted() -> dict[str, CalibratedClassifierCV]:
    return {
        "boosting": _calibrated(HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=8, random_state=1)),
        "logistic": _calibrated(make_pipeline(StandardScaler(), LogisticRegression())),
    }


def _blended() -> CalibratedClassifierCV:
    X, y = _data()
    boosting = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=8, random_state=1)
    members = {
        "gradient_boosting": boosting.fit(X, y),
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
    }
    return CalibratedClassifierCV(FrozenEstimator(blend(members, X, y)), method="sigmoid").fit(X, y)


@pytest.fixture
def blended() -> CalibratedClassifierCV:
    return _blended()


@pytest.fixture
def boosting(fitted: dict[str, CalibratedClassifierCV]) -> CalibratedClassifierCV:
    return copy.deepcopy(fitted["boosting"])  # each test may tamper with its own copy


@pytest.fixture
def logistic(fitted: dict[str, CalibratedClassifierCV]) -> CalibratedClassifierCV:
    return copy.deepcopy(fitted["logistic"])


def _save(model: Any, tmp_path: Path, features: list[str] | None = None) -> Path:
    saved = store.SavedModel(model=model, features=features or FEATURES, metadata={"chosen": "x"})
    return store.save(saved, tmp_path / "models" / "churn.skops")


def _tree(model: CalibratedClassifierCV) -> Any:
    return model.calibrated_classifiers_[0].estimator.estimator._predictors[0][0]


@pytest.mark.parametrize("which", ["boosting", "logistic", "blended"])
def test_a_saved_model_loads_and_predicts(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    model = request.getfixturevalue(which)
    path = _save(model, tmp_path)
    loaded = store.load(path)
    X, _ = _data()
    assert np.allclose(loaded.model.predict_proba(X), model.predict_proba(X))
    key = tmp_path / "models" / ".key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    manifest = json.loads(store.manifest_path(path).read_text())
    assert manifest["features"] == FEATURES and len(manifest["hmac"]) == 64


def test_an_out_of_bounds_tree_node_of_allowed_types_is_refused_not_a_segfault(
    boosting: CalibratedClassifierCV, tmp_path: Path
) -> None:
    tree = _tree(boosting)
    split = int(np.flatnonzero(tree.nodes["is_leaf"] == 0)[0])
    tree.nodes["left"][split] = 2**31  # the compiled predictor would read far outside the array
    path = _save(boosting, tmp_path)  # signed by this workspace, and only allow-listed types
    assert set(sio.get_untrusted_types(file=path)) <= store.TRUSTED_TYPES
    with pytest.raises(ToolError, match=f"node {split} points outside the tree"):
        store.load(path)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda t: t.nodes["right"].__setitem__(0, 0), "points outside the tree"),  # a cycle back to the root
        (lambda t: t.nodes["feature_idx"].__setitem__(0, 99), "feature outside 0..4"),
        (lambda t: setattr(t, "nodes", t.nodes[:0]), "no nodes"),
        (
            lambda t: setattr(t, "nodes", np.zeros(3, [("value", "<f8"), ("left", "<u4")])),
            "could not be loaded|wrong dtype",
        ),
        (lambda t: setattr(t, "raw_left_cat_bitsets", np.zeros((1, 3), np.uint32)), "malformed"),
        (lambda t: t.nodes["value"].__setitem__(-1, np.nan), "non-finite leaf"),
    ],
)
def test_malformed_trees_are_refused(
    boosting: CalibratedClassifierCV, tmp_path: Path, tamper: Any, message: str
) -> None:
    tamper(_tree(boosting))  # node 0 is the root, a split
    with pytest.raises(ToolError, match=message):
        store.load(_save(boosting, tmp_path))


def test_a_blend_is_checked_member_by_member(blended: CalibratedClassifierCV, tmp_path: Path) -> None:
    vote = blended.calibrated_classifiers_[0].estimator.estimator
    tree = vote.estimators_[0].estimator._predictors[0][0]
    left = int(tree.nodes["left"][0])
    tree.nodes["left"][0] = 2**31
    with pytest.raises(ToolError, match="node 0 points outside the tree"):
        store.load(_save(blended, tmp_path / "a"))
    tree.nodes["left"][0] = left
    vote.weights = [5.0, 1.0]
    with pytest.raises(ToolError, match="unweighted soft vote"):
        store.load(_save(blended, tmp_path / "b"))
    vote.weights = None
    vote.estimators_ = [vote.estimators_[1], vote.estimators_[1]]
    with pytest.raises(ToolError, match="one boosting and one logistic"):
        store.load(_save(blended, tmp_path / "c"))


def test_wrong_shapes_and_feature_counts_are_refused(
    logistic: CalibratedClassifierCV, tmp_path: Path
) -> None:
    with pytest.raises(ToolError, match="expects 5 features, the file lists 4"):
        store.load(_save(logistic, tmp_path / "a", FEATURES[:4]))
    lr = logistic.calibrated_classifiers_[0].estimator.estimator.steps[1][1]
    lr.coef_ = np.zeros((1, 9))
    with pytest.raises(ToolError, match="coefficients should be a f-array of shape"):
        store.load(_save(logistic, tmp_path / "b"))
    lr.coef_ = np.zeros((1, 5), dtype=np.int64)
    with pytest.raises(ToolError, match="coefficients"):
        store.load(_save(logistic, tmp_path / "c"))


def test_files_without_a_valid_signed_manifest_are_refused(
    logistic: CalibratedClassifierCV, tmp_path: Path
) -> None:
    path = _save(logistic, tmp_path)
    # written by hand (no manifest): refused even though every type is allowed
    bare = path.with_name("bare.skops")
    sio.dump({"model": logistic, "features": FEATURES, "metadata": {}}, bare)
    with pytest.raises(ToolError, match="no signed manifest"):
        store.load(bare)
    assert (
        store.is_signed(path) and not store.is_signed(bare) and not store.is_signed(tmp_path / "none.skops")
    )
    # the file changed after signing
    original = path.read_bytes()
    path.write_bytes(original + b"\0")
    with pytest.raises(ToolError, match="changed after it was signed"):
        store.load(path)
    path.write_bytes(original)
    # a manifest forged without the workspace key
    manifest = store.manifest_path(path)
    signed = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**signed, "features": ["a", "b", "c", "d", "e"]}))
    with pytest.raises(ToolError, match="signature is not valid"):
        store.load(path)
    manifest.write_text(json.dumps(signed))
    assert store.load(path).features == FEATURES
    # a model copied from another workspace carries that workspace's signature, not this one's
    other = _save(logistic, tmp_path / "other")
    (tmp_path / "models" / "copied.skops").write_bytes(other.read_bytes())
    store.manifest_path(tmp_path / "models" / "copied.skops").write_text(
        store.manifest_path(other).read_text().replace("churn.skops", "copied.skops")
    )
    with pytest.raises(ToolError, match="signature is not valid"):
        store.load(tmp_path / "models" / "copied.skops")


def test_skops_is_imported_without_torch_and_trusts_the_same_estimators() -> None:
    """Loading a model skips the torch import (1.6 s) but trusts exactly the estimators it did."""
    import subprocess
    import sys

    count = "from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES as N; print(len(N))"
    ours = (
        "import sys; from tools.churn.skops_import import import_skops; import_skops(); "
        "assert 'torch' not in sys.modules, 'torch was imported'; "
        "assert 'sklearn.externals.array_api_compat.torch' not in sys.modules; " + count
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for code in (ours, "import torch; " + count)
    ]
    assert int(runs[0]) == int(runs[1]) > 100
