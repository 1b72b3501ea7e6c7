"""What the rest of a budget would buy: the next audience tiers and the channels the request left out.

The plan itself funds the requested audience's worthwhile sends (positive expected incremental
return) in order of return per unit cost, never beyond the budget (``tools.channel.select``). When
that leaves money unspent, each option here is planned the same way within the *remaining* budget:

- a tier: the next-widest audience (a lower spend-to-date cut, then a lower churn threshold), minus
  the customers already in the plan or an earlier tier, with its own baseline and order value;
- a channel: the requested audience with one more channel allowed, counting only what it adds.

Every option reports its audience size, recipients, cost and expected incremental return (net of
cost and the discount), after holding out the same control share as the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from tools.audience.models import AudienceParams, AudienceSelection
from tools.channel.models import ChannelOverview

if TYPE_CHECKING:
    import pandas as pd

PlanFn = Callable[[AudienceSelection, list[str], float], ChannelOverview]


class BudgetOption(BaseModel):
    """One way to spend (part of) the budget the plan leaves."""

    option: str
    kind: Literal["tier", "channel"]
    audience_size: int = Field(description="Customers the option targets (before the holdout).")
    recipients: int
    cost: float
    expected_incremental_conversions: float
    expected_incremental_return: float = Field(description="Incremental margin - discount - cost.")
    note: str = ""

    def summary(self) -> str:
        """One line for the brief."""
        return (
            f"{self.option}: {self.audience_size:,} customers, {self.recipients:,} sends for {self.cost:,.2f}, "
            f"{self.expected_incremental_conversions:,.1f} extra conversions, expected incremental return "
            f"{self.expected_incremental_return:+,.2f}" + (f" ({self.note})" if self.note else "")
        )


@dataclass(frozen=True)
class Tier:
    """A wider audience definition and its label."""

    label: str
    params: AudienceParams


def wider_tiers(params: AudienceParams) -> list[Tier]:
    """Next audiences beyond ``params``: lower spend cut, lower churn threshold, then both."""
    tiers: list[Tier] = []
    value_q = max(params.value_quantile - 0.2, 0.05)
    churn_t = max(params.churn_threshold - 0.15, 0.05)
    risk = f", P(churn) >= {params.churn_threshold:.2f}" if params.risk == "at_risk" else ""
    if params.value == "high_value":
        label = f"next tier: spend rank top {1 - params.value_quantile:.0%}-{1 - value_q:.0%}{risk}"
        tiers.append(Tier(label, params.model_copy(update={"value_quantile": value_q})))
    if params.risk == "at_risk":
        update: dict[str, float] = {"churn_threshold": churn_t}
        label = f"P(churn) {churn_t:.2f}-{params.churn_threshold:.2f}"
        if params.value == "high_value":
            update["value_quantile"] = value_q
            label += f", top {1 - value_q:.0%} by spend"
        tiers.append(Tier(f"next tier: {label}", params.model_copy(update=update)))
    return tiers


def tier_members(
    spend: pd.Series, churn: pd.Series | None, segments: pd.DataFrame | None, params: AudienceParams
) -> list[str]:
    """Customer ids matching ``params`` by the audience's own rules, from results already at hand.

    The rules: spend-to-date quantile, churn threshold, segment or RFM tier by name.
    """
    if getattr(params, "response", "any") != "any":
        return []  # a persuadable audience comes from the uplift model; it is not widened by these rules
    import pandas as pd  # not at import: the brief's models import this module on the cold path

    keep = pd.Series(True, index=spend.index)
    if params.value == "high_value":
        keep &= spend >= float(spend.quantile(params.value_quantile))
    if params.risk == "at_risk":
        if churn is None:
            return []
        keep &= churn.reindex(spend.index).fillna(0.0) >= params.churn_threshold
    if params.segments:
        if segments is None:
            return []
        names = {n.lower().replace("_", " ").strip() for n in params.segments}
        names |= {n.rstrip("s") for n in names} | {n + "s" for n in names}
        frame = segments.set_index("customer_id").reindex(spend.index)
        match = pd.Series(False, index=spend.index)
        for column in ("segment", "rfm_tier"):
            if column in frame:
                match |= frame[column].astype(str).str.lower().isin(names)
        keep &= match
    return [str(c) for c in spend.index[keep.to_numpy()]]


def expected_return(overview: ChannelOverview) -> tuple[float, float, float]:
    """Recipients, cost and (incremental conversions, return) of a plan, by its own per-send numbers."""
    b = overview.baseline.rate if overview.baseline else 0.0
    caused = sum(c.recipients * (max(c.conversion_rate, b) - b) for c in overview.channels)
    ret = sum(c.recipients * c.expected_value_per_message for c in overview.channels)
    return overview.spend, caused, ret


def budget_options(
    plan: PlanFn,
    audience: AudienceSelection,
    tiers: list[tuple[Tier, AudienceSelection]],
    channels: list[str],
    extra_channels: list[str],
    *,
    planned: ChannelOverview,
    remaining: float,
    order_values: pd.Series,
    holdout: float,
) -> list[BudgetOption]:
    """Options for the ``remaining`` budget: each tier (new customers only), then each extra channel.

    Args:
        plan: plans channels for an audience within a budget (the planner's own economics and holdout).
        audience: the requested audience.
        tiers: the wider tiers with their selections (cumulative; earlier members are removed here).
        channels: the requested channels.
        extra_channels: channels not requested that could be added.
        planned: the plan of the requested audience.
        remaining: budget left after the plan.
        order_values: mean order value per customer id (for a tier's own value per conversion).
        holdout: control share held out of any new audience.
    """
    options: list[BudgetOption] = []
    if remaining <= 0.01:
        return options
    seen = set(audience.customer_ids)
    for tier, selection in tiers:
        ids = [c for c in selection.customer_ids if c not in seen]
        seen.update(ids)
        if not ids:
            continue
        members = selection.members[selection.members["customer_id"].isin(ids)].copy()
        values = order_values.reindex(ids).dropna()
        sub = AudienceSelection(
            summary=selection.summary,
            members=members,
            order_value=float(values.mean()) if len(values) else selection.order_value,
        )
        overview = plan(sub, channels, remaining)
        cost, caused, ret = expected_return(overview)
        options.append(
            BudgetOption(
                option=tier.label,
                kind="tier",
                audience_size=len(ids),
                recipients=sum(c.recipients for c in overview.channels),
                cost=round(cost, 2),
                expected_incremental_conversions=round(caused, 2),
                expected_incremental_return=round(ret, 2),
                note=f"{holdout:.0%} held out as control" + ("; nothing here pays" if ret <= 0 else ""),
            )
        )
    base_cost, base_caused, base_ret = expected_return(planned)
    for channel in extra_channels:
        overview = plan(audience, [*channels, channel], planned.spend + remaining)
        cost, caused, ret = expected_return(overview)
        added = next((c.recipients for c in overview.channels if c.channel == channel), 0)
        options.append(
            BudgetOption(
                option=f"add {channel} for the same audience",
                kind="channel",
                audience_size=audience.summary.size,
                recipients=added,
                cost=round(max(cost - base_cost, 0.0), 2),
                expected_incremental_conversions=round(caused - base_caused, 2),
                expected_incremental_return=round(ret - base_ret, 2),
                note="customers move to it only where it pays more" if added else "it pays for nobody here",
            )
        )
    return options
