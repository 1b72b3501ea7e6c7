"""Frequent themes: TF-IDF-weighted word n-grams (stop words removed), deduplicated.

Phrases of 1..``max_ngram`` words made of letters (digits and stop words dropped, so phrases are
noun-ish: "fast delivery", "terrible sizing", "trail shoe"). Each group's phrases are ranked by
their mean TF-IDF weight over the group's texts. A phrase that mostly occurs in the same texts
as a listed phrase (70% of the texts of both, or of either when they share a word) is redundant:
it replaces the listed one when it is longer and covers at least 70% of its texts ("honest
advice" replaces "honest"), else it is skipped, so the list does not repeat itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from tools.insights.models import Theme

TOKENS = r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b"
LONGER_PHRASE_SHARE = 0.7


class ThemeModel:
    """A TF-IDF vocabulary fitted on all texts, to rank phrases inside any subset of them."""

    def __init__(self, texts: Sequence[str], *, min_mentions: int, max_ngram: int) -> None:
        self.phrases: NDArray[np.str_] = np.array([], dtype=str)
        self.weights = csr_matrix((len(texts), 0))
        self.present = csr_matrix((len(texts), 0))
        usable = [t for t in texts if t.strip()]
        if len(usable) < max(min_mentions, 1):
            return
        vectorizer = TfidfVectorizer(
            ngram_range=(1, max_ngram),
            stop_words="english",
            token_pattern=TOKENS,
            min_df=min_mentions,
            sublinear_tf=True,
        )
        try:
            self.weights = csr_matrix(vectorizer.fit_transform(list(texts)))
        except ValueError:  # nothing left after stop words and min_df
            return
        self.phrases = np.asarray(vectorizer.get_feature_names_out(), dtype=str)
        self.present = csr_matrix((self.weights > 0).astype(np.float64))

    def top(self, rows: NDArray[np.int64], n: int, min_mentions: int) -> list[Theme]:
        """The ``n`` best themes among texts ``rows``."""
        if rows.size == 0 or self.phrases.size == 0:
            return []
        score = np.asarray(self.weights[rows].mean(axis=0)).ravel()
        mentions = np.asarray(self.present[rows].sum(axis=0)).ravel().astype(np.int64)
        order = [i for i in np.argsort(-score, kind="stable") if mentions[i] >= min_mentions and score[i] > 0]
        sub = csr_matrix(self.present[rows]).tocsc()
        chosen: list[int] = []
        for i in order:
            clash = [k for k, j in enumerate(chosen) if self._redundant(sub, int(i), j, mentions)]
            if not clash:
                if len(chosen) < n:
                    chosen.append(int(i))
                continue
            longer = all(len(self.phrases[i].split()) > len(self.phrases[chosen[k]].split()) for k in clash)
            if longer and all(mentions[i] >= LONGER_PHRASE_SHARE * mentions[chosen[k]] for k in clash):
                chosen[clash[0]] = int(i)
                chosen = [j for k, j in enumerate(chosen) if k not in clash[1:]]
        return [
            Theme(
                phrase=str(self.phrases[i]),
                mentions=int(mentions[i]),
                share=round(float(mentions[i]) / rows.size, 4),
                score=round(float(score[i]), 4),
            )
            for i in chosen
        ]

    def _redundant(self, sub: csr_matrix, i: int, j: int, mentions: NDArray[np.int64]) -> bool:
        """Phrases i and j mostly occur in the same texts (either way if they share a word)."""
        together = float(sub[:, i].multiply(sub[:, j]).sum())
        if set(str(self.phrases[i]).split()) & set(str(self.phrases[j]).split()):
            return bool(together >= LONGER_PHRASE_SHARE * min(mentions[i], mentions[j]))
        return bool(together >= LONGER_PHRASE_SHARE * max(mentions[i], mentions[j]))
