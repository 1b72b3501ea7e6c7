"""Beta-Binomial conversion counts per (segment, channel): history, priors and the feedback state.

Sends and conversions come from the engagements table (``sent`` and ``converted`` events), joined
to each customer's segment; rows of held-out control customers (``test_group = 'control'``) are
left out, as nothing was sent to them. Results of later campaigns that are not (yet) in the table are folded
in by ``channel update`` and kept in a JSON state file under the workspace
(``<home>/channel/posterior.json``, never pickle); an update whose ``campaign_id`` later appears in
the engagements table is skipped so nothing is counted twice.

Rates per (segment, channel): a hierarchical Beta-Binomial model per channel across segments
(``tools.channel.pooling``), in which each segment's own sends are counted once. A campaign
audience (``only_listed``) is its own segment and the rest of the base keeps its segments: the
audience's estimate borrows from the whole base, and its own sends are not counted twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.errors import DataValidationError, ToolError
from data.readers import ROW, read_table
from data.sql import ident
from data.testgroups import contacted
from data.workspace import Workspace
from tools.channel.models import ALL_CHANNELS, CONSENT_COLUMN, ChannelParams
from tools.channel.pooling import PriorFit, pooled_cells
from tools.segment.store import read_membership

STATE_VERSION = 1


def state_path(workspace: Workspace) -> Path:
    """Where the posterior state lives."""
    return workspace.home / "channel" / "posterior.json"


@dataclass(frozen=True)
class BaseSnapshot:
    """What every channel plan of one campaign reads from the base: consent, segments, engagement counts.

    Built once (``base_snapshot``) and passed to each ``choose_channels`` call of a plan, so planning
    the audience, its holdout and the budget options reads the warehouse once.
    """

    consent: pd.DataFrame  # customer_id + consent flags, customers in id order
    membership: pd.DataFrame | None  # customer_id, segment from the segments table
    counts: pd.DataFrame  # row (in consent), channel, sent, conversions, cost, revenue (contacted rows only)
    base_segment: NDArray[np.object_]  # segments-table segment per consent row (None: no segment)
    position: pd.Index  # customer_id -> row


def _snapshot_frame(snapshot: BaseSnapshot, listed: pd.DataFrame | None, rest: str) -> pd.DataFrame:
    """Consent rows with segment, ``listed`` and ``_row``: ``listed`` customers take their file segment."""
    frame = snapshot.consent.copy()
    segment = snapshot.base_segment.copy()
    segment[pd.isna(segment)] = rest
    flags = np.ones(len(frame), dtype=bool)
    if listed is not None:
        rows = snapshot.position.get_indexer(pd.Index(listed["customer_id"].to_numpy(dtype=object)))
        found = rows >= 0
        flags[:] = False
        flags[rows[found]] = True
        segment[rows[found]] = listed["segment"].to_numpy(dtype=object)[found]
    frame["segment"] = segment
    frame["listed"] = flags
    frame["_row"] = np.arange(len(frame))
    return frame


def base_snapshot(con: duckdb.DuckDBPyConnection) -> BaseSnapshot:
    """Read consent flags, the segments table and per-customer engagement counts once.

    ``counts.row`` is the customer's row in ``consent`` (customers in id order), so a plan maps
    counts to segments by position instead of by id.
    """
    consent = ", ".join(f"coalesce({c}, false) AS {c}" for c in CONSENT_COLUMN.values())
    ids = "SELECT CAST(customer_id AS VARCHAR) AS customer_id FROM customers ORDER BY 1"
    frame = con.execute(
        f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {consent} FROM customers ORDER BY 1"
    ).df()
    columns = ["row", "channel", "sent", "conversions", "cost", "revenue"]
    counts = pd.DataFrame(columns=columns)
    if has_table(con, "engagements"):
        counts = con.execute(
            f"""
            WITH ids AS (SELECT customer_id, row_number() OVER (ORDER BY customer_id) - 1 AS row FROM ({ids}))
            SELECT i.row, e.channel,
                   count(*) FILTER (WHERE e.event = 'sent') AS sent,
                   count(*) FILTER (WHERE e.event = 'converted') AS conversions,
                   coalesce(sum(e.cost), 0) AS cost, coalesce(sum(e.revenue), 0) AS revenue
            FROM engagements e JOIN ids i ON CAST(e.customer_id AS VARCHAR) = i.customer_id
            WHERE {contacted(con, "e")}
            GROUP BY ALL
            """
        ).df()
    membership = read_membership(con)
    position = pd.Index(frame["customer_id"].to_numpy(dtype=object))
    base_segment = np.full(len(frame), None, dtype=object)
    if membership is not None:
        rows = position.get_indexer(pd.Index(membership["customer_id"].to_numpy(dtype=object)))
        base_segment[rows[rows >= 0]] = membership["segment"].to_numpy(dtype=object)[rows >= 0]
    return BaseSnapshot(
        consent=frame, membership=membership, counts=counts, base_segment=base_segment, position=position
    )


def _counts_by_position(counts: pd.DataFrame, segment: NDArray[np.object_]) -> pd.DataFrame:
    """Sum per-customer counts into (segment, channel) cells; ``segment`` is aligned with the snapshot rows."""
    columns = ["segment", "channel", "sent", "conversions", "cost", "revenue"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    seg_codes, seg_names = pd.factorize(segment, use_na_sentinel=True)
    ch_codes, ch_names = pd.factorize(counts["channel"])
    row_seg = seg_codes[counts["row"].to_numpy(dtype=np.int64)]
    ok = row_seg >= 0
    cell = row_seg[ok] * len(ch_names) + ch_codes[ok]
    size = len(seg_names) * len(ch_names)
    sums = {
        name: np.bincount(cell, weights=counts[name].to_numpy(dtype=np.float64)[ok], minlength=size)
        for name in ("sent", "conversions", "cost", "revenue")
    }
    present = np.flatnonzero(np.bincount(cell, minlength=size) > 0)
    frame = pd.DataFrame(
        {
            "segment": [str(seg_names[int(i) // len(ch_names)]) for i in present],
            "channel": [str(ch_names[int(i) % len(ch_names)]) for i in present],
            "sent": sums["sent"][present].astype(np.int64),
            "conversions": sums["conversions"][present].astype(np.int64),
            "cost": sums["cost"][present],
            "revenue": sums["revenue"][present],
        }
    )
    return frame.sort_values(["segment", "channel"], ignore_index=True)


def customer_segments(
    con: duckdb.DuckDBPyConnection, params: ChannelParams, snapshot: BaseSnapshot | None = None
) -> tuple[pd.DataFrame, str]:
    """customer_id, segment, consent flags and ``listed`` of every customer, and the segments' source.

    ``listed`` marks the customers to plan for: everyone, or with ``only_listed`` the customers of
    ``segments_file``; the others keep their segment from the segments table (else "rest of base")
    so their history informs the listed customers' priors.
    """
    consent = ", ".join(f"coalesce({c}, false) AS {c}" for c in CONSENT_COLUMN.values())
    if params.segment_by is not None:
        columns = {str(r[0]) for r in con.execute("DESCRIBE customers").fetchall()}
        if params.segment_by not in columns:
            raise ToolError(f"customers has no column '{params.segment_by}' to segment by")
        frame: pd.DataFrame = con.execute(
            f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, "
            f"coalesce(CAST({ident(params.segment_by)} AS VARCHAR), '(missing)') AS segment, {consent} "
            "FROM customers"
        ).df()
        return frame.assign(listed=True), f"customers column '{params.segment_by}'"
    if snapshot is not None and not snapshot.consent.empty:
        return _from_snapshot(con, params, snapshot)
    if snapshot is not None:
        frame = snapshot.consent.copy()
    else:
        frame = con.execute(
            f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {consent} FROM customers"
        ).df()
    if frame.empty:
        raise ToolError("the customers table is empty: load customers first")
    if snapshot is not None and params.segments_file is None:
        membership = snapshot.membership
    else:
        membership = read_membership(con, params.segments_file)
    if membership is None:
        frame = frame.assign(segment="all customers", listed=True)
        return frame, "single segment (no segments table; run `mkt segment`)"
    source = f"file {params.segments_file}" if params.segments_file else "segments table"
    if params.only_listed and params.segments_file is not None:
        frame = frame.merge(membership, on="customer_id", how="left")
        frame["listed"] = frame["segment"].notna()
        rest = snapshot.membership if snapshot is not None else read_membership(con)
        if rest is not None:
            frame = frame.merge(
                rest.rename(columns={"segment": "base_segment"}), on="customer_id", how="left"
            )
            frame["segment"] = frame["segment"].fillna(frame.pop("base_segment"))
            source += "; the rest of the base by the segments table"
        frame["segment"] = frame["segment"].fillna("rest of base")
        return frame, source
    frame = frame.merge(membership, on="customer_id", how="left")
    frame["segment"] = frame["segment"].fillna("(no segment)")
    return frame.assign(listed=True), source


def _from_snapshot(
    con: duckdb.DuckDBPyConnection, params: ChannelParams, snapshot: BaseSnapshot
) -> tuple[pd.DataFrame, str]:
    """``customer_segments`` from the snapshot: positions instead of joins."""
    if params.segments_file is None:
        if snapshot.membership is None:
            frame = _snapshot_frame(snapshot, None, "all customers")
            return frame, "single segment (no segments table; run `mkt segment`)"
        return _snapshot_frame(snapshot, None, "(no segment)"), "segments table"
    listed = read_membership(con, params.segments_file)
    assert listed is not None
    source = f"file {params.segments_file}"
    if params.only_listed:
        if snapshot.membership is not None:
            source += "; the rest of the base by the segments table"
        return _snapshot_frame(snapshot, listed, "rest of base"), source
    frame = snapshot.consent.copy()
    frame = frame.merge(listed, on="customer_id", how="left")
    frame["segment"] = frame["segment"].fillna("(no segment)")
    return frame.assign(listed=True), source


def history_counts(
    con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, snapshot: BaseSnapshot | None = None
) -> pd.DataFrame:
    """segment, channel, sent, conversions, cost, revenue from the engagements table (empty without one)."""
    columns = ["segment", "channel", "sent", "conversions", "cost", "revenue"]
    if snapshot is not None and "_row" in segments:
        by_row = np.empty(len(snapshot.consent), dtype=object)
        by_row[segments["_row"].to_numpy()] = segments["segment"].to_numpy(dtype=object)
        return _counts_by_position(snapshot.counts, by_row)
    if not has_table(con, "engagements"):
        return pd.DataFrame(columns=columns)
    con.register("channel_segments", segments[["customer_id", "segment"]])
    contacted_rows = contacted(con, "e")
    try:
        frame: pd.DataFrame = con.execute(
            f"""
            SELECT s.segment, e.channel,
                   count(*) FILTER (WHERE e.event = 'sent') AS sent,
                   count(*) FILTER (WHERE e.event = 'converted') AS conversions,
                   coalesce(sum(e.cost), 0) AS cost, coalesce(sum(e.revenue), 0) AS revenue
            FROM engagements e JOIN channel_segments s ON CAST(e.customer_id AS VARCHAR) = s.customer_id
            WHERE {contacted_rows}
            GROUP BY ALL ORDER BY ALL
            """
        ).df()
    finally:
        con.unregister("channel_segments")
    return frame


def campaign_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Campaign ids present in the engagements table."""
    if not has_table(con, "engagements"):
        return set()
    return {str(r[0]) for r in con.execute("SELECT DISTINCT campaign_id FROM engagements").fetchall()}


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether ``con`` holds table ``name``."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows and rows[0][0])


def cell_priors(
    counts: pd.DataFrame, segments: list[str], channels: list[str], strength: float
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], list[list[PriorFit]]
]:
    """Pooled posteriors and the counts of every (segment, channel) cell.

    Returns posterior alpha, posterior beta, sends and conversions (segments x channels) and each
    cell's prior (what the other segments say).
    """
    table = sums(counts, ["segment", "channel"], ["sent", "conversions"])
    sent = np.zeros((len(segments), len(channels)), dtype=np.int64)
    conv = np.zeros_like(sent)
    for i, seg in enumerate(segments):
        for j, ch in enumerate(channels):
            if (seg, ch) in table:
                sent[i, j] = int(table[(seg, ch)][0])
                conv[i, j] = min(int(table[(seg, ch)][1]), sent[i, j])
    alpha, beta, fits = pooled_cells(sent, conv, strength)
    return alpha, beta, sent, conv, fits


def load_state(path: Path) -> dict[str, Any]:
    """The saved state, or an empty one."""
    if not path.exists():
        return {"version": STATE_VERSION, "updates": [], "cells": []}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ToolError(f"channel state {path} is unreadable ({exc}): delete it to start over") from exc
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise ToolError(f"channel state {path} has an unknown format: delete it to start over")
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def fold_updates(
    counts: pd.DataFrame, state: dict[str, Any], known_campaigns: set[str]
) -> tuple[pd.DataFrame, int, list[str]]:
    """History counts plus the state's updates (skipping campaigns already in the history)."""
    notes: list[str] = []
    extra: list[dict[str, Any]] = []
    applied = 0
    for update in state.get("updates", []):
        campaign = update.get("campaign_id")
        if campaign and campaign in known_campaigns:
            notes.append(
                f"update {update.get('id')} (campaign {campaign}) is already in the history: skipped"
            )
            continue
        applied += 1
        extra.extend(update.get("counts", []))
    if not extra:
        return counts, applied, notes
    added = pd.DataFrame(extra, columns=["segment", "channel", "sent", "conversions"]).assign(
        cost=0.0, revenue=0.0
    )
    merged = pd.concat([counts, added], ignore_index=True)
    merged = merged.groupby(["segment", "channel"], as_index=False)[
        ["sent", "conversions", "cost", "revenue"]
    ].sum()
    return merged, applied, notes


def read_update(path: Path, segments: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Campaign results: rows of (segment or customer_id), channel, sent, converted[, campaign_id].

    Returns counts per (segment, channel) and the campaign id (if the file names exactly one).
    """
    table = read_table(path).to_pandas()
    name = str(path)
    for column in ("channel", "sent", "converted"):
        if column not in table.columns:
            raise DataValidationError(
                "missing required column (needs channel, sent, converted)", file=name, column=column
            )
    if "segment" not in table.columns and "customer_id" not in table.columns:
        raise DataValidationError("needs a segment or a customer_id column", file=name, column="segment")
    frame = pd.DataFrame({"row": table[ROW], "channel": table["channel"].astype(str).str.strip().str.lower()})
    bad = frame[~frame["channel"].isin(ALL_CHANNELS)]
    if not bad.empty:
        raise DataValidationError(
            f"unknown channel {bad['channel'].iloc[0]!r} (use {', '.join(ALL_CHANNELS)})",
            file=name,
            row=int(bad["row"].iloc[0]),
            column="channel",
        )
    for column in ("sent", "converted"):
        values = pd.to_numeric(table[column], errors="coerce")
        wrong = values.isna() | (values < 0) | (values != np.floor(values))
        if wrong.any():
            first = int(np.flatnonzero(wrong.to_numpy())[0])
            raise DataValidationError(
                f"must be a whole number >= 0 (got {table[column].iloc[first]!r})",
                file=name,
                row=int(table[ROW].iloc[first]),
                column=column,
            )
        frame[column] = values.astype(np.int64)
    over = frame[frame["converted"] > frame["sent"]]
    if not over.empty:
        raise DataValidationError(
            "converted exceeds sent", file=name, row=int(over["row"].iloc[0]), column="converted"
        )
    if "segment" in table.columns:
        frame["segment"] = table["segment"].astype(str)
    else:
        ids = table["customer_id"].astype(str)
        lookup = segments.set_index("customer_id")["segment"]
        frame["segment"] = ids.map(lookup).fillna("(no segment)").to_numpy()
    campaign = None
    if "campaign_id" in table.columns:
        found = table["campaign_id"].dropna().astype(str).unique()
        campaign = str(found[0]) if len(found) == 1 else None
    counts = frame.groupby(["segment", "channel"], as_index=False).agg(
        sent=("sent", "sum"), conversions=("converted", "sum")
    )
    return counts, campaign


def new_update(counts: pd.DataFrame, source: Path, campaign: str | None, number: int) -> dict[str, Any]:
    """A state entry for one folded-in results file."""
    return {
        "id": number,
        "source": str(source),
        "campaign_id": campaign,
        "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": [
            {
                "segment": str(r["segment"]),
                "channel": str(r["channel"]),
                "sent": int(r["sent"]),
                "conversions": int(r["conversions"]),
            }
            for r in counts.to_dict(orient="records")
        ],
    }


def sums(frame: pd.DataFrame, by: list[str], columns: list[str]) -> dict[tuple[str, ...], list[float]]:
    """Column totals per group, as plain Python numbers keyed by the group's string values."""
    if frame.empty:
        return {}
    grouped = frame.groupby(by, as_index=False)[columns].sum()
    keys = zip(*(grouped[b].astype(str).to_numpy() for b in by), strict=True)
    values = grouped[columns].to_numpy(dtype=np.float64)
    return {
        tuple(str(k) for k in key): [float(v) for v in row] for key, row in zip(keys, values, strict=True)
    }
