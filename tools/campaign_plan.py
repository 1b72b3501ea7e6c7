"""The channel plan of a campaign: baseline, a randomised holdout sized for power, then the sends.

1. The audience's baseline (``tools.baseline``): what it converts at anyway.
2. The plan over the whole audience (``tools.channel.plan``) gives the expected incremental
   conversions, hence the treatment's expected rate, which sizes the holdout (``tools.control``).
3. The plan of the treatment group (the audience minus the holdout): what is actually sent; the
   holdout's own past sends stay in the audience's rate estimate (they are its history).
4. With a budget the plan does not use up, the options for the rest (``tools.budget``): the next
   audience tiers and the channels the request left out, each within the remaining budget.

The base (consent, segments, engagement counts) is read once for all of these plans.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import duckdb
import pandas as pd
from pydantic import BaseModel, Field

from tools.audience.models import AUDIENCE_SEGMENT, AudienceParams, AudienceSelection
from tools.baseline import audience_baseline
from tools.budget import BudgetOption, budget_options, tier_members, wider_tiers
from tools.channel.models import ALL_CHANNELS, Channel, ChannelOverview
from tools.channel.plan import plan_channels
from tools.channel.posterior import BaseSnapshot, base_snapshot
from tools.control import ControlGroup, size_control


class PlanEconomics(BaseModel):
    """How a campaign is valued and tested."""

    margin: float = Field(default=1.0, gt=0, le=1, description="Share of revenue kept (1: revenue).")
    discount_percent: float = Field(default=0.0, ge=0, lt=100)
    window_days: int = Field(default=14, ge=1)
    control_fraction: float | None = Field(default=None, gt=0, lt=1, description="None: sized for power.")
    control_chosen_by: str = "given"
    seed: int = 7


def plan_treatment(
    con: duckdb.DuckDBPyConnection,
    audience: AudienceSelection,
    channels: list[Channel],
    *,
    budget: float | None,
    economics: PlanEconomics,
    folder: Path,
    snapshot: BaseSnapshot | None = None,
) -> ChannelOverview:
    """Baseline, holdout and the treatment group's channel plan (steps 1-3 of the module docstring)."""
    base = snapshot or base_snapshot(con)
    baseline = audience_baseline(
        con, audience.members["customer_id"].astype(str), window_days=economics.window_days
    )

    sizing: list[ControlGroup] = []

    ids = audience.customer_ids

    def hold_out(everyone: ChannelOverview, recipients: list[str]) -> set[str]:
        # Drawn from the customers the plan would send to (all of them when it sends to nobody), so
        # the readout compares those sent with their like who were held back.
        pool = recipients or ids
        b = baseline.rate
        caused = sum(c.recipients * (max(c.conversion_rate, b) - b) for c in everyone.channels)
        sizing.append(
            size_control(
                pool,
                baseline_rate=b,
                treatment_rate=b + caused / max(len(pool), 1),
                fraction=economics.control_fraction,
                chosen_by=economics.control_chosen_by,
                seed=economics.seed,
            )
        )
        return set(sizing[0].control_ids)

    overview = plan_channels(
        con,
        audience,
        list(channels),
        budget=budget,
        seed=economics.seed,
        folder=folder,
        baseline=baseline.rate,
        margin=economics.margin,
        discount_percent=economics.discount_percent,
        snapshot=base,
        hold_out=hold_out,
    )
    overview.baseline, overview.control = baseline, sizing[0]
    overview.margin, overview.discount_percent = economics.margin, economics.discount_percent
    return overview


def plan_options(
    con: duckdb.DuckDBPyConnection,
    audience: AudienceSelection,
    params: AudienceParams,
    channels: list[str],
    planned: ChannelOverview,
    *,
    budget: float,
    economics: PlanEconomics,
    folder: Path,
    churn: pd.Series | None = None,
    segments: pd.DataFrame | None = None,
    snapshot: BaseSnapshot | None = None,
) -> list[BudgetOption]:
    """What the budget the plan leaves would buy (step 4): the ``wider_tiers`` of ``params``, extra channels.

    ``churn`` and ``segments`` are the per-customer results the audience was selected with.
    """
    remaining = budget - planned.spend
    if remaining <= 0.01:
        return []
    base = snapshot or base_snapshot(con)
    holdout = planned.control.fraction if planned.control else 0.0
    per_customer = (
        con.execute(
            "SELECT CAST(customer_id AS VARCHAR) AS customer_id, sum(amount) AS spend, avg(amount) AS order_value "
            "FROM transactions GROUP BY 1"
        )
        .df()
        .set_index("customer_id")
    )
    per_customer.index = pd.Index(per_customer.index.to_numpy(dtype=object))
    values = per_customer["order_value"]
    aligned = None
    if churn is not None:
        aligned = pd.Series(churn.to_numpy(), index=pd.Index(churn.index.to_numpy(dtype=object)))
        aligned = aligned.reindex(per_customer.index)
    tiers = []
    for tier in wider_tiers(params):
        ids = tier_members(per_customer["spend"], aligned, segments, tier.params)
        members = pd.DataFrame({"customer_id": ids, "segment": AUDIENCE_SEGMENT})
        tiers.append(
            AudienceSelection(summary=audience.summary, members=members, order_value=audience.order_value)
        )

    audience_ids = set(audience.customer_ids)

    def plan(selection: AudienceSelection, allowed: list[str], cap: float) -> ChannelOverview:
        ids = selection.customer_ids
        same = set(ids) == audience_ids
        if same and planned.control is not None:
            exclude = set(planned.control.control_ids)
            baseline = planned.baseline
        else:
            exclude = set()
            if holdout and len(ids) >= 2:
                held = size_control(
                    ids, baseline_rate=0.0, treatment_rate=0.0, fraction=holdout, seed=economics.seed
                )
                exclude = set(held.control_ids)
            baseline = audience_baseline(con, ids, window_days=economics.window_days)
        overview = plan_channels(
            con,
            selection,
            [cast(Channel, c) for c in allowed if c in ALL_CHANNELS],
            budget=cap,
            seed=economics.seed,
            folder=folder / "options",
            baseline=baseline.rate if baseline else 0.0,
            margin=economics.margin,
            discount_percent=economics.discount_percent,
            exclude=exclude,
            snapshot=base,
        )
        overview.baseline = baseline
        return overview

    extra = [c for c in ("email", "sms", "push") if c not in channels]
    pairs = list(zip(wider_tiers(params), tiers, strict=True))
    return budget_options(
        plan,
        audience,
        pairs,
        list(channels),
        extra,
        planned=planned,
        remaining=remaining,
        order_values=pd.Series(values),
        holdout=holdout,
    )
