"""Randomised control groups: hold out part of a campaign audience, sized so the lift is detectable.

The holdout is drawn uniformly at random (seeded) from the audience. Its size is the requested
share, or by default the smallest of 10%, 15%, ... 50% whose two-sided two-proportion test
(alpha 5%) has 80% power against the planned lift: treatment converts at the baseline plus the
campaign's expected incremental conversions per member, control at the baseline. When even 50%
cannot reach it, 10% is kept (a bigger holdout would forgo sales and still not settle it) and the
power that remains is stated, with the audience size that would be needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from data.errors import ToolError

DEFAULT_FRACTION = 0.10
CANDIDATES = (0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50)
ALPHA = 0.05
TARGET_POWER = 0.8


class ControlGroup(BaseModel):
    """The holdout of one campaign: who, how many, and what it can detect."""

    fraction: float
    chosen_by: str = Field(description="'given', 'setting', or 'sized for power'.")
    seed: int
    size: int
    treatment_size: int
    baseline_rate: float = Field(description="Expected conversion rate of the control (baseline).")
    treatment_rate: float = Field(description="Expected conversion rate of the treatment group.")
    power: float = Field(description="Power of the two-sided 5% test to detect the planned lift.")
    needed_per_group: int | None = Field(
        default=None,
        description="Customers per group for 80% power at an even split (None: no lift planned).",
    )
    control_ids: list[str] = Field(default_factory=list, repr=False)

    def summary(self) -> str:
        """One line for the brief."""
        lift = self.treatment_rate - self.baseline_rate
        if lift <= 0:
            return (
                f"{self.size:,} customers ({self.fraction:.0%}, seed {self.seed}) held out at random; no lift is "
                "planned (no send pays), so there is nothing for the holdout to measure yet"
            )
        text = (
            f"{self.size:,} customers ({self.fraction:.0%}, {self.chosen_by}, seed {self.seed}) held out at random; "
            f"expected {self.treatment_rate:.2%} vs {self.baseline_rate:.2%} (+{lift:.2%} points); "
            f"power {self.power:.0%} to detect it"
        )
        if self.power < TARGET_POWER and self.needed_per_group:
            text += (
                f": too small to confirm the lift (about {self.needed_per_group:,} per group needed); "
                "read the result as a wide interval, not a verdict"
            )
        return text


def size_control(
    customer_ids: Sequence[str],
    *,
    baseline_rate: float,
    treatment_rate: float,
    fraction: float | None = None,
    chosen_by: str = "given",
    seed: int = 7,
) -> ControlGroup:
    """Draw the holdout of ``customer_ids``; ``fraction`` None sizes it for power (see the module).

    Raises:
        ToolError: an audience too small to split, or a fraction outside (0, 1).
    """
    from tools.abtest.stats import power, required_per_variant  # statsmodels: loaded when a holdout is sized

    ids = sorted({str(c) for c in customer_ids})
    total = len(ids)
    if total < 2:
        raise ToolError("an audience of fewer than 2 customers cannot have a control group")
    if fraction is not None and not 0.0 < fraction < 1.0:
        raise ToolError(f"the control share must be between 0 and 1 (got {fraction})")
    p0 = min(max(baseline_rate, 1e-6), 1 - 1e-6)
    p1 = min(max(treatment_rate, p0), 1 - 1e-6)

    def power_at(share: float) -> float:
        n_c = max(1, round(share * total))
        return power(p0, p1, n_c, max(1, total - n_c), ALPHA) if p1 > p0 else ALPHA

    if fraction is None:
        reached = next((f for f in CANDIDATES if power_at(f) >= TARGET_POWER), None)
        chosen_by = (
            "sized for 80% power" if reached is not None else "default: no share up to 50% reaches 80% power"
        )
        fraction = reached if reached is not None else DEFAULT_FRACTION
    size = min(max(1, round(fraction * total)), total - 1)
    order = np.random.default_rng(seed).permutation(total)
    control = sorted(ids[i] for i in order[:size])
    return ControlGroup(
        fraction=round(fraction, 4),
        chosen_by=chosen_by,
        seed=seed,
        size=size,
        treatment_size=total - size,
        baseline_rate=round(p0, 6),
        treatment_rate=round(p1, 6),
        power=round(power_at(size / total), 4),
        needed_per_group=required_per_variant(p0, p1, ALPHA, TARGET_POWER) if p1 > p0 else None,
        control_ids=control,
    )
