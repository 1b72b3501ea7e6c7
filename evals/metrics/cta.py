"""Call to action: an imperative invitation ("Shop now", "Find your fit", "Claim your offer")."""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.cjk import CJK
from evals.metrics.compliance import OPT_OUT_SENTENCE, UNSUBSCRIBE
from evals.types import CheckContext, CopyDraft, MetricResult

CTA_VERBS: Final[tuple[str, ...]] = (
    "shop", "buy", "order", "get", "grab", "claim", "find", "discover", "explore", "browse", "see",
    "view", "try", "start", "join", "book", "reserve", "register", "sign up", "subscribe", "download",
    "learn", "read", "watch", "visit", "save", "redeem", "use", "unlock", "treat yourself", "lace up",
    "check out", "meet", "pick up", "upgrade", "tap", "click", "call", "come", "don't miss", "take",
    "open", "turn on", "turn it on", "restock", "stock up", "brew", "treat", "reserve", "book", "pre-order",
    # the rest of the imperatives an offer closes with: finishing a purchase, coming back, giving, visiting
    "complete", "finish", "continue", "bring", "add", "pick", "choose", "select", "gift", "give", "send",
    "enrol", "enroll", "apply", "request", "schedule", "plan", "secure", "lock in", "snag", "score", "nab",
    "fill", "top up", "refill", "replenish", "renew", "switch", "swap", "stop by", "drop by", "swing by",
    "pop in", "head", "hop", "step", "dive", "enjoy", "experience", "taste", "sample", "spoil", "pamper",
    "celebrate", "welcome", "collect", "build", "customise", "customize", "personalise", "personalize",
    "make", "go", "let", "feed", "water", "plant", "climb", "ride", "run", "pour", "sip",
)  # fmt: skip
# Chinese calls to action ("立即购买" buy now, "马上下单" order now, "立即选购" shop now...).
_CTA_ZH: Final = re.compile(
    r"(?:立即|马上|现在就?|快来|赶快|立刻|即刻)(?:购买|选购|挑选|下单|抢购|领取|体验|查看|预订|预约|订购|试用|试戴|开通|使用)"
    r"|(?:点击|戳)(?:链接|这里|查看|选购|购买|下单|抢购|领取)|去看看|快来看看"
    r"|(?m:^)(?:挑选|选购|购买|下单|抢购|领取|预订|订购|选择)[^\s，。！？]{0,6}$"
)
# An imperative CTA verb opening a sentence, line or clause (after ':' '-' '|' or a token).
_CTA: Final = re.compile(
    r"(?:^|[.!?:;|\n>\u2013\u2014-]\s*|\}\}[,.!]?\s*)(?:now\s+)?(?P<verb>(?:re-?)?(?:"
    + "|".join(re.escape(v) for v in sorted(set(CTA_VERBS), key=len, reverse=True))
    + r"))\b",
    re.I | re.M,
)
# A closing line of its own, a button's label ("Light the way", "Be puddle-ready", "挑选礼物"), unless it
# signs off ("Cheers,", "Happy brewing!", "The Ember & Oak team").
_SIGN_OFF: Final = re.compile(
    r"^(?:cheers|thanks|thank you|best|warmly|warm regards|regards|love|xo+|see you|talk soon|until next time"
    r"|happy \w+|with love|yours|sincerely|all the best|[-\u2013\u2014]|the .* team\b)|,$|\?$|祝|此致",
    re.I,
)
_BUTTON_WORDS: Final = 5
_BUTTON_CJK: Final = 10


def button_line(body: str, postal_address: str | None = None) -> str | None:
    """The email's last paragraph before its footer when it is a short line alone: a button's label."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    while paragraphs and (
        UNSUBSCRIBE.search(paragraphs[-1]) or (postal_address and postal_address in paragraphs[-1])
    ):
        paragraphs.pop()
    if len(paragraphs) < 2 or "\n" in paragraphs[-1]:
        return None
    line = paragraphs[-1]
    cjk = len(CJK.findall(line))
    short = cjk <= _BUTTON_CJK if cjk else len(re.findall(r"[\w'’-]+", line)) <= _BUTTON_WORDS
    return line if short and not _SIGN_OFF.search(line) and not any(c.isdigit() for c in line) else None


_URGENCY: Final = re.compile(r"\b(?:now|today|tonight|before|ends?|until|while|last|only)\b", re.I)
_LINK: Final = re.compile(r"https?://|\{\{\s*\w*url\s*\}\}|\[[^\]]+\]\([^)]+\)", re.I)


def cta_phrases(text: str) -> list[str]:
    """The CTA verbs that open a sentence or clause in ``text``."""
    return list(_cta_phrases(text))


@text_cache(16384)
def _cta_phrases(text: str) -> tuple[str, ...]:
    found = [m.group("verb").lower() for m in _CTA.finditer(text.strip())]
    return (*found, *_CTA_ZH.findall(text))


def cta_strength(text: str) -> float:
    """0-1: an imperative CTA (0.6), plus urgency wording (0.2), plus a link (0.2)."""
    score = 0.6 if cta_phrases(text) else 0.0
    if _URGENCY.search(text):
        score += 0.2
    if _LINK.search(text):
        score += 0.2
    return round(score, 4)


def _code_is_the_action(draft: CopyDraft, context: CheckContext, text: str) -> bool:
    """An SMS or push that states the offer's code: the code is what the reader acts on."""
    code = str(context.offer.get("code") or "")
    return draft.channel in ("sms", "push") and bool(code) and code.lower() in text.lower()


def cta_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when the copy has no call to action, unless none is needed.

    None is needed when the context says so; an SMS or push that states the offer's code only warns
    (readers judged such short offers sendable as they are).
    """
    parts = {k: v for k, v in draft.parts.items() if k not in ("subject", "preheader")} or draft.parts
    text = OPT_OUT_SENTENCE.sub("", "\n".join(parts.values()))  # "Reply STOP" is not a call to action
    found = cta_phrases(text)
    if (
        not found
        and draft.channel == "email"
        and (line := button_line(parts.get("body", ""), context.postal_address))
    ):
        found = [line]
    hard = context.require_cta and not _code_is_the_action(draft, context, text)
    if found:
        reason = f"call to action: {', '.join(dict.fromkeys(found))}"
    elif context.require_cta:
        reason = "no call to action; end with one clear imperative such as 'Shop now' or 'Claim your offer'"
    else:
        reason = "no call to action (not required here)"
    return MetricResult(
        metric="cta",
        score=cta_strength(text),
        threshold=None,
        passed=bool(found) or not context.require_cta,
        hard=hard,
        reason=reason,
        details={"phrases": found},
    )
