"""Past campaigns with randomised control groups, and the heterogeneous effects planted in them.

Every customer gets one of four uplift types, drawn from a multinomial logit on their segment
(the type mix of ``TYPE_SHARES``) and their own behaviour before the campaigns (``TYPE_TILTS``
on standardised log recency, log frequency, log monetary value and open rate):

- persuadable: buys when contacted, rarely otherwise (positive uplift);
- sure thing: buys either way (no uplift);
- lost cause: buys neither way (no uplift);
- sleeping dog: buys less when contacted (negative uplift: contact puts them off).

A campaign randomises its eligible, consenting customers into treatment (contacted) and control
(held out). P(convert | treated) of a customer is their segment's planted conversion rate on the
channel times ``TREATED_FACTOR[type]``, rescaled so that the segment's treated customers convert
at exactly the planted rate on average (the channel truth of ``segments.py`` still holds); the
control rate is the treated rate times ``CONTROL_RATIO[type]``. A customer's true uplift on a
channel is P(convert | treated) - P(convert | control). Treated customers get the usual funnel
(sent, delivered, opened, clicked, converted, unsubscribed); control customers get one
``held_out`` row at send time and a ``converted`` row when they buy anyway, all marked
``test_group = control``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.synth.engagement import CLICK_GIVEN_OPEN, OPEN_RATE, UNSUBSCRIBE_RATE
from data.synth.truth import SegmentTruth, UpliftCampaignTruth, UpliftTruth

UPLIFT_STREAM = 16
TYPES = ("persuadable", "sure thing", "lost cause", "sleeping dog")
TREATED_FACTOR = {"persuadable": 1.0, "sure thing": 1.0, "lost cause": 0.08, "sleeping dog": 0.3}
CONTROL_RATIO = {"persuadable": 0.1, "sure thing": 1.0, "lost cause": 1.0, "sleeping dog": 3.5}
SLEEPING_DOG_UNSUBSCRIBE = 0.04
TYPE_SHARES: dict[str, dict[str, float]] = {
    "champions": {"persuadable": 0.25, "sure thing": 0.50, "lost cause": 0.05, "sleeping dog": 0.20},
    "loyal": {"persuadable": 0.40, "sure thing": 0.30, "lost cause": 0.15, "sleeping dog": 0.15},
    "at risk": {"persuadable": 0.55, "sure thing": 0.05, "lost cause": 0.30, "sleeping dog": 0.10},
    "hibernating": {"persuadable": 0.25, "sure thing": 0.02, "lost cause": 0.65, "sleeping dog": 0.08},
    "big spenders": {"persuadable": 0.25, "sure thing": 0.25, "lost cause": 0.05, "sleeping dog": 0.45},
}
TILT_FEATURES = ("log_recency_days", "log_frequency", "log_monetary", "open_rate")
TYPE_TILTS: dict[str, dict[str, float]] = {
    "persuadable": {"log_recency_days": 0.75, "log_frequency": 0.0, "log_monetary": 0.0, "open_rate": 2.5},
    "sure thing": {"log_recency_days": -3.0, "log_frequency": 2.0, "log_monetary": 0.0, "open_rate": 0.75},
    "lost cause": {"log_recency_days": 3.0, "log_frequency": -1.25, "log_monetary": 0.0, "open_rate": -2.0},
    "sleeping dog": {"log_recency_days": 0.0, "log_frequency": 0.75, "log_monetary": 2.5, "open_rate": -2.5},
}


@dataclass(frozen=True)
class HoldoutCampaign:
    """A past campaign with a randomised control group."""

    campaign_id: str
    week_before_as_of: float
    channel: str
    reach: float
    control_share: float


def default_holdout_campaigns() -> list[HoldoutCampaign]:
    """Two recent win-back tests after the twelve regular campaigns: email, then SMS."""
    return [
        HoldoutCampaign("C013", week_before_as_of=5.0, channel="email", reach=0.9, control_share=0.5),
        HoldoutCampaign("C014", week_before_as_of=2.0, channel="sms", reach=0.9, control_share=0.5),
    ]


def draw_types(
    rng: np.random.Generator,
    segments: list[SegmentTruth],
    segment: NDArray[np.int64],
    features: pd.DataFrame,
) -> NDArray[np.int64]:
    """Each customer's uplift type (an index into ``TYPES``) from segment and behaviour."""
    z = np.column_stack(
        [
            (features[f].to_numpy() - features[f].mean()) / (features[f].std(ddof=0) or 1.0)
            for f in TILT_FEATURES
        ]
    )
    shares = np.array([[TYPE_SHARES[s.name][t] for t in TYPES] for s in segments])
    tilts = np.array([[TYPE_TILTS[t][f] for f in TILT_FEATURES] for t in TYPES])
    logits = np.log(shares[segment]) + z @ tilts.T
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    cumulative = prob.cumsum(axis=1)
    drawn: NDArray[np.int64] = (rng.random(segment.size)[:, None] > cumulative).sum(axis=1)
    return np.minimum(drawn, len(TYPES) - 1)


def conversion_rates(
    segments: list[SegmentTruth], segment: NDArray[np.int64], kind: NDArray[np.int64], channel: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """P(convert | treated) and P(convert | control) per customer on ``channel``."""
    factor = np.array([TREATED_FACTOR[t] for t in TYPES])[kind]
    ratio = np.array([CONTROL_RATIO[t] for t in TYPES])[kind]
    planted = np.array([s.conversion[channel] for s in segments])
    mean_factor = np.bincount(segment, weights=factor, minlength=len(segments)) / np.maximum(
        np.bincount(segment, minlength=len(segments)), 1
    )
    treated = np.minimum(planted[segment] * factor / mean_factor[segment], 1.0)
    return treated, np.minimum(treated * ratio, 1.0)


def draw_holdout_engagements(
    rng: np.random.Generator,
    *,
    segments: list[SegmentTruth],
    segment: NDArray[np.int64],
    kind: NDArray[np.int64],
    age_weeks: NDArray[np.float64],
    consent: dict[str, NDArray[np.bool_]],
    order_value: NDArray[np.float64],
    costs: dict[str, float],
    campaigns: list[HoldoutCampaign],
) -> pd.DataFrame:
    """Engagement events of the holdout campaigns, in the frame layout of ``draw_engagements``."""
    frames: list[pd.DataFrame] = []
    for plan in campaigns:
        eligible = age_weeks > plan.week_before_as_of
        if plan.channel in consent:
            eligible &= consent[plan.channel]
        chosen = np.flatnonzero(eligible & (rng.random(segment.size) < plan.reach))
        control = rng.random(chosen.size) < plan.control_share
        p_treated, p_control = conversion_rates(segments, segment[chosen], kind[chosen], plan.channel)
        converted = rng.random(chosen.size) < np.where(control, p_control, p_treated)
        delivered = ~control & (converted | (rng.random(chosen.size) < 0.97))
        opened = delivered & (converted | (rng.random(chosen.size) < OPEN_RATE[plan.channel]))
        clicked = opened & (converted | (rng.random(chosen.size) < CLICK_GIVEN_OPEN[plan.channel]))
        dog = kind[chosen] == TYPES.index("sleeping dog")
        quit_rate = np.where(dog, SLEEPING_DOG_UNSUBSCRIBE, UNSUBSCRIBE_RATE)
        unsubscribed = delivered & ~converted & (rng.random(chosen.size) < quit_rate)
        send_week = plan.week_before_as_of - rng.uniform(0.0, 0.5, size=chosen.size)
        steps = [
            ("held_out", control, 0.0),
            ("sent", ~control, 0.0),
            ("delivered", delivered, 0.01),
            ("opened", opened, 0.05),
            ("clicked", clicked, 0.06),
            ("converted", converted, 0.2),
            ("unsubscribed", unsubscribed, 0.07),
        ]
        for event, mask, delay_weeks in steps:
            idx = np.flatnonzero(mask)
            frames.append(
                pd.DataFrame(
                    {
                        "customer": chosen[idx],
                        "campaign_id": plan.campaign_id,
                        "channel": plan.channel,
                        "weeks_before": send_week[idx] - delay_weeks,
                        "event": event,
                        "cost": costs[plan.channel] if event == "sent" else 0.0,
                        "revenue": np.round(order_value[chosen[idx]], 2) if event == "converted" else 0.0,
                        "variant": None,
                        "test_group": np.where(control[idx], "control", "treatment"),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def uplift_truth(
    segments: list[SegmentTruth],
    segment: NDArray[np.int64],
    kind: NDArray[np.int64],
    ids: NDArray[np.str_],
    campaigns: list[HoldoutCampaign],
) -> tuple[UpliftTruth, pd.DataFrame]:
    """The planted uplift model and the per-customer table written to ``truth/uplift.csv``."""
    table = pd.DataFrame({"customer_id": ids, "uplift_type": np.array(TYPES)[kind]})
    for channel in dict.fromkeys(c.channel for c in campaigns):
        treated, control = conversion_rates(segments, segment, kind, channel)
        table[f"p_treated_{channel}"] = treated.round(6)
        table[f"p_control_{channel}"] = control.round(6)
        table[f"uplift_{channel}"] = (treated - control).round(6)
    counts = table["uplift_type"].value_counts()
    truth = UpliftTruth(
        types=list(TYPES),
        treated_factor=TREATED_FACTOR,
        control_ratio=CONTROL_RATIO,
        type_shares=TYPE_SHARES,
        type_tilts=TYPE_TILTS,
        sizes={t: int(counts.get(t, 0)) for t in TYPES},
        campaigns=[
            UpliftCampaignTruth(
                campaign_id=c.campaign_id,
                channel=c.channel,
                week_before_as_of=c.week_before_as_of,
                reach=c.reach,
                control_share=c.control_share,
            )
            for c in campaigns
        ],
    )
    return truth, table
