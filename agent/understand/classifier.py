"""A learned second opinion on the intent: logistic regression on sentence embeddings.

Rules (``agent.understand.intents``) read the phrasings they were written for very well and new
ones less so: on agent eval set 3's dev split, which the rules had never seen, they chose the
right intent for 78 % of requests. A classifier trained on labelled phrasings of the other dev
splits (``prompts/intent_examples.yaml``) chose 83 %, and the two together 91.5 %: the rules decide,
and a confident classifier (probability above ``OVERRIDE_CONFIDENCE``, chosen on that dev split)
overrules them. Refusals and follow-ups stay with the rules: they need the conversation's state
and must never be talked out of.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray

from agent.router import Embed, cached_vectors, unit
from agent.understand.intents import Intent
from agent.understand.slots import Slots
from prompts import load_prompt

OVERRIDE_CONFIDENCE = 0.4
Guess = tuple[Intent, float]
IntentGuesser = Callable[[str], Guess]
_KEPT: frozenset[Intent | None] = frozenset({"refusal", "copy_followup", "campaign_followup"})


class IntentClassifier:
    """Predicts a message's intent from the labelled examples' embeddings.

    The examples' vectors and the fitted weights are cached in ``cache_dir`` (keyed by the examples
    and the embedding model), so a later process predicts with numpy alone: no scikit-learn import
    and no fit on the cold path of ``mkt ask``.
    """

    def __init__(self, embed: Embed, *, cache_dir: Path | None = None) -> None:
        examples: dict[str, list[str]] = dict(load_prompt("intent_examples").raw("examples"))
        texts = [text for phrasings in examples.values() for text in phrasings]
        labels = [intent for intent, phrasings in examples.items() for _ in phrasings]
        self.embed = embed
        vectors = cached_vectors(texts, embed, cache_dir)
        key = hashlib.sha256(json.dumps([texts, labels]).encode() + vectors.round(4).tobytes()).hexdigest()[
            :16
        ]
        path = cache_dir / f"intents-{key}.npz" if cache_dir is not None else None
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as saved:
                self.coef, self.intercept = saved["coef"], saved["intercept"]
                self.classes = [str(c) for c in saved["classes"]]
            return
        from sklearn.linear_model import LogisticRegression  # only when the weights are not cached

        model = LogisticRegression(C=10.0, max_iter=2000).fit(vectors, labels)
        self.coef, self.intercept = model.coef_, model.intercept_
        self.classes = [str(c) for c in model.classes_]
        if path is not None:
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(tmp, coef=self.coef, intercept=self.intercept, classes=np.array(self.classes))
            tmp.replace(path)

    def probabilities(self, text: str) -> NDArray[np.float64]:
        """P(intent) for each of ``classes`` (multinomial logistic regression: a softmax)."""
        logits = unit(self.embed([text]))[0] @ self.coef.T + self.intercept
        exp = np.exp(logits - logits.max())
        return np.asarray(exp / exp.sum(), dtype=np.float64)

    def __call__(self, text: str) -> Guess:
        """The likeliest intent of ``text`` and its probability."""
        probabilities = self.probabilities(text)
        best = int(np.argmax(probabilities))
        return cast(Intent, self.classes[best]), float(probabilities[best])


def resolve(rule: Intent | None, guess: Callable[[], Guess], slots: Slots) -> Intent | None:
    """The intent to act on: the rule's, unless the classifier is confident of another.

    A message no rule claims takes the classifier's intent. A customer intent needs a customer id;
    an intent the slots decide (a population both valuable and at risk, or one with a channel to
    reach it by, is an audience; a stated budget with a return verb is a budget question; a
    campaign id is an A/B readout; a copy request naming its channel is copy) stays.
    ``guess`` is called only when its answer can matter (a refusal or a follow-up loads no model).
    """
    if rule in _KEPT or _decided_by_slots(rule, slots):
        return rule
    intent, confidence = guess()
    if intent == "customer_profile" and not slots.customer_ids:
        return rule
    if intent == "copy" and rule is not None and not (slots.channels or slots.product or slots.code):
        return rule  # copy needs something to write: a channel, a product or an offer
    if rule is None or (confidence > OVERRIDE_CONFIDENCE and intent != rule):
        return intent
    return rule


def _decided_by_slots(rule: Intent | None, slots: Slots) -> bool:
    return (
        (rule == "audience" and slots.value and slots.risk)
        or (
            rule == "audience"
            and bool(slots.channels)
            and (slots.value or slots.risk or bool(slots.segments))
        )
        or (rule == "budget_roi" and slots.budget is not None)
        or (rule in ("abtest", "knowledge") and bool(slots.campaign_ids))
        or (rule == "copy" and bool(slots.channels))  # "write me an email ...": a writing verb and a channel
    )
