"""``mkt clv``: customer lifetime value from the transactions (BG/NBD + Gamma-Gamma or simple)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import pandas as pd
import typer
from pydantic import BaseModel, ValidationError

from agent.cli._params import FileOpt
from agent.cli.output import console, print_json, print_table
from data.engine.open import open_engine
from data.engine.source import SparkSource
from data.settings import load_settings
from data.workspace import Workspace
from tools.clv import ClvRequest, ClvResult, calculate_clv, plot_clv
from tools.clv.models import ModelFit

M = TypeVar("M", bound=BaseModel)


def clv(
    horizon_months: Annotated[int, typer.Option(help="CLV horizon in months.", min=1, max=600)] = 12,
    discount_rate: Annotated[
        float, typer.Option(help="Discount rate per month, e.g. 0.01.", min=0.0, max=0.99)
    ] = 0.01,
    margin: Annotated[float, typer.Option(help="Share of revenue kept as profit (1 = revenue CLV).")] = 1.0,
    time_unit: Annotated[
        str,
        typer.Option(help="Time unit of the model."),
    ] = "week",
    as_of: Annotated[
        datetime | None, typer.Option(help="End of the history (default: the last transaction).")
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            help="auto (chosen from the data), probabilistic (BG/NBD + Gamma-Gamma), contractual (sBG "
            "retention x monthly value, for subscribers with tenure and a churn flag) or simple."
        ),
    ] = "auto",
    fit_grid_days: Annotated[
        float | None,
        typer.Option(
            help="Round recency and age to this many days for the BG/NBD fit only (bounds its cost on "
            "huge data; scores use exact times). Default: exact."
        ),
    ] = None,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    top: Annotated[int, typer.Option(help="Customers to list, highest CLV first.", min=0)] = 10,
    output: Annotated[
        Path | None, typer.Option(help="Write every customer's results to this CSV or Parquet file.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the CLV distribution to this PNG file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Fit BG/NBD + Gamma-Gamma to the purchase history and value every customer over a horizon."""
    request = validated(
        ClvRequest,
        {
            "horizon_months": horizon_months,
            "discount_rate": discount_rate,
            "margin": margin,
            "time_unit": time_unit,
            "as_of": as_of,
            "method": method,
            "fit_grid_days": fit_grid_days,
        },
    )
    settings = load_settings()
    workspace = Workspace.from_settings(settings)
    con = open_engine(workspace, {"customers": customers, "transactions": transactions}, settings)
    spark = isinstance(con, SparkSource)
    if spark and output is not None and output.suffix.lower() not in ("", ".parquet"):
        raise typer.BadParameter("--output: the Spark engine writes Parquet (give a .parquet path)")
    try:
        with console.status("fitting the CLV model") if not as_json else nullcontext():
            result = calculate_clv(con, request, output=str(output) if spark and output else None)
    finally:
        con.close()
    if output is not None and not spark:
        write_customers(result, output)
    output = Path(result.output) if result.output else output
    if plot is not None:
        plot_clv(result, plot)
    if as_json:
        payload = result.model_dump(mode="json", exclude={"customers"})
        payload["top"] = [c.model_dump(mode="json") for c in result.top(top)]
        if output is not None:
            payload["output"] = str(output)
        print_json(payload)
        return
    _print_human(result, top, output, plot)


def validated(model: type[M], values: dict[str, object]) -> M:
    """Build a tool request, turning a validation problem into a usage error (no traceback)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "--" + "-".join(str(p) for p in first["loc"]).replace("_", "-")
        raise typer.BadParameter(f"{name}: {first['msg']}") from None


def write_customers(result: ClvResult, path: Path) -> Path:
    """Every customer's row to CSV or Parquet (by suffix), written atomically."""
    frame = pd.DataFrame([c.model_dump() for c in result.customers])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def _print_human(result: ClvResult, top: int, output: Path | None, plot: Path | None) -> None:
    for fit in (result.bgnbd, result.gamma_gamma, result.sbg):
        if fit is not None:
            _print_fit(fit)
    console.print(
        f"{result.n_customers:,} customers ({result.engine}), {result.horizon_months}-month CLV "
        f"at {result.discount_rate:g}/month "
        f"discount: total {result.total_clv:,.2f}, mean {result.mean_clv:,.2f}, median {result.median_clv:,.2f}"
    )
    if top:
        print_table(
            f"Top {top} customers by CLV",
            [
                "customer",
                "frequency",
                "recency",
                "T",
                "P(alive)",
                "exp. purchases",
                "exp. order value",
                "CLV",
            ],
            [
                (
                    c.customer_id,
                    c.frequency,
                    c.recency,
                    c.T,
                    c.p_alive,
                    c.expected_purchases,
                    c.expected_order_value,
                    c.clv,
                )
                for c in result.top(top)
            ],
        )
    for note in result.notes:
        console.print(f"note: {note}")
    if output is not None:
        console.print(f"per-customer results: {output}")
    if plot is not None:
        console.print(f"plot: {plot}")


def _print_fit(fit: ModelFit) -> None:
    rows = [(k, v, fit.std_errors.get(k)) for k, v in fit.parameters.items()]
    rows += [(k, v, None) for k, v in fit.derived.items() if v is not None]
    print_table(
        f"{fit.model} fit on {fit.n_customers:,} customers: log-likelihood {fit.log_likelihood:,.2f}, "
        f"{'converged' if fit.converged else 'NOT converged'} in {fit.iterations} iterations",
        ["parameter", "estimate", "std. error"],
        rows,
    )
