"""``mkt copy``: channel-ready copy variants, each checked by the guardrail before it is shown."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.panel import Panel

from agent.cli._params import build
from agent.cli.output import console, err_console, print_json
from agent.llm import CallLog, build_chat_model
from data.errors import MktError
from data.settings import Settings, load_settings
from data.workspace import Workspace
from evals.embedding import CachingEmbedder, default_embedder
from evals.types import MetricResult
from knowledge.store import KnowledgeStore
from tools.copy import (
    BrandVoice,
    CatalogueItem,
    CopyRequest,
    CopyResult,
    OfferFacts,
    SegmentProfile,
    brand_from_file,
    generate_copy,
)
from tools.copy.brand import brand_from_knowledge
from tools.copy.grounding import catalogue_from_knowledge, winning_copy

ChannelName = Literal["email", "sms", "push", "social", "ads"]


def _brand(settings: Settings, brand_file: Path | None, name: str | None, address: str | None) -> BrandVoice:
    if brand_file is not None:
        return brand_from_file(brand_file, name=name, postal_address=address)
    return brand_from_knowledge(settings, name, address)


def _check_line(check: MetricResult) -> str:
    if check.skipped:
        return f"[dim]- {escape(check.metric)}: not run ({escape(check.reason)})[/]"
    mark = "[green]✓[/]" if check.passed else ("[red]✗[/]" if check.hard else "[yellow]![/]")
    return f"{mark} {escape(check.metric)}: {escape(check.reason)}"


def _show(result: CopyResult) -> None:
    for note in result.notes:
        console.print(f"[bold red]{escape(note)}[/]" if not result.sendable else f"[yellow]{escape(note)}[/]")
    for variant in result.variants:
        body = "\n".join(f"[bold]{escape(part)}[/]: {escape(text)}" for part, text in variant.parts.items())
        facts = ", ".join(f"{k}={v}" for k, v in variant.facts_used.items()) or "none"
        if variant.passed:
            verdict = "[green]sendable: passed every hard check[/]"
        else:
            verdict = "[red]NOT SENDABLE[/]: " + escape("; ".join(variant.failures))
        checks = "\n".join(_check_line(c) for c in variant.checks)
        notes = f"\n[yellow]note[/]: {escape(variant.origin())}" if variant.origin() else ""
        console.print(
            Panel(
                f"{body}\n\n[dim]facts used: {escape(facts)}; angle: {escape(variant.angle)}[/]\n"
                f"{verdict}{notes}\n{checks}",
                title=f"variant {variant.index} ({variant.backend})",
                title_align="left",
            ),
            highlight=False,
        )
    console.print(escape(result.summary()) + f"; {result.completion_tokens} tokens", highlight=False)


def _grounding(settings: Settings, channel: str) -> tuple[list[CatalogueItem], list[str]]:
    """The catalogue and past winning copy from the knowledge base (empty when it has none)."""
    try:
        store = KnowledgeStore.open(settings)
        return catalogue_from_knowledge(store), winning_copy(store, channel)
    except MktError:
        return [], []


def copy(
    product: Annotated[str, typer.Option(help="Product name, stated verbatim.")],
    channel: Annotated[ChannelName, typer.Option(help="email, sms, push, social or ads.")] = "email",
    features: Annotated[str | None, typer.Option(help="Short benefits, e.g. 'grip, rock plate'.")] = None,
    price: Annotated[float | None, typer.Option(help="Regular price.", min=0)] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of the price (default: settings).")] = None,
    discount: Annotated[str | None, typer.Option(help="Discount as shown, e.g. '15%' or '$20'.")] = None,
    code: Annotated[str | None, typer.Option(help="Promo code.")] = None,
    deadline: Annotated[
        datetime | None, typer.Option(help="Last day of the offer (YYYY-MM-DD).", formats=["%Y-%m-%d"])
    ] = None,
    segment: Annotated[str, typer.Option(help="Segment name, e.g. 'at risk'.")] = "all customers",
    audience: Annotated[str, typer.Option(help="One line on who they are, for the writer.")] = "",
    variants: Annotated[int, typer.Option(help="Number of variants.", min=1, max=10)] = 3,
    language: Annotated[str, typer.Option(help="Language of the copy: en or zh.")] = "en",
    brand_file: Annotated[
        Path | None,
        typer.Option(
            help="Brand guide (Markdown); default: the knowledge base's brand collection.", dir_okay=False
        ),
    ] = None,
    brand_name: Annotated[str | None, typer.Option(help="Brand name (default: read from the guide).")] = None,
    postal_address: Annotated[str | None, typer.Option(help="Postal address for email footers.")] = None,
    max_attempts: Annotated[
        int, typer.Option(help="Rounds of candidates before giving up.", min=1, max=6)
    ] = 2,
    max_seconds: Annotated[
        float | None,
        typer.Option(
            help="Time budget in seconds: no later round starts that would end after it "
            "(default: 25 for email, 12 for SMS and push; 0: no budget).",
            min=0,
        ),
    ] = None,
    voice: Annotated[
        bool, typer.Option(help="Score brand-voice similarity, topic and diversity (loads the embedder).")
    ] = True,
    strict: Annotated[
        bool, typer.Option(help="Exit with code 1 when any variant fails the guardrail.")
    ] = False,
    save: Annotated[bool, typer.Option(help="Save the result as JSON under the workspace's runs/.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Write copy variants for an offer; every variant is checked (length, grounding, compliance...)."""
    settings = load_settings()
    workspace = Workspace.from_settings(settings).ensure()
    offer = build(
        OfferFacts,
        product=product,
        features=features,
        price=price,
        currency=currency or settings.currency,
        discount=discount,
        code=code,
        deadline=deadline.date() if deadline else None,
    )
    catalogue, past_copy = _grounding(settings, channel)
    request = build(
        CopyRequest,
        channel=channel,
        offer=offer,
        brand=_brand(settings, brand_file, brand_name, postal_address),
        segment=SegmentProfile(name=segment, description=audience),
        variants=variants,
        language=language,
        max_attempts=max_attempts,
        max_seconds=math.inf if max_seconds == 0 else max_seconds,
        catalogue=catalogue,
        past_copy=past_copy,
    )
    log = CallLog(workspace.runs_dir / "llm_calls.jsonl", secrets=[settings.api_key])
    model = build_chat_model(settings, call_log=log)
    embedder: CachingEmbedder | None = None
    status = err_console.status("loading the model...")
    with status:
        if voice:
            embedder = CachingEmbedder(default_embedder())
        result = generate_copy(request, model, embedder=embedder, progress=lambda msg: status.update(msg))
    if save:
        path = workspace.runs_dir / f"copy-{channel}-{date.today():%Y%m%d}-{datetime.now():%H%M%S}.json"
        path.write_text(json.dumps(result.model_dump(mode="json"), indent=2), encoding="utf-8")
        err_console.print(f"saved {path}", highlight=False)
    if as_json:
        print_json(result)
    else:
        _show(result)
    if strict and result.passed < len(result.variants):
        raise typer.Exit(1)
