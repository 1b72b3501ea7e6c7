"""Hard checks against hand-labelled examples: at least 10 positive and 10 negative each."""

from __future__ import annotations

import pytest

from data.synth.documents import BRAND, POSTAL_ADDRESS
from evals.checks import check_copy
from evals.metrics.compliance import compliance_check
from evals.metrics.cta import cta_check
from evals.metrics.grounding import grounding_check, number_key
from evals.metrics.length import length_check, sms_segments
from evals.metrics.spam import spam_check
from evals.metrics.tokens import tokens_check
from evals.types import CheckContext, CopyDraft

OFFER = {
    "product": "Ridgeback 3 trail shoe",
    "price": 139.0,
    "discount": "15%",
    "code": "RUN15",
    "deadline": "2026-12-31",
}
CTX = CheckContext(
    offer=OFFER, brand=BRAND, postal_address=POSTAL_ADDRESS, personalization_fields=["first_name", "city"]
)
FOOTER = f"Unsubscribe: {{{{unsubscribe_url}}}}\n{POSTAL_ADDRESS}"


def sms(text: str) -> CopyDraft:
    return CopyDraft(channel="sms", parts={"text": text})


# ---------------------------------------------------------------- SMS segment counting


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension table: 2 septets each
        ("a" * 159 + "€", "GSM-7", 161, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # the escape pair is not split across parts
        ("[x] {y} ~z^ \\ |", "GSM-7", 23, 1),  # 15 characters, 8 from the extension table
        ("Café déjà vu Ç @£$¥", "GSM-7", 19, 1),  # é, à, Ç, £, ¥ are in the basic set
        ("ça va", "UCS-2", 5, 1),  # lower-case ç is not
        ("It’s here", "UCS-2", 9, 1),  # a curly apostrophe forces UCS-2
        ("ê" + "a" * 69, "UCS-2", 70, 1),
        ("ê" + "a" * 70, "UCS-2", 71, 2),
        ("ê" + "a" * 133, "UCS-2", 134, 2),
        ("ê" + "a" * 134, "UCS-2", 135, 3),
        ("🏃" * 35, "UCS-2", 70, 1),  # astral characters count two UTF-16 units
        ("🏃" * 36, "UCS-2", 72, 2),
    ],
)
def test_sms_segments_follow_gsm7_and_ucs2_rules(text: str, encoding: str, units: int, segments: int) -> None:
    count = sms_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


# ---------------------------------------------------------------- length: 12 within, 12 over

LENGTH_OK = [
    CopyDraft(channel="email", parts={"subject": "s" * 60, "body": "Hi"}),
    CopyDraft(channel="email", parts={"subject": "Hi", "preheader": "p" * 100, "body": "b" * 5000}),
    CopyDraft(channel="push", parts={"title": "t" * 50, "body": "b" * 100}),
    CopyDraft(channel="push", parts={"body": "New in: the Cloudline 2. Find your fit."}),
    CopyDraft(channel="ads", parts={"headline": "h" * 30, "description": "d" * 90}),
    CopyDraft(channel="ads", parts={"headline": "h" * 30, "headline_2": "k" * 30, "description": "d"}),
    CopyDraft(channel="social", parts={"text": "x" * 280}),
    sms("a" * 160),
    sms("€" * 80),
    sms("ê" + "a" * 69),
    sms("Trailhead Running Co.: 15% off the Ridgeback 3 with code RUN15. Reply STOP to opt out"),
    sms("🏃" * 35),
]
LENGTH_BAD = [
    (CopyDraft(channel="email", parts={"subject": "s" * 61, "body": "Hi"}), "subject has 61 characters"),
    (CopyDraft(channel="email", parts={"subject": "Hi", "preheader": "p" * 101, "body": "b"}), "preheader"),
    (CopyDraft(channel="email", parts={"subject": "Hi"}), "email body is missing"),
    (CopyDraft(channel="push", parts={"title": "t" * 51, "body": "b"}), "title has 51"),
    (CopyDraft(channel="push", parts={"body": "b" * 121}), "over the 120 limit by 1"),
    (CopyDraft(channel="ads", parts={"headline": "h" * 31, "description": "d"}), "headline has 31"),
    (
        CopyDraft(channel="ads", parts={"headline": "h", "headline_2": "k" * 31, "description": "d"}),
        "headline_2",
    ),
    (CopyDraft(channel="ads", parts={"headline": "h", "description": "d" * 91}), "description has 91"),
    (CopyDraft(channel="social", parts={"text": "x" * 281}), "281"),
    (sms("a" * 161), "needs 2 segments (161 GSM-7"),
    (sms("€" * 81), "needs 2 segments (162 GSM-7"),
    (sms("Trailhead: new Trail Shell ☔ keeps you dry. " + "a" * 100 + " Reply STOP to opt out"), "UCS-2"),
]


def test_an_emoji_sms_may_take_the_ucs2_allowance_of_two_segments() -> None:
    # readers passed 118-126 character SMS with one emoji: UCS-2, so 2 segments, and it says so
    text = "Trailhead: new Trail Shell ☔ keeps you dry on every run. Find your fit. Reply STOP to opt out"
    result = length_check(sms(text))
    assert result.passed, result.reason
    assert result.details["text"] == {"encoding": "UCS-2", "units": len(text), "segments": 2}


@pytest.mark.parametrize("draft", LENGTH_OK)
def test_length_passes_copy_within_limits(draft: CopyDraft) -> None:
    result = length_check(draft)
    assert result.passed, result.reason


@pytest.mark.parametrize(("draft", "why"), LENGTH_BAD)
def test_length_fails_copy_over_limits_and_says_by_how_much(draft: CopyDraft, why: str) -> None:
    result = length_check(draft)
    assert not result.passed
    assert why in result.reason


def test_length_allows_more_sms_segments_when_configured() -> None:
    from evals.types import Thresholds

    assert length_check(sms("a" * 300), Thresholds(max_sms_segments=2)).passed
    assert not length_check(sms("a" * 307), Thresholds(max_sms_segments=2)).passed


# ---------------------------------------------------------------- grounding: 12 grounded, 12 not

GROUNDED = [
    "Save 15% on the Ridgeback 3 with code RUN15.",
    "Save 15 % today.",
    "Take 15 percent off, use code run15.",  # codes compare case-insensitively
    "The Ridgeback 3 is $139.",
    "Only $139.00 until Dec 31.",
    "USD 139 until 31 December 2026.",
    "139 USD, offer ends 12/31/2026.",
    "Ends 2026-12-31.",
    "Ends December 31st, 2026.",
    "Ends 31.12.2026. Promo code RUN15.",
    "Hi {{first_name}}, no numbers here at all.",
    "Unsubscribe at https://example.com/u/8812 any time.",  # URLs are not claims
]
UNGROUNDED = [
    ("Save 20% on the Ridgeback 3.", "percentage '20%'"),
    ("Now only $129.", "price '$129'"),
    ("Use code SAVE20 at checkout.", "code 'SAVE20'"),
    ("Use code RUN20 at checkout.", "code 'RUN20'"),
    ("Hurry, ends Dec 30.", "date 'Dec 30'"),
    ("Ends 2027-12-31.", "date '2027-12-31'"),
    ("Save 139% today.", "percentage '139%'"),  # 139 is a price, not a percentage
    ("Over 10,000 runners love it.", "number '10,000'"),
    ("Free returns for 60 days.", "number '60'"),
    ("Only 15 left in stock at €139.", None),  # 15 and 139 are facts: grounded (control below)
    ("Deal ends at 11:59 tonight.", "number '11'"),
    ("Take 15 percent off, code RUN15, valid until 1/15.", "date '1/15'"),
]


@pytest.mark.parametrize("text", GROUNDED)
def test_grounding_accepts_facts_in_any_common_format(text: str) -> None:
    result = grounding_check(sms(text), CTX)
    assert result.passed, result.reason


@pytest.mark.parametrize(("text", "token"), UNGROUNDED)
def test_grounding_names_every_ungrounded_token(text: str, token: str | None) -> None:
    result = grounding_check(sms(text), CTX)
    if token is None:
        assert result.passed, result.reason
        return
    assert not result.passed
    assert token in result.reason
    assert result.score < 1.0


def test_grounding_reads_numeric_and_fractional_discounts() -> None:
    ctx = CheckContext(offer={"discount": 0.2, "price": 99})
    assert grounding_check(sms("20% off, now $99.00"), ctx).passed
    assert not grounding_check(sms("25% off"), ctx).passed


def test_number_key_normalises_formats() -> None:
    assert number_key("99.00") == number_key("99") == "99"
    assert number_key("1,299.50") == "1299.5"
    assert number_key("49,99") == "49.99"


# ---------------------------------------------------------------- compliance: 10 ok, 10 not

COMPLIANT = [
    CopyDraft(channel="email", parts={"subject": "Hi", "body": f"Shop now.\n{FOOTER}"}),
    CopyDraft(
        channel="email", parts={"subject": "Hi", "body": f"Shop now. Unsubscribe here.\n{POSTAL_ADDRESS}"}
    ),
    CopyDraft(
        channel="email",
        parts={
            "subject": "Hi",
            "body": "Shop now.\nTo opt out, click below.\n120 Ridge Street\nBoulder, CO 80302",
        },
    ),
    CopyDraft(
        channel="email",
        parts={
            "subject": "Hi",
            "body": f"Shop now. Manage your email preferences.\n{POSTAL_ADDRESS.upper()}",
        },
    ),
    CopyDraft(
        channel="email",
        parts={"subject": "Hi", "body": f"Shop.\n{{{{ unsubscribe_url }}}}\n{POSTAL_ADDRESS}"},
    ),
    sms("Trailhead: 15% off. Reply STOP to opt out"),
    sms("Trailhead: 15% off. Text STOP to quit"),
    sms("Trailhead: 15% off. STOP to end"),
    sms("Trailhead: 15% off. reply stop to unsubscribe"),
    sms("Trailhead: 15% off. Opt out: reply STOP"),
    CopyDraft(channel="push", parts={"body": "New in: the Cloudline 2."}),  # push needs no lines
]
NON_COMPLIANT = [
    (
        CopyDraft(channel="email", parts={"subject": "Hi", "body": f"Shop now.\n{POSTAL_ADDRESS}"}),
        "unsubscribe",
    ),
    (
        CopyDraft(channel="email", parts={"subject": "Hi", "body": "Shop now. Unsubscribe here."}),
        "postal address",
    ),
    (
        CopyDraft(
            channel="email", parts={"subject": "Hi", "body": "Unsubscribe.\n120 Ridge Street, Boulder"}
        ),
        "missing: CO 80302",
    ),
    (
        CopyDraft(
            channel="email",
            parts={"subject": "Hi", "body": "Unsubscribe.\n120 Ridge Street, Denver, CO 80302"},
        ),
        "missing: Boulder",
    ),
    (
        CopyDraft(channel="email", parts={"subject": "Hi", "body": f"Subscribe today!\n{POSTAL_ADDRESS}"}),
        "unsubscribe",
    ),
    (sms("Trailhead: 15% off the Ridgeback 3. Shop now."), "opt-out"),
    (sms("Don't stop running: 15% off today."), "opt-out"),
    (sms("Stop by our Boulder store for 15% off."), "opt-out"),
    (sms("Trailhead: 15% off. Reply HELP for help."), "opt-out"),
    (sms("Trailhead: 15% off. Unsubscribe anytime."), "opt-out"),
]


@pytest.mark.parametrize("draft", COMPLIANT)
def test_compliance_accepts_required_lines(draft: CopyDraft) -> None:
    result = compliance_check(draft, CTX)
    assert result.passed, result.reason


@pytest.mark.parametrize(("draft", "why"), NON_COMPLIANT)
def test_compliance_rejects_missing_lines(draft: CopyDraft, why: str) -> None:
    result = compliance_check(draft, CTX)
    assert not result.passed
    assert why in result.reason


def test_compliance_needs_a_configured_address_for_email() -> None:
    draft = CopyDraft(channel="email", parts={"subject": "Hi", "body": f"Shop.\n{FOOTER}"})
    result = compliance_check(draft, CheckContext(offer=OFFER))
    assert not result.passed and "none is configured" in result.reason


# ---------------------------------------------------------------- tokens: 10 valid, 11 invalid

TOKENS_OK = [
    "Hi there, the Ridgeback 3 is back.",
    "Hi {{first_name}}, the Ridgeback 3 is back.",
    "Hi {{ first_name }}, welcome back.",
    'Hi {{first_name | default: "runner"}}, welcome back.',
    "{{first_name}}, new trails in {{city}}.",
    "Unsubscribe: {{unsubscribe_url}}",
    "Update: {{preferences_url}} or view online {{view_in_browser_url}}",
    "{{first_name}}{{city}}",
    "Prices in USD; ratio 3:1 grip.",
    "Hi {{first_name}}! :) See you out there.",
]
TOKENS_BAD = [
    ("Hi {first_name}, welcome back.", "malformed"),
    ("Hi {{first name}}, welcome back.", "malformed"),
    ("Hi {{first_name}, welcome back.", "malformed"),
    ("Hi {{first_name}}}, welcome back.", "malformed"),
    ("Hi {{}}, welcome back.", "malformed"),
    ("Hi {{firstname}}, welcome back.", "unknown personalization field(s) firstname"),
    ("Hi {{last_name}}, welcome back.", "unknown personalization field(s) last_name"),
    ("Hi *|FNAME|*, welcome back.", "malformed"),
    ("Hi %%first_name%%, welcome back.", "malformed"),
    ("Hi [[first_name]], welcome back.", "malformed"),
    ("Hi first_name}}, welcome back.", "malformed"),
]


@pytest.mark.parametrize("text", TOKENS_OK)
def test_tokens_accept_known_fields(text: str) -> None:
    result = tokens_check(sms(text), CTX)
    assert result.passed, result.reason


@pytest.mark.parametrize(("text", "why"), TOKENS_BAD)
def test_tokens_reject_unknown_or_malformed(text: str, why: str) -> None:
    result = tokens_check(sms(text), CTX)
    assert not result.passed
    assert why in result.reason
    if "unknown" in why:
        assert "known fields: city, first_name" in result.reason


# ---------------------------------------------------------------- spam and CTA


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("ACT NOW and claim your FREE GIFT today", "act now"),
        ("Shop now!!", "2 exclamation marks"),
        ("HUGE SALE ON EVERY SHOE Shop now", "ALL CAPS"),
        ("Guaranteed results. Shop now.", "guaranteed"),
        ("Click here to shop.", "click here"),
    ],
)
def test_spam_rejects_triggers_shouting_and_exclamations(text: str, why: str) -> None:
    result = spam_check(sms(text), CTX)
    assert not result.passed
    assert why in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "Rain or shine, the Trail Shell keeps you out there. Find your fit today!",
        "Use code RUN15 for 15% off. Reply STOP to opt out",  # the code and STOP are not shouting
        "Trailhead Running Co.: your GPS watch is ready. Shop now.",
    ],
)
def test_spam_accepts_plain_copy(text: str) -> None:
    result = spam_check(sms(text), CTX)
    assert result.passed, result.reason


@pytest.mark.parametrize(
    ("text", "has_cta"),
    [
        ("The Ridgeback 3 is back. Shop now.", True),
        ("Rain or shine. Find your fit today.", True),
        ("Hi {{first_name}}, claim your offer: RUN15", True),
        ("New season, new miles - explore the range", True),
        ("The Ridgeback 3 is back in your size.", False),
        ("We shop for the best materials.", False),
        ("Trailhead: the Ridgeback 3 is back. Reply STOP to opt out", False),  # opt-out is not a CTA
        ("Take 15% off the Ridgeback 3. Reply STOP to opt out", True),
    ],
)
def test_cta_detects_an_imperative_call_to_action(text: str, has_cta: bool) -> None:
    assert cta_check(sms(text), CTX).passed is has_cta


def test_check_copy_reports_every_failure_in_plain_words() -> None:
    draft = sms("ACT NOW!!! 20% off with code SAVE20, {first_name}")
    report = check_copy(draft, CTX)
    assert not report.passed
    failed = {r.metric for r in report.results if r.hard and not r.passed}
    # "{first_name}" (single braces) is also an unfilled placeholder a reader would see
    # and it names neither the offer's product nor its discount or code (SAVE20 is not the offer's)
    assert failed == {"spam", "grounding", "compliance", "tokens", "cta", "broken_text", "off_topic"}
    feedback = report.feedback()
    assert "percentage '20%'" in feedback and "Reply STOP" in feedback and "{{field_name}}" in feedback


def test_check_copy_passes_good_email_and_skips_embedding_metrics_without_embedder() -> None:
    draft = CopyDraft(
        channel="email",
        parts={
            "subject": "{{first_name}}, your next trail run is waiting",
            "preheader": "15% off the Ridgeback 3 with code RUN15 until Dec 31.",
            "body": "Hi {{first_name}},\nThe Ridgeback 3 grips wet rock. Take 15% off with code RUN15 "
            f"until December 31.\nFind your fit today.\n{FOOTER}",
        },
    )
    report = check_copy(draft, CTX)
    assert report.passed, report.failures
    assert report.result("brand_voice").skipped
    assert report.result("language").details["language"] == "en"
    assert report.feedback() == "All checks passed."
