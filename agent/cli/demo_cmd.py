"""``mkt demo``: the whole product in one command, on the packaged local model.

On a fresh machine it creates the sample workspace (synthetic customers with planted truth, the
brand's knowledge base, a trained churn model), then plans the demo campaign end to end, prints
the brief with the time of every step, and writes the plots and an HTML report under ``runs/``.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from agent.cli._params import ControlOpt
from agent.cli.output import console, err_console
from data.settings import Settings, load_settings
from data.workspace import Workspace

DEMO_REQUEST = (
    "plan a win-back campaign for high-value customers at risk of churning, email and SMS, "
    "15% off running shoes, budget 2,000"
)


def _has_customers(workspace: Workspace) -> bool:
    if not workspace.warehouse.exists():
        return False
    with workspace.connect(read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return "customers" in tables and bool(con.execute("SELECT count(*) FROM customers").fetchall()[0][0])


def set_up(
    settings: Settings, workspace: Workspace, customers: int, seed: int
) -> list[tuple[str, float, str]]:
    """Create what the demo needs and is missing: data, knowledge base, churn model; returns timings."""
    from knowledge.store import KnowledgeStore
    from tools.churn import store as churn_store

    done: list[tuple[str, float, str]] = []
    if not _has_customers(workspace):
        from data.loader import load_files
        from data.synth.generate import generate

        started = time.perf_counter()
        with err_console.status(f"generating and loading {customers:,} sample customers"):
            generated = generate(workspace.sample_dir, customers, seed)
            rows = load_files(workspace, generated.tables).rows
        done.append(
            ("sample data", time.perf_counter() - started, f"{rows.get('transactions', 0):,} transactions")
        )
    knowledge_dir = workspace.sample_dir / "knowledge"
    store = KnowledgeStore.open(settings)
    if knowledge_dir.exists() and not {"brand", "products"} <= set(store.names()):
        from knowledge.ingest import ingest

        started = time.perf_counter()
        with err_console.status("embedding the brand guide, products and past campaigns"):
            report = ingest(store, [knowledge_dir])
        done.append(("knowledge base", time.perf_counter() - started, f"{report.added} chunks"))
    if not churn_store.is_signed(churn_store.model_path(workspace, "churn")):
        from tools.churn.models import TrainRequest
        from tools.churn.train import train_churn

        started = time.perf_counter()
        with err_console.status("training the churn model"), workspace.connect() as con:
            result = train_churn(con, workspace, TrainRequest(seed=seed))
        done.append(
            ("churn model", time.perf_counter() - started, f"holdout AUC {result.holdout_roc_auc:.3f}")
        )
    return done


def demo(
    request: Annotated[str, typer.Option(help="The campaign request to run.")] = DEMO_REQUEST,
    customers: Annotated[
        int, typer.Option(help="Sample customers to generate if none are loaded.", min=100)
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the sample data and the models.")] = 7,
    variants: Annotated[int, typer.Option(help="Copy variants per channel.", min=0, max=5)] = 2,
    configured: Annotated[
        bool,
        typer.Option(
            "--configured-model/--local-model",
            help="Use the configured endpoint (MKT_LLM_BASE_URL) instead of the packaged local model.",
        ),
    ] = False,
    control: ControlOpt = None,
) -> None:
    """Run the demo campaign end to end: set-up if needed, plan, analytics, copy, report."""
    from agent.assistant import Assistant
    from agent.cli.render import EventPrinter, render_brief
    from agent.llm import CallLog, build_chat_model, build_local_model
    from agent.session import Session

    settings = load_settings(**({"control_fraction": control} if control else {}))
    workspace = Workspace.from_settings(settings).ensure()
    started = time.perf_counter()
    setup = set_up(settings, workspace, customers, seed)
    session = Session.open(workspace.runs_dir, None)
    log = CallLog(workspace.runs_dir / "llm_calls.jsonl", secrets=[settings.api_key])  # turns: per session
    model = (
        build_chat_model(settings, call_log=log) if configured else build_local_model(settings, call_log=log)
    )
    assistant = Assistant(settings, workspace, model=model, copy_variants=variants)
    printer = EventPrinter(err_console, interactive=False, show_tokens=False)
    err_console.print(f"[bold]request:[/] {request}", highlight=False)
    try:
        reply = assistant.respond(session, request, on_event=printer, approve=printer.approve)
    finally:
        printer.close()
    if reply.brief is None:
        console.print(reply.text, highlight=False)
        raise typer.Exit(1)
    render_brief(console, reply.brief)
    table = Table(title="Demo timings", title_justify="left", title_style="bold")
    for name in ("step", "seconds", "detail"):
        table.add_column(name, justify="right" if name == "seconds" else "left")
    for name, seconds, detail in setup:
        table.add_row(f"set-up: {name}", f"{seconds:.1f}", detail)
    for step in reply.brief.steps:
        table.add_row(step.step, f"{step.seconds:.1f}", "" if step.ok else "failed")
    table.add_row("total (with model load)", f"{time.perf_counter() - started:.1f}", reply.brief.backend)
    console.print(table)
    console.print(
        f"report: {reply.report}\nsession: {session.id} (trace {session.trace_file})", highlight=False
    )
