"""Knowledge documents of the synthetic brand: guide, product catalogue, past campaigns, feedback."""

from __future__ import annotations

import numpy as np
import pandas as pd

BRAND = "Trailhead Running Co."
POSTAL_ADDRESS = "Trailhead Running Co., 120 Ridge Street, Boulder, CO 80302, USA"

BRAND_GUIDE = f"""# {BRAND} brand guide

## Who we are
{BRAND} makes running shoes, apparel and gear for everyday runners, from first 5K to first ultra.
We sell online and in 14 stores. Our promise: gear that is tested on real trails, honest advice,
and free returns for 60 days.

## Voice
Warm, encouraging and plain-spoken, like a running buddy who knows gear. Short sentences.
Active verbs. We celebrate effort, not just speed. We never shame, never hype, never shout.

## Do
- Speak to the runner's goal (a race, a streak, getting back out there).
- Name the product and the concrete benefit (grip, cushioning, weight, fit).
- Give one clear call to action: "Shop now", "Find your fit", "Claim your offer".
- Use the customer's first name when we have it: {{{{first_name}}}}.
- State offers exactly: the discount, the code and the end date.

## Don't
- No ALL CAPS, no more than one exclamation mark, no "act now!!!", "free money", "guaranteed".
- No invented prices, percentages or deadlines: only the facts of the offer.
- No medical or performance promises ("run faster guaranteed").
- No emojis in email subject lines.

## Voice examples
- "Your next long run deserves fresh legs. The Ridgeback 3 is back in your size."
- "Rain or shine, the Trail Shell keeps you out there. Find your fit today."
- "It has been a while since your last run with us. Here is 15% off to lace up again."
- "New season, new miles. Meet the lightest Tempo yet."
- "You logged the miles, we brought the cushioning. Shop the Cloudline 2."

## Channel rules
- Email: subject under 60 characters, preheader under 100, an unsubscribe link and our postal
  address in the footer: {POSTAL_ADDRESS}.
- SMS: one message of at most 160 characters, brand name first, "Reply STOP to opt out".
- Push: under 100 characters, one idea, no discount codes in the title.

## Legal
Postal address: {POSTAL_ADDRESS}. Every email carries an unsubscribe link. Every SMS carries
opt-out wording ("Reply STOP to opt out").
"""

CATEGORIES: dict[str, list[tuple[str, float, str]]] = {
    "running shoes": [
        ("Ridgeback 3 trail shoe", 139.0, "aggressive grip, rock plate, 4 mm drop"),
        ("Cloudline 2 road shoe", 129.0, "max cushioning for long runs, 8 mm drop"),
        ("Tempo Lite racer", 159.0, "carbon-plated, 190 g, for race day"),
        ("Everyday Trainer", 99.0, "durable daily trainer, wide toe box"),
        ("Summit GTX", 169.0, "waterproof trail shoe for winter"),
        ("Kids Sprint", 59.0, "light and tough for young runners"),
        ("Recovery Slide", 45.0, "soft foam slide for after the run"),
        ("Stability Pro", 134.0, "supportive shoe for overpronation"),
    ],
    "apparel": [
        ("Trail Shell jacket", 149.0, "waterproof, packs into its pocket"),
        ("Merino long sleeve", 79.0, "warm, odour resistant"),
        ("Split shorts", 45.0, "5 inch, liner, two gel pockets"),
        ("Thermal tights", 69.0, "brushed inside, reflective details"),
        ("Race singlet", 35.0, "mesh, quick dry"),
        ("Wind vest", 65.0, "light windproof front"),
        ("Running cap", 25.0, "sweat band, packable"),
        ("Compression socks", 22.0, "graduated compression, 3 pack"),
    ],
    "accessories": [
        ("Hydration vest 8L", 119.0, "two 500 ml soft flasks included"),
        ("Headlamp 400", 49.0, "400 lumens, rechargeable"),
        ("Waist belt", 29.0, "bounce free, fits a phone"),
        ("Trekking poles", 99.0, "carbon, folding"),
        ("Reflective band set", 15.0, "high visibility at night"),
        ("Foam roller", 35.0, "firm, for recovery"),
    ],
    "nutrition": [
        ("Energy gels 12 pack", 24.0, "25 g carbs each, mixed flavours"),
        ("Electrolyte tabs", 12.0, "sugar free, 20 tabs"),
        ("Recovery shake", 39.0, "20 g protein, chocolate"),
        ("Energy chews", 18.0, "caffeine optional"),
    ],
    "gps watches": [
        ("Pace 2 GPS watch", 249.0, "GPS, heart rate, 20 h battery"),
        ("Summit Pro watch", 449.0, "maps, multi-band GPS, 60 h battery"),
        ("Heart rate strap", 79.0, "chest strap, Bluetooth and ANT+"),
    ],
}


def product_catalogue() -> pd.DataFrame:
    """The product catalogue: id, name, category, price and a short description."""
    rows = []
    for c_index, (category, items) in enumerate(CATEGORIES.items()):
        for i, (name, price, description) in enumerate(items):
            rows.append(
                {
                    "product_id": f"P{c_index + 1}{i + 1:02d}",
                    "name": name,
                    "category": category,
                    "price": price,
                    "description": description,
                }
            )
    return pd.DataFrame(rows)


_SUBJECTS = {
    "email": [
        "Fresh miles start here, {name}",
        "Your next long run deserves the {product}",
        "Back on the trail? Here is {discount} off",
    ],
    "sms": ["{brand}: {discount} off the {product} with code {code}. Reply STOP to opt out"],
    "push": ["New in: the {product}. Find your fit."],
    "social": ["Rain or shine, the {product} keeps you out there."],
    "ads": ["{product} | Tested on real trails"],
}


def past_campaigns(engagements: pd.DataFrame, catalogue: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per past campaign and channel: its copy and its measured results."""
    rng = np.random.default_rng(seed + 17)
    summary = (
        engagements.assign(
            sent=engagements["event"].eq("sent"),
            converted=engagements["event"].eq("converted"),
        )
        .groupby(["campaign_id", "channel"], as_index=False)
        .agg(
            sent=("sent", "sum"),
            conversions=("converted", "sum"),
            cost=("cost", "sum"),
            revenue=("revenue", "sum"),
        )
    )
    rows = []
    for rec in summary.to_dict(orient="records"):
        product = catalogue.iloc[int(rng.integers(len(catalogue)))]
        discount = f"{int(rng.choice([10, 15, 20]))}%"
        template = _SUBJECTS[str(rec["channel"])][int(rng.integers(len(_SUBJECTS[str(rec["channel"])])))]
        copy = template.format(
            name="{{first_name}}",
            product=product["name"],
            discount=discount,
            code=f"RUN{int(rng.integers(10, 99))}",
            brand=BRAND,
        )
        rows.append(
            {
                "campaign_id": rec["campaign_id"],
                "channel": rec["channel"],
                "product_id": product["product_id"],
                "copy": copy,
                "sent": int(rec["sent"]),
                "conversions": int(rec["conversions"]),
                "conversion_rate": round(int(rec["conversions"]) / max(int(rec["sent"]), 1), 4),
                "cost": round(float(rec["cost"]), 2),
                "revenue": round(float(rec["revenue"]), 2),
            }
        )
    return pd.DataFrame(rows)


_POSITIVE = [
    "Love the {product}, best running gear I have owned.",
    "Great fit and fast delivery. The {product} is excellent.",
    "Really happy with the {product}, comfortable from the first run.",
    "Superb quality, the staff gave honest advice. Will buy again.",
]
_NEUTRAL = [
    "The {product} is fine. Does the job.",
    "Delivery took five days. The {product} is as described.",
    "Average product, nothing special about the {product}.",
]
_NEGATIVE = [
    "The {product} fell apart after a month. Very disappointed.",
    "Terrible sizing, the {product} was too small and the return was slow.",
    "Poor quality and rude support. I will not order the {product} again.",
    "Shipping was late and the {product} arrived damaged.",
]
# P(positive), P(neutral) per planted segment index; the rest is negative.
_SENTIMENT_MIX = [(0.75, 0.2), (0.6, 0.3), (0.25, 0.25), (0.3, 0.4), (0.6, 0.25)]


def feedback(
    segment: np.ndarray, customer_ids: np.ndarray, catalogue: pd.DataFrame, seed: int, rate: float = 0.05
) -> pd.DataFrame:
    """Review texts for a sample of customers, with their planted sentiment label."""
    rng = np.random.default_rng(seed + 29)
    chosen = np.flatnonzero(rng.random(segment.size) < rate)
    rows = []
    for idx in chosen:
        pos, neu = _SENTIMENT_MIX[int(segment[idx]) % len(_SENTIMENT_MIX)]
        u = rng.random()
        label, pool = (
            ("positive", _POSITIVE)
            if u < pos
            else (("neutral", _NEUTRAL) if u < pos + neu else ("negative", _NEGATIVE))
        )
        product = catalogue.iloc[int(rng.integers(len(catalogue)))]["name"]
        rows.append(
            {
                "customer_id": customer_ids[idx],
                "text": pool[int(rng.integers(len(pool)))].format(product=product),
                "sentiment": label,
            }
        )
    return pd.DataFrame(rows, columns=["customer_id", "text", "sentiment"])
