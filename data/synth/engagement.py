"""Past campaigns and their engagement events, from planted per-segment channel conversion rates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.synth.truth import SegmentTruth, VariantTruth

OPEN_RATE = {"email": 0.30, "sms": 0.90, "push": 0.50, "social": 0.20, "ads": 0.05}
CLICK_GIVEN_OPEN = {"email": 0.15, "sms": 0.10, "push": 0.12, "social": 0.10, "ads": 0.30}
UNSUBSCRIBE_RATE = 0.002
CONSENT_RATE = {"email": 0.85, "sms": 0.55, "push": 0.45}


@dataclass(frozen=True)
class CampaignPlan:
    """One past campaign: when, which channels, how much of the base it reached."""

    campaign_id: str
    week_before_as_of: float
    channels: tuple[str, ...]
    reach: float
    variant_lift: dict[str, float]


def default_campaigns() -> list[CampaignPlan]:
    """Twelve past campaigns over the last year, two of them A/B tests with a planted winner."""
    plans: list[CampaignPlan] = []
    mixes = [("email",), ("sms",), ("push",), ("email", "sms"), ("social", "ads"), ("email", "push")]
    for i in range(12):
        lift = {"A": 1.0}
        if i in (3, 8):
            lift = {"A": 1.0, "B": 1.3}
        plans.append(
            CampaignPlan(
                campaign_id=f"C{i + 1:03d}",
                week_before_as_of=50.0 - 4.0 * i,
                channels=mixes[i % len(mixes)],
                reach=0.20,
                variant_lift=lift,
            )
        )
    return plans


def draw_consent(rng: np.random.Generator, n: int) -> dict[str, NDArray[np.bool_]]:
    """Consent flags per channel that needs one."""
    return {ch: rng.random(n) < rate for ch, rate in CONSENT_RATE.items()}


def draw_engagements(
    rng: np.random.Generator,
    *,
    segments: list[SegmentTruth],
    segment: NDArray[np.int64],
    age_weeks: NDArray[np.float64],
    consent: dict[str, NDArray[np.bool_]],
    order_value: NDArray[np.float64],
    costs: dict[str, float],
    campaigns: list[CampaignPlan],
) -> tuple[pd.DataFrame, list[VariantTruth]]:
    """Engagement events (one row per event reached) for every campaign; weeks are before as_of."""
    frames: list[pd.DataFrame] = []
    variants: list[VariantTruth] = []
    conv = {ch: np.array([s.conversion[ch] for s in segments]) for ch in costs}
    for plan in campaigns:
        eligible = np.flatnonzero(age_weeks > plan.week_before_as_of)
        chosen = eligible[rng.random(eligible.size) < plan.reach]
        channel = rng.choice(np.array(plan.channels), size=chosen.size)
        allowed = np.ones(chosen.size, dtype=bool)
        for ch, flags in consent.items():
            allowed &= (channel != ch) | flags[chosen]
        chosen, channel = chosen[allowed], channel[allowed]
        names = sorted(plan.variant_lift)
        variant = rng.choice(np.array(names), size=chosen.size)
        if len(names) > 1:
            variants.append(VariantTruth(campaign_id=plan.campaign_id, lift=plan.variant_lift))
        lift = _lookup(plan.variant_lift, variant)
        p_conv = np.zeros(chosen.size)
        for ch in plan.channels:
            mask = channel == ch
            p_conv[mask] = conv[ch][segment[chosen[mask]]]
        p_conv = np.minimum(p_conv * lift, 1.0)
        open_rate = _lookup(OPEN_RATE, channel)
        click_rate = _lookup(CLICK_GIVEN_OPEN, channel)
        cost = _lookup(costs, channel)
        delivered = rng.random(chosen.size) < 0.97
        converted = delivered & (rng.random(chosen.size) < p_conv)
        opened = delivered & (converted | (rng.random(chosen.size) < open_rate))
        clicked = opened & (converted | (rng.random(chosen.size) < click_rate))
        unsubscribed = delivered & ~converted & (rng.random(chosen.size) < UNSUBSCRIBE_RATE)
        send_week = plan.week_before_as_of - rng.uniform(0.0, 0.5, size=chosen.size)
        steps = [
            ("sent", np.ones(chosen.size, dtype=bool), 0.0),
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
                        "channel": channel[idx],
                        "weeks_before": send_week[idx] - delay_weeks,
                        "event": event,
                        "cost": cost[idx] if event == "sent" else 0.0,
                        "revenue": np.round(order_value[chosen[idx]], 2) if event == "converted" else 0.0,
                        "variant": variant[idx],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True), variants


def _lookup(mapping: dict[str, float], keys: NDArray[np.str_]) -> NDArray[np.float64]:
    return np.asarray(pd.Series(keys, dtype=object).map(mapping), dtype=np.float64)
