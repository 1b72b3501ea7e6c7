"""Pick a campaign audience from churn risk, spend, segments and uplift; report its worth and reach.

Inputs are the per-customer results of the other tools (churn probabilities, CLV values, segment
membership, uplift types from ``tools.uplift``), passed in by the caller, so selection itself is a
pure step over the workspace's transactions and consent flags. A missing consent column means
nobody is reachable on that channel.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from data.errors import ToolError
from data.features import transaction_summary
from data.sql import ident_list
from tools.audience.models import AUDIENCE_SEGMENT, AudienceParams, AudienceSelection, AudienceSummary

CONSENT_CHANNELS = ("email", "sms", "push")


def select_audience(
    con: duckdb.DuckDBPyConnection,
    params: AudienceParams,
    *,
    clv: pd.Series,
    churn: pd.Series | None = None,
    segments: pd.DataFrame | None = None,
    uplift: pd.DataFrame | None = None,
) -> AudienceSelection:
    """The customers matching ``params``, with their size, CLV, risk, segment mix and reach.

    Args:
        con: the workspace connection (transactions and customers tables).
        params: the filters.
        clv: CLV per customer id.
        churn: P(churn) per customer id; required when ``params.risk == "at_risk"``.
        segments: customer_id, segment (and rfm_tier) columns; required when ``params.segments`` is set.
            A name matches a segment, else an RFM tier ("loyal", "promising", ...).
        uplift: customer_id, uplift and kind columns (``tools.uplift.score_uplift``'s frame);
            required when ``params.response == "persuadable"``.

    Raises:
        ToolError: a filter needs an input that is missing, an unknown segment, or nobody matches.
    """
    frame = transaction_summary(con).set_index("customer_id")[["total_amount", "mean_amount"]]
    frame = frame.join(clv.rename("clv"), how="left")
    frame["churn"] = churn if churn is not None else np.nan
    keep = pd.Series(True, index=frame.index)
    words: list[str] = []
    notes: list[str] = []
    membership = _membership(segments, frame.index)
    if params.segments:
        inside, wanted = _segment_filter(params.segments, membership)
        keep &= inside
        words.append("segment " + " or ".join(wanted))
    if params.value == "high_value":
        cut = float(frame["total_amount"].quantile(params.value_quantile))
        keep &= frame["total_amount"] >= cut
        words.append(f"top {1 - params.value_quantile:.0%} by spend to date (>= {cut:,.2f})")
    if params.risk == "at_risk":
        if churn is None:
            raise ToolError("an at-risk audience needs churn scores: score churn first")
        risky = frame["churn"] >= params.churn_threshold
        if not (keep & risky).any():
            cut = float(frame.loc[keep, "churn"].quantile(0.8))
            risky = frame["churn"] >= cut
            notes.append(
                f"nobody reaches P(churn) {params.churn_threshold:.2f}: took the riskiest 20% instead"
            )
        keep &= risky
        words.append(f"P(churn) >= {params.churn_threshold:.2f}")
    if params.response == "persuadable":
        keep &= _persuadable(uplift, frame, keep, notes)
        words.append("persuadable: contact raises their P(convert)")
    chosen = frame[keep]
    if chosen.empty:
        raise ToolError("no customer matches this audience")
    summary = AudienceSummary(
        description=f"{_phrase(params)} ({'; '.join(words) or 'everyone with a purchase'})",
        size=len(chosen),
        total_clv=round(float(chosen["clv"].sum()), 2),
        mean_clv=round(float(chosen["clv"].mean()), 2),
        mean_spend=round(float(chosen["total_amount"].mean()), 2),
        mean_churn_risk=round(float(chosen["churn"].mean()), 4) if params.risk == "at_risk" else 0.0,
        mean_uplift=round(float(frame.loc[chosen.index, "uplift"].mean()), 5)
        if params.response == "persuadable"
        else None,
        segments=_segment_counts(membership, chosen.index),
        reachable=_reach(con, chosen.index),
        notes=notes,
    )
    members = pd.DataFrame({"customer_id": chosen.index.astype(str), "segment": AUDIENCE_SEGMENT})
    return AudienceSelection(
        summary=summary, members=members, order_value=float(chosen["mean_amount"].mean())
    )


def _persuadable(
    uplift: pd.DataFrame | None, frame: pd.DataFrame, keep: pd.Series, notes: list[str]
) -> pd.Series:
    """Who the uplift model calls persuadable; notes how many of the others were left out, by type."""
    if uplift is None:
        raise ToolError(
            "a persuadable audience needs uplift scores: train an uplift model (`mkt uplift train`)"
        )
    scored = uplift.set_index(uplift["customer_id"].astype(str)).reindex(frame.index.astype(str))
    frame["uplift"] = scored["uplift"].to_numpy()
    kind = pd.Series(scored["kind"].to_numpy(), index=frame.index)
    left_out = kind[keep & kind.ne("persuadable")].value_counts()
    if not left_out.empty:
        notes.append(
            "left out (would not be changed by the campaign): "
            + ", ".join(f"{int(n):,} {k}s" for k, n in left_out.items())
        )
    return kind.eq("persuadable")


def _membership(segments: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    """Segment (and RFM tier, when known) of each customer of ``index``."""
    columns = ["segment", "rfm_tier"]
    if segments is None:
        return pd.DataFrame({column: pd.Series(None, index=index, dtype="object") for column in columns})
    frame = segments.set_index("customer_id").reindex(index)
    return frame.reindex(columns=columns).astype("object")


def _segment_filter(names: list[str], membership: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Who is in the named segments: a KMeans segment of that name, else the RFM tier of that name."""
    clusters = sorted(membership["segment"].dropna().astype(str).unique())
    tiers = sorted(membership["rfm_tier"].dropna().astype(str).unique())
    if not clusters and not tiers:
        raise ToolError("a segment filter needs segments: segment the customers first")
    keep = pd.Series(False, index=membership.index)
    found: list[str] = []
    unknown: list[str] = []
    for name in names:
        key = name.lower().replace("_", " ").strip()
        for column, known in (("segment", clusters), ("rfm_tier", tiers)):
            lookup = {k.lower(): k for k in known}
            match = lookup.get(key) or lookup.get(key.rstrip("s")) or lookup.get(key + "s")
            if match:
                keep |= membership[column].astype(str) == match
                found.append(match)
                break
        else:
            unknown.append(name)
    if unknown:
        names_known = ", ".join(dict.fromkeys([*clusters, *tiers]))
        raise ToolError(f"unknown segment {', '.join(map(repr, unknown))}: the segments are {names_known}")
    return keep, found


def _segment_counts(membership: pd.DataFrame, ids: pd.Index) -> dict[str, int]:
    counts = membership["segment"].reindex(ids).dropna().value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _reach(con: duckdb.DuckDBPyConnection, ids: pd.Index) -> dict[str, int]:
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'"
        ).fetchall()
    }
    present = [ch for ch in CONSENT_CHANNELS if f"consent_{ch}" in columns]
    reach = dict.fromkeys(CONSENT_CHANNELS, 0)
    if present:
        select = ident_list([f"consent_{ch}" for ch in present])
        consent = con.execute(f"SELECT customer_id, {select} FROM customers").df().set_index("customer_id")
        flags = consent.reindex(ids).fillna(False).astype(bool).sum()
        reach.update({ch: int(flags[f"consent_{ch}"]) for ch in present})
    return reach


def _phrase(params: AudienceParams) -> str:
    phrase = "high-value customers" if params.value == "high_value" else "customers"
    if params.segments:
        phrase += f" in {' and '.join(params.segments)}"
    if params.risk == "at_risk":
        phrase += " at risk of churning"
    if params.response == "persuadable":
        phrase = "persuadable " + phrase
    return phrase
