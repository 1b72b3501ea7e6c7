"""Assistant meta-talk: copy that speaks to whoever asked for it, not to the customer.

"Sure! Here is a rewritten version...", "I'd be happy to help", "this answer", "your requirements":
the model answering its requester. A customer who reads it knows a machine wrote it, unedited.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.patterns import compile_alternatives
from evals.metrics.text import copy_parts
from evals.types import CheckContext, CopyDraft, MetricResult

_COPY_NOUN = (
    r"(?:(?<!short )(?<!long )version|(?:tighter|shorter|punchier|new|fresh|different|another|alternative|casual"
    r"|formal|bolder|softer|warmer) take|draft|copy|email|e-mail|sms|text message|push(?: notification)?"
    r"|notification|subject(?: line)?|preheader|options?|variants?|rewrite|message|body|headline|tagline|caption)"
)
META: Final[tuple[str, ...]] = (
    r"^(?:sure(?: thing)?|certainly|of course|absolutely|okay|ok|great question|happy to help|no problem|got it"
    r"|will do)\b[!,.:]",
    rf"\bhere(?:'s|’s| is| are)\b[^.!?\n]{{0,40}}\b{_COPY_NOUN}\b",
    rf"\b(?:below|above) (?:is|are)\b[^.!?\n]{{0,50}}\b{_COPY_NOUN}\b",
    # the copy described as a piece of work: "a friendlier take on the email", "an alternative ending"
    r"\b(?:a|an|my|another|this)\s+(?:\w+\s+)?take on\b|\balternative (?:ending|version|opening)\b"
    r"|\ba/b[- ]test\b|\bfor (?:the|your) (?:a/b|split) test\b",
    # a question to the requester: "Does this tone work?", "Does it sound right?"
    r"\b(?:does|do|will|would) (?:this|that|it|these)(?: \w+)? (?:work|sound|read|fit|land|look)\b[^.!\n]*\?",
    r"\bhere(?:'s|’s| is) what i (?:came up with|wrote|have)\b",
    r"\bas an ai\b|\blanguage model\b|\bi am an ai\b",
    r"\bi(?:'d|’d| would| am|'m|’m| will)? (?:be )?(?:happy|glad|ready|delighted) to"
    r" (?:help|assist|refine|tweak|adjust)\b",
    r"\b(?:happy|glad) to (?:help|tweak|adjust|change|refine)\b",
    r"^(?:sorry|apologies|my apologies)\b"
    r"|\bi (?:couldn't|could not|can't|cannot|wasn't able to) (?:fit|include|add|get|squeeze|work)\b"
    r"|\blet me know\b|\b(?:want|would you like|do you want) me to\b|\b(?:should|shall) i (?:make|try|write|add"
    r"|shorten|change|do|send)\b|\bi(?:'d|’d| would)? (?:recommend|suggest) (?:sending|scheduling|testing|pairing"
    r"|running|using|adding)\b",
    r"\bi hope (?:this|that|it) (?:helps|works)\b|\bhope (?:this|that|it) (?:helps|works)\b",
    r"\bfeel free to (?:adjust|tweak|change|edit|modify|use|swap|replace|drop|cut|remove|shorten|rework|add)\b",
    r"\b(?:as you requested|as requested|you asked for|you requested|per your (?:request|note|notes|feedback"
    r"|comments?|edits?)|your request)\b",
    # a handover after the SMS's brand label ("Forkfield: Here you go, trimmed to fit:"), layout notes
    r"^[^:\n]{1,40}:\s*here (?:you go|it is)\b|\btrimmed to fit\b|\bif space is tight\b"
    r"|\bthe (?:paragraph|line|sentence|section|intro|opening|bit) (?:above|below)\b|^\(?swapped\b|\(swapped\b",
    r"\byour (?:requirements|guidelines|instructions|brief|campaign|marketing|business|brand voice|audience)\b",
    r"\bthis (?:answer|response)\b|\bthe (?:rewritten|improved|revised|shorter|longer) version\b",
    rf"\b(?:this|the following|my) {_COPY_NOUN} (?:keeps|uses|follows|is|has|includes|contains|mentions|covers"
    r"|focuses|leans|emphasi[sz]es|highlights|targets|plays|leads|avoids|sticks|opens|goes)\b",
    r"\bi(?:'ve|’ve| have) (?:kept|included|written|made|added|used|rewritten|removed|highlighted)\b",
    r"\bi can (?:also )?(?:write|suggest|create|draft|provide|make|shorten|lengthen|trim|tweak|adjust|rewrite"
    r"|revise|redo|expand|change|tone)\b",
    r"\bcharacter limit\b|\bword count\b|[(\[]\s*\d+\s*(?:characters?|chars?|words?)\s*[)\]]",
    r"^(?:note|thank you for your|thanks for your)\b",
    r"\bthe customer(?:'s|’s)?\b|\byour customers?\b|\bthe (?:target )?audience\b",
    r"\bi(?:'m|’m| am) glad to hear\b",
    # the brand described from outside, as a review or a model's summary would ("shoes from a company
    # that caters to all ages"): a brand never calls itself "a company that"
    r"\b(?:a|this) (?:company|brand|store|shop|business|retailer|seller) (?:that|which|who)\b",
    # the writer's own note on what they did or on the draft: "I avoided medical claims", "Feedback on this draft"
    r"\bi (?:avoided|kept|included|wrote|added|removed|highlighted|focused|went with|chose|opted|made sure"
    r"|tried to|leaned|stuck to|left out|cut|trimmed|shortened|tightened|swapped)\b",
    r"\b(?:this|the|my|first|second|revised|rough) draft\b|\brevised (?:per|based on|as per|with)\b"
    r"|\b(?:per|based on|following) your (?:feedback|notes|comments|edits)\b|\ba revised version\b",
    r"\bas you (?:asked|wanted|requested|suggested|specified)\b",
    r"\b(?:under|within|over|below) the (?:character |word |length )?limit\b",
    # drafts labelled for the requester to choose from: "Option A:", "Version 2 -"
    r"^(?:option|version|variant|draft|alternative|take)\s+(?:\d+|[a-d]|one|two|three)\s*[:.,)\u2013\u2014-]",
    # the handover of a final draft, and space-saving notes: "Final copy below, with the subject you
    # approved", "Kept the wine mention out to save space."
    r"\b(?:final|revised|updated|new|clean) (?:copy|version|draft|text) (?:below|above|attached|here)\b"
    r"|\bcan make (?:this|it) (?:less|more|shorter|longer|punchier|softer|warmer)\b|\bif it reads\b"
    r"|\((?:[\w-]+ )?v\d+\)|\b(?:title|subject|headline|cta|copy|tagline)s? options? (?:below|above)\b"
    r"|\b(?:one|two|three|four|five|\d) (?:title|subject|headline|copy|cta|tagline)s? options?\b"
    r"|\bcut off on (?:mobile|phones?|small screens)\b|\bkept this one\b"
    r"|\byou approved\b|\bto save (?:space|characters|room)\b|\bkept the [\w-]+(?: [\w-]+)? (?:out|in)\b",
    # the writer's own voice: "I wasn't sure whether to mention the award", "I didn't include the
    # yoga classes". A brand speaks as "we"; "I" outside quotation marks (blanked first) is the writer's
    r"(?<![\w\"“'‘{])(?:i(?:'m|’m|'ve|’ve|'d|’d|'ll|’ll)\b|i(?=\s+[a-z]))(?:\s+[a-z'’]+){0,3}",
    # a handover or a request for feedback: "Here you go:", "Thoughts?", "Thanks for the brief!"
    r"^here (?:you go|it is|they are|we are)\b|^(?:any )?(?:thoughts|feedback|edits|notes)\s*\?"
    r"|\b(?:the|this|your) brief\b|\bbrand guidelines?\b|\bstyle guide\b|\bthanks for (?:sharing|sending)\b"
    r"|\b(?:remove|cut|drop|delete|swap|change) (?:it|this|that|them) if you (?:prefer|want|like)\b",
    # a note on what was done to the copy, with no subject: "Went with urgency here.", "(Kept it short
    # for lock screens.)", "(Shorter version below.)", and the medium's own mechanics
    r"(?:^|\()(?:went with|kept (?:it|this|things) (?:short|brief|tight|simple|under|punchy|casual|light)"
    r"|left (?:out|off|in) the|opted for|leaned (?:into|on)|swapped (?:in|out)|trimmed|tightened|shortened)\b"
    r"|\((?:shorter|longer|alternate|alternative|another|second|casual|formal) (?:version|option|take|draft)\b"
    r"|\balt(?:ernate|ernative)? (?:version|take|option)\b|\b(?:a|another) take that\b|\bif you want one\b"
    r"|\broom (?:left )?for an? (?:emoji|cta|link|line|word|hashtag|sign-off)\b|\bheadroom\b"
    r"|\b(?:leads?|opens?) with the \w+ instead\b"
    r"|\block[- ]?screens?\b|\binbox preview\b|\bpreview text\b|\bopen rates?\b|\bclick[- ]through\b"
    r"|\bsend[- ]time\b",
    # the same in Chinese: "以下是为您撰写的短信文案：", "希望对您有帮助", "如需调整请告诉我"
    r"以下是|下面是|这是(?:我)?为(?:您|你)|为(?:您|你)(?:撰写|写)的|文案|希望(?:这|对您|对你)?(?:有帮助|能帮到)"
    r"|如(?:需|果需要)(?:修改|调整)|请告诉我|按要求|字以内|控制在\d+字|我写了|两个版本|你挑",
    # advice to the requester inside the copy: "you may want to swap in your own short link here"
    r"\byou may want to (?:swap|change|add|replace|use|cut|edit|tweak|shorten)\b|\byour own (?:short )?link\b",
)
_QUOTED: Final = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|(?<!\w)['‘][^'’\n]*['’](?!\w)")
_META_RE: Final = compile_alternatives(*META, flags=re.M)  # matched on lower-cased text


def meta_phrases(text: str) -> list[str]:
    """The meta-talk phrases in ``text``, in order."""
    return list(_meta_phrases(text))


@text_cache(16384)
def _meta_phrases(text: str) -> tuple[str, ...]:
    # words in quotation marks are a customer's, not the writer's
    unquoted = _QUOTED.sub(lambda m: " " * len(m.group(0)), text.lower())
    return tuple(m.group(0).strip() for m in _META_RE.finditer(unquoted))


def _owners_voice(draft: CopyDraft, context: CheckContext) -> list[str]:
    """The product as the writer's own: "My running shoes are designed..." (a brand says "our")."""
    names = [str(context.offer.get("product", "")), *context.catalogue]
    pattern = _mine(tuple(n.lower() for n in names if n))
    if pattern is None:
        return []
    text = " ".join(copy_parts(draft, context).values()).lower()
    return [m.group(0) for m in pattern.finditer(_QUOTED.sub(" ", text))]  # quoted: a customer's words


@lru_cache(maxsize=512)
def _mine(names: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    return (
        re.compile(
            rf"\bmy (?:own |new |latest )?(?:{alternatives}|products?|range|collection|brand|company)\b"
        )
        if names
        else None
    )


def meta_talk_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when the copy talks to the requester ("Here is your email", "I'd be happy to help")."""
    found = [p for text in copy_parts(draft, context).values() for p in meta_phrases(text)]
    found += _owners_voice(draft, context)
    reason = (
        f"speaks to the requester, not the customer: {', '.join(repr(p) for p in dict.fromkeys(found))}; "
        "write only the copy the customer reads"
        if found
        else "addresses the customer, no assistant talk"
    )
    return MetricResult(
        metric="meta_talk", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason=reason, details={"phrases": found},
    )  # fmt: skip
