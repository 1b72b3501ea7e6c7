"""``mkt uplift``: learn who a campaign changes from past tests with control groups, score everyone."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.cli._params import FileOpt, JsonOpt, UseSensitiveOpt, build
from agent.cli.output import console, print_json, print_table
from data.loader import open_source
from data.settings import load_settings
from data.workspace import Workspace
from tools.uplift import UpliftScoreParams, UpliftTrainParams, score_uplift, train_uplift

app = typer.Typer(
    help="Uplift: who a campaign changes (persuadables), learnt from past campaigns with control groups.",
    no_args_is_help=True,
)

NameOpt = Annotated[str, typer.Option(help="Model name (saved as <workspace>/models/<name>.skops).")]


def _files(
    customers: Path | None, transactions: Path | None, engagements: Path | None
) -> dict[str, Path | None]:
    return {"customers": customers, "transactions": transactions, "engagements": engagements}


@app.command()
def train(
    campaign: Annotated[
        list[str] | None,
        typer.Option("--campaign", help="Campaign with a control group to learn from (repeat); default all."),
    ] = None,
    name: NameOpt = "uplift",
    method: Annotated[
        str,
        typer.Option(help="two_model (T-learner), class_transformation, or auto (better validation Qini)."),
    ] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the split and the models.")] = 7,
    use_sensitive: UseSensitiveOpt = False,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    engagements: FileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train an uplift model on past campaigns with control groups; report Qini on held-out customers."""
    settings = load_settings()
    params = build(
        UpliftTrainParams,
        campaigns=campaign or [],
        name=name,
        method=method,
        seed=seed,
        sensitive=settings.sensitive,
        use_sensitive=use_sensitive,
    )
    workspace = Workspace.from_settings(settings)
    con = open_source(workspace, _files(customers, transactions, engagements))
    try:
        with console.status("training uplift models") if not as_json else nullcontext():
            result = train_uplift(con, workspace, params)
    finally:
        con.close()
    if as_json:
        print_json(result)
        return
    print_table(
        "Campaigns with a control group",
        ["campaign", "channel", "treated", "control", "treated rate", "control rate", "lift"],
        [
            (a.campaign_id, a.channel, a.treated, a.control, a.treated_rate, a.control_rate, round(a.lift, 5))
            for a in result.campaigns
        ],
    )
    print_table(
        "Methods (validation Qini)",
        ["method", "Qini", "chosen"],
        [
            (c.method, c.validation_qini, "yes" if c.method == result.method else "")
            for c in result.candidates
        ],
    )
    print_table(
        f"Holdout ({result.n_holdout:,} customer-campaigns)",
        ["ranking", "Qini", "gain per 100, top 30%"],
        [
            (f"{result.method} (chosen)", result.holdout_qini, result.holdout_gain_top30),
            ("random", result.holdout_qini_random, round(0.3 * result.holdout_gain_all, 3)),
        ],
    )
    for column, why in result.skipped_attributes.items():
        console.print(f"not used: {column} ({why})", highlight=False)
    console.print(f"features: {', '.join(result.features)}", highlight=False)
    console.print(f"model saved: {result.path}", highlight=False)


@app.command()
def score(
    name: NameOpt = "uplift",
    channel: Annotated[
        str | None, typer.Option(help="Channel of the planned contact (default: the last test's channel).")
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="Cut-off of the features (default: data end).")
    ] = None,
    min_uplift: Annotated[
        float | None,
        typer.Option(help="Uplift that counts as a change (default: half the mean P(convert | contacted))."),
    ] = None,
    top: Annotated[int, typer.Option(help="Customers to list, highest uplift first.", min=0)] = 10,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    engagements: FileOpt = None,
    output: Annotated[
        Path | None, typer.Option(help="Write every customer's uplift and type to CSV.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score every customer's uplift and type: persuadable, sure thing, lost cause, sleeping dog."""
    params = build(UpliftScoreParams, name=name, channel=channel, as_of=as_of, min_uplift=min_uplift)
    workspace = Workspace.from_settings(load_settings())
    con = open_source(workspace, _files(customers, transactions, engagements))
    try:
        with console.status("scoring uplift") if not as_json else nullcontext():
            scoring = score_uplift(con, workspace, params, top=top)
    finally:
        con.close()
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        scoring.frame.to_csv(tmp, index=False)
        tmp.replace(output)
    summary = scoring.summary
    if as_json:
        print_json(summary)
        return
    console.print(summary.summary(), highlight=False)
    if summary.top:
        print_table(
            f"Top {len(summary.top)} by uplift ({summary.channel})",
            ["customer", "uplift", "P(convert) contacted", "P(convert) not", "type"],
            [(c.customer_id, c.uplift, c.p_treated, c.p_control, c.kind) for c in summary.top],
        )
    if output is not None:
        console.print(f"scores: {output}", highlight=False)
