"""Typed input and output of the CLV calculator."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tools.clv.summary import TimeUnit


class ClvRequest(BaseModel):
    """What to compute: horizon, discounting, time unit of the model, method."""

    horizon_months: int = Field(default=12, ge=1, le=600, description="CLV horizon in months.")
    discount_rate: float = Field(default=0.01, ge=0.0, lt=1.0, description="Discount rate per month.")
    margin: float = Field(default=1.0, gt=0.0, le=1.0, description="Share of revenue kept as profit.")
    time_unit: TimeUnit = Field(default="week", description="Time unit the BG/NBD model is fitted in.")
    as_of: datetime | None = Field(default=None, description="End of the history (default: last purchase).")
    method: Literal["auto", "probabilistic", "contractual", "simple"] = Field(
        default="auto",
        description=(
            "auto: contractual when customers have tenure, a churn flag and a monthly value, else "
            "probabilistic; probabilistic: BG/NBD + Gamma-Gamma; contractual: sBG retention x monthly "
            "value; simple: sum_t M_t/(1+d)^t with M_t from history."
        ),
    )
    tenure_column: str | None = Field(default=None, description="Contractual: tenure in months.")
    churn_column: str | None = Field(default=None, description="Contractual: yes/no churn flag.")
    value_column: str | None = Field(default=None, description="Contractual: monthly value.")
    max_iterations: int = Field(default=500, ge=1, le=100_000, description="Optimiser iteration cap.")
    fit_grid_days: float | None = Field(
        default=None,
        gt=0.0,
        le=31.0,
        description=(
            "Round recency and age to this many days for the BG/NBD fit only (scores use exact times): "
            "bounds the distinct histories the fit sees, so it costs the same for 1M or 1B customers. "
            "None: exact times (timestamps to the second make almost every history distinct)."
        ),
    )


class ModelFit(BaseModel):
    """A fitted model: parameters with standard errors, log-likelihood and convergence."""

    model: str
    parameters: dict[str, float]
    std_errors: dict[str, float | None] = Field(description="From the inverse observed information.")
    derived: dict[str, float | None] = Field(description="Population quantities (means) from the parameters.")
    log_likelihood: float
    converged: bool
    iterations: int
    n_customers: int = Field(description="Customers the model was fitted on.")


class CustomerClv(BaseModel):
    """One customer's history (in the request's time unit) and predictions over the horizon."""

    customer_id: str
    frequency: float = Field(description="Repeat purchase days.")
    recency: float = Field(description="Time of the last purchase since the first.")
    T: float = Field(description="Time since the first purchase.")
    monetary_value: float = Field(description="Mean spend per repeat purchase day (0 without repeats).")
    expected_purchases: float = Field(description="Expected purchases over the horizon.")
    p_alive: float = Field(description="Probability the customer is still active (1 for simple method).")
    expected_order_value: float
    clv: float = Field(description="Discounted value over the horizon (times margin).")


class ClvResult(BaseModel):
    """The CLV calculator's answer."""

    method: str
    as_of: datetime
    time_unit: str
    horizon_months: int
    discount_rate: float
    margin: float
    n_customers: int
    total_clv: float
    mean_clv: float
    median_clv: float
    bgnbd: ModelFit | None = None
    gamma_gamma: ModelFit | None = None
    sbg: ModelFit | None = Field(default=None, description="Contractual: the sBG retention fit.")
    customers: list[CustomerClv]
    engine: str = Field(default="duckdb", description="Engine that computed it: duckdb or spark.")
    output: str | None = Field(default=None, description="Where per-customer rows were written (Spark).")
    notes: list[str] = Field(default_factory=list, description="Degenerate cases and how they were handled.")

    def top(self, n: int) -> list[CustomerClv]:
        """The ``n`` customers with the highest CLV."""
        return sorted(self.customers, key=lambda c: c.clv, reverse=True)[:n]
