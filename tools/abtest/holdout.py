"""Treatment minus control: what a campaign with a randomised holdout actually caused.

Campaigns with a control group carry ``test_group`` in the engagements table: treatment customers
have ``sent`` rows, held-out customers one ``held_out`` row, and either has ``converted`` rows
(with revenue) when they bought in the window. Per group: customers n, converters k, revenue per
customer. Then, scaled to the treatment group:

- incremental conversions = (k_t / n_t - k_c / n_c) x n_t, interval from Beta(1 + k, 1 + n - k)
  draws of both rates;
- incremental revenue = (mean revenue_t - mean revenue_c) x n_t, normal interval from the two
  per-customer revenue variances;
- net return = treatment revenue x (margin - d) / (1 - d) - control revenue (scaled) x margin - cost:
  treatment revenue is recorded after the discount d, and the control paid full price;
- ROI = net return / cost (the treatment's send costs), as a percentage.
"""

from __future__ import annotations

import duckdb
import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import norm

from data.errors import ToolError
from data.testgroups import has_test_groups


class HoldoutParams(BaseModel):
    """Which campaign to read out and the economics to value it with."""

    campaign_id: str
    margin: float | None = Field(
        default=None, gt=0, le=1, description="Share of revenue kept (None: revenue)."
    )
    discount_percent: float = Field(
        default=0.0, ge=0, lt=100, description="Discount the treatment was given."
    )
    confidence: float = Field(default=0.9, gt=0.5, lt=1.0)
    draws: int = Field(default=20_000, ge=1_000, le=1_000_000)
    seed: int = 7


class GroupResult(BaseModel):
    """One arm of the test."""

    group: str
    customers: int
    conversions: int
    conversion_rate: float
    revenue: float
    revenue_per_customer: float
    cost: float


class HoldoutReadout(BaseModel):
    """Incremental conversions, revenue and ROI of a campaign: treatment minus control."""

    campaign_id: str
    treatment: GroupResult
    control: GroupResult
    confidence: float
    lift_points: float = Field(description="Treatment rate minus control rate.")
    incremental_conversions: float
    incremental_conversions_interval: tuple[float, float]
    incremental_revenue: float
    incremental_revenue_interval: tuple[float, float]
    net_return: float
    net_return_interval: tuple[float, float]
    roi: float | None = Field(description="Net return / cost; None when nothing was spent.")
    roi_interval: tuple[float, float] | None
    value_basis: str
    verdict: str

    def summary(self) -> str:
        """One line."""
        return f"{self.campaign_id}: {self.verdict}"


def has_control(con: duckdb.DuckDBPyConnection, campaign_id: str) -> bool:
    """Whether ``campaign_id`` held out a control group (engagements.test_group = 'control')."""
    if not has_test_groups(con):
        return False
    rows = con.execute(
        "SELECT count(*) FROM engagements WHERE campaign_id = ? AND test_group = 'control'", [campaign_id]
    ).fetchall()
    return bool(rows and rows[0][0])


def _per_customer(con: duckdb.DuckDBPyConnection, campaign_id: str, group: str) -> tuple[np.ndarray, ...]:
    """Revenue, converted flag and cost per customer of one arm."""
    entry = "sent" if group == "treatment" else "held_out"
    rows = con.execute(
        """
        SELECT customer_id,
               coalesce(sum(revenue) FILTER (WHERE event = 'converted'), 0),
               count(*) FILTER (WHERE event = 'converted') > 0,
               coalesce(sum(cost), 0)
        FROM engagements
        WHERE campaign_id = ? AND test_group = ?
        GROUP BY customer_id
        HAVING count(*) FILTER (WHERE event = ?) > 0
        """,
        [campaign_id, group, entry],
    ).fetchall()
    revenue = np.array([float(r[1]) for r in rows], dtype=np.float64)
    converted = np.array([bool(r[2]) for r in rows], dtype=bool)
    cost = np.array([float(r[3]) for r in rows], dtype=np.float64)
    return revenue, converted, cost


def _group(name: str, revenue: np.ndarray, converted: np.ndarray, cost: np.ndarray) -> GroupResult:
    n = int(revenue.size)
    return GroupResult(
        group=name,
        customers=n,
        conversions=int(converted.sum()),
        conversion_rate=round(float(converted.mean()), 6),
        revenue=round(float(revenue.sum()), 2),
        revenue_per_customer=round(float(revenue.mean()), 4),
        cost=round(float(cost.sum()), 2),
    )


def holdout_readout(con: duckdb.DuckDBPyConnection, params: HoldoutParams) -> HoldoutReadout:
    """Treatment minus control for ``params.campaign_id``; see the module docstring.

    Raises:
        ToolError: the campaign has no control group, or an arm is empty.
    """
    if not has_control(con, params.campaign_id):
        raise ToolError(
            f"campaign '{params.campaign_id}' has no control group (no engagements with test_group = 'control'): "
            "incremental results need a randomised holdout"
        )
    t_rev, t_conv, t_cost = _per_customer(con, params.campaign_id, "treatment")
    c_rev, c_conv, c_cost = _per_customer(con, params.campaign_id, "control")
    if t_rev.size == 0 or c_rev.size == 0:
        raise ToolError(
            f"campaign '{params.campaign_id}' needs sent treatment and held-out control customers"
        )
    treat, ctrl = _group("treatment", t_rev, t_conv, t_cost), _group("control", c_rev, c_conv, c_cost)
    n_t, n_c = treat.customers, ctrl.customers
    tail = (1 - params.confidence) / 2
    rng = np.random.default_rng(params.seed)
    r_t = rng.beta(1 + treat.conversions, 1 + n_t - treat.conversions, params.draws)
    r_c = rng.beta(1 + ctrl.conversions, 1 + n_c - ctrl.conversions, params.draws)
    inc_conv = (treat.conversion_rate - ctrl.conversion_rate) * n_t
    inc_band = tuple(float(x) for x in np.quantile((r_t - r_c) * n_t, [tail, 1 - tail]))
    z = float(norm.ppf(1 - tail))
    var_t = float(t_rev.var(ddof=1)) if n_t > 1 else 0.0
    var_c = float(c_rev.var(ddof=1)) if n_c > 1 else 0.0
    inc_rev = (float(t_rev.mean()) - float(c_rev.mean())) * n_t
    rev_se = n_t * float(np.sqrt(var_t / n_t + var_c / n_c))
    m = params.margin if params.margin is not None else 1.0
    d = params.discount_percent / 100
    keep = (m - d) / (1 - d)
    cost = treat.cost
    net = float(t_rev.sum()) * keep - float(c_rev.mean()) * n_t * m - cost
    net_se = n_t * float(np.sqrt(keep**2 * var_t / n_t + m**2 * var_c / n_c))
    net_band = (net - z * net_se, net + z * net_se)
    roi = net / cost if cost > 0 else None
    roi_band = (net_band[0] / cost, net_band[1] / cost) if cost > 0 else None
    basis = f"margin {m:.0%} of revenue" if params.margin is not None else "revenue (no margin given)"
    verdict = (
        f"{inc_conv:+,.1f} conversions caused ({params.confidence:.0%} {inc_band[0]:+,.1f} to {inc_band[1]:+,.1f}); "
        f"treatment {treat.conversion_rate:.2%} vs control {ctrl.conversion_rate:.2%}; "
        + (
            f"incremental ROI {roi:+.0%} ({roi_band[0]:+.0%} to {roi_band[1]:+.0%})"
            if roi_band and roi is not None
            else "no cost recorded: ROI undefined"
        )
    )
    if inc_band[0] <= 0 <= inc_band[1]:
        verdict += "; the interval includes no effect"
    return HoldoutReadout(
        campaign_id=params.campaign_id,
        treatment=treat,
        control=ctrl,
        confidence=params.confidence,
        lift_points=round(treat.conversion_rate - ctrl.conversion_rate, 6),
        incremental_conversions=round(inc_conv, 2),
        incremental_conversions_interval=(round(inc_band[0], 2), round(inc_band[1], 2)),
        incremental_revenue=round(inc_rev, 2),
        incremental_revenue_interval=(round(inc_rev - z * rev_se, 2), round(inc_rev + z * rev_se, 2)),
        net_return=round(net, 2),
        net_return_interval=(round(net_band[0], 2), round(net_band[1], 2)),
        roi=None if roi is None else round(roi, 4),
        roi_interval=None if roi_band is None else (round(roi_band[0], 4), round(roi_band[1], 4)),
        value_basis=basis,
        verdict=verdict,
    )
