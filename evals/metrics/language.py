"""Language detection with langdetect, seeded so the same text always gets the same answer."""

from __future__ import annotations

from functools import lru_cache

from langdetect import DetectorFactory
from langdetect.detector_factory import init_factory
from langdetect.lang_detect_exception import LangDetectException

from evals.metrics.readability import prose
from evals.types import CheckContext, CopyDraft, MetricResult

_MIN_LETTERS = 20
# langdetect averages 7 random trials by default; with a fixed seed one trial gives the same top
# language on all our labelled copy and 94% vs 95% "en" on 400 short news headlines, 5x faster.
_TRIALS = 1


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    DetectorFactory.seed = 0
    init_factory()
    from langdetect import detector_factory

    factory = detector_factory._factory
    assert factory is not None
    return factory


@lru_cache(maxsize=4096)
def detect_language(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) of the most likely language, or None when undecidable.

    Cached: the soft ``language`` score and the hard ``language_match`` check ask about the same prose.
    """
    detector = _factory().create()
    detector.n_trial = _TRIALS
    detector.append(text)
    try:
        best = detector.get_probabilities()
    except LangDetectException:
        return None
    return (best[0].lang, float(best[0].prob)) if best else None


def language_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Soft: the copy is in the expected language (skipped when too short to tell)."""
    expected = draft.language or context.language
    text = prose(draft)
    letters = sum(c.isalpha() for c in text)
    found = detect_language(text) if letters >= _MIN_LETTERS else None
    if found is None:
        return MetricResult(
            metric="language", score=0.0, passed=True, hard=False, skipped=True,
            reason=f"too little text to detect the language ({letters} letters)",
        )  # fmt: skip
    lang, prob = found
    score = prob if expected is None or lang == expected else 0.0
    passed = expected is None or (lang == expected and prob >= context.thresholds.min_language_probability)
    reason = f"detected {lang} (p={prob:.2f})" + ("" if passed else f"; expected {expected}")
    return MetricResult(
        metric="language",
        score=round(score, 4),
        threshold=context.thresholds.min_language_probability,
        passed=passed,
        hard=False,
        reason=reason,
        details={"language": lang, "probability": round(prob, 4), "expected": expected},
    )
