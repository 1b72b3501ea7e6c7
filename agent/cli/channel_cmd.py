"""``mkt channel``: best channel per segment or customer; ``mkt channel update`` folds in results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from agent.cli._params import JsonOpt, build
from agent.cli.output import console, print_json, print_table
from data.errors import ToolError
from data.loader import open_source
from data.settings import load_settings
from data.workspace import Workspace
from tools.channel import ChannelParams, ChannelReport, choose_channels, update_posterior
from tools.channel.posterior import load_state, state_path
from tools.plotting import png_figure

app = typer.Typer(
    help="Choose channels by expected value (Beta-Binomial posteriors, consent, budget, Thompson).",
    invoke_without_command=True,
)
SegmentsOpt = Annotated[
    Path | None,
    typer.Option("--segments", help="CSV/Parquet with customer_id, segment (default: `segments` table)."),
]
PER_CUSTOMER_SHOWN = 20
SegmentByOpt = Annotated[str | None, typer.Option(help="Use this customers column as the segment.")]


def _costs(values: list[str] | None) -> dict[str, float]:
    costs: dict[str, float] = {}
    for item in values or []:
        name, _, amount = item.partition("=")
        try:
            costs[name.strip().lower()] = float(amount)
        except ValueError:
            raise ToolError(f"--cost needs CHANNEL=AMOUNT, got {item!r}") from None
    return costs


@app.callback()
def choose(
    ctx: typer.Context,
    segments: SegmentsOpt = None,
    segment_by: SegmentByOpt = None,
    channel: Annotated[
        list[str] | None, typer.Option(help="Only consider these channels (repeatable).")
    ] = None,
    value: Annotated[
        float | None, typer.Option(help="Value of one conversion (default: from history).")
    ] = None,
    cost: Annotated[
        list[str] | None, typer.Option(help="Cost per send, CHANNEL=AMOUNT (repeatable).")
    ] = None,
    budget: Annotated[float | None, typer.Option(help="Total spend cap.")] = None,
    thompson: Annotated[
        bool, typer.Option("--thompson", help="Thompson sampling (explore) instead of greedy.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option(help="Random seed for Thompson draws (default: MKT_SEED).")
    ] = None,
    per_customer: Annotated[bool, typer.Option("--per-customer", help="Also choose per customer.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write per-customer choices to this CSV.")] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Bar chart of expected value per segment and channel (PNG).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recommend the channel with the highest expected value per segment (and per customer)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    workspace = Workspace.from_settings(settings)
    params = build(
        ChannelParams,
        **({"channels": channel} if channel else {}),
        segments_file=segments,
        segment_by=segment_by,
        value=value,
        costs=_costs(cost),
        budget=budget,
        mode="thompson" if thompson else "greedy",
        seed=settings.seed if seed is None else seed,
        per_customer=per_customer or out is not None,
    )
    con = open_source(workspace)
    try:
        report = choose_channels(con, params, load_state(state_path(workspace)))
    finally:
        con.close()
    if out is not None and report.customers is not None:
        pd.DataFrame([c.model_dump() for c in report.customers]).to_csv(out, index=False)
    if plot is not None:
        _plot(report, plot)
    if as_json:
        print_json(report)
        return
    _show(report, out, plot)


def _show(report: ChannelReport, out: Path | None, plot: Path | None) -> None:
    print_table(
        f"Best channel per segment ({report.mode}; segments: {report.segment_source})",
        ["segment", "customers", "best", "plan", "not contacted", "exp. conversions", "exp. value", "spend"],
        [
            (
                s.segment,
                s.customers,
                s.best_channel or "none",
                ", ".join(f"{k} {v:,}" for k, v in s.plan.items()),
                s.not_contacted,
                s.expected_conversions,
                s.expected_value,
                s.spend,
            )
            for s in report.segments
        ],
    )
    for s in report.segments:
        console.print(f"[bold]{s.segment}[/]: {s.reason}", highlight=False)
    console.print(f"total spend {report.spend:,.2f}, expected value {report.expected_value:,.2f}")
    if report.updates_applied:
        console.print(f"{report.updates_applied} folded-in campaign result file(s) applied")
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
    if report.customers and out is None:
        shown = report.customers[:PER_CUSTOMER_SHOWN]
        print_table(
            f"Per customer (first {len(shown):,} of {len(report.customers):,}; --out FILE for all)",
            ["customer", "segment", "channel", "expected value"],
            [(c.customer_id, c.segment, c.channel or "none", c.expected_value) for c in shown],
        )
    if out is not None:
        console.print(f"per-customer choices: {out}")
    if plot is not None:
        console.print(f"plot: {plot}")


def _plot(report: ChannelReport, path: Path) -> None:
    segments = [s.segment for s in report.segments]
    channels = [e.channel for e in report.segments[0].channels] if report.segments else []
    width = 0.8 / max(len(channels), 1)
    with png_figure(path, title="Expected value per send", size=(8.0, 4.5)) as ax:
        for j, ch in enumerate(channels):
            values = [s.channels[j].expected_value or 0.0 for s in report.segments]
            ax.bar([i + j * width for i in range(len(segments))], values, width=width, label=ch)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(segments))], segments, rotation=20, fontsize=8)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_ylabel("P(convert) x value - cost")
        ax.legend(fontsize=7)


@app.command()
def update(
    results: Annotated[
        Path, typer.Argument(help="CSV/Parquet: segment or customer_id, channel, sent, converted.")
    ],
    segments: SegmentsOpt = None,
    segment_by: SegmentByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fold new campaign results into the channel posteriors (saved as JSON in the workspace)."""
    workspace = Workspace.from_settings(load_settings())
    params = build(ChannelParams, segments_file=segments, segment_by=segment_by)
    con = open_source(workspace)
    try:
        result = update_posterior(con, workspace, params, results)
    finally:
        con.close()
    if as_json:
        print_json(result)
        return
    print_table(
        f"Folded in {result.sent:,} sends, {result.conversions:,} conversions from {results}",
        ["segment", "channel", "sent (total)", "conversions", "posterior mean", "90% low", "90% high"],
        [
            (c.segment, c.channel, c.sent, c.conversions, c.posterior_mean, c.ci_low, c.ci_high)
            for c in result.cells
        ],
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"state saved to {result.state_file}")
