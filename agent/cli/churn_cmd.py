"""``mkt churn``: train a supervised churn model, or score customers (model or BG/NBD)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from agent.cli._params import FileOpt, JsonOpt, UseSensitiveOpt
from agent.cli.clv_cmd import validated
from agent.cli.output import console, print_json, print_table
from data.engine.open import open_engine
from data.engine.source import SparkSource
from data.settings import load_settings
from data.workspace import Workspace
from tools.churn import ScoreRequest, ScoreResult, TrainRequest, plot_risk, score_churn, train_churn

app = typer.Typer(
    help="Churn risk: train a model on labelled customers, score everyone.", no_args_is_help=True
)

NameOpt = Annotated[str, typer.Option(help="Model name (saved as <workspace>/models/<name>.skops).")]
AsOfOpt = Annotated[
    datetime | None, typer.Option(help="Cut-off of the features (default: last transaction).")
]


def _files(
    customers: Path | None, transactions: Path | None, engagements: Path | None
) -> dict[str, Path | None]:
    return {"customers": customers, "transactions": transactions, "engagements": engagements}


@app.command()
def train(
    label: Annotated[str, typer.Option(help="Boolean churn column of the customers table.")] = "churned",
    name: NameOpt = "churn",
    as_of: AsOfOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the split and the models.")] = 7,
    use_sensitive: UseSensitiveOpt = False,
    sample: Annotated[
        int, typer.Option(help="Spark engine: train on a random sample of this many customers.", min=100)
    ] = 200_000,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    engagements: FileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train gradient boosting and logistic regression, keep the better one (validation AUC), calibrated."""
    settings = load_settings()
    request = validated(
        TrainRequest,
        {
            "label": label,
            "name": name,
            "as_of": as_of,
            "seed": seed,
            "sample": sample,
            "sensitive": settings.sensitive,
            "use_sensitive": use_sensitive,
        },
    )
    workspace = Workspace.from_settings(settings)
    con = open_engine(workspace, _files(customers, transactions, engagements), settings)
    try:
        with console.status("training churn models") if not as_json else nullcontext():
            result = train_churn(con, workspace, request)
    finally:
        con.close()
    if as_json:
        print_json(result)
        return
    print_table(
        "Candidates (validation ROC AUC)",
        ["model", "AUC", "chosen"],
        [(c.model, c.validation_auc, "yes" if c.model == result.chosen else "") for c in result.candidates],
    )
    print_table(
        f"Holdout ({result.n_holdout:,} customers, churn rate {result.base_rate:.1%})",
        ["model", "ROC AUC", "PR AUC"],
        [
            (f"{result.chosen} (chosen, calibrated)", result.holdout_roc_auc, result.holdout_pr_auc),
            *((b.model, b.holdout_roc_auc, b.holdout_pr_auc) for b in result.baselines),
        ],
    )
    console.print(
        f"Brier {result.holdout_brier:.4f}; baselines: scikit-learn defaults on the same features, "
        "the same training rows and the same holdout"
    )
    if result.attributes:
        console.print(f"customer attributes learned from: {', '.join(result.attributes)}")
    for column, why in result.skipped_attributes.items():
        console.print(f"not used: {column} ({why})")
    console.print(f"features: {', '.join(result.features)}")
    console.print(f"model saved: {result.path}")


@app.command()
def score(
    method: Annotated[
        str,
        typer.Option(
            help="model (trained), bgnbd (1 - P(alive), no labels needed) or auto (model if saved)."
        ),
    ] = "auto",
    name: NameOpt = "churn",
    as_of: AsOfOpt = None,
    reasons: Annotated[int, typer.Option(help="Top contributing features per customer.", min=0, max=10)] = 3,
    top: Annotated[int, typer.Option(help="Customers to list, highest risk first.", min=0)] = 10,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    engagements: FileOpt = None,
    output: Annotated[
        Path | None, typer.Option(help="Write every customer's score to CSV or Parquet.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the risk histogram to this PNG file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score every customer's churn probability, with the features that drive it."""
    request = validated(ScoreRequest, {"method": method, "name": name, "as_of": as_of, "reasons": reasons})
    settings = load_settings()
    workspace = Workspace.from_settings(settings)
    con = open_engine(workspace, _files(customers, transactions, engagements), settings)
    spark = isinstance(con, SparkSource)
    if spark and output is not None and output.suffix.lower() not in ("", ".parquet"):
        raise typer.BadParameter("--output: the Spark engine writes Parquet (give a .parquet path)")
    try:
        with console.status("scoring churn risk") if not as_json else nullcontext():
            result = score_churn(con, workspace, request, output=str(output) if spark and output else None)
    finally:
        con.close()
    if output is not None and not spark:
        _write(result, output)
    output = Path(result.output) if result.output else output
    if plot is not None:
        plot_risk(result, plot)
    if as_json:
        payload = result.model_dump(mode="json", exclude={"customers"})
        payload["top"] = [c.model_dump(mode="json") for c in result.top(top)]
        print_json(payload)
        return
    console.print(
        f"{result.n_customers:,} customers scored on {result.engine} "
        f"({result.method}{f' {result.model}' if result.model else ''}): "
        f"mean P(churn) {result.mean_probability:.1%}, {result.high_risk_share:.1%} at 0.5 or above"
    )
    if top:
        print_table(
            f"Top {top} churn risks",
            ["customer", "P(churn)", "top reasons"],
            [
                (
                    c.customer_id,
                    c.churn_probability,
                    ", ".join(f"{f.feature} +{f.effect:.2f}" for f in c.top_features),
                )
                for c in result.top(top)
            ],
        )
    for note in result.notes:
        console.print(f"note: {note}")
    for label, path in (("scores", output), ("plot", plot)):
        if path is not None:
            console.print(f"{label}: {path}")


def _write(result: ScoreResult, path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [c.customer_id for c in result.customers],
            "churn_probability": [c.churn_probability for c in result.customers],
            "top_features": [";".join(f.feature for f in c.top_features) for c in result.customers],
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(path)
