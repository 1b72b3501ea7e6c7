"""Local LLM speed through our stack, and the copy generator end to end.

Targets (issue 9): tokens/s through ``LocalChatModel`` at least 0.9x of calling ``transformers``
``generate`` directly on the same prompt with the same arguments (reference measured in the same
run, runs interleaved so machine load hits both alike); time to the first streamed token; 3 email
variants with the local model end to end under 60 s on the 2-core machine.
``BENCH_THREADS=1`` pins torch to one thread (faster when other processes share the 2 cores).
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from datetime import date  # noqa: E402

import torch  # noqa: E402

from agent.llm import LocalChatModel, collect  # noqa: E402
from data.synth.documents import BRAND_GUIDE  # noqa: E402
from tools.copy import CopyRequest, OfferFacts, SegmentProfile, brand_from_text, generate_copy  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "You write short, warm marketing copy for a running shop."},
    {"role": "user", "content": "Write a short email about the Cloudline 2 road shoe for loyal runners."},
]
NEW_TOKENS = int(os.environ.get("BENCH_TOKENS", "64"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def direct_generate(model: LocalChatModel) -> tuple[int, float]:
    """The reference: tokenizer + ``generate`` called directly, same prompt and arguments."""
    loaded = model.loaded()
    text = loaded.tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    inputs = loaded.tokenizer(text, return_tensors="pt", add_special_tokens=False)
    kwargs = model.generation_kwargs(NEW_TOKENS, 0.0)
    started = time.perf_counter()
    with torch.inference_mode():
        out = loaded.model.generate(**inputs, **kwargs)
    seconds = time.perf_counter() - started
    return int(out.shape[1] - inputs["input_ids"].shape[1]), seconds


def main() -> None:
    if os.environ.get("BENCH_THREADS"):
        torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
    load_started = time.perf_counter()
    model = LocalChatModel()
    model.loaded()
    load_s = time.perf_counter() - load_started
    model.chat(MESSAGES, max_tokens=4)  # warm-up, both paths share it

    direct, ours, ttft, streamed = [], [], [], []
    for _ in range(ROUNDS):
        n, s = direct_generate(model)
        direct.append(n / s)
        result = model.chat(MESSAGES, max_tokens=NEW_TOKENS)
        ours.append(result.completion_tokens / result.latency_s)
        stream = collect(model.stream(MESSAGES, max_tokens=NEW_TOKENS))
        ttft.append(stream.first_token_s or 0.0)
        streamed.append(stream.completion_tokens / stream.latency_s)

    request = CopyRequest(
        channel="email",
        offer=OfferFacts(
            product="Ridgeback 3 trail shoe",
            features="aggressive grip, rock plate",
            price=139,
            discount="15%",
            code="RUN15",
            deadline=date(2026, 12, 31),
        ),
        brand=brand_from_text(BRAND_GUIDE),
        segment=SegmentProfile(name="at risk", description="runners we have not seen for a while"),
        variants=3,
    )
    copy = generate_copy(request, model)

    med = statistics.median
    rows = [
        ("model load (packaged GGUF, once per process)", f"{load_s:.1f} s", ""),
        (
            f"transformers generate ({NEW_TOKENS} tokens, median of {ROUNDS})",
            f"{med(direct):.1f} tok/s",
            "ref",
        ),
        ("LocalChatModel.chat, same prompt", f"{med(ours):.1f} tok/s", f"{med(ours) / med(direct):.2f}x"),
        ("LocalChatModel.stream", f"{med(streamed):.1f} tok/s", f"{med(streamed) / med(direct):.2f}x"),
        ("time to first streamed token", f"{med(ttft) * 1000:.0f} ms", ""),
        (
            f"copy: 3 email variants ({copy.model_calls} calls, {copy.completion_tokens} tok, {copy.passed}/3 passed)",
            f"{copy.seconds:.1f} s",
            "target < 60 s",
        ),
        ("copy incl. model load (cold process)", f"{copy.seconds + load_s:.1f} s", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"bench_llm  torch threads={torch.get_num_threads()}  load average={os.getloadavg()[0]:.1f}")
    print(f"{'measure':<{width}}  {'value':>12}  ratio")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>12}  {ratio}")


if __name__ == "__main__":
    main()
