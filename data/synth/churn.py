"""Churn labels from a planted logistic model over observable customer features."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import rankdata

from data.synth.truth import ChurnTruth

FEATURES: dict[str, str] = {
    "log_recency_days": "log(1 + days from the customer's last transaction to as_of)",
    "log_frequency": "log(1 + number of transactions)",
    "log_monetary": "log(mean transaction amount)",
    "tenure_days": "days from signup_date to as_of",
    "open_rate": "opened / delivered engagement events (0 when none delivered)",
}
INTERCEPT = -0.6
COEFFICIENTS: dict[str, float] = {
    "log_recency_days": 1.6,
    "log_frequency": -0.7,
    "log_monetary": -0.25,
    "tenure_days": 0.2,
    "open_rate": -0.5,
}


def churn_features(
    n: int,
    *,
    tx_customer: NDArray[np.int64],
    tx_days_before: NDArray[np.float64],
    tx_amount: NDArray[np.float64],
    tenure_days: NDArray[np.float64],
    engagements: pd.DataFrame,
) -> pd.DataFrame:
    """The planted model's features per customer, as ``FEATURES`` defines them."""
    count = np.bincount(tx_customer, minlength=n).astype(np.float64)
    spend = np.bincount(tx_customer, weights=tx_amount, minlength=n)
    last = np.full(n, np.inf)
    np.minimum.at(last, tx_customer, tx_days_before)
    delivered = np.bincount(
        engagements.loc[engagements["event"] == "delivered", "customer"].to_numpy(), minlength=n
    )
    opened = np.bincount(
        engagements.loc[engagements["event"] == "opened", "customer"].to_numpy(), minlength=n
    )
    open_rate = np.divide(opened, delivered, out=np.zeros(n), where=delivered > 0)
    return pd.DataFrame(
        {
            "log_recency_days": np.log1p(np.floor(last)),
            "log_frequency": np.log1p(count),
            "log_monetary": np.log(spend / count),
            "tenure_days": np.floor(tenure_days),
            "open_rate": open_rate,
        }
    )


def draw_labels(rng: np.random.Generator, features: pd.DataFrame) -> tuple[NDArray[np.bool_], ChurnTruth]:
    """Draw churn labels and return them with the planted model (and its own AUC)."""
    means = {k: float(features[k].mean()) for k in FEATURES}
    stds = {k: float(features[k].std(ddof=0)) or 1.0 for k in FEATURES}
    logit = np.full(len(features), INTERCEPT)
    for k, coef in COEFFICIENTS.items():
        logit += coef * (features[k].to_numpy() - means[k]) / stds[k]
    prob = 1.0 / (1.0 + np.exp(-logit))
    labels = rng.random(len(features)) < prob
    truth = ChurnTruth(
        features=FEATURES,
        intercept=INTERCEPT,
        coefficients=COEFFICIENTS,
        means=means,
        stds=stds,
        base_rate=float(labels.mean()),
        planted_auc=roc_auc(labels, prob),
    )
    return labels, truth


def roc_auc(labels: NDArray[np.bool_], scores: NDArray[np.float64]) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties averaged."""
    pos = int(labels.sum())
    neg = labels.size - pos
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))
