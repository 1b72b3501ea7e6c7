"""The ROI forecast of a whole channel plan: each channel's forecast (``tools.roi``) rolled up.

Revenue per conversion is the audience's mean order value less the discount; the interval is the
ROI at the ends of each channel's 90% conversion-rate interval.
"""

from __future__ import annotations

import duckdb
from pydantic import BaseModel, Field

from data.errors import ToolError
from tools.channel.models import ChannelPlan


class CampaignRoiParams(BaseModel):
    """What the campaign's offer costs and gives away."""

    discount_percent: float | None = Field(
        default=None, ge=0, lt=100, description="Percentage off, taken off the value of each conversion."
    )
    fixed_cost: float = Field(default=0.0, ge=0, description="Creative and tooling costs.")
    budget: float | None = Field(default=None, ge=0, description="Budget to compare the cost with.")


class RoiForecast(BaseModel):
    """Forecast of the campaign's outcome."""

    cost: float
    expected_conversions: float
    expected_revenue: float
    roi: float | None = Field(description="(revenue - cost) / cost; None when nothing is spent.")
    roi_interval: tuple[float, float] | None = Field(
        default=None, description="ROI at the ends of the conversion rates' 90% intervals."
    )
    budget: float | None = None
    within_budget: bool = True
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """Key numbers in one line."""
        roi = "n/a" if self.roi is None else f"{self.roi:.2f}"
        band = (
            f" (90% interval {self.roi_interval[0]:.2f} to {self.roi_interval[1]:.2f})"
            if self.roi_interval
            else ""
        )
        cap = f" of budget {self.budget:,.0f}" if self.budget is not None else ""
        return (
            f"cost {self.cost:,.2f}{cap}, {self.expected_conversions:,.1f} conversions, "
            f"revenue {self.expected_revenue:,.2f}, ROI {roi}{band}"
        )


def campaign_roi(
    con: duckdb.DuckDBPyConnection, plans: list[ChannelPlan], params: CampaignRoiParams
) -> RoiForecast:
    """Conversions, revenue, cost and ROI of ``plans``.

    Raises:
        ToolError: there is no channel plan.
    """
    from tools.roi import RoiForecastParams, forecast_roi  # scipy: loaded when a forecast runs

    if not plans:
        raise ToolError("no channel plan yet: choose the channels first")
    keep = 1 - (params.discount_percent or 0.0) / 100
    lines = [
        forecast_roi(
            con,
            RoiForecastParams(
                channel=plan.channel,
                audience=plan.recipients,
                response_rate=plan.conversion_rate,
                order_value=plan.value_per_conversion * keep,
                cost_per_message=plan.cost_per_message,
            ),
        )
        for plan in plans
        if plan.recipients > 0
    ]
    cost = sum(line.cost for line in lines) + params.fixed_cost
    revenue = sum(line.expected_revenue for line in lines)
    notes = []
    if params.discount_percent:
        notes.append(
            f"value per conversion is the audience's mean order value less {params.discount_percent:g}%"
        )
    low = sum(p.conversion_interval[0] * p.recipients * p.value_per_conversion * keep for p in plans)
    high = sum(p.conversion_interval[1] * p.recipients * p.value_per_conversion * keep for p in plans)
    return RoiForecast(
        cost=round(cost, 2),
        expected_conversions=round(sum(line.expected_conversions for line in lines), 2),
        expected_revenue=round(revenue, 2),
        roi=round((revenue - cost) / cost, 3) if cost > 0 else None,
        roi_interval=(round((low - cost) / cost, 3), round((high - cost) / cost, 3)) if cost > 0 else None,
        budget=params.budget,
        within_budget=params.budget is None or cost <= params.budget + 1e-6,
        notes=notes,
    )
