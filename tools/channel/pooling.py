"""Hierarchical Beta-Binomial conversion rates per channel, pooled across segments, each send counted once.

Model, per channel: segment g converts at p_g ~ Beta(m s, (1 - m) s) and its n_g sends convert
k_g ~ Binomial(n_g, p_g). The channel mean m and the strength s (how alike segments are, in
pseudo-sends) get the hyperprior p(alpha, beta) ∝ (alpha + beta)^(-5/2) of Gelman et al. (BDA3,
§5.3) on a grid of logit(m) x log(s), and their posterior weight is the hyperprior times the
product of every segment's Beta-Binomial marginal likelihood: the joint likelihood holds each
segment's sends exactly once. The rate of segment g is then the mixture over the grid of
Beta(m s + k_g, (1 - m) s + n_g - k_g), moment-matched to one Beta for the tools downstream.

A segment's *prior* (what the rest of the base says before its own sends) is the same mixture
with that segment's own marginal likelihood left out of the weights: the sparse campaign audience
(a few dozen sends) is pulled towards what the channel does in the rest of the base, a segment
with thousands of sends keeps its own rate. Integrating over (m, s) instead of plugging in point
estimates keeps the intervals honest when there are few segments (tested for coverage against
planted rates).

With fewer than two segments holding sends on a channel there is nothing to pool: the prior is the
one other segment's rate, else the segment's own rate on its *other* channels (a different cell),
else ``DEFAULT_RATE``, each with ``strength`` pseudo-sends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DEFAULT_RATE = 0.01
_RATE_FLOOR = 1e-4
_LOGIT_M = np.linspace(np.log(1e-4 / (1 - 1e-4)), np.log(0.6 / 0.4), 90)
_LOG_S = np.linspace(np.log(0.5), np.log(1e5), 60)
_M = (1.0 / (1.0 + np.exp(-_LOGIT_M)))[:, None].ravel().repeat(_LOG_S.size)
_S = np.tile(np.exp(_LOG_S), _LOGIT_M.size)
#: log hyperprior on the grid: p(alpha, beta) ∝ (alpha + beta)^(-5/2) (Gelman et al., BDA3 §5.3),
#: i.e. uniform in m and ∝ s^(-3/2), expressed per grid cell of logit(m) x log(s).
_LOG_PRIOR = np.log(_M * (1.0 - _M)) - 0.5 * np.log(_S)


@dataclass(frozen=True)
class PriorFit:
    """A cell's Beta prior: mean, strength (pseudo-sends) and how it was obtained."""

    mean: float
    strength: float
    groups: int
    method: str

    @property
    def alpha(self) -> float:
        """Beta shape for conversions."""
        return self.mean * self.strength

    @property
    def beta(self) -> float:
        """Beta shape for non-conversions."""
        return (1.0 - self.mean) * self.strength


FloatArray = NDArray[np.float64]


def _log_marginals(sent: FloatArray, conv: FloatArray) -> FloatArray:
    """Log Beta-Binomial marginal likelihood of each group (rows) at each grid point (columns)."""
    from scipy.special import betaln  # scipy.special costs 0.25 s to import: paid when a prior is fitted

    a, b = _M * _S, (1.0 - _M) * _S
    return np.asarray(
        betaln(conv[:, None] + a, sent[:, None] - conv[:, None] + b) - betaln(a, b), dtype=np.float64
    )


def _weights(log_w: FloatArray) -> FloatArray:
    w = np.exp(log_w - log_w.max())
    return np.asarray(w / w.sum(), dtype=np.float64)


def _match(weights: FloatArray, a: FloatArray, b: FloatArray) -> tuple[float, float]:
    """One Beta(alpha, beta) with the mean and variance of the mixture sum_i w_i Beta(a_i, b_i)."""
    mean_i = a / (a + b)
    second_i = mean_i * (a + 1.0) / (a + b + 1.0)
    mean = float(weights @ mean_i)
    var = max(float(weights @ second_i) - mean * mean, 1e-12)
    strength = max(mean * (1.0 - mean) / var - 1.0, 1e-3)
    return mean * strength, (1.0 - mean) * strength


def pooled_cells(
    sent: NDArray[np.int64], conv: NDArray[np.int64], default_strength: float
) -> tuple[FloatArray, FloatArray, list[list[PriorFit]]]:
    """Posterior Beta (alpha, beta) of every (segment, channel) cell and each cell's prior.

    Args:
        sent: segments x channels sends.
        conv: segments x channels conversions (capped at sends).
        default_strength: pseudo-sends of the fallback priors (fewer than two segments with sends).
    """
    groups, channels = sent.shape
    conv = np.minimum(conv, sent)
    alpha = np.empty((groups, channels), dtype=np.float64)
    beta = np.empty_like(alpha)
    fits: list[list[PriorFit]] = [[] for _ in range(groups)]
    for c in range(channels):
        n, k = sent[:, c].astype(np.float64), conv[:, c].astype(np.float64)
        with_data = int(np.count_nonzero(n > 0))
        if with_data < 2:
            for g in range(groups):
                fit = _fallback(sent, conv, g, c, default_strength)
                alpha[g, c], beta[g, c] = fit.alpha + k[g], fit.beta + n[g] - k[g]
                fits[g].append(fit)
            continue
        log_ml = _log_marginals(n, k)
        total = log_ml.sum(axis=0) + _LOG_PRIOR
        post = _weights(total)
        a_grid, b_grid = _M * _S, (1.0 - _M) * _S
        for g in range(groups):
            alpha[g, c], beta[g, c] = _match(post, a_grid + k[g], b_grid + n[g] - k[g])
            a0, b0 = _match(_weights(total - log_ml[g]), a_grid, b_grid)
            others = with_data - int(n[g] > 0)
            fits[g].append(PriorFit(a0 / (a0 + b0), a0 + b0, others, f"pooled over {others} other segments"))
    return alpha, beta, fits


def _fallback(sent: NDArray[np.int64], conv: NDArray[np.int64], g: int, c: int, strength: float) -> PriorFit:
    """Too few segments to pool: the one other segment's rate, else this segment's other channels."""
    others = (np.arange(sent.shape[0]) != g) & (sent[:, c] > 0)
    if others.any():
        n, k = float(sent[others, c].sum()), float(conv[others, c].sum())
        return PriorFit(float(np.clip(k / n, _RATE_FLOOR, 1 - _RATE_FLOOR)), strength, 1, "one other segment")
    mask = np.arange(sent.shape[1]) != c
    n, k = float(sent[g, mask].sum()), float(conv[g, mask].sum())
    if n > 0 and k > 0:
        return PriorFit(float(np.clip(k / n, _RATE_FLOOR, 1 - _RATE_FLOOR)), strength, 0, "other channels")
    return PriorFit(DEFAULT_RATE, strength, 0, "default rate")
