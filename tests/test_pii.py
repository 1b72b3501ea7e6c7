"""Customer contacts are redacted wherever they sit in a sentence; numbers keep their shape."""

from __future__ import annotations

import pytest

from agent.pii import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 415-555-0100.", "Call [phone]."),
        ("Call +44 20 7946 0958. Then email jo@shop.example.", "Call [phone]. Then email [email]."),
        ("Call (415) 555-0100, please", "Call [phone], please"),
        ("Reach me on +1 555 000 0001", "Reach me on [phone]"),
    ],
)
def test_phone_numbers_and_emails_are_replaced_even_before_a_full_stop(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text", ["Revenue 1,234,567.", "P(churn) 0.1234567.", "As of 2026-09-30.", "Id 1234567.5 x"]
)
def test_amounts_dates_and_decimals_are_not_taken_for_phone_numbers(text: str) -> None:
    assert redact(text) == text
