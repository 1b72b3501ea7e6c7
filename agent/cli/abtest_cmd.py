"""``mkt abtest``: read out a past campaign's holdout (treatment minus control) and its variants.

Optionally stores the winning variant's copy in the knowledge base.
"""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli._params import FileOpt, build
from agent.cli.output import console, print_json, print_table
from data.errors import ToolError
from data.loader import open_source
from data.settings import load_settings
from data.workspace import Workspace
from tools.abtest import AbTestParams, readout
from tools.abtest.holdout import HoldoutParams, HoldoutReadout, has_control, holdout_readout


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
    margin: Annotated[
        float | None, typer.Option(help="Share of revenue kept, for the holdout ROI (default: MKT_MARGIN).")
    ] = None,
    discount: Annotated[float, typer.Option(help="Discount %% the treatment got (holdout ROI).")] = 0.0,
    customers: FileOpt = None,
    engagements: FileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Treatment minus control with intervals (holdout campaigns); variants' rates, P(best), lift, power.

    A campaign that held out a control group gets incremental conversions, revenue and ROI.
    """
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
        held = None
        if has_control(con, campaign):
            hold = HoldoutParams(
                campaign_id=campaign,
                margin=margin if margin is not None else settings.margin,
                discount_percent=discount,
                seed=seed,
            )
            held = holdout_readout(con, hold)
        try:
            result = readout(con, params)
        except ToolError:
            if held is None:
                raise
            result = None
    finally:
        con.close()
    if held is not None:
        show_holdout(held, as_json and result is None)
    if result is None:
        return
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


def show_holdout(held: HoldoutReadout, as_json: bool) -> None:
    """Print the treatment-minus-control readout (JSON when it is the only result)."""
    if as_json:
        print_json(held)
        return
    level = f"{held.confidence:.0%}"
    print_table(
        f"Holdout test {held.campaign_id}: treatment minus control ({held.value_basis})",
        ["group", "customers", "converted", "rate", "revenue", "revenue/customer", "cost"],
        [
            (
                g.group,
                g.customers,
                g.conversions,
                f"{g.conversion_rate:.2%}",
                g.revenue,
                g.revenue_per_customer,
                g.cost,
            )
            for g in (held.treatment, held.control)
        ],
    )
    low, high = held.incremental_conversions_interval
    rlow, rhigh = held.incremental_revenue_interval
    console.print(
        f"incremental conversions {held.incremental_conversions:+,.1f} ({level} {low:+,.1f} to {high:+,.1f})"
    )
    console.print(
        f"incremental revenue {held.incremental_revenue:+,.2f} ({level} {rlow:+,.2f} to {rhigh:+,.2f})"
    )
    console.print(held.verdict, highlight=False)
