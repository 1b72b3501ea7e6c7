"""Benchmark: feedback-insights sentiment vs human ratings (VADER ground truth, 23,703 texts).

Usage: python benchmarks/bench_insights.py [--data PATH]
Default data: ../shared/data/vader_human_sentiment_groundtruth.csv beside the checkout (MIT,
Hutto and Gilbert 2014). Human mean ratings (-4..4) become three classes with a neutral band of
+-0.5; VADER compound with +-0.05. Reference, measured in the same run: a supervised TF-IDF +
logistic regression classifier, 5-fold cross-validated on the same labels (in-domain training that
the offline tool does not get). Speed: texts per second of the tool's scoring and of the reference.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from scipy.stats import pearsonr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from tools.insights.sentiment import compound_scores, evaluate_against_human, human_classes

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "vader_human_sentiment_groundtruth.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    frame = pd.read_csv(args.data)
    start = time.perf_counter()
    compound_scores(frame["text"].astype(str).tolist())
    tool_rate = len(frame) / (time.perf_counter() - start)
    ours = evaluate_against_human(frame).set_index("source")

    labels = human_classes(frame["human_mean_sentiment"].to_numpy())
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=3, max_features=30_000, sublinear_tf=True),
        LogisticRegression(max_iter=300, C=4.0),
    )
    start = time.perf_counter()
    predicted = cross_val_predict(
        model, frame["text"].astype(str), labels, cv=StratifiedKFold(5, shuffle=True, random_state=7)
    )
    ref_seconds = time.perf_counter() - start
    ref_rate = len(frame) / ref_seconds
    proba_sign = pd.Series(predicted).map({"negative": -1.0, "neutral": 0.0, "positive": 1.0})

    print(
        f"{'source':<22} {'texts':>6} {'acc':>6} {'macroF1':>8} {'r':>6} | {'ref acc':>7} {'ref F1':>7} {'ratio':>7}"
    )
    for source, row in ours.iterrows():
        mask = (frame["source"] == source).to_numpy() if source != "all" else slice(None)
        ref_acc = accuracy_score(labels[mask], predicted[mask])
        ref_f1 = f1_score(labels[mask], predicted[mask], average="macro")
        print(
            f"{source!s:<22} {int(row['texts']):>6} {row['accuracy']:>6.3f} {row['macro_f1']:>8.3f} "
            f"{row['pearson_r']:>6.3f} | {ref_acc:>7.3f} {ref_f1:>7.3f} {row['accuracy'] / ref_acc:>6.2f}x"
        )
    r_ref = pearsonr(proba_sign, frame["human_mean_sentiment"]).statistic
    print(f"reference class-sign correlation with human mean (all): r = {r_ref:.3f}")
    print(
        f"speed: tool (VADER) {tool_rate:,.0f} texts/s; reference (5-fold fit+predict) {ref_rate:,.0f} texts/s; "
        f"ratio {tool_rate / ref_rate:.2f}x"
    )


if __name__ == "__main__":
    main()
