"""What an audience buys anyway: the share who convert within a conversion window without a campaign.

From past control groups first: when the engagements table has a ``test_group`` column, the
held-out customers' conversions are exactly what the campaign would not have caused. The
audience's own held-out members (k of n converted) are pooled with the whole base's control
rate m as a prior of ``MIN_HELD_OUT`` pseudo-customers: rate = (k + m S) / (n + S), so a
handful of held-out members moves the estimate a little and hundreds decide it.

Otherwise from the purchase history: the last ``windows`` windows of ``window_days`` before the
data's end are counted per audience member; the baseline is the share of (member, window) pairs with at least one
purchase, with a Jeffreys Beta(k + 1/2, n - k + 1/2) interval. Recent windows are the honest
reference for customers selected for being at risk now: what they have been doing lately is
what they would do without the campaign. A campaign's conversions above this rate are the ones it
causes; the discount still goes to everyone who redeems, including those who would have bought.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from data.errors import ToolError
from data.testgroups import has_test_groups

if TYPE_CHECKING:
    import duckdb


MIN_HELD_OUT = 30


class Baseline(BaseModel):
    """P(an audience member buys within the window anyway), with its interval and source."""

    rate: float
    interval: tuple[float, float]
    buyers: int = Field(description="(member, window) pairs with a purchase.")
    trials: int = Field(description="(member, window) pairs counted.")
    window_days: int
    source: str
    pseudo: tuple[float, float] = Field(
        default=(0.0, 0.0), description="Prior (converted, not) pseudo-counts."
    )

    @property
    def shapes(self) -> tuple[float, float]:
        """The Beta posterior of the rate (Jeffreys, plus the pooled prior's pseudo-counts)."""
        return self.buyers + 0.5 + self.pseudo[0], self.trials - self.buyers + 0.5 + self.pseudo[1]

    def summary(self) -> str:
        """One line."""
        low, high = self.interval
        return f"{self.rate:.2%} buy within {self.window_days} days anyway (90% {low:.2%}-{high:.2%}; {self.source})"


def audience_baseline(
    con: duckdb.DuckDBPyConnection, customer_ids: Iterable[str], *, window_days: int = 14, windows: int = 6
) -> Baseline:
    """What the audience converts at anyway: past control groups, else its recent purchase rate.

    Raises:
        ToolError: an empty audience, or no transactions table.
    """
    import pandas as pd
    from scipy.stats import beta as beta_dist  # loaded when a baseline is estimated

    ids = pd.DataFrame({"customer_id": pd.Series(list(customer_ids), dtype=str)}).drop_duplicates()
    if ids.empty:
        raise ToolError("the audience is empty: nothing to estimate a baseline for")
    tables = {str(r[0]) for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "transactions" not in tables:
        raise ToolError("no transactions table: load transactions to estimate what the audience buys anyway")
    con.register("baseline_ids", ids)
    try:
        held = _held_out(con, window_days)
        if held is not None:
            return held
        # A window counts for a member only once they were a customer when it began: the window of
        # their first purchase (their acquisition) and those before it are not "did not buy".
        row = con.execute(
            """
            WITH bounds AS (SELECT max(ts) AS end_ts FROM transactions),
            mine AS (
                SELECT t.customer_id, t.ts FROM transactions t
                WHERE CAST(t.customer_id AS VARCHAR) IN (SELECT customer_id FROM baseline_ids)
            ),
            firsts AS (
                SELECT customer_id,
                       least($windows, floor(date_diff('second', min(ts), any_value(b.end_ts))
                                              / ($days * 86400.0))) AS open_windows
                FROM mine, bounds b GROUP BY customer_id
            ),
            recent AS (
                SELECT DISTINCT m.customer_id,
                       floor(date_diff('second', m.ts, b.end_ts) / ($days * 86400.0)) AS w
                FROM mine m, bounds b
                WHERE m.ts > b.end_ts - to_days(CAST($days * $windows AS INTEGER))
            )
            SELECT (SELECT count(*) FROM recent r JOIN firsts f USING (customer_id) WHERE r.w < f.open_windows),
                   (SELECT coalesce(sum(open_windows), 0) FROM firsts)
            """,
            {"days": window_days, "windows": windows},
        ).fetchall()
    finally:
        con.unregister("baseline_ids")
    buyers = int(row[0][0]) if row else 0
    trials = max(int(row[0][1]) if row else 0, 1)
    low, high = (float(x) for x in beta_dist.ppf([0.05, 0.95], buyers + 0.5, trials - buyers + 0.5))
    return Baseline(
        rate=round(buyers / trials, 6),
        interval=(round(low, 6), round(high, 6)),
        buyers=buyers,
        trials=trials,
        window_days=window_days,
        source=f"history: purchases of these {len(ids):,} customers, last {windows} windows of {window_days} days",
    )


def _held_out(con: duckdb.DuckDBPyConnection, window_days: int) -> Baseline | None:
    """The audience's past control conversion rate pooled with the base's (see the module); None without."""
    from scipy.stats import beta as beta_dist

    if not has_test_groups(con):
        return None
    # Held-out members, and those of them who bought within ``window_days`` of being held out.
    sql = """
        WITH held AS (
            SELECT customer_id, campaign_id, min(ts) AS at FROM engagements
            WHERE test_group = 'control' AND event = 'held_out' {where} GROUP BY 1, 2
        ),
        bought AS (
            SELECT customer_id, campaign_id, min(ts) AS at FROM engagements
            WHERE test_group = 'control' AND event = 'converted' GROUP BY 1, 2
        )
        SELECT count(*), count(b.at) FILTER (WHERE b.at <= h.at + to_days(CAST($days AS INTEGER)))
        FROM held h LEFT JOIN bought b USING (customer_id, campaign_id)
    """
    mine = con.execute(
        sql.format(where="AND CAST(customer_id AS VARCHAR) IN (SELECT customer_id FROM baseline_ids)"),
        {"days": window_days},
    ).fetchall()[0]
    base = con.execute(sql.format(where=""), {"days": window_days}).fetchall()[0]
    if int(base[0]) == 0:
        return None
    prior = min(int(base[1]), int(base[0])) / int(base[0])
    own_n, own_k = int(mine[0]), min(int(mine[1]), int(mine[0]))
    a = own_k + prior * MIN_HELD_OUT
    b = own_n - own_k + (1 - prior) * MIN_HELD_OUT
    low, high = (float(x) for x in beta_dist.ppf([0.05, 0.95], a + 0.5, b + 0.5))
    return Baseline(
        rate=round(a / (a + b), 6),
        interval=(round(low, 6), round(high, 6)),
        buyers=own_k,
        trials=own_n,
        window_days=window_days,
        source=(
            f"past control groups: {own_k:,} of {own_n:,} held-out members of this audience converted, "
            f"pooled with the base's control rate {prior:.2%} ({int(base[0]):,} held out, as "
            f"{MIN_HELD_OUT} pseudo-customers)"
        ),
        pseudo=(prior * MIN_HELD_OUT, (1 - prior) * MIN_HELD_OUT),
    )
