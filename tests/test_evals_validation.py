"""Soft scores on real public text (tests/data/README.md) and on labelled copy: do they order sensibly?"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from data.errors import ConfigError
from data.synth.documents import BRAND
from evals.embedding import CachingEmbedder, Embedder, default_embedder, packaged_embedder
from evals.metrics.brand_voice import brand_voice_check, voice_similarity
from evals.metrics.diversity import diversity_check, self_similarity
from evals.metrics.language import detect_language, language_check
from evals.metrics.readability import readability, readability_check
from evals.metrics.sentiment import sentiment
from evals.metrics.spam import hype_score, spam_score
from evals.types import CheckContext, CopyDraft

DATA = Path(__file__).parent / "data"
BRAND_EXAMPLES = [
    "Your next long run deserves fresh legs. The Ridgeback 3 is back in your size.",
    "Rain or shine, the Trail Shell keeps you out there. Find your fit today.",
    "It has been a while since your last run with us. Here is 15% off to lace up again.",
    "New season, new miles. Meet the lightest Tempo yet.",
    "You logged the miles, we brought the cushioning. Shop the Cloudline 2.",
]


def test_readability_grade_rises_with_text_difficulty() -> None:
    df = pd.read_csv(DATA / "onestopenglish_sample.csv")
    df["grade"] = [readability(t)[0] for t in df["text"]]
    df["ease"] = [readability(t)[1] for t in df["text"]]
    means = df.groupby("level")[["grade", "ease"]].mean()
    assert means.loc["Ele", "grade"] < means.loc["Int", "grade"] < means.loc["Adv", "grade"]
    assert means.loc["Ele", "ease"] > means.loc["Int", "ease"] > means.loc["Adv", "ease"]
    wide = df.pivot(index="article", columns="level", values="grade")
    assert (wide["Ele"] < wide["Adv"]).mean() >= 0.9  # the same article, rewritten for two levels


def test_readability_flags_dense_copy_and_skips_fragments() -> None:
    ctx = CheckContext()
    plain = CopyDraft(
        channel="social",
        parts={"text": "Rain or shine, the Trail Shell keeps you dry. It packs small. Find your fit."},
    )
    dense = CopyDraft(
        channel="social",
        parts={
            "text": "Engineered utilising proprietary multilayered waterproof-breathable membrane technologies, "
            "the Trail Shell jacket facilitates uninterrupted athletic performance notwithstanding "
            "considerable precipitation and fluctuating meteorological circumstances."
        },
    )
    assert readability_check(plain, ctx).passed
    result = readability_check(dense, ctx)
    assert not result.passed and "shorter sentences" in result.reason
    assert readability_check(CopyDraft(channel="sms", parts={"text": "Shop now."}), ctx).skipped


def test_spam_and_hype_scores_are_higher_on_clickbait_headlines() -> None:
    df = pd.read_csv(DATA / "clickbait_sample.csv")
    spam = np.array([spam_score(t) for t in df["headline"]])
    hype = np.array([hype_score(t) for t in df["headline"]])
    bait = df["clickbait"].to_numpy() == 1
    assert spam[bait].mean() > 3 * spam[~bait].mean()
    assert roc_auc_score(bait, spam) > 0.75
    assert roc_auc_score(bait, hype) > 0.75


def test_sentiment_tracks_human_ratings_of_tweets() -> None:
    df = pd.read_csv(DATA / "vader_tweets_sample.csv")
    scores = np.array([sentiment(str(t)) for t in df["text"]])
    r = np.corrcoef(scores, df["human_mean_sentiment"])[0, 1]
    assert r > 0.8  # published: 0.87 on the full tweet set


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Your next long run deserves fresh legs. Shop the Ridgeback 3 today.", "en"),
        ("Tu próxima carrera larga merece piernas frescas. Compra las Ridgeback 3 hoy.", "es"),
        ("Ta prochaine sortie longue mérite des jambes fraîches. Découvre la Ridgeback 3.", "fr"),
        ("Dein nächster langer Lauf verdient frische Beine. Entdecke jetzt den Ridgeback 3.", "de"),
        ("La tua prossima corsa lunga merita gambe fresche. Scopri oggi le Ridgeback 3.", "it"),
        ("Je volgende lange duurloop verdient frisse benen. Ontdek vandaag de Ridgeback 3.", "nl"),
    ],
)
def test_language_detection_on_labelled_copy(text: str, lang: str) -> None:
    found = detect_language(text)
    assert found is not None and found[0] == lang
    assert detect_language(text) == found  # seeded: same text, same answer


def test_language_check_fails_copy_in_the_wrong_language() -> None:
    draft = CopyDraft(
        channel="social", parts={"text": "Tu próxima carrera larga merece piernas frescas. Compra hoy."}
    )
    result = language_check(draft, CheckContext(language="en"))
    assert not result.passed and "expected en" in result.reason
    assert language_check(draft, CheckContext(language="es")).passed


def test_diversity_without_embeddings_orders_near_duplicates_above_distinct_variants() -> None:
    same = [
        "Rain or shine, the Trail Shell keeps you out there.",
        "Rain or shine, the Trail Shell keeps you out there!",
    ]
    varied = [
        "Rain or shine, the Trail Shell keeps you out there.",
        "Packs into its own pocket: meet the Trail Shell.",
    ]
    assert self_similarity(same) > 0.9 > self_similarity(varied)
    ctx = CheckContext()
    a, b, c = (CopyDraft(channel="social", parts={"text": t}) for t in (same[0], same[1], varied[1]))
    assert not diversity_check(a, [b], ctx).passed
    assert diversity_check(a, [c], ctx).passed


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """The real packaged sentence-transformers model (loaded once for this module)."""
    return default_embedder()


@pytest.mark.slow
def test_brand_voice_prefers_on_brand_copy(embedder: Embedder) -> None:
    on_brand = [
        "Fresh legs for the trail. The Ridgeback 3 is back, find your fit.",
        "Rain or shine, keep running. The Trail Shell jacket keeps you dry.",
        "Your long runs deserve more cushioning. Meet the Cloudline 2.",
    ]
    off_brand = [
        "Quarterly earnings exceeded analyst expectations due to lower operating costs.",
        "The committee will review the zoning application at its next public meeting.",
        "Please find attached the invoice for last month's consulting services.",
    ]
    on = voice_similarity(on_brand, BRAND_EXAMPLES, embedder)
    off = voice_similarity(off_brand, BRAND_EXAMPLES, embedder)
    assert min(on) > max(off)
    ctx = CheckContext(brand=BRAND, brand_examples=BRAND_EXAMPLES)
    good = brand_voice_check(CopyDraft(channel="social", parts={"text": on_brand[0]}), ctx, embedder)
    bad = brand_voice_check(CopyDraft(channel="social", parts={"text": off_brand[0]}), ctx, embedder)
    assert good.passed and not bad.passed and "follow the tone" in bad.reason


@pytest.mark.slow
def test_embedding_diversity_and_caching_batch_the_model_calls(embedder: Embedder) -> None:
    cached = CachingEmbedder(embedder, batch_size=64)
    texts = [f"Variant {i}: the Ridgeback 3 is back in your size." for i in range(100)] + BRAND_EXAMPLES
    cached.prime(texts)
    assert cached.calls == 2  # 105 texts in batches of 64
    near = self_similarity(texts[:5], cached)
    far = self_similarity(BRAND_EXAMPLES, cached)
    assert cached.calls == 2  # everything came from the cache
    assert near > far
    vectors = cached(texts[:3])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_bfloat16_embedder_agrees_with_float32_and_rejects_other_dtypes() -> None:
    texts = [
        "Fresh legs for your next long run.",
        "Electric cars are getting cheaper.",
        "Harvest Blend, cocoa notes.",
    ]
    full, half = packaged_embedder("float32")(texts), packaged_embedder("bfloat16")(texts)
    assert half.dtype == np.float32 and half.shape == full.shape == (3, 384)
    assert float(np.abs(full @ full.T - half @ half.T).max()) < 0.02
    with pytest.raises(ConfigError, match="bfloat16"):
        packaged_embedder("int4")
