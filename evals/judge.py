"""Optional LLM judge: grades copy against the rubric in ``prompts/eval_judge.yaml``. Off by default.

The judge takes any ``complete(system, user) -> str`` callable, so it runs on whatever chat model
the caller has (the agent's fallback model, a test's scripted model). The deterministic metrics
decide pass/fail; the judge's mean score is reported as a soft metric when enabled.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import yaml

from data.errors import ModelAPIError
from evals.types import CheckContext, CopyDraft, MetricResult

Complete = Callable[[str, str], str]


@lru_cache(maxsize=1)
def rubric() -> dict[str, Any]:
    """The judge's rubric and prompt templates (package data)."""
    text = (importlib.resources.files("prompts") / "eval_judge.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def judge_messages(draft: CopyDraft, context: CheckContext) -> tuple[str, str]:
    """The (system, user) messages exactly as they will be sent."""
    r = rubric()
    criteria = "\n".join(f"- {c['name']}: {c['question']}" for c in r["criteria"])
    copy = "\n".join(f"{k}: {v}" for k, v in draft.parts.items())
    offer = ", ".join(f"{k}: {v}" for k, v in context.offer.items()) or "none"
    user = str(r["user"]).format(
        brand=context.brand or "unknown",
        channel=draft.channel,
        segment=context.segment or "all customers",
        offer=offer,
        copy=copy,
        criteria=criteria,
    )
    return str(r["system"]), user


def parse_verdict(reply: str) -> tuple[dict[str, int], dict[str, str]]:
    """Scores (1-5) and reasons from the judge's reply; raises ``ModelAPIError`` if unusable."""
    match = re.search(r"\{.*\}", reply, re.S)
    try:
        data = json.loads(match.group(0) if match else reply)
        names = [c["name"] for c in rubric()["criteria"]]
        scores = {n: int(data["scores"][n]) for n in names}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ModelAPIError(f"the judge's reply is not the rubric's JSON: {exc}") from None
    if any(not 1 <= s <= 5 for s in scores.values()):
        raise ModelAPIError("the judge gave a score outside 1-5")
    reasons = {str(k): str(v) for k, v in (data.get("reasons") or {}).items()}
    return scores, reasons


def judge_check(
    draft: CopyDraft, context: CheckContext, complete: Complete, min_score: float = 3.0
) -> MetricResult:
    """Soft: the mean rubric score (1-5) of the judge; fails below ``min_score``."""
    system, user = judge_messages(draft, context)
    scores, reasons = parse_verdict(complete(system, user))
    mean = sum(scores.values()) / len(scores)
    weakest = min(scores, key=lambda k: scores[k])
    reason = (
        f"judge mean {mean:.1f}/5; weakest {weakest} ({scores[weakest]}): {reasons.get(weakest, '')}".strip()
    )
    return MetricResult(
        metric="judge",
        score=round(mean, 3),
        threshold=min_score,
        passed=mean >= min_score,
        hard=False,
        reason=reason,
        details={"scores": scores, "reasons": reasons},
    )
