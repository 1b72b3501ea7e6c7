"""Instruction echo: copy that repeats the prompt ("Write an SMS under 160 characters...")."""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.patterns import compile_alternatives
from evals.metrics.text import copy_parts, sentences, without_brand_prefix
from evals.types import CheckContext, CopyDraft, MetricResult

_TASK_NOUN = (
    r"(?:sms|email|e-mail|subject(?: line)?|preheader|push(?: notification)?|notification|copy|cta|call to action"
    r"|characters?|words?|brand voice|voice examples?|promo code|deadline|product name|text|headline|body|tone"
    r"|variants?|win-back|campaign|segment|audience|quotes|plain text)"
)
# What only a writer handles: the parts and rules of the copy, never something a customer does or buys.
_WRITING_NOUN = (
    r"(?:call to action|cta|subject(?: line)?|preheader|opt-out(?: line| wording)?|brand name|brand voice"
    r"|(?:brand |voice )?examples?|emojis?|exclamation marks?|hashtags?|characters|tone(?: of voice)?"
    r"|sentences?|the (?:copy|message|text|reader|prompt|offer details|product name)|placeholders?|competitors?"
    r"|opt-?outs?|(?:a )?sense of urgency|urgency|scarcity|social proof|fomo)"
)
_PART_NOUN = (
    r"(?:preheader|subject(?: line)?|headline|title|tagline|notification|opening(?: line)?|hook|caption)"
)
_STYLE = (
    r"(?:short|shorter|brief|friendly|punchy|concise|warm|casual|formal|fun|simple|personal|upbeat|light"
    r"|positive|professional|clear|catchy|engaging)"
)
_LABEL = (
    r"(?:subject(?: line)?|preheader|body(?: copy)?|tone|audience|target(?: audience)?|task|offer|output|cta"
    r"|call to action|title|headline|hook|opening|segment|channel|instructions?|format|sms|email|push"
    r"|goal|objective|angle|product|voice|language|length|style|context|constraints?|requirements?|rules?"
    r"|kpi|brief|prompt|input|persona|theme|keywords?|text message|notification|brand voice|tone of voice|notes"
    r"|must[- ](?:mention|include|haves?)|mandatory|required|checklist|do not mention|avoid|win-?back|re-?engagement"
    r"|reactivation|upsell|cross-sell)"
)
ECHO: Final[tuple[str, ...]] = (
    # an imperative prompt sentence about the writing task itself
    rf"^(?:please\s+)?(?:write|create|generate|draft|compose|return|output|produce|rewrite)\b.*\b{_TASK_NOUN}\b",
    rf"^(?:include|mention|keep|use|do not|don't|avoid|end with|start with|make sure)\b.*\b(?:{_TASK_NOUN})\b"
    r".*\b(?:verbatim|above|below|under|limit|characters?|words?|invent|include|examples?|deadline|cta)\b",
    # an instruction to the writer about a part or rule of the copy: "Remember to include a call to action"
    r"^(?:please\s+)?(?:remember to |be sure to |make sure (?:to |you )?|ensure (?:you )?|don't forget to )?"
    r"(?:write|include|mention|keep|use|avoid|add|end|start|begin|close|finish|sound|follow|match|stay|limit"
    rf"|repeat|translate|do not|don't|never)\b[^.!?\n]*\b{_WRITING_NOUN}\b",
    # a rule the writer was given: "Don't mention competitors", "Do not invent numbers"
    r"^(?:please\s+)?(?:do not|don't|never|avoid)\s+(?:mention(?:ing)?|includ(?:e|ing)|invent(?:ing)?"
    r"|nam(?:e|ing)|repeat(?:ing)?|mak(?:e|ing) up|exceed(?:ing)?|go(?:ing)? over)\b"
    r"|^(?:please\s+)?(?:do not|don't|never|avoid)\s+(?:us(?:e|ing)|say(?:ing)?)\s+(?:the\s+)?"
    r"(?:words?|phrases?|terms?)\b",
    # a whole sentence naming a part of the copy to put in: "Include the deadline.", "Mention the code."
    r"^(?:please\s+)?(?:include|mention|state|add|name|show)\s+(?:the\s+|a\s+|an\s+|our\s+)?(?:promo\s+)?"
    r"(?:deadline|code|discount|offer|price|cta|call to action|product name|brand name|opt-out|link|date)s?"
    r"\s*[.!]?$",
    # a point to cover, said to the writer: "Mention the mudguards and the rack" (not "mention code X")
    r"^(?:please\s+)?(?:mention|reference|emphasi[sz]e|translate|personali[sz]e)\b(?!\s+(?:code|this|our)\b)",
    # the style asked for: "Make it friendly and short", "Keep it punchy"
    rf"^(?:make|keep) (?:it|the (?:copy|message|text|tone))\s+(?:{_STYLE}(?:,\s*|\s+(?:and|but|yet)\s+|\s*)){{1,4}}"
    r"[.!]?$",
    # the style asked for, then more asks: "Keep it punchy and mention the harness." (styles no customer
    # line is kept: "Keep it simple" is an idiom, "Keep it punchy" a brief)
    r"^(?:make|keep) (?:it|the (?:copy|message|text|tone)|this)\s+(?:punchy|concise|snappy|catchy|on-brand|tight"
    r"|shorter|upbeat|engaging|professional|casual|conversational|under)\b",
    # a rule about what to leave out, alone as a sentence: "No emojis.", "No numbers, prices, dates, codes."
    r"^no (?:emojis?|emoji|exclamation (?:marks?|points?)|hashtags?|jargon|clich[eé]s|all caps|caps|slang|puns"
    r"|superlatives|numbers|prices|dates|links|questions)\b"
    r"(?:\s*(?:,|\bor\b|\band\b|\bnor\b)\s*(?:no\s+)?[\w-]+(?: [\w-]+){0,2})*"
    r"\s*[.!]?$",
    # the reader described to the writer: "The reader is one of the customers who have not shopped"
    r"^the (?:reader|recipient|subscriber|user|customer|audience)s? (?:is|are|has|have|was|were|wants?|likes?"
    r"|needs?|lives?|hasn't|haven't|tends?|may|might|should)\b",
    # a retry prompt: "Write a new one that avoids these problems"
    r"^(?:please\s+)?(?:write|create|generate|draft|try|give me|make)\s+(?:a\s+)?(?:new|another|different|better"
    r"|shorter|longer|fresh)\s+(?:one|version|take|attempt|draft)\b|\b(?:avoids?|fix(?:es)?) (?:these|those|the)"
    r" (?:problems|issues|errors|mistakes)\b",
    # a task name as a label: "Win-back email: 3 months of Plus on us", "Reminder push: ..."
    r"^(?:[\w-]+\s+){1,2}(?:email|e-mail|sms|push|text|notification|subject line|subject|preheader|copy)\s*:",
    # the brief's asks and notes to the writer: "Promote the Carryall, stress urgency.", "CTA: Shop now",
    # "Goal of this send: ...", "[Offer: Starter Kit / 25% / START25]"
    r"^(?:promote|pitch|push|upsell|cross-sell)\s+(?:the|our)\b|\bstress (?:the )?(?:urgency|deadline|benefits?"
    r"|savings|offer)\b|\bcta\s*:|\b(?:goal|purpose|aim|objective) of (?:this|the) (?:send|email|campaign|message"
    r"|blast|push)\b|[\[【(（]\s*(?:offer|brief|note|goal|cta|audience|segment|for|target|目标|受众|备注)\s*[:：]"
    r"|\([^)\n]{0,40}\b(?:tone|voice|mention|cta)\b[^)\n]{0,40}\)",
    # the brief's date as a field, never how copy writes a date: "..., SEND50, 2026-12-15, ..."
    r"\b20\d\d-[01]\d-[0-3]\d\b",
    # a note in brackets: "(Keep the tone warm and literary.)" (the sentence may end before the bracket)
    r"\((?:please\s+)?(?:keep|use|make|write|include|avoid|add|remember|note|insert|mention)\b[^)]*(?:\)|$)",
    # the request for a part, not the part: "Headline for lapsed readers", "A short preheader that sums up..."
    rf"^(?:an?\s+|one\s+|the\s+)?(?:{_STYLE}\s+)?(?:email\s+|push\s+|sms\s+)?{_PART_NOUN}\s+"
    r"(?:for|that|which|about|with|to)\b",
    # a channel label with the brief after a dash: "SMS copy - playful tone:"
    r"^(?:sms|email|e-mail|push)(?:\s+(?:copy|text|message|notification|version))?\s*[-\u2013\u2014]\s*[^:\n]{0,40}:",
    # an idea labelled for the requester: "Push title idea: Light the way"
    r"\b(?:title|subject(?: line)?|headline|copy|tagline|hook|cta)\s+(?:idea|option|suggestion|draft)s?\s*:",
    # the offer's fields dumped with their labels: "discount: 20%, code: SUMMIT20, deadline: ..."
    r"\b(?:discount|code|deadline|features?|price|product)\s*:\s*[^,.;]+[,;]\s*(?:discount|code|deadline|features?"
    r"|price|product)\s*:",
    # a line label: "Text message, one short sentence", "Email subject line, at most 8 words"
    r"^(?:email|e-mail|sms|text message|push(?: notification)?|notification)"
    r"(?:\s+(?:subject line|subject|opening|title|headline|preheader|body|line|hook))?\s*,",
    # a prompt label: "Subject line (max 60 characters):", "Tone: warm", "Goal: win back lapsed users"
    rf"^(?:[-*\u2022]\s*)?(?:the\s+)?(?:email\s+|sms\s+|push\s+)?{_LABEL}\s*(?:\([^)]*\))?\s*(?::|[\u2013\u2014]\s)",
    r"^(?:key|main|core)\s+(?:selling\s+)?(?:message|points?|benefits?|takeaways?)(?:\s+to\s+(?:cover|include|hit"
    r"|mention))?\s*:|^(?:unique\s+)?selling points?\s*:|\busps?\s*:",
    # the message type and tone asked for: "Black Friday SMS, friendly tone."
    r"\b(?:sms|email|e-mail|push|text message|notification|promo|campaign|send|blast)\s*[,\u2013\u2014-]\s*"
    r"(?:[\w-]+\s+){0,2}(?:tone|voice"
    r"|style)\b|,\s*mention (?:the|our)\b",
    r"^(?:语气|口吻|风格)(?:要|需)?(?:温馨|亲切|活泼|正式|轻松|热情|专业|幽默|简洁|自然)",
    r"\b(?:features?|points?|benefits?|details?|things?|facts?)\s+to\s+(?:mention|include|cover|highlight|stress)\s*:",
    # the structure asked for: "Open with the solstice angle, then the offer"
    r"^(?:open|start|begin|lead|close|end|finish)\s+with\s+(?:the|a|an)\s+(?:[\w-]+\s+)?(?:angle|hook|story|anecdote"
    r"|benefit|question|statistic|offer|cta|call to action)\b",
    # the point of view asked for, and a slot left as its description: "Use second person.", "Headline
    # goes here", "Short supporting line that mentions the code"
    r"^(?:use|write in|keep it in)\s+(?:the\s+)?(?:first|second|third)[- ]person\b"
    r"|\b(?:goes|go) here\b|\bsupporting (?:line|copy|text)\b",
    r"\b(?:under|max(?:imum)?|at most|no more than|fewer than|less than)\s+\d+\s+(?:characters|chars|words)\b",
    r"\b\d+\s*-\s*\d+\s+sentences\b|\b(?:one|two|three|four|five|\d+)\s+(?:short|full|complete)\s+sentences?\b"
    r"|\bin\s+(?:one|two|three|four|five|\d+)\s+sentences?\b"
    r"|\b(?:one|two|three|four|five|\d+)\s+sentences?\s+(?:max(?:imum)?|or (?:fewer|less)|long|at most)\b",
    # a rule about the copy itself: "Body copy should explain what is included", "The CTA must be short"
    r"^(?:the\s+|your\s+)?(?:body(?: copy)?|copy|subject(?: line)?|preheader|headline|email|message|sms|push"
    r"|cta|call to action|tone|opening(?: line)?|closing(?: line)?|first line|last line)\s+"
    r"(?:should|must|needs? to|has to|ought to|shall)\b",
    # a reminder or brief to the writer: "Don't forget to mention the award", "This email aims to convert
    # people who...", "It should feel cosy", "Remind the user about their streak"
    r"\b(?:don't|do not) forget to (?:mention|include|reference|highlight|add|say|note|stress)\b"
    r"|\b(?:remember|be sure|make sure) to (?:mention|reference|highlight|stress|note|include|add|state)\b"
    r"|\b(?:this|the) (?:email|message|sms|copy|text|push|campaign|subject line) (?:aims|is meant|is designed"
    r"|is intended|needs|wants|tries|has) to\b|^it should (?:feel|sound|read|be|come across)\b"
    r"|^(?:remind|tell|ask|invite|encourage|nudge|urge|thank|greet|address|reassure|persuade|convince)\s+"
    r"(?:the\s+)?(?:user|customer|reader|recipient|subscriber|learner|member|audience|shopper|buyer)s?\b",
    # the output format asked for: "Respond only with the email text, no explanations."
    r"^(?:please\s+)?(?:respond|reply|answer|return|output|give me)\s+(?:only|just)\b"
    r"|\bno (?:explanations?|commentary|preamble)\b|\bwithout (?:any )?(?:explanations?|commentary|preamble)\b",
    # the same labels in Chinese: "语气：温暖亲切" (tone: warm), "目标：…" (goal), "受众：…" (audience)
    r"^(?:语气|口吻|风格|目标|受众|目标受众|(?:推送|短信|邮件|邮件主题|预览)?(?:标题|正文|文案|内容|主题)|副标题|预览文本"
    r"|渠道|要求|字数|注意|提示|行动号召|任务|卖点|推送|短信|邮件|目标用户|目标人群|用户群|人群)\s*[：:]",
    r"\b(?:the\s+)?(?:[a-z-]+\s+)?segment\b|\ball-customers\b|\bat-risk\b|\bpersona\b",
    r"\bwho have not (?:ordered|bought|purchased|visited) in \d+ days\b",
    # the analytics' name for the audience, which no customer is called to their face
    r"\b(?:lapsed|churned|churning|dormant|inactive|high-value|low-value|at risk|trial)\s+(?:[\w-]+\s+)?"
    r"(?:customers?|users?"
    r"|readers?|buyers?|shoppers?|subscribers?|members?|clients?|runners?|riders?)\b",
)
_SHORT_LABEL: Final = re.compile(r"^((?:\S+\s){0,2}\S+):\s+(.+)$")
_ECHO_RE: Final = compile_alternatives(*ECHO, flags=re.I | re.M)


def echoed_instructions(text: str, brand: str | None = None) -> list[str]:
    """The sentences of ``text`` that read as the prompt, not as copy (after any "<brand>: " label)."""
    return list(_echoed(text, brand))


@text_cache(16384)
def _echoed(text: str, brand: str | None) -> tuple[str, ...]:
    parts = [without_brand_prefix(s, brand) for s in sentences(text)]
    # after a short label the rest is read as a sentence too: "Reminder: mention the deadline"
    labelled = {p: m.group(2) for p in parts if (m := _SHORT_LABEL.match(p))}
    lines = parts + list(labelled.values())
    if not _ECHO_RE.search("\n".join(lines)):  # one pass: ``^`` anchors at each sentence
        return ()
    return tuple(s for s in parts if _ECHO_RE.search(s) or (s in labelled and _ECHO_RE.search(labelled[s])))


def instruction_echo_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail when a sentence of the copy is an instruction to the writer (the prompt leaked into it)."""
    found = [
        s for text in copy_parts(draft, context).values() for s in echoed_instructions(text, context.brand)
    ]
    reason = (
        f"repeats the prompt: {', '.join(repr(s) for s in dict.fromkeys(found))}; remove the instructions"
        if found
        else "no prompt text in the copy"
    )
    return MetricResult(
        metric="instruction_echo", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason=reason, details={"sentences": found},
    )  # fmt: skip
