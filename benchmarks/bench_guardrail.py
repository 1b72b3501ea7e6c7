"""Guardrail speed and agreement: the full hard-check set on 10,000 variants, and the labelled set.

Target (issue 13): the guardrail on 10,000 variants in under 30 s on this 2-core machine.
Same-run reference: the old check set (format checks and soft scores, without the reader's checks).
Embedding checks (off-topic, brand voice) are timed batched on a sample and scaled, as in
bench_evals.py: embedding 10,000 texts is the model's cost, not the checks'.
Then the agreement with the person on the labelled set, per category, on the split given by
BENCH_SPLIT (default test; tune on dev only).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import textstat  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from data.synth.documents import BRAND, CATEGORIES, POSTAL_ADDRESS  # noqa: E402
from evals.checks import READER_METRICS, check_copy  # noqa: E402
from evals.embedding import CachingEmbedder, default_embedder  # noqa: E402
from evals.judgements import Split, agreement, check_all, format_table, load_judgements  # noqa: E402
from evals.metrics.grounding import offer_facts  # noqa: E402
from evals.metrics.language import detect_language  # noqa: E402
from evals.metrics.off_topic import off_topic_check, topic_reference, topic_text  # noqa: E402
from evals.metrics.readability import _prose  # noqa: E402
from evals.metrics.sentiment import sentiment  # noqa: E402
from evals.metrics.text import _copy_parts, _sentences  # noqa: E402
from evals.types import CheckContext, CopyDraft  # noqa: E402

N = int(os.environ.get("BENCH_VARIANTS", "10000"))
N_EMBED = int(os.environ.get("BENCH_EMBED", "500"))
SPLIT: Split = "dev" if os.environ.get("BENCH_SPLIT") == "dev" else "test"
EXAMPLES = [
    "Your next long run deserves fresh legs. The Ridgeback 3 is back in your size.",
    "Rain or shine, the Trail Shell keeps you out there. Find your fit today.",
]
OPENINGS = ["Fresh legs for the trail", "Your next long run starts here", "Rain or shine, keep going",
            "New season, new miles", "Back on the trail"]  # fmt: skip
CTAS = ["Find your fit today.", "Shop now.", "Order now.", "Get yours.", "Lace up again."]
FAULTS = ["Sure! Here is your SMS:", "Write an SMS under 160 characters.", "Meet the Velocity Pro.",
          "Voted the best shoe in America.", "Hi [Customer Name],", "Still too lazy to run?"]  # fmt: skip


def variants(n: int, per_request: int = 10, seed: int = 3) -> list[tuple[CopyDraft, CheckContext]]:
    """Distinct variants over the sample catalogue, ``per_request`` per offer; ~15% carry a planted fault."""
    rng = random.Random(seed)
    items = [(name, price, desc) for rows in CATEGORIES.values() for name, price, desc in rows]
    catalogue = [name for name, _, _ in items]
    out = []
    ctx = CheckContext()
    pct, code = 15, "RUN15"
    for i in range(n):
        if i % per_request == 0:
            name, price, desc = rng.choice(items)
            pct, code = rng.choice([10, 15, 20]), f"RUN{rng.randint(10, 99)}"
            ctx = CheckContext(
                offer={"product": name, "price": price, "features": desc, "discount": f"{pct}%", "code": code,
                       "deadline": "2026-12-31", "ref": i},
                brand=BRAND, postal_address=POSTAL_ADDRESS, brand_examples=EXAMPLES, catalogue=catalogue,
                product_description=desc,
            )  # fmt: skip
        fault = rng.choice(FAULTS) + " " if rng.random() < 0.15 else ""
        opening, cta = rng.choice(OPENINGS), rng.choice(CTAS)
        deal = f"Take {pct}% off with code {code} until Dec 31."
        line = f"{fault}{opening}, {{{{first_name}}}}. The {name}: {desc}. {deal}"
        channel = ("email", "sms", "push")[i % 3]
        if channel == "email":
            parts = {"subject": f"{opening}, {{{{first_name}}}}", "preheader": f"{pct}% off the {name}",
                     "body": f"{line} Ref {ctx.offer['ref']}. {cta}\n\nUnsubscribe: {{{{unsubscribe_url}}}}\n"
                     f"{POSTAL_ADDRESS}"}  # fmt: skip
        elif channel == "sms":
            parts = {"text": f"Trailhead: {line} {cta} Reply STOP to opt out"}
        else:
            parts = {"title": name[:50], "body": f"{fault}{opening}: {pct}% off the {name}. {cta}"}
        out.append((CopyDraft(channel=channel, parts=parts), ctx))
    return out


def clear_caches() -> None:
    """Forget every per-text result cached by the metrics and by textstat."""
    for fn in (detect_language, _prose, _copy_parts, _sentences):
        fn.cache_clear()
    textstat.textstat._cache_clear()


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall s, CPU s, value) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - t0, time.process_time() - c0, value


def main() -> None:
    data = variants(N)
    detect_language("warm up the language profiles")
    sentiment("warm up")
    embedding_checks = ("brand_voice", "diversity", "off_topic")

    def run(skip: tuple[str, ...]) -> Callable[[], int]:
        def score() -> int:
            passed, facts, last = 0, offer_facts(data[0][1]), data[0][1]
            for draft, ctx in data:
                if ctx is not last:
                    facts, last = offer_facts(ctx), ctx
                passed += check_copy(draft, ctx, facts=facts, skip=skip).passed
            return passed

        return score

    t_new, c_new, p_new = timed(run(embedding_checks))
    clear_caches()  # the reference must not reuse the first run's cached prose and language detections
    t_old, c_old, p_old = timed(run(embedding_checks + READER_METRICS))

    t_load, _, embed = timed(default_embedder)
    cached = CachingEmbedder(embed, batch_size=128)  # type: ignore[arg-type]
    sample = data[:N_EMBED]

    def topic() -> int:
        cached.prime([t for d, c in sample for t in (topic_text(d, c), topic_reference(c))])
        return sum(off_topic_check(d, c, cached).passed for d, c in sample)

    t_topic, c_topic, _ = timed(topic)
    per_topic = t_topic / len(sample)

    table = Table(title=f"Guardrail on {N:,} copy variants ({os.cpu_count()} CPUs)", title_justify="left")
    for col in ("what", "wall s", "CPU s", "ms / variant", "passed", "ratio to old"):
        table.add_column(col, justify="left" if col == "what" else "right")
    table.add_row(f"guardrail: every hard check but off-topic + soft scores ({len(READER_METRICS) - 1} new)",
                  f"{t_new:.1f}", f"{c_new:.1f}", f"{t_new / N * 1e3:.2f}", f"{p_new:,}",
                  f"{t_new / t_old:.2f}")  # fmt: skip
    table.add_row("  ref: old check set (format checks + soft scores)", f"{t_old:.1f}", f"{c_old:.1f}",
                  f"{t_old / N * 1e3:.2f}", f"{p_old:,}", "1.00")  # fmt: skip
    scaled = f"{c_topic / len(sample) * N:.1f}"
    table.add_row(f"off-topic, batched embeddings ({len(sample):,} timed, scaled to {N:,})",
                  f"{per_topic * N:.1f}", scaled, f"{per_topic * 1e3:.2f}", "", "")  # fmt: skip
    table.add_row("embedding model load (once)", f"{t_load:.1f}", "", "", "", "")
    Console(width=130).print(table)
    print(f"target: guardrail (without embeddings) on {N:,} variants under 30 s -> "
          f"{'met' if t_new < 30 else 'NOT met'}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine)")

    judged = load_judgements()
    t_agree, _, rows = timed(lambda: agreement(check_all(judged, SPLIT, cached)))
    print(f"\nagreement with the person, {SPLIT} split ({t_agree:.1f} s, embeddings on):")
    print(format_table(rows))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
