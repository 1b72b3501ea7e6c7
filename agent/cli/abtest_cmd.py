"""``mkt abtest``: read out the variants of a past campaign; optionally store the winner's copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli._params import build
from agent.cli.output import console, print_json, print_table
from data.loader import open_source
from data.settings import load_settings
from data.workspace import Workspace
from tools.abtest import AbTestParams, readout

FileOpt = Annotated[
    Path | None, typer.Option(help="CSV or Parquet file (default: the workspace).", dir_okay=False)
]


def _copies(values: list[str]) -> dict[str, str]:
    copies: dict[str, str] = {}
    for value in values:
        variant, sep, text = value.partition("=")
        if not sep or not variant.strip() or not text.strip():
            raise typer.BadParameter(f"--copy takes VARIANT=TEXT, got {value!r}")
        copies[variant.strip()] = text.strip()
    return copies


def abtest_command(
    campaign: Annotated[str, typer.Argument(help="Campaign id whose variants to compare, e.g. C004.")],
    outcome: Annotated[
        str, typer.Option(help="converted, clicked or opened: what decides the winner.")
    ] = "converted",
    control: Annotated[str | None, typer.Option(help="Control variant (default: first by name).")] = None,
    win_probability: Annotated[float, typer.Option(help="P(best) needed to declare a winner.")] = 0.95,
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo draws.")] = 7,
    copy: Annotated[
        list[str] | None, typer.Option(help="VARIANT=TEXT: the copy a variant used (repeatable).")
    ] = None,
    write_back: Annotated[
        bool,
        typer.Option(
            "--write-back/--no-write-back",
            help="Store the winner's copy in the 'campaigns' knowledge collection.",
        ),
    ] = False,
    customers: FileOpt = None,
    engagements: FileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Conversion and open rates with intervals, P(each variant is best), lift and power."""
    params = build(
        AbTestParams,
        campaign_id=campaign,
        outcome=outcome,
        control=control,
        win_probability=win_probability,
        seed=seed,
        copies=_copies(copy or []),
    )
    settings = load_settings()
    con = open_source(Workspace.from_settings(settings), {"customers": customers, "engagements": engagements})
    try:
        result = readout(con, params)
    finally:
        con.close()
    if write_back and result.winner is not None:
        from knowledge.store import KnowledgeStore
        from tools.abtest.writeback import write_winner

        with console.status("writing the winner's copy to the campaigns collection"):
            result.written_back = write_winner(KnowledgeStore.open(settings), result, params.copies)
    elif write_back:
        result.notes.append("no clear winner: nothing written back")
    if as_json:
        print_json(result)
        return
    print_table(
        f"A/B test {result.campaign_id} ({', '.join(result.channels)}), outcome: {result.outcome}",
        ["variant", "sent", "opened", "converted (95% CI)", "P(best)", "lift (95% CI)", "power"],
        [
            (
                v.variant,
                v.sent,
                f"{v.open_rate.rate:.1%}",
                f"{v.conversion_rate.rate:.2%} ({v.conversion_rate.lower:.1%}-{v.conversion_rate.upper:.1%})",
                f"{v.prob_best:.1%}",
                "-" if v.lift is None else f"{v.lift:+.0%} ({v.lift_lower:+.0%} to {v.lift_upper:+.0%})",
                "-" if v.power is None else f"{v.power:.0%}",
            )
            for v in result.variants
        ],
    )
    console.print(result.verdict)
    if result.written_back:
        console.print(f"winner's copy stored in 'campaigns' as {result.written_back}")
    for note in result.notes:
        console.print(f"note: {note}")
