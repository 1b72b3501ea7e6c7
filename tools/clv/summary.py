"""The RFM summary the BG/NBD and Gamma-Gamma papers fit, computed from raw transactions.

Exactly as Fader, Hardie and Lee (2005) define it, with purchases on the same calendar day counted
as one purchase occasion: ``frequency`` x = number of repeat purchase days (purchase days minus
the first); ``recency`` t_x = time of the last purchase since the first (0 when x = 0); ``T`` = time
from the first purchase to ``as_of``; ``monetary_value`` = mean spend of the repeat purchase days
(0 when x = 0). Times are in the chosen unit: day, week (7 days, the default) or month (365.25/12
days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from data.errors import ToolError
from data.features import cutoff_text, data_end, rfm_sql
from tools.clv.mle import FloatArray

TimeUnit = Literal["day", "week", "month"]
UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0}
DAYS_PER_MONTH = 365.25 / 12.0


@dataclass(frozen=True)
class RfmSummary:
    """Index-aligned per-customer arrays in ``time_unit``, as of ``as_of``."""

    customer_id: np.ndarray
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    total_amount: FloatArray
    as_of: datetime
    time_unit: TimeUnit

    @property
    def size(self) -> int:
        """Number of customers."""
        return int(self.frequency.size)

    def frame(self) -> pd.DataFrame:
        """The summary as a DataFrame indexed by customer_id."""
        return pd.DataFrame(
            {
                "frequency": self.frequency,
                "recency": self.recency,
                "T": self.T,
                "monetary_value": self.monetary_value,
            },
            index=pd.Index(self.customer_id, name="customer_id"),
        )


def rfm_summary(
    con: duckdb.DuckDBPyConnection, as_of: datetime | None = None, time_unit: TimeUnit = "week"
) -> RfmSummary:
    """Per-customer (frequency, recency, T, monetary value) of everyone who bought by ``as_of``.

    The query is ``data.features.rfm_sql``, the same text the Spark engine runs.

    Raises:
        ToolError: no transactions, none before ``as_of``, or an unknown time unit.
    """
    if time_unit not in UNIT_DAYS:
        raise ToolError(f"time unit must be one of {', '.join(UNIT_DAYS)} (got {time_unit!r})")
    cutoff = as_of or data_end(con)
    raw = con.execute(
        rfm_sql() + " ORDER BY customer_id",
        {"cutoff": cutoff_text(cutoff), "inactive": False, "unit": UNIT_DAYS[time_unit]},
    ).df()
    return summary_of(raw, cutoff, time_unit)


def summary_of(raw: pd.DataFrame, cutoff: datetime, time_unit: TimeUnit) -> RfmSummary:
    """An ``RfmSummary`` from the rows of ``rfm_sql`` (either engine).

    Raises:
        ToolError: no rows (nobody bought by the cut-off).
    """
    if raw.empty:
        raise ToolError(f"no customer bought anything on or before {cutoff:%Y-%m-%d}: nothing to model")
    return RfmSummary(
        customer_id=raw["customer_id"].to_numpy(dtype=object),
        frequency=raw["frequency"].to_numpy(np.float64),
        recency=raw["recency"].to_numpy(np.float64),
        T=raw["T"].to_numpy(np.float64),
        monetary_value=raw["monetary_value"].to_numpy(np.float64),
        total_amount=raw["total_amount"].to_numpy(np.float64),
        as_of=cutoff,
        time_unit=time_unit,
    )
