"""Saving and loading churn models with skops (never pickle), trusting only known types.

Three locks on a model file: skops loads only the types in ``TRUSTED_TYPES``; a signed manifest
(``<name>.skops.manifest.json``: the file's SHA-256, size and feature list under an HMAC keyed
by the workspace's own ``models/.key``, created 0600 on first save) proves this workspace wrote
it; and ``verify.verify_model`` checks tree bounds, array shapes and dtypes and the feature count
before anything predicts with it. A file failing any of them is refused with a ``ToolError``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.errors import ToolError
from data.workspace import Workspace
from tools.churn.skops_import import import_skops

KEY_FILE = ".key"
MANIFEST_SUFFIX = ".manifest.json"

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
        "sklearn.ensemble._voting.VotingClassifier",
        "sklearn.preprocessing._label.LabelEncoder",
        "sklearn.utils._bunch.Bunch",
    }
)


@dataclass(frozen=True)
class SavedModel:
    """A churn model with the feature list it was trained on and its training metadata."""

    model: Any
    features: list[str]
    metadata: dict[str, Any]
    file: bytes = b""  # the bytes that were checked and loaded (Spark broadcasts exactly these)
    trusted: tuple[str, ...] = ()  # their skops types, all in TRUSTED_TYPES


def model_path(workspace: Workspace, name: str) -> Path:
    """Where the model ``name`` lives in the workspace."""
    return workspace.models_dir / f"{name}.skops"


def manifest_path(path: Path) -> Path:
    """The signed manifest of the model file at ``path``."""
    return path.with_name(path.name + MANIFEST_SUFFIX)


def workspace_key(models_dir: Path, *, create: bool) -> bytes | None:
    """The models folder's signing key (created 0600 when ``create``; None when absent)."""
    key_file = models_dir / KEY_FILE
    if not key_file.exists():
        if not create:
            return None
        models_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return key_file.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return key_file.read_bytes()


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _sign(key: bytes, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def save(saved: SavedModel, path: Path) -> Path:
    """Write the model and its signed manifest atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = workspace_key(path.parent, create=True)
    assert key is not None
    tmp = path.with_name(path.name + ".tmp")
    sio = import_skops()  # imported here: its type registry imports all of sklearn, ~1 s

    sio.dump({"model": saved.model, "features": saved.features, "metadata": saved.metadata}, tmp)
    fields = {
        "file": path.name,
        "sha256": _digest(tmp),
        "size": tmp.stat().st_size,
        "features": list(saved.features),
    }
    manifest = manifest_path(path)
    tmp_manifest = manifest.with_name(manifest.name + ".tmp")
    tmp_manifest.write_text(json.dumps({**fields, "hmac": _sign(key, fields)}, indent=1), encoding="utf-8")
    tmp.replace(path)
    tmp_manifest.replace(manifest)
    return path


def _check_manifest(path: Path, data: bytes | None = None) -> list[str]:
    """The feature list of a correctly signed manifest for ``path``; ``ToolError`` otherwise.

    ``data``: the file's bytes as already read (checked instead of reading the file again).
    """
    retrain = "retrain it with `mkt churn train`"
    key = workspace_key(path.parent, create=False)
    manifest = manifest_path(path)
    if key is None or not manifest.exists():
        raise ToolError(f"refusing to load {path}: it has no signed manifest from this workspace; {retrain}")
    try:
        signed = json.loads(manifest.read_text(encoding="utf-8"))
        fields = {k: signed[k] for k in ("file", "sha256", "size", "features")}
        given = str(signed["hmac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolError(f"refusing to load {path}: its manifest is unreadable; {retrain}") from exc
    if not hmac.compare_digest(given, _sign(key, fields)):
        raise ToolError(f"refusing to load {path}: its manifest signature is not valid; {retrain}")
    size, digest = (len(data), hashlib.sha256(data).hexdigest()) if data is not None else (None, None)
    if (
        fields["file"] != path.name
        or fields["size"] != (size if size is not None else path.stat().st_size)
        or fields["sha256"] != (digest or _digest(path))
    ):
        raise ToolError(f"refusing to load {path}: the file changed after it was signed; {retrain}")
    return [str(f) for f in fields["features"]]


def is_signed(path: Path) -> bool:
    """Whether ``path`` exists with a valid manifest from this workspace.

    A model saved before manifests existed, or copied in from elsewhere, is not; callers such as
    ``mkt demo`` should retrain it rather than fail on load.
    """
    try:
        return path.exists() and bool(_check_manifest(path))
    except ToolError:
        return False


def load(path: Path) -> SavedModel:
    """Read a model file, refusing any type outside ``TRUSTED_TYPES``.

    Raises:
        ToolError: the file is missing, unreadable, holds untrusted types, has no valid signed
            manifest, or fails the structural checks of ``verify_model``.
    """
    if not path.exists():
        raise ToolError(f"no churn model at {path}: train one with `mkt churn train` or use --method bgnbd")
    sio = import_skops()  # see save(): a heavy import, paid only when a model is read

    from tools.churn.verify import InvalidModel, verify_model  # imports sklearn's model classes

    data = path.read_bytes()  # read once: every check below and the load see the same bytes
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises several types for corrupt files
        raise ToolError(f"{path} is not a readable skops model file: {exc}") from exc
    unexpected = sorted(set(untrusted) - TRUSTED_TYPES)
    if unexpected:
        raise ToolError(f"refusing to load {path}: it contains untrusted types {', '.join(unexpected)}")
    signed_features = _check_manifest(path, data)
    try:
        bundle = sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise ToolError(f"{path} could not be loaded: {exc}") from exc
    if not isinstance(bundle, dict) or not {"model", "features", "metadata"} <= set(bundle):
        raise ToolError(f"{path} is not a mkt churn model (missing model, features or metadata)")
    features = bundle["features"]
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features) or not features:
        raise ToolError(f"{path} is not a mkt churn model (its feature list is not a list of names)")
    if features != signed_features or len(set(features)) != len(features):
        raise ToolError(f"{path}: its features differ from the signed manifest or repeat a name")
    if not isinstance(bundle["metadata"], dict):
        raise ToolError(f"{path} is not a mkt churn model (its metadata is not a mapping)")
    try:
        verify_model(bundle["model"], len(features))
    except InvalidModel as exc:
        raise ToolError(f"refusing to load {path}: {exc}") from exc
    return SavedModel(
        model=bundle["model"],
        features=list(features),
        metadata=dict(bundle["metadata"]),
        file=data,
        trusted=tuple(sorted(untrusted)),
    )
