"""The reader's checks: each rejects copy a marketer would not send and passes copy they would."""

from __future__ import annotations

from typing import Any

import pytest

from evals.checks import HARD_METRICS, check_copy
from evals.metrics.broken import broken_check
from evals.metrics.claims import claims_check
from evals.metrics.cta import cta_check
from evals.metrics.entities import entities_check
from evals.metrics.grammar import grammar_check, is_plural
from evals.metrics.instruction_echo import instruction_echo_check
from evals.metrics.meta_talk import meta_talk_check
from evals.metrics.spam import spam_check
from evals.metrics.tone import tone_check
from evals.types import CheckContext, CopyDraft, MetricResult

ADDRESS = "Ember & Oak Coffee Roasters, 48 Mill Lane, Portland, OR 97214, USA"
CTX = CheckContext(
    offer={
        "product": "Harvest Blend",
        "price": 18,
        "discount": "10%",
        "code": "BREW10",
        "deadline": "2026-12-20",
    },
    brand="Ember & Oak Coffee Roasters",
    postal_address=ADDRESS,
    brand_examples=["Fresh from Tuesday's roast: Harvest Blend, notes of cocoa and toasted hazelnut."],
    catalogue=["Harvest Blend", "Yirgacheffe Single Origin", "Night Owl Decaf", "Cold Brew Kit"],
    brand_facts=[
        "The Yirgacheffe Single Origin won a Good Food Award.",
        "Roasted in Portland every Tuesday.",
    ],
    product_description="Medium roast, notes of cocoa and toasted hazelnut.",
)
GOOD_SMS = (
    "Ember & Oak: Harvest Blend is fresh off Tuesday's roast. Take 10% off with code BREW10 until Dec 20."
)


def sms(text: str) -> CopyDraft:
    return CopyDraft(channel="sms", parts={"text": f"{text} Reply STOP to opt out."})


def email(body: str, subject: str = "Fresh from Tuesday's roast") -> CopyDraft:
    footer = f"Unsubscribe: {{{{unsubscribe_url}}}}\n{ADDRESS}"
    return CopyDraft(
        channel="email",
        parts={
            "subject": subject,
            "preheader": "10% off Harvest Blend until Dec 20.",
            "body": f"{body}\n\n{footer}",
        },
    )


def assert_fails(result: MetricResult, *words: str) -> None:
    assert result.hard and not result.passed and result.status == "failed", result.reason
    for word in words:
        assert word in result.reason, result.reason


def assert_passes(result: MetricResult) -> None:
    assert result.passed and result.status == "passed", result.reason


@pytest.mark.parametrize(
    "text",
    [
        "Sure! Here is a rewritten version of your SMS:",
        "I'd be happy to help refine this answer so it meets your requirements.",
        "Let me know if you'd like a different tone.",
        "As an AI language model, I suggest:",
        "This version keeps the tone friendly, as you requested.",
        "I left out the price so the offer stands out.",  # the writer's note on what they did
        "Second draft: tighter, and the code comes first.",
        "Shorter, as you wanted.",
        "Well under the character limit.",
        "Option B: Harvest Blend is back.",  # drafts labelled for the requester to pick from
        "Updated based on your notes.",
        "This version focuses on the deadline.",
        "以下是为您撰写的短信文案：",  # "below is the SMS copy written for you"
    ],
)
def test_meta_talk_rejects_copy_that_answers_the_requester(text: str) -> None:
    assert_fails(meta_talk_check(sms(f"{text} {GOOD_SMS} Shop now."), CTX), "speaks to the requester")


def test_meta_talk_passes_copy_that_talks_to_the_customer() -> None:
    assert_passes(meta_talk_check(sms(f"{GOOD_SMS} Here's to slow mornings. Shop now."), CTX))


@pytest.mark.parametrize(
    "text",
    [
        "Write an SMS under 160 characters for the at-risk segment.",
        "Subject line (max 60 characters):",
        "Include the promo code and the deadline.",
        "Tone: warm, no hype.",
        "Text message, one short sentence.",  # the copy prompt's own line label
        "Headline for lapsed readers.",
        "Remember to include a call to action.",
        "Don't mention competitors.",
        "Do not use the word cheap.",
        "Make it friendly and short.",
        "Every bag is fresh. (Keep the tone warm and literary.)",
        "Goal: get lapsed users to upgrade.",
        "The subject line must mention the roast day.",  # a rule about the copy itself
        "Return just the SMS text.",  # the output format asked for
        "Every bag is fresh, no commentary.",
        "Don't forget to mention the Good Food Award!",  # a reminder to the writer
        "This email aims to win back people who stopped ordering.",
        "Thank the customer for their last order.",
    ],
)
def test_instruction_echo_rejects_the_prompt_leaking_into_the_copy(text: str) -> None:
    assert_fails(instruction_echo_check(sms(f"{text} {GOOD_SMS}"), CTX), "repeats the prompt")


def test_instruction_echo_reads_past_the_sms_brand_prefix() -> None:
    draft = sms("Ember & Oak: Avoid exclamation marks and emojis. Take 10% off with code BREW10. Order now.")
    assert_fails(instruction_echo_check(draft, CTX), "Avoid exclamation marks")


@pytest.mark.parametrize(
    "line",
    [
        "Use code BREW10 at checkout. Keep your mornings slow.",
        "Don't miss the Tuesday roast.",
        "Remember to use code BREW10 at checkout.",
        "Mention code BREW10 in the shop.",
        "Keep it simple with a better cup.",
        "Make it yours.",
        "Avoid the winter rush.",
        "Don't use stale beans another morning.",
        "Start your morning with the Harvest Blend.",
        "Your cup should taste like Tuesday's roast.",
        "Don't forget to use code BREW10.",
        "Thank you for every order this year.",
    ],
)
def test_instruction_echo_passes_copy_with_ordinary_imperatives(line: str) -> None:
    assert_passes(instruction_echo_check(sms(f"{GOOD_SMS} {line} Order now."), CTX))


def test_invented_product_name_is_rejected_and_named() -> None:
    result = entities_check(sms(f"{GOOD_SMS} Pair it with the Midnight Roast Reserve. Shop now."), CTX)
    assert_fails(result, "Midnight Roast Reserve")


def test_issue_13_trail_shoes_are_not_in_a_running_catalogue() -> None:
    ctx = CTX.model_copy(
        update={"offer": {"product": "Ridgeback 3"}, "catalogue": ["Ridgeback 3", "Trail Shell"]}
    )
    assert_fails(
        entities_check(sms("Meet The Trail Shoes, built for the rigors of the market."), ctx), "Trail Shoes"
    )


def test_issue_13_demo_boots_are_not_sold_by_a_running_shoe_shop() -> None:
    shoes = CheckContext(
        offer={"product": "running shoes", "discount": "15%"}, brand="Trailhead Running Co.",
        catalogue=["Ridgeback 3 trail shoe", "Recovery Slide", "Trail Shell jacket"],
    )  # fmt: skip
    demo = sms("Trailhead Running Co.: What amazing boots. Take 15% off our running shoes. Shop now.")
    assert_fails(entities_check(demo, shoes), "does not sell", "boots")
    assert_passes(entities_check(sms("New shoes, or fresh sneakers for the trail. Shop now."), shoes))
    assert_passes(entities_check(sms("Pair them with the Trail Shell jacket. Shop now."), shoes))


def test_a_kinds_other_spelling_is_the_same_kind() -> None:
    cream = CheckContext(offer={"product": "Daily Dew Moisturiser"}, catalogue=["Daily Dew Moisturiser"])
    assert_passes(entities_check(sms("The moisturizer your skin wants. Shop now."), cream))
    assert_fails(entities_check(sms("The serum your skin wants. Shop now."), cream), "'serum'")


def test_a_coffee_roaster_may_say_coffee_but_not_offer_tea() -> None:
    assert_passes(entities_check(sms(f"Running low on coffee? {GOOD_SMS} Shop now."), CTX))
    assert_fails(entities_check(sms(f"Fancy a cup of tea? {GOOD_SMS} Shop now."), CTX), "'tea'")


def test_catalogue_names_places_and_calendar_words_pass() -> None:
    draft = email(
        "Hi {{first_name}},\n\nFrom our Portland roastery: the Night Owl Decaf and the Cold Brew Kit join "
        "Harvest Blend this December. Take 10% off with code BREW10 until Dec 20.\n\nOrder now."
    )
    assert_passes(entities_check(draft, CTX))


@pytest.mark.parametrize(
    "claim",
    [
        "Voted the best coffee in Oregon.",
        "The number one roaster in America.",
        "Our award-winning Harvest Blend is back.",  # the award is the Yirgacheffe's, not this blend's
        "#1 coffee on the West Coast.",
    ],
)
def test_claims_the_brand_cannot_back_are_rejected(claim: str) -> None:
    assert_fails(claims_check(sms(f"{claim} {GOOD_SMS} Shop now."), CTX), "do not support")


def test_the_brands_real_award_may_be_claimed_for_the_product_that_won_it() -> None:
    ctx = CTX.model_copy(update={"offer": {**CTX.offer, "product": "Yirgacheffe Single Origin"}})
    draft = sms(
        "Ember & Oak: our award-winning Yirgacheffe Single Origin is back. 10% off with BREW10. Shop now."
    )
    assert_passes(claims_check(draft, ctx))


def test_best_as_an_adverb_is_not_a_claim() -> None:
    assert_passes(claims_check(sms(f"{GOOD_SMS} It is best as a pour-over. Shop now."), CTX))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ember & Oak: Take 10% off the Harvest Blend with code", "stops mid-sentence"),
        ("Hi [Customer Name], your Harvest Blend is ready. Shop now.", "[Customer Name]"),
        ("Hi <name>, your Harvest Blend is ready. Shop now.", "<name>"),
        ("Brand guide: Ember & Oak Coffee Roasters: Take 10% off. Shop now.", "Brand guide:"),
        ("Fresh Harvest Blend<|im_end|> Shop now.", "<|im_end|>"),
        ("Take 10% off off off off the Harvest Blend. Shop now.", "repeats itself"),
        ("Cocoa and hazelnut. Cocoa and hazelnut. Cocoa and hazelnut. Shop now.", "repeats itself"),
        (
            "Great choice youve made. Take 10% off the Harvest Blend. Shop now.",
            "misspells 'youve'",
        ),  # the demo's
        ("Dont miss the Tuesday roast. Shop now.", "misspells 'Dont'"),
    ],
)
def test_broken_text_is_rejected_with_what_is_broken(text: str, found: str) -> None:
    assert_fails(broken_check(sms(text), CTX), found)


def test_issue_13_subject_cut_mid_phrase_is_broken() -> None:
    draft = email(
        "Hi {{first_name}},\n\nHarvest Blend is back.\n\nShop now.", "Harvest Blend, it's not just another"
    )
    assert_fails(broken_check(draft, CTX), "subject stops mid-sentence")


def test_complete_copy_with_a_headline_without_full_stop_passes() -> None:
    draft = email(
        "Hi {{first_name}},\n\nHarvest Blend is back. Take 10% off.\n\nShop now.", "Cocoa, hazelnut, 10% off"
    )
    assert_passes(broken_check(draft, CTX))


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("Still too lazy to reorder?", "hostile or shaming"),
        ("Shame on you for leaving us.", "hostile or shaming"),
        ("It's not our best coffee, but it's cheap.", "runs down the product"),
        ("Sure, it tastes a bit flat, but the price is right.", "runs down the product"),
    ],
)
def test_tone_rejects_shaming_the_customer_and_running_down_the_product(line: str, found: str) -> None:
    assert_fails(tone_check(sms(f"{line} {GOOD_SMS} Shop now."), CTX), found)


def test_tone_passes_an_honest_nudge() -> None:
    draft = sms("It has been a while since your last bag. Harvest Blend is roasted and waiting. Shop now.")
    assert_passes(tone_check(draft, CTX))


def test_tone_passes_the_readers_problem_that_the_product_solves() -> None:
    draft = sms(f"If your mornings feel a bit flat, {GOOD_SMS} Shop now.")
    assert_passes(tone_check(draft, CTX))
    assert_fails(tone_check(sms(f"Our beans are a bit flat, but {GOOD_SMS} Shop now."), CTX), "runs down")


@pytest.mark.parametrize("cta", ["Complete your order.", "Bring a bag home.", "Reorder today.", "Rejoin us."])
def test_less_common_imperatives_are_calls_to_action(cta: str) -> None:
    assert_passes(cta_check(sms(f"{GOOD_SMS} {cta}"), CTX))
    assert_fails(cta_check(email(GOOD_SMS.replace("Take", "There is")), CTX), "no call to action")


def test_a_short_offer_that_states_its_code_needs_no_separate_call_to_action() -> None:
    plain = cta_check(sms(GOOD_SMS.replace("Take", "There is")), CTX)  # code BREW10 is the action
    assert not plain.hard and plain.status == "failed" and "no call to action" in plain.reason  # a warning
    without_code = sms("Ember & Oak: Harvest Blend is fresh off Tuesday's roast.")
    assert_fails(cta_check(without_code, CTX), "no call to action")


def test_a_spam_word_the_brands_own_facts_state_is_not_spam() -> None:
    promise = "Every bag comes with a 30-day taste guarantee."
    guaranteed = sms(f"{GOOD_SMS} Freshness guaranteed for 30 days. Shop now.")
    assert_fails(spam_check(guaranteed, CTX), "guaranteed")
    assert_passes(spam_check(guaranteed, CTX.model_copy(update={"brand_facts": [promise]})))


@pytest.mark.parametrize("cta", ["Shop now.", "Order now.", "Get yours."])
def test_standard_ctas_are_not_spam(cta: str) -> None:
    assert_passes(spam_check(sms(f"{GOOD_SMS} {cta}"), CTX))


def test_issue_13_demo_email_is_rejected_for_meta_talk_not_passed() -> None:
    draft = email(
        "Hi {{first_name}}, I'm glad to hear that your business continues to grow, and I'd be happy to help "
        "refine this answer so it meets your requirements. Take 10% off the Harvest Blend. Shop now.",
        "This afternoon may be overlooked but I'm ready to help",
    )
    report = check_copy(draft, CTX)
    assert not report.passed
    assert report.result("meta_talk").status == "failed"


def test_good_email_passes_every_hard_check_and_lists_what_did_not_run() -> None:
    draft = email(
        "Hi {{first_name}},\n\nHarvest Blend came off the roaster on Tuesday, with notes of cocoa and toasted "
        "hazelnut. Take 10% off with code BREW10 until Dec 20.\n\nOrder now."
    )
    report = check_copy(draft, CTX)
    assert report.passed, report.failures
    assert {r.metric for r in report.results if r.hard} == set(HARD_METRICS)
    assert report.result("off_topic").status == "not_run"
    assert report.result("brand_voice").status == "not_run"
    assert any(line.startswith("off_topic: topic not checked: no embedder") for line in report.not_run)
    assert any(line.startswith("brand_voice:") for line in report.not_run)


def test_diversity_compares_all_variants_and_ignores_the_variant_itself() -> None:
    a = sms(f"{GOOD_SMS} Shop now.")
    b = sms(f"{GOOD_SMS} Order now.")
    c = sms(
        "Ember & Oak: colder mornings call for a rounder cup. 10% off Harvest Blend, code BREW10. Get yours."
    )
    variants = [a, b, c]
    result = check_copy(a, CTX, siblings=variants).result("diversity")
    assert result.status == "failed" and result.score > 0.5  # b differs from a only in its CTA
    assert check_copy(c, CTX, siblings=variants).result("diversity").status == "passed"


@pytest.mark.parametrize(
    "line",
    [
        "The running shoes is light and fast.",  # issue 13's demo email
        "Your new leggings has a pocket for keys.",
        "These beans was roasted on Tuesday.",
    ],
)
def test_grammar_rejects_a_plural_with_a_singular_verb(line: str) -> None:
    ctx = CTX.model_copy(update={"offer": {**CTX.offer, "product": "running shoes"}})
    assert_fails(grammar_check(sms(f"{line} {GOOD_SMS} Shop now."), ctx), "plural takes a singular verb")


@pytest.mark.parametrize(
    "line",
    [
        "The running shoes are light and fast.",
        "The news is good: Harvest Blend is back.",
        "Our process is simple and the glass is full.",
        "The Harvest Blend has notes of cocoa.",
        "This is the roast our customers asked for.",
    ],
)
def test_grammar_passes_copy_whose_verbs_agree(line: str) -> None:
    assert_passes(grammar_check(sms(f"{line} {GOOD_SMS} Shop now."), CTX))


def test_plural_product_names_are_told_from_singular_ones() -> None:
    assert is_plural("running shoes") and is_plural("Round-Ups") and is_plural("trail socks")
    assert not any(
        map(is_plural, ["Harvest Blend", "Penny Jar Plus", "Ridgeback 3", "Trail Shell", "Brightline Lens"])
    )
    ctx = CTX.model_copy(update={"offer": {**CTX.offer, "product": "Round-Ups"}})
    assert_fails(
        grammar_check(sms(f"Round-Ups is the easy way to save. {GOOD_SMS} Shop now."), ctx), "Round-Ups is"
    )


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("If your coffee tastes flat, stop blaming the beans. No more excuses.", "No more excuses"),
        ("LAST WARNING. Buy the Harvest Blend NOW or regret it.", "LAST WARNING"),
        ("Meh, it's a coffee. Nothing special, but it's 10% off.", "Nothing special"),
    ],
)
def test_tone_rejects_blame_threats_and_shrugs_at_the_product(line: str, found: str) -> None:
    assert_fails(tone_check(sms(f"Ember & Oak: {line} Code BREW10."), CTX), found)


@pytest.mark.parametrize(
    "claim",
    [
        "The world's most powerful roast.",
        "The roast Michelin-starred chefs use.",
        "Professional baristas swear by it.",
        "全网销量第一的咖啡豆。",
    ],
)
def test_claims_of_superlatives_endorsements_and_chinese_rankings_are_rejected(claim: str) -> None:
    assert_fails(claims_check(sms(f"Ember & Oak: {claim} Take 10% off with BREW10."), CTX))


def test_an_offer_to_edit_the_copy_is_meta_talk() -> None:
    line = "Ember & Oak: 10% off Harvest Blend with BREW10. (I can shorten this further if needed.)"
    assert_fails(meta_talk_check(sms(line), CTX), "i can shorten")


def test_a_chinese_brief_label_is_an_instruction_echo() -> None:
    draft = CopyDraft(
        channel="push",
        parts={"title": "周末喝咖啡", "body": "语气：温暖亲切。丰收拼配立减10%，优惠码BREW10。"},
    )
    assert_fails(instruction_echo_check(draft, CTX), "语气")


def test_a_chinese_click_to_buy_is_a_call_to_action() -> None:
    draft = CopyDraft(
        channel="push", parts={"title": "丰收拼配立减10%", "body": "优惠码BREW10，12月20日截止。点击选购"}
    )
    assert_passes(cta_check(draft, CTX.model_copy(update={"language": "zh"})))


def test_a_name_the_brands_facts_give_passes_and_a_contraction_is_no_name() -> None:
    ctx = CTX.model_copy(
        update={"brand_facts": ["Harvest Blend won Best Espresso Blend at the 2025 Roast Awards."]}
    )
    fact = sms("Ember & Oak: Best Espresso Blend, 2025 Roast Awards. Harvest Blend is 10% off with BREW10.")
    assert_passes(entities_check(fact, ctx))
    contraction = email("Hi {{first_name}},\n\nHere's 10% off the Harvest Blend.", subject="Here's a treat")
    assert_passes(entities_check(contraction, CTX))
    after_comma = sms("Ember & Oak: Fresh legs, Velvet Roast is here. 10% off with BREW10.")
    assert_fails(entities_check(after_comma, CTX), "Velvet Roast")


def test_copy_that_never_mentions_the_offer_is_off_topic_without_an_embedder() -> None:
    from evals.metrics.off_topic import off_topic_check

    walk = CopyDraft(
        channel="push", parts={"title": "Happy Monday!", "body": "Start your week with a short walk."}
    )
    assert_fails(off_topic_check(walk, CTX, None), "names neither")
    offer = CopyDraft(
        channel="push", parts={"title": "Happy Monday!", "body": "10% off with BREW10 this week."}
    )
    assert off_topic_check(offer, CTX, None).skipped  # it carries the offer; the rest needs an embedder


def test_a_line_stating_only_the_deadline_is_not_the_copys_own_words() -> None:
    from evals.metrics.text import own_words

    draft = CopyDraft(
        channel="push", parts={"title": "Nap time", "body": "Harvest Blend 10% off with BREW10. Ends Jan 5."}
    )
    assert own_words(draft, CTX) == "Nap time"


@pytest.mark.parametrize(
    "line",
    ["Use second person. 10% off with BREW10.", "Headline goes here", "Short supporting line with BREW10."],
)
def test_a_point_of_view_rule_or_a_slot_description_is_an_instruction_echo(line: str) -> None:
    draft = CopyDraft(channel="push", parts={"title": "Harvest Blend", "body": line})
    assert_fails(instruction_echo_check(draft, CTX))


@pytest.mark.parametrize(
    "line",
    [
        "Clearly you haven't bothered with good coffee.",
        "Your coffee is probably terrible.",
    ],
)
def test_tone_rejects_calling_the_readers_habits_or_things_bad(line: str) -> None:
    assert_fails(tone_check(sms(f"Ember & Oak: {line} Harvest Blend 10% off with BREW10."), CTX))


@pytest.mark.parametrize(
    "claim",
    ["The most balanced roast on the market.", "No other decaf comes close.", "The smoothest you can buy."],
)
def test_market_superlatives_are_claims(claim: str) -> None:
    assert_fails(claims_check(sms(f"Ember & Oak: {claim} 10% off with BREW10."), CTX))


def test_a_chinese_sentence_repeated_is_broken() -> None:
    draft = CopyDraft(
        channel="push", parts={"title": "周末", "body": "丰收拼配立减10%，优惠码BREW10。截止。截止。截止。"}
    )
    assert_fails(broken_check(draft, CTX))


def test_winner_of_the_brands_real_award_is_not_spam_and_dad_is_not_a_name() -> None:
    won = sms("Ember & Oak: Yirgacheffe Single Origin, a Good Food Award winner, 10% off with BREW10.")
    assert_passes(spam_check(won, CTX))
    assert_fails(spam_check(won, CTX.model_copy(update={"brand_facts": []})), "winner")
    assert_passes(entities_check(sms("Ember & Oak: Still shopping for Dad? Harvest Blend 10% off."), CTX))


def test_a_cta_line_without_a_full_stop_or_ending_in_an_arrow_is_not_cut_off() -> None:
    body = "Hi {{first_name}},\n\nHarvest Blend is 10% off with BREW10 until Dec 20.\n\n"
    assert_passes(broken_check(email(body + "Shop the blend"), CTX))
    assert_passes(broken_check(email(body + "Grab a bag before the weekend is over →"), CTX))
    assert_fails(broken_check(email(body + "We roast it every Tuesday and ship it the"), CTX), "mid-sentence")


def test_a_template_variable_left_empty_is_broken() -> None:
    draft = CopyDraft(
        channel="push", parts={"title": "10% off", "body": "Use BREW10 until Dec 20 on undefined"}
    )
    assert_fails(broken_check(draft, CTX), "undefined")


def test_last_chance_is_true_of_an_offer_with_a_deadline() -> None:
    line = sms("Ember & Oak: Last chance: Harvest Blend is 10% off with BREW10 until Dec 20.")
    assert_passes(spam_check(line, CTX))
    undated = CTX.model_copy(update={"offer": {k: v for k, v in CTX.offer.items() if k != "deadline"}})
    assert_fails(spam_check(line, undated), "last chance")


def test_names_match_singular_and_plural_and_a_brand_word_does_not_vouch_for_a_feature() -> None:
    ctx = CTX.model_copy(update={"brand_facts": ["Harvest Blend won the 2025 Golden Bean Award."]})
    assert_passes(
        entities_check(sms("Ember & Oak: Winner at the Golden Bean Awards. First Fridays, 10% off."), ctx)
    )
    app = sms("Ember & Oak: Harvest Blend 10% off, and it syncs with the Ember Blend app.")
    assert_fails(entities_check(app, CTX), "Ember Blend")


def push(title: str, body: str) -> CopyDraft:
    return CopyDraft(channel="push", parts={"title": title, "body": body})


# Faults the blind writers of fresh_v7, fresh_v8 and fresh_v9 wrote, each family as a marketer would see it.
BLIND_WRITERS_FAULTS: list[tuple[CopyDraft, Any]] = [
    (sms("Ember & Oak: Harvest Blend 10% off with BREW10.\n\nWant me to make it punchier?"), meta_talk_check),
    (
        sms("Ember & Oak: Harvest Blend 10% off with BREW10. I'd recommend sending this on a Thursday."),
        meta_talk_check,
    ),
    (
        sms("Ember & Oak: Harvest Blend 10% off with BREW10. Features to mention: cocoa, hazelnut."),
        instruction_echo_check,
    ),
    (sms("Ember & Oak: The freshest coffee in the US: Harvest Blend, 10% off with BREW10."), claims_check),
    (sms("Ember & Oak: Typical. Harvest Blend is 10% off with BREW10, if you can be bothered."), tone_check),
    (
        sms("Ember & Oak: Harvest Blend isn't the richest roast we sell, and you will probably get bored."),
        tone_check,
    ),
    (sms("Ember & Oak: The world's toughest roast. 10% off with BREW10."), claims_check),
    (sms("Sure thing! Ember & Oak: Harvest Blend 10% off with BREW10."), meta_talk_check),
    (sms("Ember & Oak: Harvest Blend 10% off. Remember to include the code."), instruction_echo_check),
    (sms("Ember & Oak: Still brewing instant like an amateur? 10% off with BREW10."), tone_check),
    (sms("Ember & Oak: 10% off while wh wh while supplies supplies last."), broken_check),
    (push("Harvest Blend 10% o", "Use BREW10."), broken_check),
    (push("Reminder: mention the deadline", "BREW10."), instruction_echo_check),
    (push("Harvest Blend x Moonbeam Books", "10%."), entities_check),
    (push("Harvest Blend 2.0", "10% off with BREW10."), entities_check),
    (sms("Sorry, I couldn't fit the award in. Ember & Oak: 10% off with BREW10."), meta_talk_check),
    (push("Push title idea: Wake up", "BREW10."), instruction_echo_check),
    (
        sms("Ember & Oak: Harvest Blend, discount: 10%, code: BREW10, deadline: 2026-12-20."),
        instruction_echo_check,
    ),
    (sms("Ember & Oak：语气：亲切自然。丰收拼配立减10%，优惠码BREW10。"), instruction_echo_check),
    (sms("Ember & Oak: The smoothest roast on the market, 10% off with BREW10."), claims_check),
    (sms("Ember & Oak: It's not the richest roast, but for the price who cares? BREW10."), tone_check),
    (sms("Ember & Oak: You deserve better than the instant you bought. BREW10."), tone_check),
    (sms("Apologies for the earlier version. Ember & Oak: 10% off with BREW10."), meta_talk_check),
    (sms("SMS copy - playful tone: Ember & Oak: 10% off Harvest Blend with BREW10."), instruction_echo_check),
    (
        sms("Ember & Oak: That instant you drink? Nobody will tell you, so we will: it's sad. BREW10."),
        tone_check,
    ),
    (sms("Ember & Oak: Miss BREW10 and don't come crying when you're stuck with cheap beans."), tone_check),
    (push("还在喝那种丢人的速溶咖啡？", "优惠码BREW10。"), tone_check),
]


@pytest.mark.parametrize(("draft", "check"), BLIND_WRITERS_FAULTS)
def test_the_blind_writers_faults_are_caught(draft: CopyDraft, check: Any) -> None:
    assert_fails(check(draft, CTX))


def test_a_chinese_line_that_is_only_a_purchase_verb_is_a_call_to_action() -> None:
    draft = CopyDraft(
        channel="push", parts={"title": "丰收拼配立减10%", "body": "优惠码BREW10，12月20日截止。\n挑选礼物"}
    )
    assert_passes(cta_check(draft, CTX.model_copy(update={"language": "zh"})))


def test_copy_that_describes_the_brand_from_outside_is_meta_talk() -> None:
    line = "Ember & Oak: A great bag of beans from a company that caters to all tastes. 10% off with BREW10."
    assert_fails(meta_talk_check(sms(line), CTX), "a company that")
    assert_passes(meta_talk_check(sms("Ember & Oak: We are a small roaster. 10% off with BREW10."), CTX))


def test_the_next_year_and_number_words_of_the_facts_are_grounded() -> None:
    from evals.metrics.grounding import grounding_check

    ctx = CTX.model_copy(update={"brand_facts": ["Every bag stays fresh for six weeks."]})
    assert_passes(
        grounding_check(sms("Ember & Oak: Plan your 2027 mornings: 10% off with BREW10. Fresh 6 weeks."), ctx)
    )
    assert_fails(grounding_check(sms("Ember & Oak: 10% off with BREW10, fresh for 9 weeks."), ctx), "9")


def test_a_paraphrased_documented_award_is_no_claim_and_a_nationality_is_no_name() -> None:
    line = sms("Ember & Oak: The Yirgacheffe Single Origin took the top prize at the Good Food Awards.")
    assert_passes(claims_check(line, CTX))
    assert_passes(entities_check(sms("Ember & Oak: Built for British winters. Harvest Blend 10% off."), CTX))


def test_who_cares_in_a_playful_line_is_not_a_put_down() -> None:
    assert_passes(tone_check(sms("Ember & Oak: Rain? Who cares. Harvest Blend is 10% off with BREW10."), CTX))


def test_idioms_and_complete_short_subjects_pass() -> None:
    idiom = sms("Ember & Oak: Harvest Blend is nutty in the best way. 10% off with BREW10.")
    assert_passes(claims_check(idiom, CTX))
    assert_passes(
        broken_check(
            email("Hi {{first_name}},\n\nHarvest Blend, 10% off.", subject="Mornings need this"), CTX
        )
    )


def test_a_product_word_alone_does_not_carry_the_offer() -> None:
    from evals.metrics.off_topic import carries_offer

    ctx = CTX.model_copy(update={"offer": {**CTX.offer, "product": "Ten-Class Pass"}})
    trip = CopyDraft(
        channel="push", parts={"title": "Flying soon?", "body": "Download your boarding pass early."}
    )
    assert carries_offer(trip, ctx) is False
    assert carries_offer(sms("Ember & Oak: the Ten-Class Pass is here."), ctx) is True


# Families from the faults of fresh_v3 to fresh_v11 that the checks missed, each with its look-alike.
MORE_FAULTS: list[tuple[CopyDraft, Any, str]] = [
    # the writer's own voice and notes
    (
        sms("Ember & Oak: 10% off with BREW10. I wasn't sure whether to mention the award."),
        meta_talk_check,
        "i wasn't",
    ),
    (
        push("Here you go: Slow mornings?", "Harvest Blend, 10% off with BREW10."),
        meta_talk_check,
        "here you go",
    ),
    (
        push("Harvest Blend, 10% off", "Went with urgency here. BREW10 until Dec 20."),
        meta_talk_check,
        "went with",
    ),
    (
        push("Slow mornings", "Harvest Blend, 10% off. (Kept it short for lock screens.)"),
        meta_talk_check,
        "kept it",
    ),
    (push("Thanks for the brief!", "Harvest Blend is 10% off with BREW10."), meta_talk_check, "the brief"),
    (
        push("Harvest Blend, $18", "BREW10 until Dec 20. Want a take that leads with the award instead?"),
        meta_talk_check,
        "a take that",
    ),
    (
        sms("Ember & Oak: Alt version, more casual: Harvest Blend 10% off with BREW10."),
        meta_talk_check,
        "alt version",
    ),
    # the brief's rules and labels
    (
        sms("Ember & Oak: Harvest Blend 10% off with BREW10. Include opt-out."),
        instruction_echo_check,
        "opt-out",
    ),
    (sms("Keep it punchy and mention the hazelnut. Ember & Oak: BREW10."), instruction_echo_check, "punchy"),
    (sms("Ember & Oak: Harvest Blend 10% off with BREW10. No emojis."), instruction_echo_check, "No emojis"),
    (
        email("The reader is one of the customers who have not ordered for a while. BREW10. Shop now."),
        instruction_echo_check,
        "The reader is",
    ),
    (
        email("Hi,\n\nHarvest Blend is 10% off. Shop now.", subject="Win-back email: 10% off"),
        instruction_echo_check,
        "Win-back email",
    ),
    (
        sms("Ember & Oak, Harvest Blend, 10% off, BREW10, 2026-12-20. Reply now."),
        instruction_echo_check,
        "2026-12-20",
    ),
    (
        email("Key selling points: cocoa, hazelnut.\n\nHarvest Blend is 10% off with BREW10. Shop now."),
        instruction_echo_check,
        "Key selling points",
    ),
    (
        sms("Ember & Oak: Black Friday SMS, friendly tone. Harvest Blend 10% off, BREW10."),
        instruction_echo_check,
        "friendly tone",
    ),
    (push("推送标题：丰收拼配立减10%", "优惠码BREW10。"), instruction_echo_check, "推送标题"),
    # things the brand never offered
    (
        sms("Ember & Oak: Harvest Blend 10% off with BREW10. Track your beans in the Ember & Oak app."),
        entities_check,
        "app",
    ),
    (push("Harvest Blend + a free tote", "10% off with BREW10."), entities_check, "free tote"),
    (sms("Ember & Oak: The Harvest Blend now comes in cherry too! BREW10."), entities_check, "now comes in"),
    (
        push("Earn points on every bag", "Harvest Blend 10% off with BREW10. Trade points for mugs."),
        entities_check,
        "points",
    ),
    (push("丰收拼配·限定款", "新色上市，优惠码BREW10。"), entities_check, "限定款"),
    # a place's best, put-downs, sarcasm, a stuck loop
    (push("Portland's best coffee", "Harvest Blend, 10% off with BREW10."), claims_check, "Portland's best"),
    (sms("Ember & Oak: Your coffee is awful. Maybe Harvest Blend will help? BREW10."), tone_check, "awful"),
    (
        push("Excuses, excuses", "You've skipped your morning cup for months. Prove us wrong: BREW10."),
        tone_check,
        "Excuses",
    ),
    (
        push("Okay-ish coffee, great price", "Harvest Blend won't blow your mind, but it's 10% off."),
        tone_check,
        "Okay-ish",
    ),
    (sms("Ember & Oak: Still no Harvest Blend? Bold choice. BREW10."), tone_check, "Bold choice"),
    (
        push("Morning cup?", "Harvest Blend for 10% less with BREW10. BREW10. BREW10. BREW10."),
        broken_check,
        "BREW10",
    ),
    # from fresh_v10/v11's test split (seen, so tuned on)
    (
        sms("Ember & Oak: Here you go, trimmed to fit: Harvest Blend 10% off with BREW10."),
        meta_talk_check,
        "here you go",
    ),
    (
        push("Slow mornings", "BREW10 until Dec 20. (Swapped 'fresh' for 'new' per your note.)"),
        meta_talk_check,
        "per your note",
    ),
    (
        email("Cocoa and hazelnut.\n\n(If space is tight, the paragraph above can go.)\n\nBREW10. Shop now."),
        meta_talk_check,
        "the paragraph above",
    ),
    (
        sms("Ember & Oak: Objective – reactivate trial users. Harvest Blend 10% off, BREW10."),
        instruction_echo_check,
        "Objective",
    ),
    (
        sms("Ember & Oak：目标用户：三个月未下单。丰收拼配立减10%，优惠码BREW10。"),
        instruction_echo_check,
        "目标用户",
    ),
    (
        push("Dietitian-approved coffee", "Harvest Blend, 10% off with BREW10."),
        claims_check,
        "Dietitian-approved",
    ),
    (
        push("Loved by 2 million coffee drinkers", "Harvest Blend, 10% off with BREW10."),
        claims_check,
        "Loved by 2 million",
    ),
    (push("全美最受欢迎的咖啡", "丰收拼配立减10%，优惠码BREW10。"), claims_check, "最受欢迎"),
    (
        push("Roasted with Chef Marco Reyes", "Harvest Blend, 10% off with BREW10."),
        entities_check,
        "Chef Marco Reyes",
    ),
    (push("丰收拼配立减10%", "Ember & Oak 会员俱乐部成员还可获得双倍积分。"), entities_check, "俱乐部"),
    (
        email("It's been in your cart for a week. Just buy it already.\n\nBREW10. Shop now."),
        tone_check,
        "already",
    ),
    # from fresh_v12/v13's dev split
    (
        sms("Here's a tighter take → Ember & Oak: Harvest Blend 10% off with BREW10."),
        meta_talk_check,
        "tighter take",
    ),
    (
        push("Harvest Blend, 10% off", "Option 2, a bit more upbeat: Wake up to BREW10!"),
        meta_talk_check,
        "option 2",
    ),
    (
        sms("Ember & Oak: Harvest Blend 10% off with BREW10. Kept the award out to save space."),
        meta_talk_check,
        "to save space",
    ),
    (
        email("Harvest Blend is 10% off.\n\nMust include: the award, code BREW10.\n\nShop now."),
        instruction_echo_check,
        "Must include",
    ),
    (sms("Ember & Oak: 语气温馨。丰收拼配立减10%，优惠码BREW10。"), instruction_echo_check, "语气温馨"),
    (
        sms("Ember & Oak: Tired? Should've bought Harvest Blend last time. BREW10."),
        tone_check,
        "Should've bought",
    ),
    (
        push("They go stale fast. Buy more.", "Harvest Blend doesn't last long, so stock up with BREW10."),
        tone_check,
        "last",
    ),
    (
        sms("Ember & Oak: The most aromatic beans in Portland. 10% off with BREW10."),
        claims_check,
        "in Portland",
    ),
    (
        email("Cocoa and hazelnut, no bitterness, no\n\nHarvest Blend is 10% off with BREW10.\n\nShop now."),
        broken_check,
        "no bitterness, no",
    ),
    # from fresh_v12/v13's test split (after its two runs were recorded)
    (
        push("Harvest Blend, $18", "10% off with BREW10. Can make this less salesy if it reads too hard."),
        meta_talk_check,
        "less",
    ),
    (push("Harvest Blend, 10% off (shorter v2)", "BREW10 until Dec 20."), meta_talk_check, "v2"),
    (
        push("Three title options below", "Harvest Blend, 10% off with BREW10."),
        meta_talk_check,
        "title options",
    ),
    (
        email("Harvest Blend is 10% off. Shop now.", subject="Harvest promo – cosy tone, mention the award"),
        instruction_echo_check,
        "cosy tone",
    ),
    (
        sms("Ember & Oak: Promote the Harvest Blend, stress urgency. 10% off with BREW10!"),
        instruction_echo_check,
        "Promote",
    ),
    (
        sms("Ember & Oak: [Offer: Harvest Blend / 10% / BREW10] Brew better today."),
        instruction_echo_check,
        "Offer:",
    ),
    (
        email("Harvest Blend is 10% off. Shop now.\n\nGoal of this send: clear December stock."),
        instruction_echo_check,
        "Goal of this send",
    ),
    (
        sms("Ember & Oak: Still on instant? Come on. Harvest Blend, 10% off with BREW10."),
        tone_check,
        "Come on",
    ),
    (
        sms("Ember & Oak: You said you'd try us. Months ago. Harvest Blend, BREW10."),
        tone_check,
        "You said you'd",
    ),
    (
        push("Portland's most-loved roaster", "Harvest Blend, 10% off with BREW10."),
        claims_check,
        "most-loved",
    ),
    (push("9 in 10 customers reorder", "Harvest Blend, 10% off with BREW10."), claims_check, "9 in 10"),
    (
        push("Try it at our Mill Lane showroom", "Harvest Blend, 10% off with BREW10."),
        entities_check,
        "showroom",
    ),
    (push("丰收拼配8折", "优惠码BREW10，12æœˆ20æ—¥截止"), broken_check, "æœˆ"),
    # the demo's own near miss: a model line in the owner's voice, a comma before the verb
    (
        email("My Harvest Blend, is roasted to bring joy to every cup. Take 10% off. Shop now."),
        meta_talk_check,
        "my harvest blend",
    ),
    (
        email("My Harvest Blend, is roasted to bring joy to every cup. Take 10% off. Shop now."),
        grammar_check,
        "Harvest Blend, is",
    ),
    # from fresh_v14/v15's dev split
    (
        sms("Ember & Oak: Still drinking sad instant? Your loss. Harvest Blend, BREW10."),
        tone_check,
        "Your loss",
    ),
    (
        sms("Ember & Oak: You've opened 6 of our emails and still haven't ordered. What's the holdup?"),
        tone_check,
        "opened",
    ),
    (
        sms("Ember & Oak: Harvest Blend 10% off, BREW10 (friendly tone, mention the roast day)."),
        instruction_echo_check,
        "friendly tone",
    ),
    (
        sms("Ember & Oak: (for: last year's gift buyers) Harvest Blend 10% off with BREW10."),
        instruction_echo_check,
        "for:",
    ),
    (
        sms(
            "Ember & Oak: Harvest Blend 10% off with BREW10 - you may want to swap in your own short link here."
        ),
        meta_talk_check,
        "you may want to swap",
    ),
    (
        push("丰收拼配立减10%", "优惠码BREW10。标题我写了两个版本，你挑一个就行。"),
        meta_talk_check,
        "两个版本",
    ),
    (
        push("New: Harvest Blend tasting", "Harvest Blend orders now include a tasting class! BREW10."),
        entities_check,
        "now include",
    ),
    (
        sms("Ember & Oak: Harvest Blend is 10% off, the perfect for with a the. BREW10."),
        broken_check,
        "for with",
    ),
]


@pytest.mark.parametrize(("draft", "check", "found"), MORE_FAULTS)
def test_more_blind_writers_faults_are_caught_and_named(draft: CopyDraft, check: Any, found: str) -> None:
    assert_fails(check(draft, CTX), found)


MORE_LOOK_ALIKES: list[tuple[CopyDraft, Any]] = [
    (
        sms('Ember & Oak: For the friend who says "I only drink instant": Harvest Blend, 10% off. BREW10.'),
        meta_talk_check,
    ),
    (
        email('If the answer starts with "probably", it\'s time. Harvest Blend is 10% off. Shop now.'),
        meta_talk_check,
    ),
    (sms("Ember & Oak: Keep it simple with Harvest Blend, 10% off with BREW10."), instruction_echo_check),
    (sms("Ember & Oak: No code needed: Harvest Blend is 10% off until Dec 20."), instruction_echo_check),
    (sms("Ember & Oak: Rain again? Stay in with Harvest Blend, 10% off with BREW10."), tone_check),
    (sms("Ember & Oak: Your mornings deserve better. Harvest Blend, 10% off with BREW10."), tone_check),
    (push("Dana's favourite roast", "Harvest Blend, 10% off with BREW10."), claims_check),
    (push("Today's best deal", "Harvest Blend, 10% off with BREW10."), claims_check),
    (
        email("Your weekend bag shouldn't be a tote with ambitions. Harvest Blend, 10% off. Shop now."),
        entities_check,
    ),
    (
        email("The gift for the coffee lover: Harvest Blend, 10% off with BREW10. Open the app to order."),
        entities_check,
    ),
    (
        sms("Ember & Oak: New Year's Eve plan: Harvest Blend at midnight, 10% off with BREW10."),
        entities_check,
    ),
    (email("'I know I should brew at home,' you said. Harvest Blend is 10% off. Shop now."), meta_talk_check),
    (email("So here's the short version: cocoa, hazelnut, 10% off with BREW10. Shop now."), meta_talk_check),
    (
        sms("Ember & Oak: Near Mill Lane? Harvest Blend is at 48 Mill Ln. 10% off with BREW10."),
        entities_check,
    ),
    (push("The warmest cup in January", "Harvest Blend, 10% off with BREW10."), claims_check),
    (sms("Ember & Oak: Come on over: Harvest Blend is 10% off with BREW10."), tone_check),
    (email("Café’s favourite: crème brûlée notes, déjà vu in a cup. Shop now."), broken_check),
    (
        email("The Ember & Oak Coffee Roasters crew roasts every Tuesday. Harvest Blend, 10% off. Shop now."),
        entities_check,
    ),
    (email("Harvest Blend, 10% off until Dec 20, made by Tuesday's roast. Shop now."), entities_check),
    (email("The Harvest Blend, which is our darkest, is roasted on Tuesdays. Shop now."), grammar_check),
    (sms("Ember & Oak: Find my fit? Harvest Blend, 10% off with BREW10."), meta_talk_check),
    (
        email("Your mug deserves better than powder. Harvest Blend, 10% off with BREW10. Shop now."),
        tone_check,
    ),
    (
        sms("Ember & Oak: From a to z, Harvest Blend is 10% off with BREW10. emberoak.com/harvest"),
        broken_check,
    ),
]


@pytest.mark.parametrize(("draft", "check"), MORE_LOOK_ALIKES)
def test_their_look_alikes_pass(draft: CopyDraft, check: Any) -> None:
    assert_passes(check(draft, CTX))


def test_a_button_line_closes_an_email_and_a_sign_off_does_not() -> None:
    from evals.metrics.cta import button_line

    body = (
        "Hi {{first_name}},\n\nHarvest Blend is 10% off with BREW10.\n\nLight the way\n\n"
        "Unsubscribe: {{unsubscribe_url}}"
    )
    assert button_line(body) == "Light the way"
    assert button_line(body.replace("Light the way", "挑选礼物")) == "挑选礼物"
    assert button_line(body.replace("Light the way", "Happy brewing!")) is None
    assert button_line(body.replace("Light the way", "Cheers,\nThe Ember & Oak team")) is None


def test_a_footer_on_one_line_with_the_address_is_not_cut_off_text() -> None:
    draft = email("Harvest Blend is 10% off with BREW10.\n\nShop now →")
    one_line = draft.parts["body"].replace(f"}}\n{ADDRESS}", f"}} · {ADDRESS}")
    assert_passes(broken_check(draft.model_copy(update={"parts": {**draft.parts, "body": one_line}}), CTX))


def test_a_price_with_cents_and_a_weight_are_not_dates_and_a_time_is_no_claim() -> None:
    from evals.metrics.grounding import extract_claims

    kinds = {c.text: c.kind for c in extract_claims("Now $17.10 (was $19), 3.4 kg, ends 12/20 at 4 p.m.")}
    assert kinds == {"$17.10": "price", "$19": "price", "3.4": "number", "12/20": "date"}


def test_a_product_type_number_and_an_ordinal_are_no_claims() -> None:
    from evals.metrics.grounding import extract_claims

    claims = extract_claims("Omega-3s with D3, took 1st place, ends 21st of December.")
    assert [(c.kind, c.text.rstrip(".")) for c in claims] == [("date", "21st of December")]


def test_a_chinese_zhe_discount_is_the_percentage_off() -> None:
    from evals.metrics.grounding import extract_claims, grounding_check

    assert [c.values for c in extract_claims("85折、8.5折、7折")] == [frozenset({"15"})] * 2 + [
        frozenset({"30"})
    ]
    ctx = CTX.model_copy(update={"offer": {**CTX.offer, "discount": "15%"}, "language": "zh"})
    assert_passes(grounding_check(push("丰收拼配85折", "优惠码BREW10。"), ctx))
    assert_fails(grounding_check(push("丰收拼配8折", "优惠码BREW10。"), ctx), "8折")


def test_a_plural_object_before_the_subjects_verb_is_no_agreement_error() -> None:
    line = email("The season most people forget their sunglasses is the one that needs them. Shop now.")
    assert_passes(grammar_check(line, CTX))
    assert_fails(grammar_check(email("Rain or shine, the shoes is ready. Shop now."), CTX), "the shoes is")
