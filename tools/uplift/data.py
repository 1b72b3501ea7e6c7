"""Training rows for uplift: who was in each randomised test, which arm, did they convert.

A campaign with a control group has engagements marked ``test_group`` (see ``data/schema.py``):
treatment customers were sent it, control customers were held out. One row per customer and
campaign: the arm, whether they converted, and their features just before the first send
(``tools.churn.features``: purchase and engagement behaviour plus the customers table's own
attributes, sensitive attributes left out unless opted in), so nothing the campaign caused leaks
into what the model learns from. The channel of the campaign is a feature too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from data.errors import ToolError
from tools.churn.attributes import AttributeSpec
from tools.churn.features import churn_features
from tools.uplift.models import CampaignArms

MIN_PER_ARM = 30


@dataclass(frozen=True)
class UpliftRows:
    """Feature matrix, arm and outcome per (customer, campaign), and how the features were made."""

    customer_id: np.ndarray
    campaign_id: np.ndarray
    features: pd.DataFrame
    treated: np.ndarray
    converted: np.ndarray
    arms: list[CampaignArms]
    attributes: AttributeSpec
    channels: list[str]


def channel_feature(channel: str) -> str:
    """Feature name of the indicator for a campaign channel."""
    return f"channel: {channel}"


def _has_test_group(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'engagements'"
    ).fetchall()
    return "test_group" in {str(r[0]) for r in rows}


def campaign_arms(con: duckdb.DuckDBPyConnection, campaigns: list[str]) -> pd.DataFrame:
    """customer_id, campaign_id, channel, start, treated, converted for the chosen tests.

    Raises:
        ToolError: no engagements with a control group, an unknown or uncontrolled campaign id.
    """
    if not _has_test_group(con):
        raise ToolError(
            "the engagements table has no 'test_group' column: uplift needs past campaigns with a "
            "randomised control group (rows marked treatment/control)"
        )
    frame: pd.DataFrame = con.execute(
        """
        SELECT CAST(customer_id AS VARCHAR) AS customer_id, campaign_id,
               min(channel) AS channel,
               bool_or(test_group = 'treatment') AS treated,
               bool_or(test_group = 'control') AS control,
               bool_or(event = 'converted') AS converted,
               min(ts) FILTER (WHERE event IN ('sent', 'held_out')) AS entered
        FROM engagements WHERE test_group IS NOT NULL
        GROUP BY ALL ORDER BY campaign_id, customer_id
        """
    ).df()
    known = sorted(frame["campaign_id"].astype(str).unique())
    if not known:
        raise ToolError("no campaign has a control group: uplift needs treatment and control rows")
    unknown = sorted(set(campaigns) - set(known))
    if unknown:
        raise ToolError(
            f"campaign(s) {', '.join(unknown)} have no control group; campaigns with one: {', '.join(known)}"
        )
    chosen = frame[frame["campaign_id"].isin(campaigns or known)]
    both = chosen["treated"] & chosen["control"]
    chosen = chosen[~both & chosen["entered"].notna()]  # in both arms or never entered: not randomised
    start = chosen.groupby("campaign_id")["entered"].transform("min")
    return chosen.assign(start=start).drop(columns=["control", "entered"]).reset_index(drop=True)


def _summaries(frame: pd.DataFrame) -> list[CampaignArms]:
    arms: list[CampaignArms] = []
    for campaign, part in frame.groupby("campaign_id", sort=True):
        t = part["treated"].to_numpy(bool)
        y = part["converted"].to_numpy(bool)
        if t.sum() < MIN_PER_ARM or (~t).sum() < MIN_PER_ARM:
            raise ToolError(
                f"campaign {campaign} has {int(t.sum())} treated and {int((~t).sum())} control customers: "
                f"an uplift model needs at least {MIN_PER_ARM} in each"
            )
        arms.append(
            CampaignArms(
                campaign_id=str(campaign),
                channel=str(part["channel"].iloc[0]),
                treated=int(t.sum()),
                control=int((~t).sum()),
                treated_rate=round(float(y[t].mean()), 5),
                control_rate=round(float(y[~t].mean()), 5),
            )
        )
    return arms


def uplift_rows(
    con: duckdb.DuckDBPyConnection,
    campaigns: list[str],
    *,
    sensitive: list[str] | None,
    use_sensitive: bool,
    exclude: list[str],
) -> UpliftRows:
    """Training rows of the chosen campaigns (all with a control group when none is named)."""
    frame = campaign_arms(con, campaigns)
    arms = _summaries(frame)
    channels = sorted({a.channel for a in arms})
    spec: AttributeSpec | None = None
    parts: list[pd.DataFrame] = []
    for campaign, part in frame.groupby("campaign_id", sort=True):
        cutoff = pd.Timestamp(part["start"].iloc[0]).to_pydatetime() - timedelta(seconds=1)
        data = churn_features(
            con, cutoff, attributes=spec, sensitive=sensitive, use_sensitive=use_sensitive, exclude=exclude
        )
        spec = data.attributes
        features = data.features.reindex(part["customer_id"].to_numpy()).fillna(0.0)
        for channel in channels:
            features[channel_feature(channel)] = float(part["channel"].iloc[0] == channel)
        parts.append(features.reset_index(drop=True).assign(_campaign=str(campaign)))
    assert spec is not None
    ordered = frame.sort_values("campaign_id", kind="stable").reset_index(drop=True)
    matrix = pd.concat(parts, ignore_index=True)
    return UpliftRows(
        customer_id=ordered["customer_id"].to_numpy(dtype=object),
        campaign_id=matrix.pop("_campaign").to_numpy(dtype=object),
        features=matrix,
        treated=ordered["treated"].to_numpy(bool),
        converted=ordered["converted"].to_numpy(bool),
        arms=arms,
        attributes=spec,
        channels=channels,
    )


def scoring_features(
    con: duckdb.DuckDBPyConnection,
    spec: AttributeSpec,
    columns: list[str],
    channel: str,
    as_of: datetime | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Every customer's features now (or at ``as_of``), as the model was trained, for ``channel``."""
    data = churn_features(con, as_of, attributes=spec)
    features = data.features.copy()
    for column in columns:
        if column.startswith("channel: "):
            features[column] = float(column == channel_feature(channel))
    missing = [c for c in columns if c not in features.columns]
    for column in missing:
        features[column] = 0.0
    return data.customer_id, features[columns]
