"""Off-topic: copy whose own words are far from the offer, the product and the brand.

The offer line ("Take 10% off the Harvest Blend with code BREW10 until Dec 20"), the short call to
action, the greeting, the SMS brand prefix and the legal footer are assembled from the offer facts,
so they are on topic whatever the rest says: an email that opens with kitchen-cleaning tips and then
adds the offer line is still off-topic. The check therefore reads the copy's own words
(``topic_text``: the rest; the whole copy when nothing else is left) and embeds them
(all-MiniLM-L6-v2, ``evals.embedding``). The score is the best cosine similarity to the reference
(the offer's product, its features and the catalogue description, ``topic_reference``) or to one
of the brand's example lines or facts (a hook such as "Winter sun still counts", or "Free shipping
over $40", is about the brand's world without naming the product).

The threshold (``Thresholds.min_topic_similarity``, 0.24) was set on the dev split of
``evals/data/copy_judgements.yaml``: off-topic copy there scored at most 0.20, good copy at least 0.28.

Copy that never names the offer's product and states neither its discount nor its code is not
about the offer, whatever its words ("Happy Monday! Start your week with a walk"): that needs no
embedder. Own words of at most ``max_untold_words`` (4: "Sit. Stay.", "Brr. Not you,
though.") are too few to be about something else; the shortest off-topic line in the labelled set
has 5.

Copy that is the offer plus a stock hook ("Been a while!", "Running low?", "Stocking stuffer
sorted.") has almost no own words, and those are about no product: when they are short
(``max_hook_words``) and close to one of ``STOCK_HOOKS`` (``min_hook_similarity``), the copy is on
topic. On the dev split such hooks scored at least 0.47 against the list, off-topic lines at most 0.34.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from evals.embedding import Embedder, unit_vectors
from evals.metrics.text import own_words
from evals.types import CheckContext, CopyDraft, MetricResult

#: Lines every marketer uses whatever the product: win-back, restock, gifts, season, urgency, news.
STOCK_HOOKS: Final[tuple[str, ...]] = (
    "It's been a while", "We miss you", "Come back and see what's new", "Welcome back",
    "Running low? Time to restock", "Time for a refill", "A gift idea for someone you love",
    "Stocking stuffer", "Treat yourself", "The holidays are almost here", "New year, fresh start",
    "Last chance", "Ends soon, don't miss out", "Only until the end of the month",
    "Thank you for being a loyal customer", "Just arrived", "Something new for you", "Good news",
    "We saved you an offer", "Your favourite is back", "Still thinking it over?",
    "Still looking for the perfect gift?", "A little reward", "Ready when you are",
)  # fmt: skip


def carries_offer(draft: CopyDraft, context: CheckContext) -> bool | None:
    """Whether the copy names the offer's product or states its discount or code.

    None when the offer has neither a discount nor a code (a feature launch may say "turn it on").
    The whole product name counts, not one of its words: "boarding pass" is not the "Ten-Class Pass".
    """
    marks = [str(context.offer.get(k, "")).lower() for k in ("code", "discount")]
    if not any(marks):
        return None
    marks.append(str(context.offer.get("product", "")).lower())
    text = draft.text().lower()
    return any(m in text for m in marks if m)


def topic_reference(context: CheckContext) -> str:
    """What the copy should be about: product, features and catalogue description, as one text."""
    bits = [str(context.offer.get(k, "")) for k in ("product", "features")] + [
        context.product_description or ""
    ]
    return ". ".join(b for b in bits if b)


def topic_text(draft: CopyDraft, context: CheckContext) -> str:
    """The copy's own words (``evals.metrics.text.own_words``): what is checked for being on topic."""
    return own_words(draft, context)


def topic_references(context: CheckContext) -> list[str]:
    """The texts the copy may be close to: the product reference, the brand's example lines and facts."""
    reference = topic_reference(context)
    return [reference, *context.brand_examples, *context.brand_facts] if reference else []


def off_topic_check(draft: CopyDraft, context: CheckContext, embed: Embedder | None) -> MetricResult:
    """Fail when the copy's own words are far from the offer (not run without an embedder or offer)."""
    th = context.thresholds.min_topic_similarity
    if carries_offer(draft, context) is False:
        return MetricResult(
            metric="off_topic", score=0.0, threshold=th, passed=False, hard=True,
            reason="the copy names neither the offer's product nor its discount or code; write about the offer",
        )  # fmt: skip
    references = topic_references(context)
    if embed is None or not references:
        why = "no embedder given" if embed is None else "no product or features in the offer"
        return MetricResult(
            metric="off_topic", score=0.0, threshold=th, passed=True, hard=True, skipped=True,
            reason=f"topic not checked: {why}",
        )  # fmt: skip
    own = topic_text(draft, context)
    vectors = unit_vectors(embed, [own, *references])
    sims = vectors[1:] @ vectors[0]
    score = float(np.max(sims))
    passed = score >= th
    reason = f"similarity to the offer, product and brand {score:.2f}" + (
        "" if passed else f" (below {th:.2f}): the copy is about something else; write about the offer"
    )
    details = {"product_similarity": round(float(sims[0]), 4)}
    words = len([w for w in own.split() if any(ch.isalpha() for ch in w)])  # emoji are not words
    if not passed and words <= context.thresholds.max_untold_words:
        passed, reason = True, f"the offer with a few words of its own ({own!r}): too few to be off-topic"
    elif not passed and words <= context.thresholds.max_hook_words:
        hook = float(np.max(unit_vectors(embed, STOCK_HOOKS) @ vectors[0]))
        details["hook_similarity"] = round(hook, 4)
        if hook >= context.thresholds.min_hook_similarity:
            passed = True
            reason = f"the offer with a stock hook ({own!r}, similarity {hook:.2f} to a stock line)"
    return MetricResult(
        metric="off_topic", score=round(score, 4), threshold=th, passed=passed, hard=True, reason=reason,
        details=details,
    )  # fmt: skip
