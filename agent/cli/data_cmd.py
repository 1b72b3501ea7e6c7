"""``mkt data``: load, generate and show the customer tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli._params import JsonOpt
from agent.cli.output import console, print_json, print_table
from agent.cli.progress import delayed_progress
from data.exports import load_exports, mappings_path
from data.layouts import parse_map
from data.loader import load_files
from data.settings import load_settings
from data.summary import summarize
from data.synth.generate import generate as generate_data
from data.workspace import Workspace

app = typer.Typer(help="Load, generate and inspect customer data.", no_args_is_help=True)

FileOpt = Annotated[Path | None, typer.Option(help="CSV or Parquet file.", dir_okay=False)]


def _workspace() -> Workspace:
    return Workspace.from_settings(load_settings())


@app.command()
def load(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE...",
            help="Export files (shop orders, payments, invoice lines, CRM contacts, ...).",
            dir_okay=False,
        ),
    ] = None,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    engagements: FileOpt = None,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="Columns of FILE: 'customer_id=CustomerID,ts=InvoiceDate,amount=Total'."),
    ] = None,
    missing: Annotated[
        str | None,
        typer.Option(help="Cell texts that mean 'no value' besides an empty cell, e.g. 'NA,N/A'."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate files and load them into the workspace (all or nothing; safe to re-run).

    Files given by position are recognised by their columns (or mapped with --map); the mapping
    used is shown and saved in the workspace for the next file with the same header.
    """
    files = {
        k: v
        for k, v in {"customers": customers, "transactions": transactions, "engagements": engagements}.items()
        if v is not None
    }
    if not files and not paths:
        raise typer.BadParameter(
            "give at least one of: export FILEs, --customers, --transactions, --engagements"
        )
    if files and paths:
        raise typer.BadParameter(
            "give either export FILEs or --customers/--transactions/--engagements, not both"
        )
    if mapping is not None and not paths:
        raise typer.BadParameter("--map applies to export FILEs given by position")
    settings = load_settings()
    markers = settings.missing_values if missing is None else [m for m in missing.split(",") if m]
    workspace = Workspace.from_settings(settings)
    if paths:
        _load_exports(workspace, paths, mapping, markers, as_json)
        return
    with delayed_progress("loading", "rows", enabled=not as_json) as report:
        result = load_files(workspace, files, missing=markers, progress=report)
    if as_json:
        print_json({"rows": result.rows, "seconds": round(result.seconds, 3), "notes": result.notes})
        return
    print_table("Loaded", ["table", "rows"], result.rows.items())
    for note in result.notes:
        console.print(note)
    console.print(f"in {result.seconds:.1f} s")


def _load_exports(
    workspace: Workspace, paths: list[Path], mapping: str | None, missing: list[str], as_json: bool
) -> None:
    try:
        override = parse_map(mapping) if mapping else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with delayed_progress("loading", "rows", enabled=not as_json) as report:
        loaded = load_exports(workspace, paths, override=override, missing=missing, progress=report)
    result = loaded.result
    if as_json:
        print_json(
            {
                "rows": result.rows,
                "seconds": round(result.seconds, 3),
                "notes": result.notes,
                "files": [
                    {"file": f.file, "source": f.source, "notes": f.notes, **f.mapping.to_json()}
                    for f in loaded.files
                ],
            }
        )
        return
    for f in loaded.files:
        columns = f.mapping.columns.items() or [("(all)", "as named in the file")]
        print_table(
            f"{f.file}: {f.mapping.layout} -> {f.mapping.table} ({f.source})", ["field", "column"], columns
        )
        for note in f.notes:
            console.print(f"  {note}")
    print_table("Loaded", ["table", "rows"], result.rows.items())
    for note in result.notes:
        console.print(note)
    console.print(f"in {result.seconds:.1f} s; mapping saved in {mappings_path(workspace)}")


@app.command()
def show(as_json: JsonOpt = False) -> None:
    """Summarise the tables in the workspace."""
    summary = summarize(_workspace())
    if as_json:
        print_json(summary)
        return
    print_table(
        f"Workspace {summary.workspace}",
        ["table", "rows", "customers", "first", "last"],
        [(t.table, t.rows, t.customers, t.first, t.last) for t in summary.tables],
    )
    if summary.revenue is not None:
        console.print(f"revenue: {summary.revenue:,.2f}")
    if summary.consent:
        console.print("consent: " + ", ".join(f"{k} {v:,}" for k, v in summary.consent.items()))
    if summary.channels:
        console.print("messages sent: " + ", ".join(f"{k} {v:,}" for k, v in summary.channels.items()))


@app.command()
def generate(
    customers: Annotated[int, typer.Option(help="Number of customers.", min=10)] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the files (default: <workspace>/sample).")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    load_into_workspace: Annotated[
        bool, typer.Option("--load/--no-load", help="Load into the workspace.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Write synthetic customers with planted truth (tables, knowledge docs, truth/) and load them."""
    workspace = _workspace()
    target = out or workspace.sample_dir
    with console.status(f"generating {customers:,} customers (seed {seed})"):
        generated = generate_data(target, customers, seed, file_format=file_format)
    rows: dict[str, int] = {}
    if load_into_workspace:
        with delayed_progress("loading", "rows", enabled=not as_json) as report:
            rows = load_files(workspace, generated.tables, progress=report).rows
    if as_json:
        print_json(
            {
                "tables": {k: str(v) for k, v in generated.tables.items()},
                "loaded_rows": rows,
                "knowledge": str(generated.knowledge_dir),
                "truth": str(generated.truth_file),
            }
        )
        return
    print_table(
        "Generated",
        ["table", "file", "rows loaded"],
        [(k, str(v), rows.get(k, 0)) for k, v in generated.tables.items()],
    )
    console.print(f"knowledge documents: {generated.knowledge_dir}")
    console.print(f"planted truth: {generated.truth_file}")


@app.command()
def reset(yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Delete the customer warehouse of the workspace (asks first)."""
    workspace = _workspace()
    if not workspace.warehouse.exists() and not workspace.wal.exists():
        console.print("nothing to delete")
        return
    if not yes:
        typer.confirm(f"delete {workspace.warehouse}?", abort=True)
    workspace.connect().close()  # waits for, or refuses during, a running load
    workspace.warehouse.unlink(missing_ok=True)
    workspace.wal.unlink(missing_ok=True)
    console.print(f"deleted {workspace.warehouse}")
