"""Campaign economics: incremental ROI checked by hand, the baseline, and the control group's size and power."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from data.errors import ToolError
from tools.baseline import Baseline, audience_baseline
from tools.campaign_roi import CampaignRoiParams, campaign_roi
from tools.channel.models import ChannelPlan
from tools.control import size_control


def _plan(channel: str, recipients: int, rate: float, cost: float, strength: float = 1e7) -> ChannelPlan:
    """A channel plan row whose Beta posterior is tight around ``rate`` (strength pseudo-sends)."""
    return ChannelPlan(
        channel=channel,
        recipients=recipients,
        conversion_rate=rate,
        conversion_interval=(rate, rate),
        posterior=(rate * strength, (1 - rate) * strength),
        cost_per_message=cost,
        value_per_conversion=100.0,
        expected_value_per_message=0.0,
        reachable=recipients,
        reason="",
    )


def _baseline(rate: float, trials: int = 10_000_000) -> Baseline:
    buyers = round(rate * trials)
    return Baseline(
        rate=rate, interval=(rate, rate), buyers=buyers, trials=trials, window_days=14, source="given"
    )


def test_incremental_roi_by_hand() -> None:
    plans = [_plan("email", 100, 0.05, 0.01), _plan("sms", 50, 0.04, 0.05), _plan("push", 0, 0.09, 0.01)]
    params = CampaignRoiParams(discount_percent=15, fixed_cost=10.0, budget=2000)
    roi = campaign_roi(plans, params, baseline=_baseline(0.01), margin=0.4)
    # email: 100 x 5% = 5 redemptions, 100 x (5% - 1%) = 4 caused; sms: 50 x 4% = 2, 50 x 3% = 1.5 caused.
    assert roi.expected_conversions == pytest.approx(7.0)
    assert roi.baseline_conversions == pytest.approx(1.5)
    assert roi.incremental_conversions == pytest.approx(5.5)
    # Incremental margin: 5.5 x 100 x 40% = 220. Discount: 7 redemptions x 100 x 15% = 105 (also the
    # 1.5 who would have bought anyway). Cost: 100 x 0.01 + 50 x 0.05 + 10 fixed = 13.5.
    assert roi.incremental_margin == pytest.approx(220.0)
    assert roi.discount_cost == pytest.approx(105.0)
    assert (roi.send_cost, roi.fixed_cost, roi.cost) == (3.5, 10.0, 13.5)
    assert roi.net_return == pytest.approx(101.5)
    assert roi.roi == pytest.approx(101.5 / 13.5, abs=1e-4)  # +752%
    assert roi.roi_text().startswith("+752% (90% ")
    assert roi.expected_revenue == pytest.approx(7 * 100 * 0.85)
    assert roi.within_budget and "margin 40%" in roi.value_basis
    # With tight posteriors the interval collapses onto the point estimate.
    assert roi.roi_interval is not None and roi.roi_interval[0] == pytest.approx(roi.roi, abs=0.05)


def test_unset_margin_means_revenue_and_the_forecast_says_so() -> None:
    roi = campaign_roi([_plan("email", 100, 0.05, 0.01)], CampaignRoiParams(), baseline=None, margin=None)
    assert roi.margin == 1.0 and "MKT_MARGIN is not set" in roi.value_basis
    assert any("every conversion is counted as caused" in n for n in roi.notes)
    assert roi.net_return == pytest.approx(100 * 0.05 * 100 - 1.0)


def test_a_baseline_above_the_rate_means_nothing_is_caused_but_the_discount_is_still_paid() -> None:
    roi = campaign_roi(
        [_plan("email", 100, 0.05, 0.01)],
        CampaignRoiParams(discount_percent=20),
        baseline=_baseline(0.08),
        margin=0.5,
    )
    assert roi.incremental_conversions == pytest.approx(0.0)
    assert roi.discount_cost == pytest.approx(8 * 100 * 0.2)  # the 8 who buy anyway redeem the code
    assert roi.roi is not None and roi.roi < -100


def test_the_interval_reflects_the_rate_uncertainty() -> None:
    loose = _plan("email", 1000, 0.05, 0.01, strength=60.0)
    roi = campaign_roi([loose], CampaignRoiParams(), baseline=_baseline(0.01), margin=0.5, seed=1)
    assert roi.roi_interval is not None and roi.roi is not None
    low, high = roi.roi_interval
    assert low < roi.roi < high and high - low > 1.0
    again = campaign_roi([loose], CampaignRoiParams(), baseline=_baseline(0.01), margin=0.5, seed=1)
    assert again.roi_interval == roi.roi_interval
    with pytest.raises(ToolError, match="no channel plan"):
        campaign_roi([], CampaignRoiParams(), baseline=None, margin=None)


END = datetime(2026, 9, 30, 12)


def _warehouse(with_controls: bool) -> duckdb.DuckDBPyConnection:
    """Ten customers; A0-A4 bought in 3 of the last 6 fortnights, B* never lately."""
    con = duckdb.connect()
    rows = [(f"A{i}", END - timedelta(days=14 * w + 1), 50.0) for i in range(5) for w in (0, 2, 4)]
    rows += [(f"B{i}", END - timedelta(days=400), 80.0) for i in range(5)] + [("A0", END, 10.0)]
    con.execute("CREATE TABLE transactions (customer_id VARCHAR, ts TIMESTAMP, amount DOUBLE)")
    con.executemany("INSERT INTO transactions VALUES (?, ?, ?)", rows)
    columns = "customer_id VARCHAR, campaign_id VARCHAR, channel VARCHAR, event VARCHAR, test_group VARCHAR"
    con.execute(f"CREATE TABLE engagements ({columns}, ts TIMESTAMP)")
    if with_controls:
        sent, soon, late = END - timedelta(days=30), END - timedelta(days=25), END - timedelta(days=1)
        held = [(f"H{i}", "C1", "email", "held_out", "control", sent) for i in range(40)]
        held += [(f"H{i}", "C1", "email", "converted", "control", soon) for i in range(4)]
        held += [("H4", "C1", "email", "converted", "control", late)]  # 29 days on: not within the window
        held += [(f"T{i}", "C1", "email", "sent", "treatment", sent) for i in range(40)]
        con.executemany("INSERT INTO engagements VALUES (?, ?, ?, ?, ?, ?)", held)
    return con


def test_baseline_from_recent_history_and_from_past_control_groups() -> None:
    con = _warehouse(with_controls=False)
    recent = audience_baseline(con, [f"A{i}" for i in range(5)] + [f"B{i}" for i in range(5)])
    # A window counts once a member was a customer when it began. A*'s first purchase was 57 days ago
    # (fortnight 4, their acquisition): fortnights 0-3 count, and they bought in 0 and 2 (A0's two
    # purchases share one); B* bought 400 days ago: all 6 count, none bought. 10 of 5x4 + 5x6 = 50.
    assert (recent.buyers, recent.trials) == (10, 50) and recent.rate == 0.2
    assert recent.interval[0] < 0.2 < recent.interval[1] and recent.source.startswith("history")
    lapsed = audience_baseline(con, [f"B{i}" for i in range(5)])
    assert lapsed.rate == 0.0 and lapsed.interval[1] < 0.1
    # None of these five was ever held out: the base's control rate (4 of 40) stands alone.
    held = audience_baseline(_warehouse(with_controls=True), [f"B{i}" for i in range(5)])
    assert (held.buyers, held.trials) == (0, 0) and held.rate == pytest.approx(0.1)
    assert "0 of 0 held-out members" in held.source and "control rate 10.00%" in held.source
    # Ten held-out members, none converted: (0 + 0.1 x 30) / (10 + 30) = 7.5%, between theirs and the base's.
    own = audience_baseline(_warehouse(with_controls=True), [f"H{i}" for i in range(4, 14)])
    assert own.rate == pytest.approx(3 / 40) and (own.buyers, own.trials) == (0, 10)
    with pytest.raises(ToolError, match="empty"):
        audience_baseline(con, [])


def test_control_is_random_seeded_and_sized_for_power() -> None:
    ids = [f"C{i:05d}" for i in range(20_000)]
    control = size_control(ids, baseline_rate=0.02, treatment_rate=0.035)
    assert control.chosen_by == "sized for 80% power" and control.fraction == 0.10
    assert control.size == 2000 and control.treatment_size == 18_000 and control.power >= 0.8
    assert control.control_ids == size_control(ids, baseline_rate=0.02, treatment_rate=0.035).control_ids
    assert (
        control.control_ids != size_control(ids, baseline_rate=0.02, treatment_rate=0.035, seed=8).control_ids
    )
    # A smaller lift needs a bigger holdout: 10% no longer reaches 80% power, so the share grows.
    small = size_control(ids[:8000], baseline_rate=0.02, treatment_rate=0.03)
    assert small.fraction > 0.10 and small.power >= 0.8
    # An audience too small for any holdout to settle it keeps 10% and says what it can detect.
    tiny = size_control(ids[:84], baseline_rate=0.0, treatment_rate=0.04)
    assert (
        tiny.fraction == 0.10 and tiny.size == 8 and tiny.power < 0.3 and tiny.chosen_by.startswith("default")
    )
    assert "too small to confirm the lift" in tiny.summary() and tiny.needed_per_group
    given = size_control(ids[:1000], baseline_rate=0.02, treatment_rate=0.03, fraction=0.25, seed=1)
    assert (given.size, given.chosen_by) == (250, "given")
    # Randomised: the holdout's share of any attribute matches the audience's (here, odd ids).
    odd = np.mean([int(c[1:]) % 2 for c in control.control_ids])
    assert abs(odd - 0.5) < 0.03
    idle = size_control(ids[:100], baseline_rate=0.06, treatment_rate=0.05)  # nothing sent pays
    assert idle.power == 0.05 and "no lift is planned" in idle.summary()
    with pytest.raises(ToolError, match="fewer than 2"):
        size_control(ids[:1], baseline_rate=0.01, treatment_rate=0.02)
    assert pd.Series(control.control_ids).is_unique


def test_a_requested_channel_that_loses_says_why_and_what_it_would_return() -> None:
    from tools.channel.models import ChannelEstimate
    from tools.channel.plan import channel_reason

    def estimate(channel: str, ev: float, reachable: int) -> ChannelEstimate:
        return ChannelEstimate(
            channel=channel, segment="a", sent=16, conversions=0, posterior_mean=0.03, ci_low=0.01,
            ci_high=0.06, value=100.0, cost=0.05, expected_value=ev, reachable=reachable,
        )  # fmt: skip

    email = estimate("email", 4.0, 80)
    beaten = channel_reason(estimate("sms", 2.5, 40), 0, email, 0.01)
    assert "email pays more (4.00 per send)" in beaten and "all 40 consenting would return 100.00" in beaten
    assert "16 own sends, pooled with the base" in beaten and "vs 1.00% who buy anyway" in beaten
    losing = channel_reason(estimate("sms", -0.5, 40), 0, email)
    assert "does not pay" in losing and "would return -20.00" in losing
    assert "nobody in the audience consents" in channel_reason(estimate("push", 1.0, 0), 0, email)
