"""Copy generation speed and usable-line rate with the packaged model, per precision.

Targets (issue 13): 2 email variants < 30 s and 3 SMS variants < 15 s on the 2-core machine with
the packaged SmolLM2. Each precision (float32 as loaded from the GGUF file, bfloat16, int8 dynamic
quantisation of the decoder's linear layers) runs the same requests; "usable lines" is the share of
model-written candidate lines that passed the screen (the quality measure for "equal quality").
The reference row times ``transformers`` ``generate`` on a fixed prompt in the same run, so a busy
machine shows up in the reference too. ``BENCH_PRECISIONS=fp32,int8`` picks the precisions and
``BENCH_BRANDS=trailhead,lumen,spokeshop`` the brands (the sample brand, or brands of the
``copy_regression`` suite).
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import yaml  # noqa: E402

import tools.copy.generator as generator  # noqa: E402
from agent.llm import LocalChatModel  # noqa: E402
from agent.llm.local_backend import LoadedModel  # noqa: E402
from data.synth.documents import BRAND_GUIDE, product_catalogue  # noqa: E402
from evals.embedding import CachingEmbedder, default_embedder  # noqa: E402
from evals.types import Channel  # noqa: E402
from tools.chat_model import Message  # noqa: E402
from tools.copy import (  # noqa: E402
    BrandVoice,
    CatalogueItem,
    CopyRequest,
    OfferFacts,
    SegmentProfile,
    brand_from_text,
    generate_copy,
)

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suites" / "copy_regression.yaml"
BRANDS = os.environ.get("BENCH_BRANDS", "trailhead").split(",")
PROMPT: list[Message] = [
    {"role": "system", "content": "You write short, warm marketing copy for a running shop."},
    {"role": "user", "content": "Write a short email about the Cloudline 2 road shoe for loyal runners."},
]


class _Precision(LocalChatModel):
    """The packaged model converted to another precision (the same tokenizer)."""

    def __init__(self, loaded: LoadedModel, name: str) -> None:
        super().__init__(threads=1)
        self._loaded, self.label = loaded, name

    def loaded(self) -> LoadedModel:
        return self._loaded


def _convert(base: LoadedModel, precision: str) -> LoadedModel:
    if precision == "fp32":
        return base
    model = copy.deepcopy(base.model)
    if precision == "bf16":
        model = model.to(torch.bfloat16)
    else:
        quantize: Any = torch.ao.quantization.quantize_dynamic
        model.model = quantize(model.model, {torch.nn.Linear}, dtype=torch.qint8)
    return replace(base, model=model)


def _reference(model: LocalChatModel) -> float:
    loaded = model.loaded()
    text = loaded.tokenizer.apply_chat_template(PROMPT, add_generation_prompt=True, tokenize=False)
    inputs = loaded.tokenizer(text, return_tensors="pt", add_special_tokens=False)
    started = time.perf_counter()
    with torch.inference_mode():
        out = loaded.model.generate(**inputs, **model.generation_kwargs(48, 0.0), min_new_tokens=48)
    return float(out.shape[1] - inputs["input_ids"].shape[1]) / (time.perf_counter() - started)


def _request(channel: Channel, variants: int, brand: str = "trailhead") -> CopyRequest:
    """The demo's offer for the sample brand; for a suite brand, 10% off its first catalogue item."""
    segment = SegmentProfile(name="at risk", description="high-value customers at risk of churning")
    if brand == "trailhead":
        catalogue = [
            CatalogueItem(name=r.name, category=r.category, description=r.description, price=r.price)
            for r in product_catalogue().itertuples()
        ]
        offer = OfferFacts(product="running shoes", discount="15%")
        voice = brand_from_text(BRAND_GUIDE)
    else:
        spec = yaml.safe_load(SUITE.read_text())["brands"][brand]
        catalogue = [CatalogueItem(name=name) for name in spec["catalogue"]]
        offer = OfferFacts(product=spec["catalogue"][0], discount="10%")
        voice = BrandVoice(
            name=spec["name"], examples=spec["examples"], postal_address=spec["postal_address"]
        )
    return CopyRequest(
        channel=channel, offer=offer, brand=voice, segment=segment, variants=variants, catalogue=catalogue
    )


def main() -> None:
    torch.set_num_threads(1)
    base = LocalChatModel(threads=1)
    started = time.perf_counter()
    loaded = base.loaded()
    load_s = time.perf_counter() - started
    embedder = CachingEmbedder(default_embedder())
    embedder(["warm up"])
    seen: list[generator.Candidate] = []
    original = generator.choose

    def recording(
        pool: list[generator.Candidate], n: int, ignore: frozenset[str] = frozenset()
    ) -> list[generator.Candidate]:
        seen[:] = list(pool)
        return original(pool, n, ignore)

    generator.choose = recording  # type: ignore[assignment]
    rows = []
    for precision in os.environ.get("BENCH_PRECISIONS", "fp32,bf16,int8").split(","):
        model = _Precision(_convert(loaded, precision), precision)
        model.chat(PROMPT, max_tokens=2)
        ref = _reference(model)
        requests: tuple[tuple[Channel, int], ...] = (("sms", 3), ("email", 2))
        for brand, (channel, n) in ((b, r) for b in BRANDS for r in requests):
            result = generate_copy(_request(channel, n, brand), model, embedder=embedder)
            lines = [line for c in seen for line in c.lines.values() if not line.template]
            usable = sum(not line.problems for line in lines)
            templated = sum("template line" in w for v in result.variants for w in v.warnings)
            rows.append(
                (precision, f"{ref:.1f}", f"{brand}: {n} {channel}", f"{result.seconds:.1f}", f"{result.passed}/{n}",
                 f"{usable}/{len(lines)}", str(templated))
            )  # fmt: skip
    header = ("precision", "ref tok/s", "request", "seconds", "passed", "usable lines", "template parts")
    print(f"bench_copy  load {load_s:.1f} s  torch threads 1  load average {os.getloadavg()[0]:.1f}")
    print("targets: 2 email < 30 s, 3 sms < 15 s")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
