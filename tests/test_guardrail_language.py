"""Wrong language is a hard failure; Chinese copy with Chinese CTAs and opt-outs passes."""

from __future__ import annotations

from evals.checks import check_copy
from evals.metrics.language_match import language_match_check
from evals.types import CheckContext, CopyDraft

ZH = CheckContext(
    offer={
        "product": "丰收拼配咖啡豆",
        "price": 128,
        "discount": "10%",
        "code": "BREW10",
        "deadline": "2026-12-20",
    },
    brand="Ember & Oak Coffee Roasters",
    postal_address="Ember & Oak Coffee Roasters, 48 Mill Lane, Portland, OR 97214, USA",
    catalogue=["丰收拼配咖啡豆"],
    language="zh",
)
EN = ZH.model_copy(update={"offer": {**ZH.offer, "product": "Harvest Blend"}, "language": "en"})
GOOD_ZH = "".join(
    [
        "【余烬橡木】丰收拼配咖啡豆新鲜出炉，可可与烤榛子风味。",
        "用码BREW10立享10%优惠，12月20日截止。立即选购！回复TD退订",
    ]
)


def test_good_chinese_sms_passes_every_hard_check() -> None:
    report = check_copy(CopyDraft(channel="sms", parts={"text": GOOD_ZH}, language="zh"), ZH)
    assert report.passed, report.failures
    assert report.result("cta").passed and report.result("compliance").passed
    assert report.result("language_match").status == "passed"


def test_issue_13_english_around_a_chinese_product_name_fails_hard() -> None:
    text = (
        "Ember & Oak: Take 10% off the 丰收拼配咖啡豆 with code BREW10 until Dec 20. "
        "Shop now. Reply STOP to opt out."
    )
    report = check_copy(CopyDraft(channel="sms", parts={"text": text}, language="zh"), ZH)
    result = report.result("language_match")
    assert result.hard and result.status == "failed"
    assert "must be written in zh" in result.reason
    assert not report.passed


def test_english_copy_in_spanish_fails_and_english_passes() -> None:
    spanish = (
        "Tu próximo pedido te espera. Aprovecha el descuento antes de que termine la oferta. Compra ahora."
    )
    result = language_match_check(
        CopyDraft(channel="push", parts={"title": "Harvest Blend", "body": spanish}), EN
    )
    assert result.status == "failed" and "detected es" in result.reason
    english = "Harvest Blend is fresh off the roaster. Take 10% off with code BREW10 until Dec 20. Shop now."
    assert language_match_check(CopyDraft(channel="push", parts={"body": english}), EN).status == "passed"


def test_chinese_copy_sent_to_english_readers_fails() -> None:
    draft = CopyDraft(
        channel="push", parts={"body": "您的下一份订单正在等待。在优惠结束前享受折扣。立即购买。"}
    )
    assert language_match_check(draft, EN).status == "failed"


def test_too_little_text_is_not_run_never_passed() -> None:
    result = language_match_check(CopyDraft(channel="push", parts={"body": "Shop now."}), EN)
    assert result.status == "not_run" and "too little text" in result.reason


def test_the_fast_detector_gives_stock_langdetect_probabilities_bit_for_bit() -> None:
    """``evals.metrics.language`` runs langdetect's own walk faster; it must not change an answer."""
    import random

    from langdetect.lang_detect_exception import LangDetectException

    from evals.metrics.language import _factory, _FastDetector

    rng = random.Random(5)
    words = "trail shoes Ridgeback grip wet rock Kaffee Bohnen café mañana 咖啡豆 新鲜 SMS STOP 15% x".split()
    texts = [
        "Your next long run deserves fresh legs. Take 15% off with code RUN15.",
        "Frisch geröstet am Dienstag: unsere Hausmischung mit Noten von Kakao.",
        "Du café fraîchement torréfié, livré chez vous chaque semaine.",
        GOOD_ZH,
        "Visit https://example.com or write to hello@example.com today",
        *(" ".join(rng.choice(words) for _ in range(rng.randint(3, 30))) for _ in range(40)),
    ]
    for trials in (1, 7):
        for text in texts:
            answers = []
            for detector in (_factory().create(), _FastDetector(_factory())):
                detector.n_trial = trials
                detector.append(text)
                try:
                    answers.append([(p.lang, p.prob) for p in detector.get_probabilities()])
                except LangDetectException:
                    answers.append([])
            assert answers[0] == answers[1], text


def test_a_short_chinese_sms_for_an_english_offer_is_the_wrong_language() -> None:
    """Under 25 letters, but 8 or more Chinese characters are enough to tell."""
    from evals.metrics.language_match import language_match_check
    from evals.types import CheckContext, CopyDraft

    draft = CopyDraft(
        channel="sms", parts={"text": "Crumb & Co：酸面种套装立减15%，优惠码RISE15。回复STOP退订"}
    )
    result = language_match_check(draft, CheckContext(brand="Crumb & Co.", language="en"))
    assert not result.passed and not result.skipped, result.reason


def test_plainly_english_copy_skips_the_ngram_walk_and_other_languages_do_not() -> None:
    from evals.metrics.language import _plainly_english, detect_language

    english = "Take 10% off the Harvest Blend with code BREW10 and get it to your door by Friday."
    french = "Profitez de 10% sur le melange Harvest avec le code BREW10 jusqu'au 20 decembre."
    assert _plainly_english(english) and detect_language(english) == ("en", 1.0)
    assert not _plainly_english(french) and detect_language(french) is not None
    assert detect_language(french)[0] == "fr"  # type: ignore[index]
    assert not _plainly_english("Frühling ist da: 10% auf alles mit dem Code BREW10 für dich.")
