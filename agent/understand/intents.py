"""What a message asks for: one intent per message, by plain rules over its words and its slots.

Rules are checked in order, most specific first (a refusal before an export, an export before an
audience, a budget question before a channel question). A message no rule claims is left to the
embedding router. Follow-ups ("make it shorter", "switch the channel to SMS", "what should we offer
them next") are recognised here and bound to the conversation's state by the staged policy.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from agent.understand.slots import Slots

Intent = Literal[
    "refusal",
    "export",
    "copy",
    "campaign",
    "budget_roi",
    "channel_choice",
    "audience",
    "recommend_products",
    "feedback_insights",
    "forecast_trends",
    "abtest",
    "clv",
    "churn_risk",
    "segments",
    "customer_profile",
    "knowledge",
    "summary",
    "copy_followup",
    "campaign_followup",
]

_PII = re.compile(
    r"e-?mail addresses|\be-?mails\b|customer'?s e-?mail|everyone'?s e-?mail|phone numbers?|\bphones\b"
    r"|contact (?:list|details|info)|mobile numbers|home addresses",
    re.I,
)
_NEGATED_PII = re.compile(
    r"\b(?:no|without|not|don'?t (?:need|want|include|send)|exclud(?:e|ing)|minus|leave out|skip)\b[^.,;?!]{0,25}?"
    r"(?:contact (?:details|info)|e-?mails?(?: addresses)?|phone(?: numbers?)?|addresses|pii|personal (?:data|details))"
    r"(?:\s+(?:needed|required|please|necessary))?",
    re.I,
)
""""no contact details needed", "without their emails": the message asks for less personal data, not more."""
_BULK = re.compile(
    r"\b(?:every|all|everyone|full|entire|whole|list|dump|print|export|download|send me|give me)\b", re.I
)
_ABOUT_THE_RULES = re.compile(
    r"\b(?:format(?:s|ting)?|rules?|polic(?:y|ies)|guidelines?|regulations?|laws?|compliance|best practices?"
    r"|how (?:do|should|can|to) (?:we |i )?(?:store|format|validate|collect|handle|protect|write))\b",
    re.I,
)
"""A question about how contact data is formatted or governed, not a request for anyone's details."""
_COUNTING = re.compile(r"\bhow (?:many|big)\b|\bcount\b|opted[- ]in|subscribers|said yes|consent", re.I)
_INJECTION = re.compile(
    r"ignore (?:all |your |the )?(?:previous |prior |above )?instructions"
    r"|(?:pii|privacy|safety|redaction) (?:filter|guard|rules?|checks?) (?:is |are |has been |have been )?"
    r"(?:disabled|off|lifted|removed)|admin override|developer mode|^\s*system\s*:",
    re.I,
)
_CONTACT = re.compile(
    r"phone numbers?|e-?mail addresse?s?|contact (?:details|info)|home addresse?s?|mobile numbers?"
    r"|(?:their|his|her|customer'?s?) (?:e-?mail|phone|number|address)\b"
    r"|\b(?:phone|mobile|cell|home address|address)(?: number)?s? (?:for|of) (?:cu\d|customer|him|her"
    r"|them|this|that|the (?:customer|vips?|champions|\w+ (?:segment|list|group)))"
    r"|\be-?mails? (?:addresses )?of (?:the |our |all |every|those |these |them\b|customers|cu\d)"
    r"|\be-?mail addresses for\b"
    r"|\bnames?(?:,| and| with| plus) (?:their )?(?:phone |mobile )?(?:numbers|e-?mails|addresses|phones)",
    re.I,
)
_OPTED_OUT = (
    r"(?:opted[- ]?out|opt[- ]?outs?|unsubscribed|unsubscribes|said no|(?:turned|switched) off (?:notifications|push"
    r"|sms|texts|e-?mails?|marketing)|did(?:n'?t| not) (?:consent|opt[- ]?in|agree)"
    r"|(?:have|gave|giving) no consent|not consented|never (?:gave|given) (?:us )?(?:consent|permission)"
    r"|never (?:opted[- ]in|consented|agreed|signed up|subscribed)"
    r"|(?:has|have|had|did)(?:n'?t| not) (?:consented|opted[- ]in|agreed|signed up|subscribed)"
    r"|without (?:their )?(?:consent|permission)|do[- ]not[- ]contact)"
)
_CONTACT_VERBS = r"text|sms|e-?mail|message|push|send|contact|reach|blast|target|ping|mail|call|notify"
"""Ways to reach someone; "include" also adds a person to a send (``_CONTACTS``)."""
_CONSENT_BYPASS = re.compile(
    r"\b(?:includ\w*|even|also|too|as well|anyway|regardless|every(?:one|body)|ignor\w*|bypass\w*|overrid\w*"
    r"|doesn'?t matter|don'?t care|not care)\b[^.;?!]{0,40}?"
    + _OPTED_OUT
    + r"|"
    + _OPTED_OUT
    + r"[^.;?!]{0,40}?\b(?:too|as well|anyway|also|regardless|included|even so)\b"
    r"|\b(?:ignor\w*|bypass\w*|overrid\w*|skip\w*|regardless of|whatever)\s+(?:the\s+|their\s+|any\s+)?"
    r"(?:consent|gdpr|opt[- ]?outs?|unsubscribes?|opt[- ]?in (?:flags?|status)|permissions?|(?:contact )?preferences)"
    r"|\b(?:" + _CONTACT_VERBS + r")(?: to)?\s+"
    r"(?:the |those |all |all the |everyone |everybody |people |customers |anyone |ones |of |users |shoppers |buyers "
    r"|members |subscribers )*(?:who |that )?"
    r"(?:have |has |had |already )?"
    + _OPTED_OUT
    + r"|\b(?:consent|permission|opt[- ]?in|gdpr) or not\b|\bwith or without (?:their )?(?:consent|permission)"
    r"|\bwhether (?:or not )?they(?:'ve| have)? (?:consented|opted in|agreed|subscribed)"
    r"|\b(?:buy|bought|purchas\w*|rent\w*|scrap\w*|harvest\w*)\b[^.;?!]{0,30}?\b(?:e-?mail|contact|phone|mailing"
    r"|sms|leads?) (?:lists?|database|addresses|numbers)",
    re.I,
)
"""Contacting people who said no: "text everyone, including the ones who opted out", "ignore the opt-outs"."""
_RESPECTS_OPT_OUT = re.compile(
    r"\b(?:has(?:n'?t| not)|have(?:n'?t| not)|never|not|except(?: for)?|excluding|exclude|without|minus|but not"
    r"|leave out|leaving out|skip(?:ping)?|apart from|other than|drop(?:ping)?|remove|removing)\s+"
    r"(?:the |those |anyone |people |customers |ones |any )*(?:who |that )?(?:have |has |had )?" + _OPTED_OUT,
    re.I,
)
""""everyone who hasn't opted out", "excluding the unsubscribed": the message keeps to consent."""
_CONTACTS = re.compile(r"\b(?:" + _CONTACT_VERBS + r"|include)", re.I)
_DECEPTION = re.compile(
    r"\b(?:fake|fabricat\w*|bogus|phony|phoney|sock ?puppet\w*|astroturf\w*|made[- ]up|make up|invent\w*)\b"
    r"[^.;?!]{0,40}?\b(?:reviews?|testimonials?|ratings?|endorsements?|(?:customer )?quotes|customer stories"
    r"|followers|likes)\b"
    r"|\b(?:pretend\w*|posing|pose|disguis\w*|impersonat\w*)\b[^.;?!]{0,25}?\b(?:customers?|buyers|shoppers"
    r"|reviewers?|real people|real users)\b"
    r"|\b(?:even though|even if|although|but)\s+(?:it'?s|that'?s|this is|it is|they'?re|there'?s|we(?:'re| are))?\s*"
    r"(?:not|n't|isn'?t|aren'?t|never) (?:true|real|accurate|the case|actually)"
    r"|\b(?:even though|although|when in fact|but really) (?:it|they|that|this|we|there)(?:'s| is| are| do| does| did"
    r"| will| was| were| have| has)?\s*(?:n'?t|not|never)\b\s*(?:true|real|the case|exist|end|apply|yet)?"
    r"\s*(?:[.,;!?]|$)"
    r"|\b(?:fake|false|phony|made[- ]up)\s+(?:urgency|scarcity|countdown|deadline|stock|was[- ]prices?|discounts?"
    r"|claims?|sale)\b"
    r"|\b(?:claim|say|write|state|tell \w+|promise)\w*\b[^.;?!]{0,50}?\b(?:clinically proven|doctor[- ]approved"
    r"|cures?|prevents? (?:all )?injur\w*|guaranteed to (?:cure|prevent))"
    r"|\breviews?\b[^.;?!]{0,40}?\bas (?:an? |our |real |happy )?(?:customers?|buyers|shoppers)\b"
    r"|\breviews?\b[^.;?!]{0,60}?\bfrom (?:a|an|the) (?:customer|buyer|shopper|runner)'?s? (?:point of view|perspective"
    r"|pov|voice)"
    r"|\bpost (?:some |a few |\d+ )?(?:reviews|ratings)\b"
    r"|\breviews?\b[^.;?!]{0,40}?\b(?:as if|as though|in the name of|under the names? of) (?:they were |written by "
    r"|from )?(?:real |happy |our )?(?:customers?|buyers|shoppers)",
    re.I,
)
"""Deceiving shoppers: fake reviews or testimonials, copy posing as customers."""
_SENSITIVE_TRAIT = (
    r"(?:pregnan\w*|expecting (?:a baby|mothers?|parents?)|health (?:conditions?|problems?|issues?)"
    r"|medical (?:conditions?|history)|illness\w*|diseases?|diabet\w*|disabilit\w*|disabled|mental health"
    r"|religio\w*|ethnic\w*|muslims?|christians?|jewish|jews|hindus?|buddhists?|sikhs?|catholics?|asian|hispanic"
    r"|latin[oax]s?|\brace\b|sexual(?:ity| orientation)|gay|lesbian|lgbt\w*|political (?:views?|leaning\w*"
    r"|affiliation|part(?:y|ies))|immigration status|trade union|financial (?:trouble|distress|hardship)"
    r"|in debt|struggling financially|divorc\w*|bereave\w*|griev\w*|widowed)"
)
_SENSITIVE = re.compile(
    r"\b(?:which (?:customers|shoppers|buyers|people|ones)|who(?:'s| is| are)|work out|figure out|find out|guess"
    r"|infer|predict|detect|identify|spot|flag|target|segment|list|find|pick out)\b[^.;?!]{0,60}?\b"
    + _SENSITIVE_TRAIT
    + r"\b"
    r"|\b" + _SENSITIVE_TRAIT + r"\b[^.;?!]{0,60}?\b(?:customers?|shoppers|buyers|people|them|who)\b"
    r"[^.;?!]{0,60}?\b(?:buy|bought|purchases?|orders?|baskets?|browsing|behaviou?r|data|target|segment|list)",
    re.I,
)
"""Inferring a sensitive trait (pregnancy, health, religion...) that customers never told us, to target them."""


def refusal_reason(text: str) -> str | None:
    """Why a request must be declined: ``contact``, ``consent``, ``deception`` or ``sensitive`` (None: it need not).

    ``contact`` is bulk personal data or an injection; the other three are marketing that harms the
    people it reaches: messaging those who opted out, faking customers' voices, and guessing traits
    such as pregnancy or health from purchases.
    """
    text = _NEGATED_PII.sub(" ", text)
    if _INJECTION.search(text) or (_PII.search(text) and _BULK.search(text) and not _COUNTING.search(text)):
        return "contact"
    about_the_rules = _ABOUT_THE_RULES.search(text) and not _BULK.search(text)  # "phone number format rules"
    if (_PII.search(text) and _EXPORT.search(text)) or (
        _CONTACT.search(text) and not _COUNTING.search(text) and not about_the_rules
    ):
        return "contact"
    if (
        _CONSENT_BYPASS.search(_RESPECTS_OPT_OUT.sub(" ", text))
        and _CONTACTS.search(text)
        and not re.search(r"\bhow (?:many|big)\b|\bcount\b|\bnumber of\b|\bshare of\b", text, re.I)
    ):
        return "consent"
    if _DECEPTION.search(text):
        return "deception"
    if _SENSITIVE.search(text):
        return "sensitive"
    return None


_EXPORT = re.compile(
    r"\b(?:export|download|dump|save|write|upload)\b.*\b(?:csv|file|list|ids|spreadsheet)\b|\.csv\b"
    r"|\b(?:pull|put|get|send|drop|stick|give)\b.*\b(?:csv|spreadsheet|excel)\b"
    r"|\bexport(?:ing)?\b|\bdownload\b"
    r"|\b(?:put|pull|get|stick|drop|turn)\b[^.?!]{0,40}?\b(?:into|in|on|to) an? (?:list|file|sheet)\b"
    r"|\b(?:as|in|into) an? (?:csv|spreadsheet|excel|xlsx|file)\b"
    r"|\b(?:send|give|hand|e-?mail|mail|share|ping)\s+(?:me|us|over)\b[^.?!]{0,40}?"
    r"\b(?:csv|file|spreadsheet|ids|id list)\b"
    r"|\b(?:upload|sync|load|send|push|hand|pass|share|get|pull)\b[^.?!]{0,40}?\b(?:to|into|over to|in|for)\s+"
    r"(?:the\s+|our\s+)?"
    r"(?:esp|crm|mailchimp|klaviyo|braze|hubspot|salesforce|iterable|ad platforms?|ads? manager|custom audiences?)\b",
    re.I,
)
"""An export: "export it", "download the list", "save it as a csv", "upload them to the ESP"."""
_COPY_VERB = re.compile(
    r"\b(?:write|draft|create|compose|come up with|craft)\b|\bneed (?:a|an|some|\d+|two|three|new|fresh|the)\b",
    re.I,
)
_WRITE = re.compile(r"\b(?:write|draft|compose|craft|come up with)\b", re.I)
_COPY_WORD = re.compile(r"\bcopy\b|subject lines?|\bwording\b|headlines?|taglines?|\bbody\b", re.I)
_COPY_NOUN = re.compile(
    r"\b(?:sms|texts?|text messages?|emails?|push(?:es)?|push notifications?|notifications?|subject lines?|copy|"
    r"messages?|headlines?|taglines?)\b",
    re.I,
)
_CAMPAIGN = re.compile(
    r"\b(?:campaign|win[- ]?back|promo(?:tion)?|re-?engage\w*|reactivat\w*|blast|loyalty push)\b", re.I
)
_CAMPAIGN_TYPE = re.compile(
    r"\b(?:win[- ]?back|promo(?:tion)?(?! ?codes?)|re-?engage\w*|reactivat\w*|blast|flash sale|loyalty offer|retention"
    r"|wake (?:\w+ ){0,3}up|revive|rekindle|(?:win|bring|lure|tempt) (?:them|those|(?:the |our )?(?:\w+ ){0,2}"
    r"(?:customers|buyers|shoppers|runners|ones|lot|people|folks|crowd)|the \w+) back"
    r"|get (?:\w+ ){1,3}(?:buying|shopping|ordering) again|black friday|cyber monday|boxing day|sitewide sale"
    r"|(?:summer|spring|winter|autumn|fall|holiday|christmas|xmas|easter|new year'?s?|january|clearance|seasonal)"
    r" (?:sale|promo|push|drop|campaign|offer|blast|send))\b",
    re.I,
)
"""A campaign named by its goal: a win-back, "wake up the hibernating segment", "bring the lapsed lot back"."""
_WANTS_CAMPAIGN = re.compile(
    r"\b(?:need|want|like|give me|get me|do|run|try|how about)\s+(?:a|an|new|another|some|the)\s+(?:\w+\s+){0,2}"
    r"(?:campaign|promo(?:tion)?(?! ?codes?))\b",
    re.I,
)
"""A campaign asked for by name: "need a campaign for ...", "want a spring promo"."""
_ASKS = re.compile(
    r"^\s*(?:how|what|which|who|when|why|where|did|does|do|was|were|is|are|has|have|should|could|would|can)\b",
    re.I,
)
_OFFER = re.compile(
    r"\d+\s*%\s*(?:off|discount|sitewide|on everything)|[$€£]\s?\d+\s*off|\bfree\s+\w+|\bcode\s+[A-Z0-9]{3,}",
    re.I,
)
_PROMOTE = re.compile(r"\b(?:promote|launch|push out|announce)\b.*\bto\b", re.I)
_COPY_LABEL = re.compile(
    r"\b(?:copy|text|wording|message|notification)s?\s+(?:for|about|announcing|promoting)\b"
    r"|\b(?:e-?mail|sms|push)\s+(?:announcing|promoting)\b",
    re.I,
)
_PLAN = re.compile(r"\b(?:plan|set up|put together|create|launch|run|organi[sz]e|draft a campaign)\b", re.I)
_ROI = re.compile(
    r"\b(?:return|roi|payback|pay (?:for )?itself|pay off|pays? ?back|get back|get us|comes? back|bring|worth it"
    r"|profit\w*|make|yield|generate|earn|break even|deliver|worth|expect\w*|upside|pay-?off|uplift|incremental)\b",
    re.I,
)
_CHANNEL = re.compile(
    r"\bchannel|(?:e-?mail|sms|push|texts?)s? or (?:e-?mail|sms|push|texts?)|best way to reach"
    r"|how (?:should|do) (?:we|i) reach"
    r"|reach them|converts? best",
    re.I,
)
_AUDIENCE = re.compile(
    r"\baudience|target list|size up|how many people is that|\bselect\b|pick out|\bshortlist|who should we target",
    re.I,
)
_RECOMMEND = re.compile(
    r"recommend|cross-?sell|up-?sell|next best|suggest (?:some )?products|offer (?:them|him|her) next"
    r"|put in front of|what (?:else )?(?:should|would|could) (?:we|i) (?:offer|sell|pitch)|likely to buy next"
    r"|what to sell|buy next|want to buy|go(?:es)? well with|\bpitch\b|offers? for|\brecs?\b"
    r"|(?:which|what) products? (?:should|to|do|would|could)|products? to (?:push|promote|sell|offer)"
    r"|what (?:else )?(?:should|would|could|do) (?:we|i) (?:push|promote|suggest|show|recommend|put)"
    r"|product (?:picks|ideas|suggestions)|top picks",
    re.I,
)
_FEEDBACK = re.compile(
    r"complain|complaint|reviews?|feedback|pain points?|unhappy|gripes?|what (?:do|are) customers say|praise"
    r"|compliments?|sentiment|\bnps\b|satisf\w*|moan\w*|grumbl\w*|(?:love|like|hate|dislike) about"
    r"|what (?:do |are )?(?:customers|people|shoppers|buyers|runners) (?:love|like|hate|say|think|saying|raving)",
    re.I,
)
_TRENDS = re.compile(
    r"grow(?:ing|th)|trend|declin|shrink|fastest|forecast|momentum|taking off|slowing|picking up|outlook"
    r"|on the rise|rising|gaining|accelerat\w*|hot right now|losing steam|cooling|winners and losers"
    r"|projection|expected to do|next (?:quarter|month|season)",
    re.I,
)
_CAMPAIGN_CONTENT = re.compile(
    r"\b(?:what|which)\b[^?.!;]{0,40}?\b(?:promo(?:tion)? codes?|codes?|coupons?|vouchers?|promot\w*|featur\w*"
    r"|offer(?:ed|s)?|discounts?|products?|items?|about|say|said|subject(?: lines?)?|wording|copy|text said|channels?"
    r"|sell\w*|sold|advertis\w*|pitch\w*)\b"
    r"|\b(?:code|coupon|product|offer|copy|wording|channel) (?:of|in|on|for|from|did|was|used)\b",
    re.I,
)
"""What a past campaign was (its code, product, copy, channel): the campaign records answer, not an A/B readout."""
_ABTEST = re.compile(r"a/b|\bab test|split test|variant won|which variant|test results?", re.I)
_CLV = re.compile(
    r"\bclv\b|lifetime value|\bworth\b|future value|spend in the (?:coming|next)|value of (?:our|the|a)|valuable"
    r"|\bltv\b|what(?:'s| is) (?:their|his|her) value|expected value|predicted spend|likely to spend"
    r"|spend (?:in|over) the (?:next|coming)",
    re.I,
)
_CHURN = re.compile(
    r"churn|\blose\b|\bleave\b|leaving|stops? (?:shopping|buying|ordering)|won'?t buy again|going quiet"
    r"|at (?:high )?risk|walk away|jump ship|drop(?:ping)? off|fall(?:ing)? off|disengag\w*"
    r"|likely to (?:go|leave|lapse)|lapsing|\blapse\b|\blost\b|come back and (?:buy|order|shop)"
    r"|(?:buy|order|shop) (?:from us )?again",
    re.I,
)
_HISTORY = re.compile(
    r"\b(?:spen[dt]|spending|orders?|order (?:count|history|total)|purchases?|bought|history"
    r"|last (?:order|purchase|visit)|so far|to date|lifetime spend|total spend|transactions?|baskets?|records?"
    r"|details|since)\b",
    re.I,
)
"""What a customer did: spend to date, orders, purchases, history (their profile)."""
_FUTURE = re.compile(
    r"\b(?:next|coming|will|predict\w*|expected|forecast\w*|likely|future|clv|ltv|lifetime value|worth|going to)\b",
    re.I,
)
_SEGMENTS = re.compile(
    r"segment|groups?\b|grouped|cluster|\b(?:kinds|types|sorts) of (?:customers|shoppers|buyers)|hibernating"
    r"|champions",
    re.I,
)
_KNOWLEDGE = re.compile(
    r"polic(?:y|ies)|brand|tone|voice|address|footer|\bcost\b|price|how much (?:is|does)|sizing|size guide|stores?\b"
    r"|shipping|warranty|return(?:s)? (?:window|policy)|guideline|what do we sell|which products do we|loyalty rules"
    r"|\bshops?\b|locations|branches|\blumens\b|battery|waterproof|\bweigh|\bspecs?\b|\bmade (?:of|from)\b"
    r"|materials?|come with|comes with|\bcolou?rs?\b|what sizes?|\bdo we (?:sell|stock|carry)\b"
    r"|\bhow (?:bright|heavy|light)\b|(?:not )?allowed to (?:say|use|write|claim)|can(?:'?t| not|not)? we (?:say|claim)"
    r"|banned words|do'?s and don'?ts|rules? (?:for|on|about) (?:copy|sms|e-?mail|push|subject)",
    re.I,
)
_SUMMARY = re.compile(
    r"how many (?:customers|shoppers|people|buyers|orders|transactions|purchases|records|rows)"
    r"|revenue|\bsales\b|headline numbers|opted[- ]in|opt[- ]?ins?\b"
    r"|subscribers|email list|said yes|consent|how big|how much data|overview|customer base|total orders"
    r"|snapshot|top-?line|key (?:numbers|figures|stats|metrics)|\bkpis?\b|at a glance|state of the (?:base|data)"
    r"|number of (?:orders|customers|transactions)|\btransactions\b",
    re.I,
)
#: Languages a message may ask the copy in ("in Spanish", "translate it to French"), with their codes.
LANGUAGES: Final = {
    "english": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "chinese": "zh", "japanese": "ja",
}  # fmt: skip
_RESTYLE = re.compile(
    r"\b(?:shorter|longer|punchier|snappier|more casual|more formal|tighten|trim|shorten|condense"
    r"|cut (?:it |that |them )?down|less (?:salesy|pushy|formal|wordy|corporate|cheesy|long)"
    r"|more (?:energy|energetic|fun|urgent|urgency|playful|friendly|premium|exciting|personal|upbeat)"
    r"|tone (?:it |that )?(?:down|up)|too (?:long|wordy|formal|salesy|pushy|cheesy|bland|generic)"
    r"|warmer|friendlier|simpler|bolder|catchier|crisper|translate"
    rf"|in (?:{'|'.join(LANGUAGES)}))\b",
    re.I,
)
"""Restyling the last copy: "cut it down", "less salesy", "tone it down", "too wordy", "in Spanish"."""
_REGENERATE = re.compile(
    r"\b(?:regenerate|another (?:version|one|take|option|go)|try again|rewrite|redo|new version"
    r"|different (?:one|version|take|angle|line|options?)|fresh (?:one|take|version)|new (?:one|take|angle)"
    r"|one more)\b",
    re.I,
)
_ASKS_SHORTER = re.compile(
    r"\b(?:shorter|tighter|trim|punchier|snappier|brief|fewer words|shorten|condense|cut (?:it |that |them )?down"
    r"|too (?:long|wordy)|less wordy)\b",
    re.I,
)
_NOW_FOR = re.compile(
    r"\b(?:now (?:do it|the same|one) for|same (?:for|but|thing for)|do (?:it|one) for|and for"
    r"|(?:as|into) an? (?:push|sms|e-?mail|text))\b",
    re.I,
)
_CHANGE = re.compile(
    r"\b(?:change|switch|make|swap|instead|raise|lower|increase|decrease|double[d]?|halve[d]?|what if|drop|use"
    r"|add|also|plus|remove|replace|without|skip|only|bump|boost|up|cut|reduce|lift|set|move|lose|ditch|scrap|kill"
    r"|exclude|triple[d]?|twice|half|more|less"
    r"|try|go with|target|now|what about)\b",
    re.I,
)


_CONSENT_COUNT = re.compile(
    r"\b(?:opt[- ]?ins?|opted[- ]in|consents?|consented|subscribers?)\b.*"
    r"\b(?:counts?|numbers?|how many|per channel|by channel)\b"
    r"|\b(?:counts?|numbers?|how many)\b.*\b(?:opt[- ]?ins?|opted[- ]in|consents?|consented|subscribers?)\b",
    re.I,
)
_REACH = re.compile(
    r"opted|consent|can (?:we|i) (?:actually )?(?:text|e-?mail|reach|contact|message|push)|reachable|contactable"
    r"|(?:we|i) can (?:actually |still )?(?:text|e-?mail|reach|contact|message|push)"
    r"|subscribed",
    re.I,
)


def classify(
    text: str, slots: Slots, *, after_copy: bool = False, after_campaign: bool = False
) -> Intent | None:
    """The intent of ``text`` (None: no rule applies); ``after_*``: what the conversation did last."""
    if refusal_reason(text):
        return "refusal"
    text = _NEGATED_PII.sub(" ", text)
    restyled = bool(_RESTYLE.search(text) or _REGENERATE.search(text))
    if (after_copy or after_campaign) and restyled or after_copy and _NOW_FOR.search(text) and slots.channels:
        return "copy_followup"
    if after_campaign and _WRITE.search(text) and (slots.channels or _COPY_NOUN.search(text)):
        return "copy_followup"  # "now write the sms for it": the planned campaign's copy
    if after_campaign and _COPY_WORD.search(text) and not (slots.product or _CAMPAIGN.search(text)):
        return "copy_followup"  # "give me the sms copy": the planned campaign's
    if after_copy and not after_campaign and (slots.discount or slots.code) and _CHANGE.search(text):
        return "copy_followup"  # "swap the code to SAVE20", "make it 25% instead"
    if after_campaign and not _CAMPAIGN.search(text) and (_CHANGE.search(text) or _NOW_FOR.search(text)):
        if (
            slots.discount
            or slots.channels
            or slots.channels_dropped
            or slots.budget
            or slots.audience_stated
            or re.search(r"\bbudget|\bspend\b|\bhal(?:f|ve)|\bdoubl|\btripl|\btwice\b", text, re.I)
        ):
            return "campaign_followup"
    if _EXPORT.search(text):
        return "export"
    if _is_copy(text, slots):
        return "copy"
    if _is_campaign(text, slots):
        return "campaign"
    return _question(text, slots)


_CLAUSE_BREAK = re.compile(
    r"\?|;|\n|\s[+&/]\s|\b(?:and|also|plus|then|as well as)\b(?:,?\s*(?:separately|also|then),?)?"
    r"|,\s*(?=(?:and\s+)?(?:what|which|how|who|is|are|does|do|can|tell|show|give)\b)"
    r"|[,:]\s+(?=(?:the |our |its |their )?(?:top|fastest|biggest|largest|best|total|average|mean|median|number|count"
    r"|revenue|churn|clv|ltv|headline|main|most)\b)",
    re.I,
)
QUESTION_INTENTS: frozenset[Intent] = frozenset(
    {"budget_roi", "channel_choice", "audience", "recommend_products", "feedback_insights", "forecast_trends",
     "abtest", "clv", "churn_risk", "segments", "customer_profile", "knowledge", "summary"}
)  # fmt: skip


def clauses(text: str) -> list[str]:
    """The parts of a message that could each be a question ("how many customers, and how many churn?")."""
    return [part.strip() for part in _CLAUSE_BREAK.split(text) if part and len(part.split()) >= 2]


def clause_intent(clause: str, slots: Slots) -> Intent | None:
    """The question one clause asks, by the question rules alone (no refusal, export, copy or campaign)."""
    return _question(clause, slots)


_SYNONYMS = {
    "shop": "store", "shops": "stores", "branch": "store", "branches": "stores", "outlet": "store", "outlets": "stores",
    "locations": "stores", "delivery": "shipping", "deliver": "ship", "refund": "return", "refunds": "returns",
    "guarantee": "warranty", "tone": "voice", "banned": "don't", "forbidden": "don't", "price": "cost",
}  # fmt: skip
"""Marketers' words for what the knowledge base calls otherwise (the lexical half of retrieval needs the word)."""


def knowledge_query(text: str) -> str:
    """What to search the knowledge base for: the clause that asks it, with the base's words for its words.

    "how many shops do we have? writing the about-us blurb" searches "how many shops do we have stores";
    a second question stays ("returns policy? how many days do people get?").
    """
    every = clauses(text)
    parts = [p for p in every if _KNOWLEDGE.search(p) or _ASKS.search(p)]  # not "it's for the blurb"
    query = " ".join(parts) if parts and len(parts) < len(every) else text
    extra = [_SYNONYMS[w] for w in re.findall(r"[a-z]+", query.lower()) if w in _SYNONYMS]
    return " ".join([query, *dict.fromkeys(extra)])


def asks_shorter(text: str) -> bool:
    """Whether a copy follow-up asks for shorter lines ("make it shorter", "tighter", "fewer words")."""
    return bool(_ASKS_SHORTER.search(text))


def asks_record(text: str, slots: Slots) -> bool:
    """Whether the message asks what a named customer did (spend to date, orders, history): their profile.

    Decided by its words, so no classifier talks it into a forecast ("lifetime spend" is spend to date).
    """
    return bool(slots.customer_ids) and bool(_HISTORY.search(text)) and not _FUTURE.search(text)


def _is_copy(text: str, slots: Slots) -> bool:
    """A request for copy: a writing verb and a copy noun, "N SMS/emails", or "<channel> copy/text for"."""
    if _CAMPAIGN.search(text) and (_PLAN.search(text) or _WANTS_CAMPAIGN.search(text)):
        return False
    if slots.budget is not None and _ROI.search(text) and not _WRITE.search(text):
        return False  # "would $600 on an email pay for itself? need the ROI": a budget question
    if _COUNTING.search(text) and not _WRITE.search(text):
        return False  # "how many have consented to push notifications" is a count
    asked = bool(_COPY_VERB.search(text) and _COPY_NOUN.search(text))
    counted = slots.count is not None and bool(slots.channels)
    labelled = bool(slots.channels) and bool(_COPY_LABEL.search(text) or _COPY_WORD.search(text))
    if not (asked or counted or labelled):
        return False
    return (
        not _CAMPAIGN.search(text)
        or bool(slots.product or slots.code)
        or (labelled and bool(_COPY_WORD.search(text)))
    )


def _is_campaign(text: str, slots: Slots) -> bool:
    """A request to plan a campaign.

    A campaign type (win-back, promo...), "campaign" with a plan verb, or an offer for an audience
    or on a channel ("20% off apparel for champions by SMS").
    """
    if (text.strip().endswith("?") and not _PLAN.search(text)) or _FEEDBACK.search(text):
        return False
    if _CAMPAIGN_TYPE.search(text) or (_CAMPAIGN.search(text) and _PLAN.search(text)):
        return True
    if _WANTS_CAMPAIGN.search(text):
        return True  # "need a campaign for champions pushing the Tempo Lite"
    if (
        re.search(r"\bcampaign\b", text, re.I)
        and not (
            slots.campaign_ids or _ASKS.search(text) or text.strip().endswith("?") or _COPY_WORD.search(text)
        )
        and (slots.audience_stated or slots.budget is not None or slots.channels or slots.channels_dropped)
    ):
        return True  # "Retention campaign for high-value customers, budget 4k": the noun and who or how much
    reaches = slots.audience_stated or bool(slots.channels)
    if reaches and bool(_OFFER.search(text) or _PROMOTE.search(text)):
        return True
    # "2k for the lapsed VIPs, email and push": who, how and how much, and no question about the return
    return bool(
        slots.audience_stated
        and slots.channels
        and slots.budget is not None
        and not (_ASKS.search(text) or text.strip().endswith("?") or _ROI.search(text))
    )


def _question(text: str, slots: Slots) -> Intent | None:  # noqa: C901 - one flat list of rules
    if slots.budget is not None and _ROI.search(text):
        return "budget_roi"
    if (slots.value or slots.segments or slots.risk) and _REACH.search(text) and not slots.customer_ids:
        return "audience"  # "how many of our high spenders have opted into SMS"
    if _CONSENT_COUNT.search(text) and not (slots.audience_stated or slots.customer_ids):
        return "summary"  # "opt-in counts per channel": the base's consent, not a channel choice
    if len(slots.channels) >= 2 and not slots.customer_ids:
        return "channel_choice"
    if _RECOMMEND.search(text):
        return "recommend_products"
    if slots.campaign_ids and _CAMPAIGN_CONTENT.search(text) and not _ABTEST.search(text):
        return "knowledge"  # "which code did the C007 text use?"
    if _ABTEST.search(text) or (slots.campaign_ids and not slots.customer_ids):
        return "abtest"
    if asks_record(text, slots):
        return "customer_profile"  # "order count for CU1, for a complaint ticket": their record, not themes
    if _CHANNEL.search(text):
        return "channel_choice"
    if _FEEDBACK.search(text):
        return "feedback_insights"
    if _TRENDS.search(text):
        return "forecast_trends"
    if _AUDIENCE.search(text) or (slots.value and slots.risk and not slots.customer_ids):
        return "audience"
    if _CLV.search(text):
        return "clv"
    if _CHURN.search(text):
        return "churn_risk"
    if slots.customer_ids:
        return "customer_profile"
    if slots.segments and re.search(r"\bhow many\b|\bsize\b|\bcount\b", text, re.I):
        return "segments"
    if _SEGMENTS.search(text):
        return "segments"
    if _KNOWLEDGE.search(text):
        return "knowledge"
    if _SUMMARY.search(text):
        return "summary"
    return None
