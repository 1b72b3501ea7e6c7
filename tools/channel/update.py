"""``channel update``: fold new campaign results into the posterior state (the feedback loop)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
from scipy.stats import beta as beta_dist

from data.workspace import Workspace
from tools.channel.models import ChannelEstimate, ChannelParams, UpdateResult
from tools.channel.posterior import (
    campaign_ids,
    cell_priors,
    customer_segments,
    fold_updates,
    history_counts,
    load_state,
    new_update,
    read_update,
    save_state,
    state_path,
)


def update_posterior(
    con: duckdb.DuckDBPyConnection, workspace: Workspace, params: ChannelParams, results: Path
) -> UpdateResult:
    """Validate ``results`` (CSV/Parquet), append it to the state file and report the new posterior.

    The file has columns ``channel``, ``sent``, ``converted`` and either ``segment`` or
    ``customer_id`` (mapped to segments like ``choose_channels`` does); ``campaign_id`` is optional.

    Raises:
        DataValidationError: naming the row and column of a bad value.
    """
    path = state_path(workspace)
    state = load_state(path)
    customers, _ = customer_segments(con, params)
    counts, campaign = read_update(results, customers)
    updates = list(state.get("updates", []))
    updates.append(new_update(counts, results, campaign, len(updates) + 1))
    state["updates"] = updates
    history = history_counts(con, customers)
    merged, _, _ = fold_updates(history, state, campaign_ids(con))
    segments = sorted({str(x) for x in merged["segment"]} | {str(x) for x in customers["segment"]})
    channels = sorted({str(x) for x in merged["channel"]})
    post_a, post_b, sent_m, conv_m, fits = cell_priors(merged, segments, channels, params.prior_strength)
    tail = (1 - params.credible) / 2
    cells: list[ChannelEstimate] = []
    snapshot = []
    for seg, ch in sorted(set(zip(counts["segment"], counts["channel"], strict=True))):
        i, j = segments.index(str(seg)), channels.index(str(ch))
        sent, conv = int(sent_m[i, j]), int(conv_m[i, j])
        a, b = float(post_a[i, j]), float(post_b[i, j])
        low, high = (float(x) for x in beta_dist.ppf([tail, 1 - tail], a, b))
        cells.append(
            ChannelEstimate(
                channel=ch,
                segment=seg,
                sent=sent,
                conversions=conv,
                posterior_mean=round(a / (a + b), 6),
                ci_low=round(low, 6),
                ci_high=round(high, 6),
                prior_mean=round(fits[i][j].mean, 6),
                prior_strength=round(fits[i][j].strength, 2),
                prior_source=fits[i][j].method,
                value=0.0,
                cost=None,
                expected_value=None,
                reachable=int(np.sum(customers["segment"] == seg)),
            )
        )
        snapshot.append(
            {"segment": seg, "channel": ch, "alpha": a, "beta": b, "sent": sent, "conversions": conv}
        )
    known = set(customers["segment"])
    notes = [
        f"segment {seg!r} is not among the current segments ({', '.join(sorted(known))}): kept, but unused"
        for seg in sorted(set(counts["segment"]) - known)
    ]
    state["cells"] = snapshot
    save_state(path, state)
    return UpdateResult(
        state_file=str(path),
        rows=int(counts["sent"].size),
        sent=int(counts["sent"].sum()),
        conversions=int(counts["conversions"].sum()),
        cells=cells,
        segments=sorted(set(counts["segment"])),
        notes=notes,
    )
