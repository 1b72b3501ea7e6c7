"""``mkt insights``: sentiment and themes of customer feedback, per segment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
import typer

from agent.cli._params import build
from agent.cli.output import console, print_json, print_table
from data.settings import load_settings
from data.workspace import Workspace
from tools.insights import InsightsParams, InsightsReport, analyse_feedback, read_feedback
from tools.plotting import png_figure
from tools.segment.store import read_membership


def insights(
    feedback: Annotated[
        Path,
        typer.Argument(help="CSV/Parquet with a text column (and customer_id, optional sentiment label)."),
    ],
    segments: Annotated[
        Path | None,
        typer.Option("--segments", help="CSV/Parquet with customer_id, segment (default: `segments` table)."),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Name of the text column.")] = "text",
    top: Annotated[int, typer.Option(help="Themes listed per segment.")] = 8,
    neutral_band: Annotated[
        float, typer.Option(help="|VADER compound| below this counts as neutral.")
    ] = 0.05,
    plot: Annotated[Path | None, typer.Option(help="Sentiment mix per segment as a PNG bar chart.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Sentiment (positive/neutral/negative) and frequent themes of feedback, per segment (offline)."""
    params = build(InsightsParams, top_themes=top, neutral_band=neutral_band)
    frame = read_feedback(feedback, text_column=text_column)
    membership = _membership(segments)
    with console.status("scoring feedback"):
        source = f"file {segments}" if segments is not None else "segments table"
        report = analyse_feedback(frame, membership, params, membership_source=source)
    if plot is not None:
        _plot(report, plot)
    if as_json:
        print_json(report)
        return
    rows = [report.overall, *report.segments] if len(report.segments) > 1 else [report.overall]
    print_table(
        f"Feedback sentiment ({report.texts:,} texts; {report.method})",
        ["segment", "texts", "positive", "neutral", "negative", "mean compound", "top themes"],
        [
            (
                s.segment,
                s.texts,
                s.positive,
                s.neutral,
                s.negative,
                s.mean_compound,
                ", ".join(t.phrase for t in s.themes[:5]),
            )
            for s in rows
        ],
    )
    for s in rows:
        if s.negative_themes:
            console.print(
                f"[bold]{s.segment}[/] complaints: " + ", ".join(t.phrase for t in s.negative_themes)
            )
    if report.agreement is not None:
        a = report.agreement
        console.print(
            f"agreement with the file's sentiment labels: accuracy {a.accuracy:.3f}, macro-F1 {a.macro_f1:.3f}"
        )
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)


def _membership(segments: Path | None) -> pd.DataFrame | None:
    workspace = Workspace.from_settings(load_settings())
    if segments is None and not workspace.has_table("segments"):
        return None
    con = workspace.connect(read_only=True) if segments is None else duckdb.connect()
    try:
        return read_membership(con, segments)
    finally:
        con.close()


def _plot(report: InsightsReport, path: Path) -> None:
    groups = report.segments or [report.overall]
    names = [g.segment for g in groups]
    with png_figure(path, title="Feedback sentiment by segment") as ax:
        left = [0.0] * len(groups)
        for label, colour in (("negative", "#c0392b"), ("neutral", "#95a5a6"), ("positive", "#27ae60")):
            shares = [getattr(g, label) for g in groups]
            ax.barh(names, shares, left=left, color=colour, label=label)
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of texts")
        ax.legend(fontsize=7, loc="lower right")
