"""``abtest``: read out a past campaign's variants from the engagements table."""

from __future__ import annotations

import duckdb
import numpy as np

from data.errors import ToolError
from data.testgroups import contacted
from tools.abtest import stats
from tools.abtest.models import AbTestParams, AbTestReadout, Rate, VariantResult


def _counts(con: duckdb.DuckDBPyConnection, campaign_id: str) -> list[tuple[str, int, int, int, int]]:
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'engagements'"
        ).fetchall()
    }
    if "variant" not in columns:
        raise ToolError("the engagements table has no 'variant' column: load engagements with variants")
    known = con.execute("SELECT count(*) FROM engagements WHERE campaign_id = ?", [campaign_id]).fetchone()
    if not known or not known[0]:
        raise ToolError(
            f"campaign '{campaign_id}' has no engagements: check the campaign id (`mkt data show`)"
        )
    only_contacted = f"AND {contacted(con)}"
    rows = con.execute(
        f"""
        SELECT variant,
               count(DISTINCT customer_id) FILTER (WHERE event = 'sent') AS sent,
               count(DISTINCT customer_id) FILTER (WHERE event = 'opened') AS opened,
               count(DISTINCT customer_id) FILTER (WHERE event = 'clicked') AS clicked,
               count(DISTINCT customer_id) FILTER (WHERE event = 'converted') AS converted
        FROM engagements WHERE campaign_id = ? AND variant IS NOT NULL {only_contacted}
        GROUP BY variant ORDER BY variant
        """,
        [campaign_id],
    ).fetchall()
    return [(str(v), int(s), int(o), int(c), int(x)) for v, s, o, c, x in rows]


def readout(con: duckdb.DuckDBPyConnection, params: AbTestParams) -> AbTestReadout:
    """Rates with intervals, P(best), lift and power for every variant of ``params.campaign_id``.

    Raises:
        ToolError: unknown campaign, fewer than two variants, a variant with nothing sent, or an
            unknown control.
    """
    counts = [row for row in _counts(con, params.campaign_id) if row[1] > 0]
    if len(counts) < 2:
        found = ", ".join(r[0] for r in counts) or "none"
        raise ToolError(
            f"campaign '{params.campaign_id}' has {len(counts)} variant(s) with sends ({found}): "
            "an A/B readout needs at least two"
        )
    names = [r[0] for r in counts]
    control = params.control or names[0]
    if control not in names:
        raise ToolError(
            f"control '{control}' is not a variant of {params.campaign_id} (variants: {', '.join(names)})"
        )
    c_idx = names.index(control)
    pick = {"opened": 2, "clicked": 3, "converted": 4}[params.outcome]
    successes = [int(r[pick]) for r in counts]
    trials = [r[1] for r in counts]
    samples = stats.posterior_draws(successes, trials, params.draws, params.seed)
    best = stats.prob_best(samples)
    p_control = max(successes[c_idx], 0.5) / trials[c_idx]
    variants = [
        _variant(params, row, successes[i], samples, i, c_idx, p_control, trials[c_idx], float(best[i]))
        for i, row in enumerate(counts)
    ]
    winner_idx = int(np.argmax(best))
    winner = names[winner_idx] if best[winner_idx] >= params.win_probability else None
    others = [v for v in variants if v.variant != control]
    large_enough = all(v.power is not None and v.power >= params.power for v in others)
    mde = max(
        stats.min_detectable_lift(p_control, trials[c_idx], v.sent, params.alpha, params.power)
        for v in others
    )
    channels = [
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT channel FROM engagements WHERE campaign_id = ? ORDER BY 1", [params.campaign_id]
        ).fetchall()
    ]
    return AbTestReadout(
        campaign_id=params.campaign_id,
        channels=channels,
        outcome=params.outcome,
        control=control,
        variants=variants,
        winner=winner,
        sample_large_enough=large_enough,
        min_detectable_lift=round(mde, 4),
        verdict=_verdict(variants, winner, params, large_enough, mde),
    )


def _variant(
    params: AbTestParams,
    row: tuple[str, int, int, int, int],
    successes: int,
    samples: stats.FloatArray,
    i: int,
    c_idx: int,
    p_control: float,
    n_control: int,
    best: float,
) -> VariantResult:
    name, sent, opened, clicked, converted = row
    rate = successes / sent
    is_control = i == c_idx
    low, high = (None, None) if is_control else stats.lift_interval(samples, i, c_idx, params.confidence)
    return VariantResult(
        variant=name,
        sent=sent,
        open_rate=_rate(opened, sent, params.confidence),
        click_rate=_rate(clicked, sent, params.confidence),
        conversion_rate=_rate(converted, sent, params.confidence),
        outcome_rate=_rate(successes, sent, params.confidence),
        prob_best=round(best, 4),
        lift=None if is_control else round(rate / p_control - 1.0, 4),
        lift_lower=None if low is None else round(low, 4),
        lift_upper=None if high is None else round(high, 4),
        power=None if is_control else round(stats.power(p_control, rate, n_control, sent, params.alpha), 4),
        required_per_variant=None
        if is_control
        else stats.required_per_variant(p_control, rate, params.alpha, params.power),
    )


def _rate(successes: int, n: int, confidence: float) -> Rate:
    p, low, high = stats.wilson(successes, n, confidence)
    return Rate(count=successes, rate=round(p, 5), lower=round(low, 5), upper=round(high, 5))


def _verdict(
    variants: list[VariantResult], winner: str | None, params: AbTestParams, large_enough: bool, mde: float
) -> str:
    leader = max(variants, key=lambda v: v.prob_best)
    if winner is not None:
        lift = (
            "" if leader.lift is None else f", {leader.lift:+.0%} vs {params.control or variants[0].variant}"
        )
        text = f"{winner} wins: P(best) {leader.prob_best:.1%}{lift}"
    else:
        text = (
            f"no clear winner: {leader.variant} leads with P(best) {leader.prob_best:.1%} "
            f"(needs {params.win_probability:.0%})"
        )
    if not large_enough:
        needed = max((v.required_per_variant or 0) for v in variants)
        text += (
            f"; the sample is too small for the observed difference (power below {params.power:.0%}; "
            f"about {needed:,} per variant needed; detectable lift now {mde:+.0%})"
        )
    return text
