"""Tone: lines that insult or shame the customer, and copy that runs down the product it promotes.

"Still too lazy to reorder?", "Shame on you for leaving us", "It's not our best coffee, but it's
cheap": no brand sends these. Found by patterns for insults, blame and guilt aimed at the reader,
and by concessions that talk the product down ("a bit stale, but...", "not worth it").
"""

from __future__ import annotations

import re
from typing import Final

from evals.metrics.cache import text_cache
from evals.metrics.patterns import compile_alternatives
from evals.metrics.text import copy_parts, sentences
from evals.types import CheckContext, CopyDraft, MetricResult

_INSULT: Final = compile_alternatives(
    r"\b(?:lazy|stupid|dumb|idiot(?:ic)?|loser|pathetic|embarrassing|ugly|clueless|hopeless|useless|quitter"
    r"|terrible taste|bad taste|fool(?:ish)?|ridiculous|disgusting|gross|shameful|careless|slacker)\b"
    r"|\bshame on you\b|\bwhat(?:'s|’s| is) wrong with you\b|\bno excuses?\b|\bmaking excuses\b"
    r"|\beven you\b|\byou clearly\b|\byou (?:obviously|really) (?:need|forgot|failed|don't)\b"
    r"|\byou (?:forgot|abandoned|ignored|neglected|ditched|left) (?:about )?us\b|\byou look like\b"
    r"|\bnobody likes\b|\beveryone else (?:already|has)\b|\bonly one who\b|\bmissed out again\b"
    r"|\bdon't be (?:a|the|so)\b|\bwhat are you waiting for\b|\bhow could you\b|\bwe know you\b"
    r"|\byou(?:'d|’d| would) be (?:crazy|mad|silly|stupid|foolish)\b|\bfrankly\b|\bhonestly, your\b"
    r"|\byour \w+(?: \w+)? (?:is|are|looks?|tastes?) (?:probably|clearly|obviously|frankly|honestly|still)"
    r" (?:terrible|awful|horrible|bad|a mess|a disaster|embarrassing|sad)\b"
    r"|\bdon't be that (?:person|guy|girl|friend|customer|neighbou?r|parent|owner)\b"
    r"|\bsays a lot about (?:a person|you)\b"
    r"|\bnobody (?:will|would|else will) tell you\b|\bdon't come crying\b|\bstuck with (?:supermarket|cheap|boring)\b"
    # the same in Chinese: "丢人" (embarrassing), "土气" (frumpy), "寒酸" (shabby), "落伍" (outdated)
    r"|丢人|丢脸|土气|寒酸|落伍|太丑|真丑|笨蛋"
    r"|\bdeserves? better than (?:the|that|those|what|your)\b"
    r"|\blike an? (?:amateur|beginner|rookie|newbie|noob|caveman|child|toddler)\b"
    r"|\bif you can be bothered\b|(?:^|(?<=[.!?:] ))typical[.!]|\bforgot (?:about )?us again\b"
    r"|\bclearly you\b|\byou (?:clearly |obviously )?(?:haven't|have not|never) (?:bothered|cared|tried)\b"
    r"|\bno more excuses\b|\bthat(?:'s|’s| is) on you\b|\bstop blaming\b|\byou only have yourself to blame\b"
    r"|\b(?:last|final) warning\b|\bor (?:you'll |you will |you’ll )?regret it\b|\bor else\b"
    r"|\bstop (?:making|being|wasting)\b|\byou(?:'re|’re| are) (?:too|so) (?:\w+ )?(?:lazy|old|slow|cheap|broke)\b"
    # the reader's own things put down: "Your handwriting is awful", "the scratchy PJs you bought them"
    r"|\byour (?:\w+ ){0,2}(?:is|are|looks?|sounds?|smells?|reads?) (?:\w+ )?(?:awful|terrible|horrible|atrocious"
    r"|hideous|a mess|a disaster|embarrassing|tragic|sad|ugly|boring|depressing|dreadful|appalling|unreadable)\b"
    r"|\b(?:scratchy|cheap|ugly|sad|tired|awful|terrible|junky|flimsy) [\w-]+ you (?:bought|got|picked|chose|own"
    r"|wear|use)\b"
    # the reader's home or habits mocked: "your place probably smells like last night's takeout",
    # sarcasm: "Still no candle? Bold choice.", "Oh good, another year of not practising", "wild idea"
    r"|\byour \w+(?: \w+)? (?:probably|clearly|obviously|still|kind of|sort of) (?:smells?|looks?|sounds?|feels?"
    r"|tastes?) like\b|\blet(?:'s|’s) be honest\b|\bbold choice\b|\boh good\b|\bwild idea\b|\bup to you\.?$"
    r"|(?:^|(?<=[.!?:] ))still no [\w\s-]{1,30}\?|\bwill finally\b|\bfinally (?:do|get|make) it\b"
    r"|后悔|活该|别怪|还不下单|你还在等什么"
    # nagging: "Just buy it already.", "We're starting to take it personally.", "try actually cooking"
    r"|\b(?:buy|order|book|get|do) it already\b|\btake it personally\b|\btargets to hit\b|,\s*you know[.!]?$"
    r"|\byour loss\b|\bwhat(?:'s|’s| is) the hold-?up\b|\byou(?:'ve|’ve| have) opened\b|\bisn(?:'t|’t) your thing\b"
    r"|\bstill (?:drinking|using|eating|wearing|buying) (?:that |those |your )?(?:sad|boring|cheap|old|tired)\b"
    r"|(?:^|(?<=[.!?:] ))obviously[.!]|\bfor once\?|找借口|内疚"
    r"|\bembarrassment\b|\bdo (?:yourself|everyone)\b[^.!?]{0,40}\bfavou?r\b|\bdo you even\b"
    r"|(?:^|(?<=[.!?:] ))come on[.!]"
    r"|\byou said you(?:'d|’d| would)\b|\bwe guess\b|(?:^|(?<=[.!?:] ))fine, don(?:'t|’t)\b|爱买不买|不买拉倒|真不环保"
    r"|\b(?:try|start) actually \w+ing\b|\bshould(?:'ve|’ve| have) (?:bought|ordered|listened|known|come|booked)\b"
    # guilt and dares: "Excuses, excuses", "Prove us wrong", "You've skipped class for months"
    r"|\bexcuses,? excuses\b|\bprove (?:us|me|them) wrong\b|\bwe(?:'re|’re| are) (?:still )?waiting\b"
    r"|\byou(?:'ve|’ve| have) (?:\w+ )?(?:skipped|missed|ignored|neglected|abandoned|ghosted|forgotten|dodged"
    r"|avoided)\b[^.!?]{0,30}\b(?:for (?:weeks|months|ages|a year|a while|too long)|again)\b",
    flags=re.I,
)
_RUN_DOWN: Final = compile_alternatives(
    r"\b(?:it(?:'s|’s| is)|this (?:is|isn't)|that(?:'s| is)|isn't|is not|won't|doesn't|not)\s+(?:really\s+|exactly\s+)?"
    r"(?:our\s+)?(?:the\s+)?(?:best|great|good|worth(?:\s+it)?|much|a masterpiece|perfect|amazing|special)\b"
    r"|\b(?:a (?:bit|little)|slightly|pretty|kind of|sort of|quite) (?:flat|stale|bland|boring|buggy|clunky|heavy"
    r"|slow|dull|weak|cheap|greasy|sticky|thin|forgettable|average|meh)\b"
    r"|\b(?:stale|bland|forgettable|buggy|clunky|mediocre|so-so|second-rate|subpar|overpriced)\b"
    r"|\bbetter than nothing\b|\btry it anyway\b|\b(?:get|gets) there eventually\b|\bprobably (?:safe|fine|okay|ok)\b"
    r"|\bsome (?:people|customers) (?:break out|hate|complain|return)\b"
    r"|\bbut (?:it|the price)(?:'s|’s| is) (?:cheap|right)\b"
    r"|\bbut it works\b|\bbut stick with it\b|\bpasses the time\b|\bno masterpiece\b|\bclearing it out\b"
    r"|\b(?:isn't|is not|aren't|are not|it's not|it is not|they're not|they are not) (?:the|our) (?:\w+est|most \w+)\b"
    r"|\bbut\b[^.!?]{0,30}\bwho cares\b|\bwill (?:probably |likely )?(?:get bored"
    r"|be disappointed|regret)\b"
    r"|\b(?:won't|doesn't|will not|does not) do (?:much|anything)\b|\bmeh\b|\bnothing special\b"
    # the product's faults conceded: "It's heavy and a pain to clean, but ..."
    r"|\b(?:a pain to|a hassle to|hard to clean|a nightmare to)\b|\b(?:don't|doesn't|won't) last(?: long)?\b"
    r"|\bwon(?:'t|’t) win any\b|\bfray fast\b|\bwear out (?:fast|quickly)\b|\b(?:it|they) (?:do|does) the job\b|\btbh\b"
    # faint praise: "Okay-ish wines", "won't blow your mind", "nothing to write home about"
    r"|\b(?:okay|ok|good|decent|fine|alright)-ish\b|\b(?:won't|doesn't|will not|does not|isn't going to)"
    r" (?:blow|change) your (?:mind|life)\b|\bnothing to write home about\b|\bnot (?:exactly )?(?:mind-blowing"
    r"|life-changing|exciting)\b",
    flags=re.I,
)


# What the run-down words may describe without talking the product down: the reader's own problem
# that the product solves ("if your skin looks a little dull", "when your coffee tastes flat").
_READERS_PROBLEM: Final = re.compile(
    r"\b(?:your|you(?:'re|’re| are)|you feel|you look)(?:\s+[\w'’-]+){0,2}?\s*(?:looks?|feels?|tastes?|is|are|seems?"
    r"|gets?|turns?|goes|went|has been|have been|can (?:look|feel|taste|get))?\s+$",
    re.I,
)


def _runs_down(sentence: str) -> bool:
    return any(
        not _READERS_PROBLEM.search(sentence[max(0, m.start() - 60) : m.start()])
        for m in _RUN_DOWN.finditer(sentence)
    )


def tone_problems(draft: CopyDraft, context: CheckContext) -> list[str]:
    """The sentences that insult the reader or run down the product, each with what is wrong."""
    return [p for text in copy_parts(draft, context).values() for p in _text_tone(text)]


@text_cache(16384)
def _text_tone(text: str) -> tuple[str, ...]:
    if not (_INSULT.search(text) or _RUN_DOWN.search(text)):  # one pass over clean copy
        return ()
    found: list[str] = []
    for sentence in sentences(text):
        if _INSULT.search(sentence):
            found.append(f"hostile or shaming toward the customer: {sentence!r}")
        elif _runs_down(sentence):
            found.append(f"runs down the product it promotes: {sentence!r}")
    return tuple(found)


def tone_check(draft: CopyDraft, context: CheckContext) -> MetricResult:
    """Fail on hostile or shaming lines toward the customer and on copy that talks the product down."""
    found = tone_problems(draft, context)
    return MetricResult(
        metric="tone", score=float(len(found)), threshold=0.0, passed=not found, hard=True,
        higher_is_better=False, reason="; ".join(found) + "; rewrite it kindly and positively" if found
        else "respectful toward the customer and the product", details={"sentences": found},
    )  # fmt: skip
