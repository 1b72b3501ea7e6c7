"""Copy judged by a person, and how often the guardrail agrees with the person.

``evals/data/copy_judgements.yaml`` holds brands (fact sheet: catalogue, facts, address, voice
examples, offers) and variants, each with a human verdict (``send`` / ``dont_send``), a category
and a fixed ``split`` (dev for tuning, test for reporting). ``agreement`` runs ``check_copy`` on a
split and reports, per category, the share of ``dont_send`` copy rejected and of ``send`` copy passed.

Run ``python -m evals.judgements [dev|test]`` for the table.
"""

from __future__ import annotations

import importlib.resources
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from evals.checks import check_copy
from evals.embedding import CachingEmbedder, Embedder, default_embedder
from evals.metrics.off_topic import topic_references, topic_text
from evals.types import Channel, CheckContext, CheckReport, CopyDraft

Verdict = Literal["send", "dont_send"]
Split = Literal["dev", "test"]


class CatalogueItem(BaseModel):
    """One product the brand sells."""

    name: str
    price: float | None = None
    description: str = ""


class BrandSheet(BaseModel):
    """A brand's fact sheet: what copy for it may name and claim."""

    name: str
    postal_address: str
    catalogue: list[CatalogueItem]
    facts: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    offers: dict[str, dict[str, str | int | float]]


class Judgement(BaseModel):
    """One copy variant and a person's verdict on it."""

    id: str
    brand: str
    offer: str
    channel: Channel
    language: str = "en"
    parts: dict[str, str]
    verdict: Verdict
    category: str
    reason: str
    source: str
    split: Split


class JudgementSet(BaseModel):
    """The brands and the judged variants."""

    description: str = ""
    brands: dict[str, BrandSheet]
    variants: list[Judgement]

    def split(self, name: Split | None) -> list[Judgement]:
        """The variants of one split (all of them for None)."""
        return [j for j in self.variants if name is None or j.split == name]


class CategoryAgreement(BaseModel):
    """How often the guardrail agreed with the person in one category."""

    category: str
    verdict: Verdict
    n: int
    agreed: int

    @property
    def share(self) -> float:
        """Agreed share (rejected for dont_send, passed for send)."""
        return self.agreed / self.n if self.n else 0.0


def default_path() -> Path:
    """The packaged labelled set."""
    return Path(str(importlib.resources.files("evals") / "data" / "copy_judgements.yaml"))


def load_judgements(path: Path | None = None) -> JudgementSet:
    """Read and validate the labelled set."""
    raw = yaml.safe_load((path or default_path()).read_text(encoding="utf-8"))
    return JudgementSet.model_validate(raw)


def context_for(judgement: Judgement, judgements: JudgementSet) -> CheckContext:
    """The check context a copy tool would build for this variant's brand and offer."""
    brand = judgements.brands[judgement.brand]
    offer = dict(brand.offers[judgement.offer])
    product = str(offer.get("product", ""))
    # a Chinese offer's product is the catalogue item whose line gives that name
    item = next(
        (c for c in brand.catalogue if c.name == product or (product and product in c.description)), None
    )
    description = item.description if item is not None else None
    return CheckContext(
        offer={k: v for k, v in offer.items() if v not in ("", "none")},
        brand=brand.name,
        postal_address=brand.postal_address,
        brand_examples=brand.examples,
        catalogue=[c.name for c in brand.catalogue],
        brand_facts=brand.facts,
        product_description=description,
        language=judgement.language,
    )


def draft_for(judgement: Judgement) -> CopyDraft:
    """The variant as a draft."""
    return CopyDraft(channel=judgement.channel, parts=judgement.parts, language=judgement.language)


def check_all(
    judgements: JudgementSet, split: Split | None, embedder: Embedder | None = None
) -> list[tuple[Judgement, CheckReport]]:
    """``check_copy`` on every variant of a split (texts embedded in batches first, when cached)."""
    rows = [(j, draft_for(j), context_for(j, judgements)) for j in judgements.split(split)]
    if isinstance(embedder, CachingEmbedder):
        embedder.prime([t for _, d, c in rows for t in (topic_text(d, c), *topic_references(c))])
    return [(j, check_copy(d, c, embedder=embedder)) for j, d, c in rows]


def agreement(checked: Sequence[tuple[Judgement, CheckReport]]) -> list[CategoryAgreement]:
    """Per category: how many variants the guardrail judged as the person did."""
    counts: dict[tuple[str, Verdict], list[int]] = defaultdict(lambda: [0, 0])
    for j, report in checked:
        cell = counts[(j.category, j.verdict)]
        cell[0] += 1
        cell[1] += int(report.passed == (j.verdict == "send"))
    return [
        CategoryAgreement(category=c, verdict=v, n=n, agreed=a)
        for (c, v), (n, a) in sorted(counts.items(), key=lambda kv: (kv[0][1] == "dont_send", kv[0][0]))
    ]


def totals(rows: Sequence[CategoryAgreement]) -> dict[Verdict, float]:
    """Overall share passed of ``send`` and rejected of ``dont_send``."""
    out: dict[Verdict, float] = {}
    for verdict in ("send", "dont_send"):
        n = sum(r.n for r in rows if r.verdict == verdict)
        out[verdict] = sum(r.agreed for r in rows if r.verdict == verdict) / n if n else 0.0
    return out


def format_table(rows: Sequence[CategoryAgreement]) -> str:
    """A plain-text agreement table."""
    lines = [f"{'category':<22}{'human':<11}{'n':>4}  {'guardrail agrees':>16}"]
    for r in rows:
        what = "passed" if r.verdict == "send" else "rejected"
        lines.append(f"{r.category:<22}{r.verdict:<11}{r.n:>4}  {r.share:>9.0%} {what}")
    t = totals(rows)
    lines.append(f"good copy passed {t['send']:.1%}; unusable copy rejected {t['dont_send']:.1%}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """Print the agreement table of a split (default dev); ``--no-embed`` skips the embedder."""
    split: Split = "test" if "test" in argv else "dev"
    embedder: Embedder | None = None
    if "--no-embed" not in argv:
        embedder = CachingEmbedder(default_embedder())
    rows = agreement(check_all(load_judgements(), split, embedder))
    print(f"split: {split}")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
