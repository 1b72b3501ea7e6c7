"""Baselines: per-case mean scores saved from a good run; a later run may not drop below them.

A score "drops" when it moves in its metric's worse direction (lower for grounding or brand voice,
higher for readability grade or spamminess) by more than the suite's tolerance for that metric.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from data.errors import DataValidationError
from evals.runner import SuiteResult
from evals.suite import Suite

# Metric direction (True = higher is better); must match the metrics' own ``higher_is_better``.
HIGHER_IS_BETTER: dict[str, bool] = {
    "length": False, "tokens": False, "grounding": True, "compliance": True, "spam": False, "cta": True,
    "readability": False, "language": True, "sentiment": True, "brand_voice": True, "diversity": False, "judge": True,
    "meta_talk": False, "instruction_echo": False, "entities": False, "claims": False, "off_topic": True,
    "broken_text": False, "tone": False, "language_match": True, "grammar": False,
}  # fmt: skip


class Baseline(BaseModel):
    """Saved per-case mean scores of a suite run."""

    suite: str
    created: str
    embeddings: bool
    scores: dict[str, dict[str, float]] = Field(description="case id -> metric -> mean score")
    note: str = ""


class Regression(BaseModel):
    """One score that moved the wrong way by more than its tolerance."""

    case: str
    metric: str
    baseline: float
    current: float
    tolerance: float

    def describe(self) -> str:
        """One line for people."""
        return (
            f"{self.case}: {self.metric} {self.current:.4g} vs baseline {self.baseline:.4g} "
            f"(tolerance {self.tolerance:g})"
        )


def baseline_from(result: SuiteResult, note: str = "") -> Baseline:
    """A baseline holding this run's per-case scores (skipped and errored cases left out)."""
    return Baseline(
        suite=result.suite,
        created=result.started,
        embeddings=result.embeddings,
        scores={c.id: dict(sorted(c.scores.items())) for c in result.cases if c.scores},
        note=note,
    )


def write_baseline(baseline: Baseline, path: Path) -> None:
    """Write the baseline as stable, diff-friendly JSON (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(baseline.model_dump(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; errors name the file."""
    try:
        return Baseline.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataValidationError(
            "baseline file not found; write one with --write-baseline", file=str(path)
        ) from None
    except ValidationError as exc:
        raise DataValidationError(f"not a baseline file: {exc.errors()[0]['msg']}", file=str(path)) from None


def compare(result: SuiteResult, baseline: Baseline, suite: Suite) -> list[Regression]:
    """Scores of this run that fell behind the baseline by more than the suite's tolerance.

    Metrics that depend on embeddings are compared only when both runs had them.
    """
    out: list[Regression] = []
    for case in result.cases:
        before = baseline.scores.get(case.id)
        if not before or case.status in ("skipped", "error"):
            continue
        for metric, base in before.items():
            if metric not in case.scores:
                continue
            current = case.scores[metric]
            tol = suite.tolerance(metric)
            worse = base - current if HIGHER_IS_BETTER.get(metric, True) else current - base
            if worse > tol + 1e-9:
                out.append(
                    Regression(case=case.id, metric=metric, baseline=base, current=current, tolerance=tol)
                )
    return out
