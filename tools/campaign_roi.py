"""Incremental ROI of a channel plan: what the campaign causes, net of the discount it gives away.

Per channel with n recipients, conversion rate p (the pooled posterior), baseline b (the share of
the audience that buys within the window anyway) and value V per order at full price:

- conversions (redemptions) n max(p, b), of which n b would have happened anyway;
- incremental conversions n (max(p, b) - b);
- incremental margin = incremental conversions x V x margin (``MKT_MARGIN``; unset: revenue, said so);
- discount cost = every redemption x V x discount, including the buyers who would have bought anyway;
- cost = sends x cost per send + fixed campaign cost;
- ROI = (incremental margin - discount cost - cost) / cost, as a percentage.

The 90% interval comes from seeded draws of every channel's conversion rate (its Beta posterior)
and of the baseline (its Beta posterior), so the channels' uncertainties add up properly.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from data.errors import ToolError
from tools.baseline import Baseline
from tools.budget import BudgetOption
from tools.channel.models import ChannelPlan

DRAWS = 4000


class CampaignRoiParams(BaseModel):
    """What the campaign's offer costs and gives away."""

    discount_percent: float | None = Field(
        default=None, ge=0, lt=100, description="Percentage off, given on every redemption."
    )
    fixed_cost: float | None = Field(
        default=None,
        ge=0,
        description="Creative and tooling costs (default: the campaign_fixed_cost setting).",
    )
    budget: float | None = Field(default=None, ge=0, description="Budget to compare the cost with.")


class RoiForecast(BaseModel):
    """Forecast of the campaign's incremental outcome."""

    cost: float = Field(description="Send cost plus fixed cost.")
    expected_conversions: float = Field(description="Expected redemptions among recipients.")
    expected_revenue: float = Field(description="Expected revenue of those redemptions, after the discount.")
    roi: float | None = Field(
        default=None,
        description="(incremental margin - discount cost - cost) / cost; None when nothing is spent.",
    )
    roi_interval: tuple[float, float] | None = Field(default=None, description="90% interval of ``roi``.")
    recipients: int = 0
    send_cost: float = 0.0
    fixed_cost: float = 0.0
    baseline_conversions: float = Field(default=0.0, description="Recipients who would have bought anyway.")
    incremental_conversions: float = 0.0
    incremental_conversions_interval: tuple[float, float] | None = None
    incremental_margin: float = Field(default=0.0, description="Incremental conversions x value x margin.")
    discount_cost: float = Field(default=0.0, description="Discount on every redemption.")
    net_return: float = Field(default=0.0, description="Incremental margin - discount cost - cost.")
    net_return_interval: tuple[float, float] | None = None
    margin: float = 1.0
    value_basis: str = ""
    baseline: Baseline | None = None
    budget: float | None = None
    within_budget: bool = True
    budget_options: list[BudgetOption] = Field(
        default_factory=list, description="What the budget the plan leaves would buy (tiers, channels)."
    )
    notes: list[str] = Field(default_factory=list)

    def roi_text(self) -> str:
        """ROI as a percentage with its interval, e.g. ``+35% (90% -20% to +95%)``."""
        if self.roi is None:
            return "n/a (nothing spent)"
        band = (
            f" (90% {self.roi_interval[0]:+.0%} to {self.roi_interval[1]:+.0%})" if self.roi_interval else ""
        )
        return f"{self.roi:+.0%}{band}"

    def summary(self) -> str:
        """Key numbers in one line."""
        cap = f" of budget {self.budget:,.0f}" if self.budget is not None else ""
        band = (
            f" [{self.incremental_conversions_interval[0]:,.1f}-{self.incremental_conversions_interval[1]:,.1f}]"
            if self.incremental_conversions_interval
            else ""
        )
        return (
            f"cost {self.cost:,.2f}{cap}; {self.expected_conversions:,.1f} conversions, "
            f"{self.incremental_conversions:,.1f}{band} caused by the campaign; net incremental return "
            f"{self.net_return:,.2f}; incremental ROI {self.roi_text()}"
        )


def value_basis(margin: float | None) -> tuple[float, str]:
    """The margin used and how the brief should describe it."""
    if margin is None:
        return 1.0, "revenue (MKT_MARGIN is not set, so returns are revenue, not profit)"
    return margin, f"margin {margin:.0%} of revenue (MKT_MARGIN)"


def campaign_roi(
    plans: list[ChannelPlan],
    params: CampaignRoiParams,
    *,
    baseline: Baseline | None,
    margin: float | None,
    fixed_cost: float = 0.0,
    seed: int = 7,
) -> RoiForecast:
    """Incremental conversions, margin, discount cost, cost and ROI of ``plans``.

    Raises:
        ToolError: there is no channel plan.
    """
    if not plans:
        raise ToolError("no channel plan yet: choose the channels first")
    m, basis = value_basis(margin)
    d = (params.discount_percent or 0.0) / 100.0
    fixed = params.fixed_cost if params.fixed_cost is not None else fixed_cost
    used = [p for p in plans if p.recipients > 0]
    b = baseline.rate if baseline is not None else 0.0
    n = np.array([p.recipients for p in used], dtype=np.float64)
    value = np.array([p.value_per_conversion for p in used], dtype=np.float64)
    send_cost = float(np.sum(n * np.array([p.cost_per_message for p in used])))
    cost = send_cost + fixed
    rate = np.array([p.conversion_rate for p in used], dtype=np.float64)
    point = _outcome(rate[None, :], np.array([b]), n, value, m, d)
    rng = np.random.default_rng(seed)
    if used:
        shapes = np.array([p.posterior for p in used], dtype=np.float64)
        draws = rng.beta(shapes[:, 0], shapes[:, 1], size=(DRAWS, len(used)))
    else:
        draws = np.zeros((DRAWS, 0))
    b_draws = rng.beta(*baseline.shapes, size=DRAWS) if baseline is not None else np.zeros(DRAWS)
    sims = _outcome(draws, b_draws, n, value, m, d)
    net_draws = sims["incremental_margin"] - sims["discount_cost"] - cost
    net = float(point["incremental_margin"][0] - point["discount_cost"][0] - cost)
    inc_band = tuple(round(float(x), 2) for x in np.quantile(sims["incremental"], [0.05, 0.95]))
    net_band = tuple(round(float(x), 2) for x in np.quantile(net_draws, [0.05, 0.95]))
    notes = [f"returns are {basis}"]
    if baseline is None:
        notes.append("no baseline: every conversion is counted as caused by the campaign")
    if d:
        notes.append(
            f"the {params.discount_percent:g}% discount is a cost on every redemption, "
            "including customers who would have bought anyway"
        )
    if cost > 0 and net > 10 * cost:
        notes.append(
            f"the ROI percentage is large because the sends cost only {cost:,.2f}: judge the plan by its net "
            f"incremental return; fixed costs (creative, tooling) count {fixed:,.2f} (MKT_CAMPAIGN_FIXED_COST)"
        )
    return RoiForecast(
        cost=round(cost, 2),
        expected_conversions=round(float(point["conversions"][0]), 2),
        expected_revenue=round(float(np.sum(n * np.maximum(rate, b) * value)) * (1 - d), 2),
        roi=round(net / cost, 4) if cost > 0 else None,
        roi_interval=(round(net_band[0] / cost, 4), round(net_band[1] / cost, 4)) if cost > 0 else None,
        recipients=int(n.sum()),
        send_cost=round(send_cost, 2),
        fixed_cost=round(fixed, 2),
        baseline_conversions=round(float(n.sum() * b), 2),
        incremental_conversions=round(float(point["incremental"][0]), 2),
        incremental_conversions_interval=(inc_band[0], inc_band[1]),
        incremental_margin=round(float(point["incremental_margin"][0]), 2),
        discount_cost=round(float(point["discount_cost"][0]), 2),
        net_return=round(net, 2),
        net_return_interval=(net_band[0], net_band[1]),
        margin=m,
        value_basis=basis,
        baseline=baseline,
        budget=params.budget,
        within_budget=params.budget is None or cost <= params.budget + 1e-6,
        notes=notes,
    )


def _outcome(
    rate: np.ndarray, baseline: np.ndarray, n: np.ndarray, value: np.ndarray, margin: float, discount: float
) -> dict[str, np.ndarray]:
    """Per draw (rows): conversions, incremental conversions, incremental margin and discount cost."""
    q = np.maximum(rate, baseline[:, None])
    redemptions = q * n
    incremental = (q - baseline[:, None]) * n
    return {
        "conversions": redemptions.sum(axis=1),
        "incremental": incremental.sum(axis=1),
        "incremental_margin": (incremental * value * margin).sum(axis=1),
        "discount_cost": (redemptions * value * discount).sum(axis=1),
    }
