"""``mkt recommend``: next products for customers or a segment, and a holdout evaluation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from agent.cli._params import FileOpt, build
from agent.cli.output import console, print_json, print_table
from data.loader import open_source
from data.settings import load_settings
from data.workspace import Workspace
from tools.recommend import EvaluateParams, RecommendParams, evaluate_holdout, recommend


def recommend_command(
    customer: Annotated[
        list[str] | None, typer.Option(help="Customer id to recommend for (repeat for several).")
    ] = None,
    segment: Annotated[
        str | None, typer.Option(help="Segment whose top products to list (needs a segments table).")
    ] = None,
    k: Annotated[int, typer.Option(help="Products per customer or segment.", min=1, max=100)] = 10,
    rank_by: Annotated[
        str, typer.Option(help="Segment products by next-purchase 'score' or by 'lift' over all customers.")
    ] = "score",
    evaluate: Annotated[
        bool, typer.Option("--evaluate", help="Hit-rate@k on a time-based holdout vs a popularity baseline.")
    ] = False,
    holdout_weeks: Annotated[int, typer.Option(help="Weeks held out by --evaluate.", min=1, max=104)] = 13,
    as_of: Annotated[datetime | None, typer.Option(help="Use purchases up to this time.")] = None,
    customers: FileOpt = None,
    transactions: FileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Recommend next products from purchase history (sequential item-item co-purchase)."""
    if not customer and segment is None and not evaluate:
        raise typer.BadParameter("give --customer, --segment or --evaluate")
    workspace = Workspace.from_settings(load_settings())
    con = open_source(workspace, {"customers": customers, "transactions": transactions})
    try:
        result = None
        if customer or segment is not None:
            params = build(
                RecommendParams,
                customer_ids=customer or [],
                segment=segment,
                k=k,
                rank_by=rank_by,
                as_of=as_of,
            )
            result = recommend(con, params)
        holdout = (
            evaluate_holdout(con, build(EvaluateParams, holdout_weeks=holdout_weeks, k=k))
            if evaluate
            else None
        )
    finally:
        con.close()
    if as_json:
        payload: dict[str, object] = {}
        if result is not None:
            payload["recommendations"] = result.model_dump(mode="json")
        if holdout is not None:
            payload["evaluation"] = holdout.model_dump(mode="json")
        print_json(payload)
        return
    if result is not None:
        for rec in result.customers:
            print_table(
                f"Next products for {rec.customer_id} ({rec.basis}; just bought: {', '.join(rec.excluded) or '-'})",
                ["rank", "product", "category", "score"],
                [(i + 1, p.product_id, p.category, p.score) for i, p in enumerate(rec.products)],
            )
        if result.segment is not None:
            seg = result.segment
            print_table(
                f"Top products for segment '{seg.segment}' by {seg.rank_by} ({seg.customers:,} customers)",
                ["rank", "product", "category", "score", "segment share", "lift"],
                [
                    (i + 1, p.product_id, p.category, p.score, p.segment_share, p.lift)
                    for i, p in enumerate(seg.products)
                ],
            )
    if holdout is not None:
        console.print(
            f"hit-rate@{holdout.k} on the last {holdout.holdout_weeks} weeks ({holdout.customers:,} customers): "
            f"{holdout.hit_rate:.1%} vs popularity {holdout.baseline_hit_rate:.1%} (x{holdout.lift:.2f})"
        )
