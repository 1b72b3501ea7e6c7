"""``mkt eval``: run copy eval suites, write reports, gate on hard checks and the baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import agent.copy_eval  # noqa: F401 - registers the copy tool as the suites' "copy" generator
from agent.cli.output import console, err_console, print_json, print_table
from evals.baseline import Regression, baseline_from, compare, load_baseline, write_baseline
from evals.embedding import Embedder, default_embedder
from evals.reports.html import write_html
from evals.reports.junit import write_junit
from evals.runner import CaseResult, SuiteResult, run_suite
from evals.suite import available_suites, load_suite

if TYPE_CHECKING:
    from agent.agent_eval import RequestOutcome

app = typer.Typer(help="Evaluate generated copy: metrics, suites, reports, baselines.", no_args_is_help=True)

FileOpt = Annotated[Path | None, typer.Option(dir_okay=False)]
_SHOWN = {
    "grounding": "ground",
    "length": "len",
    "spam": "spam",
    "cta": "cta",
    "readability": "grade",
    "sentiment": "sent",
    "brand_voice": "voice",
}


def _table(result: SuiteResult) -> None:
    table = Table(title=f"Suite {result.suite}", title_justify="left")
    table.add_column("case", overflow="fold", min_width=12)
    table.add_column("channel")
    table.add_column("status")
    table.add_column("n", justify="right")
    for short in _SHOWN.values():
        table.add_column(short, justify="right")
    colours = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}
    for c in result.cases:
        scores = [f"{c.scores[m]:.2f}" if m in c.scores else "" for m in _SHOWN]
        status = f"[{colours[c.status]}]{c.status}[/]"
        table.add_row(c.id, c.channel, status, str(len(c.variants)), *scores)
    console.print(table)
    for c in result.cases:
        if c.reason and c.status != "passed":
            colour = "yellow" if c.status == "skipped" else "red"
            console.print(f"[{colour}]{c.status}[/] {c.id}: {c.reason}", highlight=False)


def _write_json(result: SuiteResult, regressions: list[Regression], path: Path) -> None:
    payload = result.model_dump() | {"regressions": [r.model_dump() for r in regressions]}
    path.parent.mkdir(parents=True, exist_ok=True)
    import json

    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


@app.command("run")
def run(
    suite: Annotated[str, typer.Argument(help="Suite YAML file, or the name of a packaged suite.")],
    baseline: Annotated[
        Path | None, typer.Option(help="Baseline JSON to compare scores with.", dir_okay=False)
    ] = None,
    write_baseline_to: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="Save this run's scores as a baseline.", dir_okay=False),
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML report here.", dir_okay=False)] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write an HTML report with charts here.", dir_okay=False)
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the full results as JSON here.", dir_okay=False)
    ] = None,
    embeddings: Annotated[
        bool,
        typer.Option("--embeddings/--no-embeddings", help="Score brand voice and diversity with embeddings."),
    ] = True,
    generate: Annotated[
        bool,
        typer.Option("--generate/--no-generate", help="Run generator cases (the copy model), or skip them."),
    ] = True,
    strict: Annotated[
        bool, typer.Option(help="Also fail when cases are skipped (generator missing).")
    ] = False,
) -> None:
    """Run a suite; exit 1 if a case fails its hard checks or a score drops below the baseline."""
    spec = load_suite(suite)
    base = load_baseline(baseline) if baseline else None
    embedder: Embedder | None = None
    if embeddings:
        with console.status("loading the embedding model..."):
            embedder = default_embedder()
            embedder(["warm up"])
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(spec.name, total=len(spec.cases))

        def advance(case: CaseResult) -> None:
            progress.update(task, advance=1, description=f"{spec.name}: {case.id}")

        result = run_suite(spec, embedder=embedder, on_case=advance, generate=generate)
    regressions = compare(result, base, spec) if base else []
    _table(result)
    if json_file:
        _write_json(result, regressions, json_file)
    if junit:
        write_junit(result, junit, regressions)
    if html:
        write_html(result, html, regressions)
    if write_baseline_to:
        write_baseline(baseline_from(result, note=f"mkt eval run {suite}"), write_baseline_to)
        console.print(f"baseline written to {write_baseline_to}")
    counts = result.counts()
    console.print(", ".join(f"{n} {k}" for k, n in counts.items()) + f" in {result.seconds:.1f} s")
    for r in regressions:
        console.print(f"[red]regression[/] {r.describe()}", highlight=False)
    failed = counts["failed"] + counts["error"] > 0 or bool(regressions) or (strict and counts["skipped"] > 0)
    if failed:
        raise typer.Exit(1)


@app.command("list")
def list_suites(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """List the suites shipped with mkt."""
    rows = []
    for path in available_suites():
        s = load_suite(path)
        rows.append({"name": s.name, "cases": len(s.cases), "description": s.description})
    if as_json:
        print_json(rows)
        return
    print_table("Suites", ["name", "cases", "description"], [list(r.values()) for r in rows])


@app.command("agent")
def agent_eval(
    requests_set: Annotated[
        str,
        typer.Option(
            "--requests",
            help=(
                "v2 (issue 14: marketers' phrasings, dev/test), v3 (a fresh, independent set, dev/test), "
                "v4 and v5 (more fresh, blind sets, dev/test), v1 (the first 40, regression), or a YAML file."
            ),
        ),
    ] = "v2",
    split: Annotated[str, typer.Option(help="dev (tune on it), test (report it) or all.")] = "all",
    limit: Annotated[
        int | None, typer.Option(help="Run only the first N requests (quick checks).", min=1)
    ] = None,
    copy_variants: Annotated[
        int,
        typer.Option(
            help="Copy variants per channel in campaign briefs (0 skips the slow copy step).", min=0
        ),
    ] = 0,
    backend: Annotated[
        str,
        typer.Option(
            help="auto: the local model, plus the endpoint when MKT_LLM_BASE_URL is set; or local / endpoint."
        ),
    ] = "auto",
    only: Annotated[
        str | None, typer.Option(help="Only requests of this kind (campaign, question) or intent.")
    ] = None,
    max_seconds: Annotated[
        float | None, typer.Option(help="Wall-time cap of each turn of the tool-calling loop.", min=1)
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the full report as JSON here.", dir_okay=False)
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(help="Write the Markdown tables (per kind, per intent) here.", dir_okay=False),
    ] = None,
) -> None:
    """Agent accuracy: tool-call rate and fact rate over labelled requests, per backend, split and intent."""
    import os

    from agent.agent_eval import backends_for, intent_table, markdown_table
    from agent.agent_eval import run as run_agent_eval
    from data.errors import ConfigError
    from data.settings import load_settings
    from data.workspace import Workspace
    from evals.agent_requests import load_requests, select

    if backend not in ("auto", "local", "endpoint"):
        raise ConfigError(f"--backend must be auto, local or endpoint, not {backend!r}")
    if split not in ("dev", "test", "all"):
        raise ConfigError(f"--split must be dev, test or all, not {split!r}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = load_settings()
    workspace = Workspace.from_settings(settings)
    chosen = select(load_requests(requests_set), split)
    requests = [r for r in chosen if only is None or only in (r.kind, r.intent)][:limit]
    if not requests:
        raise ConfigError(f"no request matches --requests {requests_set} --split {split} --only {only}")
    backends = backends_for(settings, backend)
    if not settings.llm_base_url and backend == "auto":
        err_console.print("no endpoint configured (MKT_LLM_BASE_URL): evaluating the local model only")

    show = _progress(json_file.with_suffix(".outcomes.jsonl") if json_file else None)
    with console.status(f"running {len(requests)} requests on {', '.join(backends)}..."):
        report = run_agent_eval(
            settings,
            workspace,
            requests,
            backends=backends,
            copy_variants=copy_variants,
            max_seconds=max_seconds,
            on_result=show,
        )
    report.requests, report.split = requests_set, split
    for r in report.runs:
        table = Table(title=f"Agent eval: {r.backend} ({', '.join(r.models) or 'no model call'})")
        for col in ("request", "intent", "split", "tools", "facts", "s", "stop"):
            table.add_column(col, justify="right" if col in ("facts", "s") else "left", overflow="fold")
        for o in r.outcomes:
            tools = "ok" if o.tools_ok else "missing " + ", ".join([*o.missing, *o.forbidden])
            table.add_row(
                o.id,
                o.intent,
                o.split or "",
                tools,
                f"{o.facts_found}/{len(o.facts)}",
                f"{o.seconds:.1f}",
                o.stop_reason,
            )
        console.print(table)
    tables = markdown_table(report) + "\n\n" + intent_table(report)
    console.print(tables, highlight=False, markup=False)
    if markdown:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(tables + "\n", encoding="utf-8")
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
        console.print(f"report written to {json_file}")


def _progress(partial: Path | None) -> Callable[[RequestOutcome], None]:
    """Print each outcome as it comes, and append it to ``partial`` (a killed run keeps what it did)."""
    if partial is not None:
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text("", encoding="utf-8")

    def show(o: RequestOutcome) -> None:
        if partial is not None:
            with partial.open("a", encoding="utf-8") as fh:
                fh.write(o.model_dump_json() + "\n")
        mark = "[green]pass[/]" if o.passed else "[red]fail[/]"
        missing = [f.fact for f in o.facts if not f.found]
        detail = "; ".join(
            [*(["missing tools " + ", ".join(o.missing)] if o.missing else []),
             *(["forbidden " + ", ".join(o.forbidden)] if o.forbidden else []),
             *(["missing " + ", ".join(missing)] if missing else [])]
        )  # fmt: skip
        err_console.print(
            f"{mark} {o.id} ({o.seconds:.0f} s, {o.stop_reason}) {detail}", highlight=False, markup=True
        )

    return show
