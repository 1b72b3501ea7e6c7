"""Choose the channel per segment (and per customer) by expected incremental return per send.

Per send: q = max(P(convert), baseline) conversions, of which q - baseline are caused by the send;
return = (q - baseline) x value x margin - q x value x discount - cost (the discount is given on
every redemption, also to those who would have bought anyway). With baseline 0, margin 1 and no
discount this is P(convert) x value - cost.

P(convert) is the Beta-Binomial posterior mean per (segment, channel), or one Thompson draw from
that posterior (``mode="thompson"``, seeded; per customer with ``per_customer``) to keep exploring
channels with little history. Customers are only given channels they may receive: email, SMS and
push need the matching consent flag; social and ads are paid media without consent flags. A
channel without a known cost (no history and none given) is not used, with a note. With a budget,
customers are funded in order of expected value per unit cost until the budget is spent (greedy).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import beta as beta_dist

from data.errors import ToolError
from tools.channel.models import (
    CONSENT_COLUMN,
    ChannelEstimate,
    ChannelParams,
    ChannelReport,
    CustomerChoice,
    SegmentChoice,
)
from tools.channel.pooling import PriorFit
from tools.channel.posterior import (
    BaseSnapshot,
    campaign_ids,
    cell_priors,
    customer_segments,
    fold_updates,
    has_table,
    history_counts,
    sums,
)


@dataclass(frozen=True)
class Posterior:
    """Alpha and beta per (segment, channel), value per segment, cost per channel (NaN: unknown)."""

    segments: list[str]
    channels: list[str]
    alpha: NDArray[np.float64]
    beta: NDArray[np.float64]
    sent: NDArray[np.int64]
    conversions: NDArray[np.int64]
    value: NDArray[np.float64]
    cost: NDArray[np.float64]
    fits: list[list[PriorFit]]


def incremental_return(
    p: NDArray[np.float64] | float, params: ChannelParams, value: NDArray[np.float64] | float
) -> NDArray[np.float64]:
    """Expected incremental return per send before cost, for conversion rate(s) ``p``."""
    q = np.maximum(p, params.baseline)
    gain = (q - params.baseline) * params.margin - q * params.discount_percent / 100.0
    return np.asarray(gain * value, dtype=np.float64)


def choose_channels(
    con: duckdb.DuckDBPyConnection,
    params: ChannelParams,
    state: dict[str, object] | None = None,
    snapshot: BaseSnapshot | None = None,
) -> ChannelReport:
    """Recommend channels per segment (and per customer) from history and folded-in results.

    ``snapshot``: the base read once for several plans of one campaign (``base_snapshot``).

    Raises:
        ToolError: no customers, no engagement table data and no value given, or no channel usable.
    """
    customers, source = customer_segments(con, params, snapshot)
    history = history_counts(con, customers, snapshot)
    counts, applied, notes = fold_updates(history, dict(state or {}), campaign_ids(con))
    post = build_posterior(con, params, customers, counts, history, notes)
    rng = np.random.default_rng(params.seed)
    listed = customers["listed"].to_numpy(dtype=bool)
    if not listed.all():  # the rest of the base informed the posterior; only the listed are planned
        customers = customers[listed].reset_index(drop=True)
        listed = np.ones(len(customers), dtype=bool)
    seg_index = pd.Categorical(customers["segment"], categories=post.segments).codes.astype(np.int64)
    allowed = _allowed(customers, post)
    prob = post.alpha / (post.alpha + post.beta)
    draws = rng.beta(post.alpha, post.beta) if params.mode == "thompson" else None
    if draws is not None and params.per_customer:
        score_p = rng.beta(post.alpha[seg_index], post.beta[seg_index])
    else:
        score_p = (draws if draws is not None else prob)[seg_index]
    score = incremental_return(score_p, params, post.value[seg_index, None]) - post.cost[None, :]
    score = np.where(allowed & np.isfinite(score), score, -np.inf)
    choice = np.argmax(score, axis=1)
    best = score[np.arange(len(choice)), choice]
    contacted = (best > 0) & listed
    unit_cost = np.where(contacted, np.nan_to_num(post.cost[choice]), 0.0)
    budget_binds = params.budget is not None and float(unit_cost.sum()) > params.budget + 1e-9
    if params.budget is not None:
        contacted &= _within_budget(best, unit_cost, contacted, params.budget, notes)
    ret = incremental_return(prob[seg_index, choice], params, post.value[seg_index])
    mean_ev = ret - np.nan_to_num(post.cost[choice])
    shown = np.unique(seg_index[listed])
    segments = [
        _segment_choice(post, params, s, (seg_index == s) & listed, allowed, choice, contacted, prob, draws)
        for s in shown
    ]
    per_customer = None
    if params.per_customer:
        rows = np.flatnonzero(listed)
        ids = customers["customer_id"].to_numpy(dtype=object)[rows]
        per_customer = [
            CustomerChoice(
                customer_id=str(cid),
                segment=post.segments[s],
                channel=post.channels[c] if ok else None,
                expected_value=round(float(ev), 4) if ok else 0.0,
            )
            for cid, s, c, ok, ev in zip(
                ids, seg_index[rows], choice[rows], contacted[rows], mean_ev[rows], strict=True
            )
        ]
    return ChannelReport(
        mode=params.mode,
        seed=params.seed,
        segment_source=source,
        budget=params.budget,
        spend=round(float(unit_cost[contacted].sum()), 2),
        expected_value=round(float(mean_ev[contacted].sum()), 2),
        segments=segments,
        customers=per_customer,
        budget_binds=budget_binds,
        updates_applied=applied,
        notes=notes,
    )


def build_posterior(
    con: duckdb.DuckDBPyConnection,
    params: ChannelParams,
    customers: pd.DataFrame,
    counts: pd.DataFrame,
    history: pd.DataFrame,
    notes: list[str],
) -> Posterior:
    """Posterior parameters (``counts``: history + updates); values and costs from ``history``."""
    segments = sorted(customers["segment"].astype(str).unique())
    channels: list[str] = list(dict.fromkeys(params.channels))
    alpha, beta, sent, conv, fits = cell_priors(counts, segments, channels, params.prior_strength)
    return Posterior(
        segments=segments,
        channels=channels,
        alpha=alpha,
        beta=beta,
        sent=sent,
        conversions=conv,
        value=_values(con, params, history, segments),
        cost=_costs(params, history, channels, notes),
        fits=fits,
    )


def _values(
    con: duckdb.DuckDBPyConnection, params: ChannelParams, counts: pd.DataFrame, segments: list[str]
) -> NDArray[np.float64]:
    """Value of a conversion per segment: given, else revenue per conversion, else mean order."""
    if params.value is not None:
        return np.full(len(segments), params.value)
    by_seg = sums(counts, ["segment"], ["conversions", "revenue"])
    total_conv = sum(v[0] for v in by_seg.values())
    total_rev = sum(v[1] for v in by_seg.values())
    overall = total_rev / total_conv if total_conv > 0 and total_rev > 0 else None
    if overall is None:
        row = (
            con.execute("SELECT avg(amount) FROM transactions").fetchall()
            if has_table(con, "transactions")
            else []
        )
        overall = float(row[0][0]) if row and row[0][0] is not None else None
    if overall is None:
        raise ToolError(
            "no revenue in the history and no transactions: give the value of a conversion (--value)"
        )
    values = []
    for seg in segments:
        conv, revenue = by_seg.get((seg,), [0.0, 0.0])
        if conv > 0 and revenue > 0:
            values.append(revenue / conv)
        else:
            values.append(overall)
    return np.array(values, dtype=np.float64)


# Typical cost per send, used only with no engagement history at all and no cost given (a shop that
# loaded its orders alone): email through an ESP, an SMS in the US, a push, a social or display ad
# impression bought per click. The brief says they were assumed; ``--cost`` sets your own. Ranges and
# sources of these figures: the table above ``CHANNEL_COSTS`` in ``data/synth/segments.py``.
TYPICAL_COST: dict[str, float] = {"email": 0.005, "sms": 0.04, "push": 0.002, "social": 0.5, "ads": 0.8}


def _costs(
    params: ChannelParams, counts: pd.DataFrame, channels: list[str], notes: list[str]
) -> NDArray[np.float64]:
    by_channel = sums(counts, ["channel"], ["sent", "cost"])
    costs: list[float] = []
    for ch in channels:
        if ch in params.costs:
            costs.append(float(params.costs[ch]))
        elif by_channel.get((ch,), [0.0, 0.0])[0] > 0:
            costs.append(by_channel[(ch,)][1] / by_channel[(ch,)][0])
        elif not by_channel and not params.costs and ch in TYPICAL_COST:
            costs.append(TYPICAL_COST[ch])
            notes.append(
                f"{ch}: no engagement history, so a typical cost of {TYPICAL_COST[ch]:g} per send is assumed "
                f"(give --cost {ch}=AMOUNT for yours)"
            )
        else:
            costs.append(np.nan)
            notes.append(f"{ch}: no history and no cost given, so it is not used (give --cost {ch}=AMOUNT)")
    if all(np.isnan(costs)):
        raise ToolError("no channel has a known cost: give costs (--cost email=0.01 ...) or load engagements")
    return np.array(costs, dtype=np.float64)


def _allowed(customers: pd.DataFrame, post: Posterior) -> NDArray[np.bool_]:
    """Customers x channels: may this customer receive this channel (consent, known cost)?"""
    allowed = np.ones((len(customers), len(post.channels)), dtype=bool)
    for j, ch in enumerate(post.channels):
        if ch in CONSENT_COLUMN:
            allowed[:, j] = customers[CONSENT_COLUMN[ch]].fillna(False).to_numpy(dtype=bool)
        if np.isnan(post.cost[j]):
            allowed[:, j] = False
    return allowed


def _within_budget(
    best: NDArray[np.float64],
    cost: NDArray[np.float64],
    contacted: NDArray[np.bool_],
    budget: float,
    notes: list[str],
) -> NDArray[np.bool_]:
    ratio = np.where(cost > 0, best / np.where(cost > 0, cost, 1.0), np.inf)
    order = np.argsort(-np.where(contacted, ratio, -np.inf), kind="stable")
    spend = np.cumsum(np.where(contacted, cost, 0.0)[order])
    keep = np.zeros_like(contacted)
    keep[order] = spend <= budget + 1e-9
    needed = float(np.where(contacted, cost, 0.0).sum())
    if needed > budget:
        notes.append(
            f"budget {budget:,.2f} covers {int((keep & contacted).sum()):,} of {int(contacted.sum()):,} "
            f"worthwhile sends (all would cost {needed:,.2f}); highest value per unit cost first"
        )
    return keep


def _segment_choice(
    post: Posterior,
    params: ChannelParams,
    s: int,
    members: NDArray[np.bool_],
    allowed: NDArray[np.bool_],
    choice: NDArray[np.int64],
    contacted: NDArray[np.bool_],
    prob: NDArray[np.float64],
    draws: NDArray[np.float64] | None,
) -> SegmentChoice:
    tail = (1 - params.credible) / 2
    low = beta_dist.ppf(tail, post.alpha[s], post.beta[s])
    high = beta_dist.ppf(1 - tail, post.alpha[s], post.beta[s])
    reach = allowed[members].sum(axis=0)
    used_p = draws[s] if draws is not None else prob[s]
    gain = incremental_return(used_p, params, post.value[s])
    estimates = []
    for j, ch in enumerate(post.channels):
        cost = post.cost[j]
        known = bool(np.isfinite(cost))
        note = None if post.sent[s, j] else "no history: prior only"
        fit = post.fits[s][j]
        estimates.append(
            ChannelEstimate(
                channel=ch,
                segment=post.segments[s],
                sent=int(post.sent[s, j]),
                conversions=int(post.conversions[s, j]),
                posterior_mean=round(float(prob[s, j]), 6),
                ci_low=round(float(low[j]), 6),
                ci_high=round(float(high[j]), 6),
                sampled=None if draws is None else round(float(draws[s, j]), 6),
                alpha=round(float(post.alpha[s, j]), 4),
                beta=round(float(post.beta[s, j]), 4),
                prior_mean=round(fit.mean, 6),
                prior_strength=round(fit.strength, 2),
                prior_source=fit.method,
                value=round(float(post.value[s]), 2),
                cost=round(float(cost), 4) if known else None,
                expected_value=round(float(gain[j] - cost), 4) if known else None,
                reachable=int(reach[j]),
                note=note,
            )
        )
    usable = [e for e in estimates if e.expected_value is not None and e.reachable > 0]
    usable.sort(key=lambda e: -(e.expected_value or 0.0))
    best = usable[0] if usable and (usable[0].expected_value or 0.0) > 0 else None
    chosen = choice[members & contacted]
    plan = {
        post.channels[j]: int((chosen == j).sum()) for j in range(len(post.channels)) if (chosen == j).any()
    }
    mean_ev = incremental_return(prob[s, chosen], params, post.value[s]) - post.cost[chosen]
    return SegmentChoice(
        segment=post.segments[s],
        customers=int(members.sum()),
        best_channel=best.channel if best else None,
        reason=_reason(best, usable, draws is not None),
        channels=estimates,
        plan=plan,
        not_contacted=int(members.sum() - chosen.size),
        expected_conversions=round(float(prob[s, chosen].sum()), 2),
        expected_value=round(float(mean_ev.sum()), 2),
        spend=round(float(post.cost[chosen].sum()), 2),
    )


def _reason(best: ChannelEstimate | None, usable: list[ChannelEstimate], sampled: bool) -> str:
    if not usable:
        return "no channel can reach this segment (consent) at a known cost"
    if best is None:
        top = usable[0]
        return (
            f"no channel pays: the best, {top.channel}, has expected value {top.expected_value:,.4f} per send"
        )
    p = best.sampled if sampled and best.sampled is not None else best.posterior_mean
    text = (
        f"{best.channel}: P(convert) {p:.4f} {'(Thompson draw) ' if sampled else ''}"
        f"[CI {best.ci_low:.4f}-{best.ci_high:.4f}] x value {best.value:,.2f} - cost {best.cost:,.4f} "
        f"= {best.expected_value:,.4f} per send"
    )
    if len(usable) > 1:
        text += f"; next {usable[1].channel} {usable[1].expected_value:,.4f}"
    return text
