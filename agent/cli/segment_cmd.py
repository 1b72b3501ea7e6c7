"""``mkt segment``: RFM segmentation with named segments, written back to the workspace."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.cli._params import FileOpt, build
from agent.cli.output import console, print_json, print_table
from data.engine.open import open_engine
from data.settings import load_settings
from data.workspace import Workspace
from tools.segment import SegmentParams, export_membership, segment_customers, write_segments
from tools.segment.plot import segment_map


def segment(
    k: Annotated[
        int | None, typer.Option("--k", help="Number of segments (default: chosen by silhouette).")
    ] = None,
    k_min: Annotated[int, typer.Option(help="Smallest k tried by the silhouette search.")] = 3,
    k_max: Annotated[int, typer.Option(help="Largest k tried by the silhouette search.")] = 8,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: MKT_SEED).")] = None,
    attribute: Annotated[
        list[str] | None, typer.Option(help="Extra numeric customer column used as a feature (repeatable).")
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="Analysis date (default: the last transaction).")
    ] = None,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    save: Annotated[
        bool | None,
        typer.Option(
            "--save/--no-save",
            help="Write membership to the workspace table `segments` (default: yes when reading the workspace).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Also write membership to this .csv or .parquet file.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the 2-D segment map to this PNG file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Segment customers by recency, frequency and spend (KMeans) and name the segments."""
    settings = load_settings()
    workspace = Workspace.from_settings(settings)
    params = build(
        SegmentParams,
        k=k,
        k_min=k_min,
        k_max=k_max,
        seed=settings.seed if seed is None else seed,
        attributes=attribute or [],
        as_of=as_of,
    )
    from_files = customers is not None or transactions is not None
    if from_files and (customers is None or transactions is None):
        raise typer.BadParameter(
            "give both --customers and --transactions (or neither, to use the workspace)"
        )
    con = open_engine(
        workspace, {"customers": customers, "transactions": transactions} if from_files else None, settings
    )
    try:
        with console.status("segmenting customers"):
            result = segment_customers(con, params)
    finally:
        con.close()
    saved = 0
    if save if save is not None else not from_files:
        saved = write_segments(workspace, result)
    if out is not None:
        export_membership(result, out)
    if plot is not None:
        segment_map(result, plot, seed=params.seed)
    report = result.report
    if as_json:
        print_json(report)
        return
    print_table(
        f"{report.k} segments of {report.n_customers:,} customers ({report.engine}, k by {report.k_chosen_by}, "
        f"as of {report.as_of:%Y-%m-%d})",
        ["segment", "customers", "share", "days since last", "purchases/month", "order value", "total spend"],
        [
            (s.segment, s.size, s.share, s.recency_days, s.purchases_per_month, s.order_value, s.total_spend)
            for s in report.segments
        ],
    )
    print_table(
        "RFM tiers (quintile rules)",
        ["tier", "customers", "share"],
        [(t.tier, t.size, t.share) for t in report.tiers],
    )
    if report.silhouette:
        console.print("silhouette by k: " + ", ".join(f"{k}: {v:.3f}" for k, v in report.silhouette.items()))
    for note in report.notes:
        console.print(f"note: {note}")
    if saved:
        console.print(f"saved {saved:,} memberships to table `segments` (run {report.run_id})")
    if out is not None:
        console.print(f"membership written to {out}")
    if report.output:
        console.print(f"assignment (Spark) written to {report.output}")
    if plot is not None:
        console.print(f"segment map: {plot}")
