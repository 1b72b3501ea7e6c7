"""Score every customer with a saved uplift model and sort them into the four uplift types.

With ``m`` the uplift that counts as a change (``min_uplift``; default half the mean
P(convert | contacted)), a customer is

- a sleeping dog when uplift <= -m (contact makes them less likely to buy);
- a persuadable when uplift >= m and the contact causes at least half of their expected
  conversions (uplift >= P(convert | contacted) / 2);
- otherwise a sure thing when P(convert | not contacted) is at least the mean P(convert |
  contacted) (they buy anyway), else a lost cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from data.errors import ToolError
from data.workspace import Workspace
from tools.churn import store
from tools.churn.attributes import AttributeSpec
from tools.uplift.data import scoring_features
from tools.uplift.models import UPLIFT_TYPES, CustomerUplift, UpliftScoreParams, UpliftScores
from tools.uplift.train import control_path, model_path, predict

CAUSED_SHARE = 0.5
MIN_UPLIFT_SHARE = 0.5


@dataclass(frozen=True)
class UpliftScoring:
    """The summary of a scoring and every customer's row (customer_id, uplift, p_treated, p_control, kind)."""

    summary: UpliftScores
    frame: pd.DataFrame


def classify(
    uplift: np.ndarray, p_treated: np.ndarray, p_control: np.ndarray, min_uplift: float
) -> np.ndarray:
    """Uplift type of each customer (see the module docstring)."""
    mean_treated = float(p_treated.mean()) if p_treated.size else 0.0
    kind = np.where(p_control >= mean_treated, "sure thing", "lost cause").astype(object)
    persuadable = (uplift >= min_uplift) & (uplift >= CAUSED_SHARE * p_treated)
    kind[persuadable] = "persuadable"
    kind[uplift <= -min_uplift] = "sleeping dog"
    return kind


def _load(path: Path) -> store.SavedModel:
    """A verified model file (the churn store's checks), with errors that name the uplift command."""
    try:
        return store.load(path)
    except ToolError as exc:
        raise ToolError(str(exc).replace("mkt churn train", "mkt uplift train")) from None


def score_uplift(
    con: duckdb.DuckDBPyConnection, workspace: Workspace, params: UpliftScoreParams, *, top: int = 10
) -> UpliftScoring:
    """Predicted uplift, P(convert) with and without contact, and type of every customer.

    Raises:
        ToolError: no saved model of that name, a channel the model never saw, or a tampered file.
    """
    path = model_path(workspace, params.name)
    if not path.exists() or not control_path(workspace, params.name).exists():
        raise ToolError(
            f"no uplift model '{params.name}' in {workspace.models_dir}: train one with `mkt uplift train`"
        )
    main, control = _load(path), _load(control_path(workspace, params.name))
    if main.metadata.get("kind") != "uplift" or control.features != main.features:
        raise ToolError(f"{path} is not a mkt uplift model: retrain it with `mkt uplift train`")
    channels = [str(c) for c in main.metadata.get("channels", [])]
    campaigns = main.metadata.get("campaigns", [])
    channel = params.channel or (str(campaigns[-1]["channel"]) if campaigns else channels[0])
    if channel not in channels:
        raise ToolError(
            f"the uplift model learnt from {', '.join(channels)} campaigns, not {channel}: "
            "score one of those channels or train on a test of this one"
        )
    spec = AttributeSpec.from_json(main.metadata.get("attributes"))
    ids, x = scoring_features(con, spec, main.features, channel, params.as_of)
    method = str(main.metadata["method"])
    with threadpool_limits(1):
        uplift, p_control = predict(method, main.model, control.model, x)
    p_treated = np.clip(p_control + uplift, 0.0, 1.0)
    min_uplift = (
        params.min_uplift if params.min_uplift is not None else MIN_UPLIFT_SHARE * float(p_treated.mean())
    )
    kind = classify(uplift, p_treated, p_control, min_uplift)
    frame = pd.DataFrame(
        {
            "customer_id": ids.astype(str),
            "uplift": uplift,
            "p_treated": p_treated,
            "p_control": p_control,
            "kind": kind,
        }
    )
    counts = frame["kind"].value_counts()
    best = frame.nlargest(top, "uplift") if top else frame.iloc[:0]
    summary = UpliftScores(
        name=params.name,
        method=method,
        channel=channel,
        n_customers=len(frame),
        mean_uplift=round(float(uplift.mean()), 6),
        min_uplift=round(min_uplift, 6),
        types={t: int(counts.get(t, 0)) for t in UPLIFT_TYPES},
        top=[CustomerUplift.model_validate(r) for r in best.round(6).to_dict(orient="records")],
    )
    return UpliftScoring(summary=summary, frame=frame)
