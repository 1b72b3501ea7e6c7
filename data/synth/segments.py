"""The default planted segments, channel costs and churn model of the synthetic generator.

Each segment is a BG/NBD + Gamma-Gamma population of its own (time in weeks), chosen so that the
segments separate in recency-frequency-monetary space and have different best channels.
Mean purchase rate is r/alpha per week; mean dropout probability a/(a+b); mean order value
p*gamma/(q-1).
"""

from __future__ import annotations

from data.synth.truth import BgNbdParams, GammaGammaParams, SegmentTruth

# Cost per send of the planted shop (USD), written to every ``sent`` engagement. Each figure is a
# typical one for a small online shop; ``tools/channel/select.py`` (``TYPICAL_COST``) assumes the
# same kind of figure when a shop has no history (tests/test_generator.py keeps the two within 2.5x).
#
# | channel | here  | selector | typical range   | where the figure comes from (list prices, 2025-26)            |
# |---------|-------|----------|-----------------|----------------------------------------------------------------|
# | email   | 0.010 | 0.005    | 0.001-0.02      | ESP plans charge per contact: e.g. about $100/month for 5,000   |
# |         |       |          |                 | contacts (Mailchimp Standard), so 0.005-0.02 an email at 1-4    |
# |         |       |          |                 | sends a contact a month; pay-per-send APIs 0.0001-0.001.        |
# | sms     | 0.050 | 0.04     | 0.012-0.10      | US: Twilio $0.0083 a segment + carrier fee $0.0025-0.0062, so   |
# |         |       |          |                 | 0.012-0.025 a message; a promo with link and opt-out is often   |
# |         |       |          |                 | 2 segments, and SMS marketing platforms or EU routes charge     |
# |         |       |          |                 | 0.04-0.10.                                                      |
# | push    | 0.005 | 0.002    | 0-0.005         | FCM/APNs deliver for free; the cost is the push platform's      |
# |         |       |          |                 | monthly plan spread over the sends.                             |
# | social  | 0.40  | 0.50     | 0.4-1.2 a click | Paid social bought per click: Meta ads median CPC 2025 about    |
# |         |       |          |                 | $0.5-1.15 (AgencyAnalytics, HawkSEM, Superads benchmarks); 0.40 |
# |         |       |          |                 | is the cheap end (retail audiences).                            |
# | ads     | 0.80  | 0.80     | 0.7-5 a click   | Search/shopping ads per click: shopping and display clicks are  |
# |         |       |          |                 | often under $1, search $2.3-4.7 on average (2025 benchmarks).   |
CHANNEL_COSTS: dict[str, float] = {
    "email": 0.01,
    "sms": 0.05,
    "push": 0.005,
    "social": 0.40,
    "ads": 0.80,
}

DEFAULT_SEGMENTS: list[SegmentTruth] = [
    SegmentTruth(
        name="champions",
        share=0.19,
        bgnbd=BgNbdParams(r=6.0, alpha=10.0, a=1.0, b=40.0),  # ~0.60/week, rarely drop out
        gamma_gamma=GammaGammaParams(p=6.0, q=11.0, gamma=200.0),  # ~120 per order
        conversion={"email": 0.09, "sms": 0.06, "push": 0.11, "social": 0.03, "ads": 0.02},
        favourite_categories=["running shoes", "apparel"],
    ),
    SegmentTruth(
        name="loyal",
        share=0.25,
        bgnbd=BgNbdParams(r=6.0, alpha=20.0, a=1.0, b=30.0),  # ~0.30/week
        gamma_gamma=GammaGammaParams(p=6.0, q=11.0, gamma=100.0),  # ~60 per order
        conversion={"email": 0.05, "sms": 0.08, "push": 0.03, "social": 0.02, "ads": 0.01},
        favourite_categories=["apparel", "accessories"],
    ),
    SegmentTruth(
        name="at risk",
        share=0.20,
        bgnbd=BgNbdParams(r=6.0, alpha=15.0, a=6.0, b=9.0),  # ~0.40/week, drop out quickly
        gamma_gamma=GammaGammaParams(p=6.0, q=11.0, gamma=110.0),  # ~66 per order
        conversion={"email": 0.02, "sms": 0.045, "push": 0.01, "social": 0.015, "ads": 0.01},
        favourite_categories=["running shoes", "nutrition"],
    ),
    SegmentTruth(
        name="hibernating",
        share=0.21,
        bgnbd=BgNbdParams(r=4.0, alpha=100.0, a=2.0, b=6.0),  # ~0.04/week
        gamma_gamma=GammaGammaParams(p=6.0, q=11.0, gamma=50.0),  # ~30 per order
        conversion={"email": 0.012, "sms": 0.006, "push": 0.004, "social": 0.018, "ads": 0.01},
        favourite_categories=["accessories", "nutrition"],
    ),
    SegmentTruth(
        name="big spenders",
        share=0.15,
        bgnbd=BgNbdParams(r=6.0, alpha=40.0, a=1.0, b=12.0),  # ~0.15/week
        gamma_gamma=GammaGammaParams(p=6.0, q=11.0, gamma=700.0),  # ~420 per order
        conversion={"email": 0.07, "sms": 0.03, "push": 0.02, "social": 0.01, "ads": 0.02},
        favourite_categories=["running shoes", "gps watches"],
    ),
]
