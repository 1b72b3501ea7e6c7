"""``mkt knowledge``: ingest documents, sync customer profiles, search the knowledge base."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agent.cli._params import JsonOpt
from agent.cli.output import console, err_console, print_json, print_table
from agent.cli.progress import delayed_progress
from data.errors import ToolError
from data.settings import load_settings
from data.workspace import Workspace
from knowledge.collections import COLLECTIONS
from knowledge.ingest import ingest as ingest_files
from knowledge.profile_docs import read_optional, sync_profiles
from knowledge.retrieval import parse_where, retrieve
from knowledge.store import KnowledgeStore

app = typer.Typer(help="Knowledge base: brand, products, campaigns, customer profiles.", no_args_is_help=True)

_COLLECTION_HELP = f"Target collection ({', '.join(COLLECTIONS)} or your own name)."


@contextmanager
def _progress_bar(label: str) -> Iterator[Progress]:
    """A rich progress bar on stderr (hidden when nothing needs embedding)."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    with bar:
        yield bar


def _open_store() -> KnowledgeStore:
    with console.status("opening the knowledge store"):
        return KnowledgeStore.open(load_settings())


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Markdown, text, CSV or PDF files, or folders of them.")
    ],
    collection: Annotated[
        str | None, typer.Option(help=_COLLECTION_HELP + " Default: guessed from each file name.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Chunk, embed and store documents (re-running adds nothing twice; unreadable files are skipped)."""
    store = _open_store()
    with delayed_progress("ingesting", "chunks", enabled=not as_json) as report_progress:

        def on_progress(stage: str, done: int, total: int) -> None:
            report_progress(done, total, stage)

        report = ingest_files(store, paths, collection, progress=on_progress)
    if as_json:
        print_json(report)
    else:
        if report.files:
            root = _common_folder([Path(f.path) for f in report.files])
            print_table(
                f"Ingested into {store.location}" + (f" from {root}" if root else ""),
                ["file", "collection", "chunks", "added", "unchanged", "removed"],
                [
                    (_shown(Path(f.path), root), f.collection, f.chunks, f.added, f.unchanged, f.removed)
                    for f in report.files
                ],
            )
        for skipped in report.skipped:
            line = f"[yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}"
            err_console.print(line, highlight=False, soft_wrap=True)
    if report.skipped and not report.files:
        raise typer.Exit(1)


def _common_folder(paths: list[Path]) -> Path | None:
    """The deepest folder holding every file, so the table can show short relative names."""
    try:
        return Path(os.path.commonpath([p.resolve().parent for p in paths]))
    except ValueError:
        return None


def _shown(path: Path, root: Path | None) -> str:
    if root is None:
        return str(path)
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


@app.command("sync-profiles")
def sync_profiles_cmd(
    per_customer: Annotated[
        bool, typer.Option("--per-customer", help="Also write one profile per customer (ids only, no PII).")
    ] = False,
    segments: Annotated[
        Path | None, typer.Option(help="CSV/Parquet with customer_id, segment (else workspace table or RFM).")
    ] = None,
    churn: Annotated[
        Path | None, typer.Option(help="CSV/Parquet with customer_id, churn_probability.")
    ] = None,
    clv: Annotated[Path | None, typer.Option(help="CSV/Parquet with customer_id, clv.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild the customer profile documents from the workspace analytics (never email or phone)."""
    settings = load_settings()
    inputs = {
        name: frame
        for name, frame in {
            "segments": read_optional(segments, ("customer_id", "segment")),
            "churn_scores": read_optional(churn, ("customer_id", "churn_probability")),
            "clv": read_optional(clv, ("customer_id", "clv")),
        }.items()
        if frame is not None
    }
    store = _open_store()
    con = Workspace.from_settings(settings).connect(read_only=True)
    try:
        with _progress_bar("embedding profiles") as bar:
            task = bar.add_task("embed", total=None)
            report = sync_profiles(
                store,
                con,
                per_customer=per_customer,
                inputs=inputs,
                currency=settings.currency,
                progress=lambda _s, done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        con.close()
    if as_json:
        print_json(report)
        return
    print_table(
        "Customer profiles",
        ["segments", "customers", "added", "unchanged", "removed"],
        [(report.segments, report.customers, report.added, report.unchanged, report.removed)],
    )
    console.print("from: " + ", ".join(report.sources))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    collection: Annotated[
        list[str] | None,
        typer.Option("--collection", "-c", help="Collection to search (repeat for several; default: all)."),
    ] = None,
    where: Annotated[
        str | None, typer.Option(help='Metadata filter as JSON, e.g. \'{"channel": "email"}\'.')
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Number of results.", min=1)] = 5,
    mmr: Annotated[
        bool, typer.Option("--mmr", help="Diversify results (maximal marginal relevance).")
    ] = False,
    token_budget: Annotated[
        int | None, typer.Option(help="Keep results within this many tokens.", min=1)
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the knowledge base; scores are cosine similarities (higher is closer)."""
    store = _open_store()
    names = collection or [name for name, count in store.counts().items() if count]
    if not names:
        raise ToolError(f"the knowledge base at {store.location} is empty: run `mkt knowledge ingest PATH`")
    result = retrieve(store, query, names, k=k, where=parse_where(where), mmr=mmr, token_budget=token_budget)
    if as_json:
        print_json(result)
        return
    print_table(
        f"'{query}' in {', '.join(result.collections)}",
        ["#", "score", "collection", "source", "text"],
        [
            (
                i + 1,
                c.score,
                c.collection,
                str(c.metadata.get("source", "")),
                c.text.replace("\n", " | ")[:160],
            )
            for i, c in enumerate(result.chunks)
        ],
    )
    console.print(f"{result.total_tokens} tokens" + (f" (budget {token_budget})" if token_budget else ""))


@app.command("list")
def list_collections(as_json: JsonOpt = False) -> None:
    """Show the collections and how many chunks each holds."""
    store = _open_store()
    counts = store.counts()
    if as_json:
        print_json({"location": store.location, "collections": counts})
        return
    print_table(f"Knowledge base {store.location}", ["collection", "chunks"], sorted(counts.items()))


@app.command("eval")
def eval_retrieval(
    knowledge_dir: Annotated[
        Path | None, typer.Option(help="Generated knowledge folder (default: generate a fresh sample).")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Cut-off rank for recall.", min=1)] = 5,
    mmr: Annotated[bool, typer.Option("--mmr", help="Re-rank with maximal marginal relevance.")] = False,
    min_recall: Annotated[float, typer.Option(help="Exit 1 below this recall@k.", min=0, max=1)] = 0.9,
    as_json: JsonOpt = False,
) -> None:
    """Recall@k and MRR of retrieval on the labelled queries (temporary store; nothing else touched)."""
    from evals.retrieval_eval import run

    with console.status("generating, ingesting and querying"):
        report = run(knowledge_dir, k=k, mmr=mmr)
    if as_json:
        print_json(report)
    else:
        print_table(
            f"Retrieval on {report.n_queries} labelled queries" + (" (MMR)" if mmr else ""),
            ["collection", f"recall@{k}"],
            [*report.per_collection.items(), ("all", report.recall_at_k)],
        )
        console.print(f"MRR {report.mrr:.3f}")
        for miss in report.misses:
            line = f"miss [{miss.collection}] {miss.query!r} -> {', '.join(miss.top)}"
            console.print(escape(line), highlight=False, soft_wrap=True)
    if report.recall_at_k < min_recall:
        raise typer.Exit(1)
