"""What a campaign request asks for, read from the marketer's words.

``read_request`` finds what the text states outright (the discount, the budget, the channels, the
product, the code and the deadline, and who to target). These are facts: the brief and the copy use
exactly these, never a number a language model made up. ``CampaignPlan`` is the part the model
may fill where the text is silent (the goal, never the audience), under a JSON schema.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from agent.understand.slots import budget_in, channels_in, code_in, dropped_channels, names_audience

Goal = Literal["win_back", "retention", "promotion", "upsell", "launch", "reactivation"]
Risk = Literal["at_risk", "any"]
Value = Literal["high_value", "any"]
ChannelName = Literal["email", "sms", "push", "social", "ads"]

_CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "newsletter", "inbox"),
    "sms": ("sms", "text message", "text messages", "texts", "text them"),
    "push": ("push", "app notification"),
    "social": ("social", "instagram", "facebook", "tiktok"),
    "ads": ("ads", "paid ads", "display ads", "adverts"),
}
_CAMPAIGN = re.compile(
    r"\b(campaign|win[- ]?back|promo(tion)?|re-?engage\w*|reactivat\w*|offer|blast)\b", re.I
)
_DISCOUNT = re.compile(
    r"(\d{1,2}(?:\.\d+)?)\s*%\s*(?:off|discount)?|(?:[$€£])\s?(\d+(?:\.\d\d)?)\s*off", re.I
)
_BUDGET = re.compile(
    r"budget(?:\s+(?:of|is|at|around|:))?\s*(?:[$€£]|usd|eur|gbp)?\s*(\d[\d,]*(?:\.\d+)?)\s*(k\b)?"
    r"|(?:[$€£])\s?(\d[\d,]*(?:\.\d+)?)\s*(k\b)?\s+budget",
    re.I,
)
_PRODUCT = re.compile(
    r"\b(?:off|on|for|promote|promoting|featuring|upsell|sell|launch|launching)\s+"
    r"(?:(?:our|the|a|an|new|all)\s+)*([a-z][a-z0-9 \-]{2,40}?)"
    r"(?=\s*(?:,|\.|;|:|$|\bwith\b|\bfor\b|\bto\b|\bbudget\b|\bvia\b|\bby\b|\bin\b|\band\b))",
    re.I,
)
_WRITABLE = ("email", "sms", "push")
_UNTIL = re.compile(r"\b(?:until|through|ends?|by)\s+(\d{4}-\d{2}-\d{2})\b", re.I)
_NOT_PRODUCTS = frozenset(
    "customers customer people everyone them users churners buyers spenders big code all lapsed loyal vip "
    "high-value at-risk with via by plus everything anything dormant inactive runners campaign campaigns promo "
    "offer blast".split()
)


class CampaignPlan(BaseModel):
    """The model's reading of a request where the text is silent: the goal, a closed choice."""

    goal: Goal = Field(description="What the campaign is for.")


class CampaignRequest(BaseModel):
    """Everything the campaign planner needs, with where each part came from."""

    text: str
    goal: Goal = "promotion"
    risk: Risk = "any"
    value: Value = "any"
    channels: list[ChannelName] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list, description="Segments the audience is limited to.")
    discount: str | None = None
    product: str | None = None
    budget: float | None = Field(default=None, ge=0)
    code: str | None = None
    deadline: date | None = None
    stated: list[str] = Field(default_factory=list, description="Fields the text states outright.")

    def audience_phrase(self) -> str:
        """Who is targeted, in words: 'high-value customers at risk of churning'."""
        who = "high-value customers" if self.value == "high_value" else "customers"
        if self.segments:
            who += f" in {' and '.join(self.segments)}"
        return f"{who} at risk of churning" if self.risk == "at_risk" else who


def looks_like_campaign(text: str) -> bool:
    """Whether ``text`` asks for a campaign (planned by the campaign planner) rather than a question."""
    return bool(_CAMPAIGN.search(text)) and not text.strip().endswith("?")


def read_request(text: str) -> CampaignRequest:
    """The facts the request states outright, and the goal and audience where its words are plain."""
    low = text.lower()
    req = CampaignRequest(text=text)
    stated: list[str] = []
    if channels := _channels(low):
        req.channels, stated = channels, [*stated, "channels"]  # type: ignore[assignment]
    if m := _DISCOUNT.search(text):
        req.discount = f"{m.group(1)}%" if m.group(1) else f"${m.group(2)}"
        stated.append("discount")
    if m := _BUDGET.search(text):
        amount = m.group(1) or m.group(3)
        k = m.group(2) or m.group(4)
        req.budget = float(amount.replace(",", "")) * (1000 if k else 1)
        stated.append("budget")
    elif (spend := budget_in(text)) is not None:  # "spend cap two thousand dollars", "2k on SMS"
        req.budget, stated = spend, [*stated, "budget"]
    if code := code_in(text):
        req.code, stated = code, [*stated, "code"]
    if m := _UNTIL.search(text):
        req.deadline, stated = date.fromisoformat(m.group(1)), [*stated, "deadline"]
    if product := _product(text):
        req.product, stated = product, [*stated, "product"]
    goal = _goal(low)
    if goal:
        req.goal, stated = goal, [*stated, "goal"]
    if re.search(r"at[- ]risk|churn|lapsed|lapsing|slipping|inactive|dormant|haven't bought|gone quiet", low):
        req.risk, stated = "at_risk", [*stated, "risk"]
    if re.search(r"\beveryone\b|\ball (?:of )?(?:our )?customers\b|\ball buyers\b", low):
        stated += [k for k in ("risk", "value") if k not in stated]
    if re.search(r"high[- ]value|best customers|top customers|vip|most valuable|big spenders|loyal", low):
        req.value, stated = "high_value", [*stated, "value"]
    req.stated = stated
    return with_goal_audience(req)


def _channels(low: str) -> list[str]:
    """The channels stated: named ("email only" and "no SMS" count), or all others when only ruled out."""
    channels = channels_in(low, _CHANNEL_WORDS)
    if not channels and (dropped := dropped_channels(low)):  # "no sms, they hate it": every other channel
        channels = [c for c in _WRITABLE if c not in dropped]
    return channels


def merge_plan(request: CampaignRequest, plan: CampaignPlan) -> CampaignRequest:
    """The request with the model's goal where the text did not state one.

    The audience is never the model's guess: it follows the request's words (and a win-back or
    reactivation goal the words state targets customers at risk of churning).
    """
    return request if "goal" in request.stated else request.model_copy(update={"goal": plan.goal})


def with_goal_audience(request: CampaignRequest) -> CampaignRequest:
    """A request that states a win-back or reactivation goal targets customers at risk, unless it says otherwise."""
    if (
        "goal" in request.stated
        and "risk" not in request.stated
        and request.goal in ("win_back", "reactivation")
    ):
        return request.model_copy(update={"risk": "at_risk"})
    return request


def _has_word(low: str, word: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low) is not None


def _goal(low: str) -> Goal | None:
    if re.search(r"win[- ]?back|winback", low):
        return "win_back"
    if re.search(r"reactivat|re-?engage|wake up", low):
        return "reactivation"
    if re.search(r"retain|retention|keep\b|loyalty", low):
        return "retention"
    if re.search(r"launch|introduc|new product|new arrival", low):
        return "launch"
    if re.search(r"upsell|cross-?sell|upgrade", low):
        return "upsell"
    if re.search(
        r"\bpromo(tion|te|ting)?s?\b|\bsale\b|\bblast\b|\boffer\b|\bdiscount\b|% off|\$\d+ off", low
    ):
        return "promotion"
    return None


def _product(text: str) -> str | None:
    channel_words = {w for words in _CHANNEL_WORDS.values() for w in words}
    for m in _PRODUCT.finditer(text):
        words = m.group(1).strip().lower()
        first = words.split()[0]
        if first in _NOT_PRODUCTS or "customer" in words or "risk" in words or names_audience(words):
            continue  # "for our whales": who, not what
        if (
            first in channel_words
            or any(_has_word(words, w) for w in channel_words)
            or first in ("and", "or")
        ):
            continue
        if first[0].isdigit():
            continue
        return words
    return None
