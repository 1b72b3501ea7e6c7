"""Contractual CLV (issue 15, item 4): the sBG model checked against Fader & Hardie (2007).

Fader, P. S. and Hardie, B. G. S. (2007), "How to project customer retention", Journal of
Interactive Marketing 21(1). Their data (from Berry and Linoff 2004): two cohorts of 1,000
customers, "regular" and "high end", counted alive at the end of each year. Fitted to years 1-7
they report alpha = 0.704, beta = 1.182 (regular) and alpha = 0.668, beta = 3.806 (high end), and
the projections track the held-out years 8-12.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from data.loader import load_into
from data.synth.generate import GeneratedData
from tools.clv import ClvRequest, calculate_clv, sbg

# Share alive (%) at the end of years 0..12.
REGULAR = [100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.4, 20.8, 19.6, 18.5, 17.4]
HIGH_END = [100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4]


@pytest.mark.parametrize(
    ("alive", "alpha", "beta", "log_likelihood"),
    [(REGULAR, 0.704, 1.182, -1680.3), (HIGH_END, 0.668, 3.806, -1611.2)],
)
def test_published_estimates_and_projections(
    alive: list[float], alpha: float, beta: float, log_likelihood: float
) -> None:
    counts = [10 * a for a in alive[:8]]  # 1,000 customers, years 0-7: the calibration period
    tenure, churned, weights = sbg.cohort_data(counts)
    params, fit = sbg.fit(tenure, churned, weights=weights)
    assert round(params.alpha, 3) == alpha and round(params.beta, 3) == beta
    assert fit.log_likelihood == pytest.approx(log_likelihood, abs=0.05)
    projected = 100 * sbg.survival(params, np.arange(8.0, 13.0))
    assert np.max(np.abs(projected - np.array(alive[8:]))) < 1.7  # percentage points, 5 years out
    # Retention rises with tenure: the sorting effect the paper explains.
    assert np.all(np.diff(sbg.retention_rate(params, np.arange(1.0, 13.0))) > 0)


def test_individual_data_recover_the_parameters() -> None:
    rng = np.random.default_rng(3)
    n, alpha, beta = 20_000, 0.7, 1.4
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)  # the period each subscriber churns in
    observed = rng.integers(1, 37, n)  # joined 1-36 months before the data's end
    churned = lifetime <= observed
    tenure = np.where(churned, lifetime, observed).astype(np.float64)
    params, fit = sbg.fit(tenure, churned)
    assert params.alpha == pytest.approx(alpha, abs=3 * fit.std_errors[0])
    assert params.beta == pytest.approx(beta, abs=3 * fit.std_errors[1])


def test_discounted_remaining_is_the_sum_it_defines() -> None:
    params = sbg.SbgParams(0.704, 1.182)
    got = sbg.discounted_remaining(params, np.array([0.0, 5.0]), 24, 0.01)
    for row, n in enumerate((0, 5)):
        s_n = sbg.survival(params, np.array([float(n)]))[0]
        expected = sum(sbg.survival(params, np.array([n + k + 0.0]))[0] / s_n / 1.01**k for k in range(1, 25))
        assert got[row] == pytest.approx(expected, rel=1e-10)
    assert got[1] > got[0]  # a subscriber who has stayed is likelier to stay


def subscribers(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 3000
    lifetime = rng.geometric(rng.beta(0.8, 2.5, n))
    observed = rng.integers(1, 49, n)
    churned = lifetime <= observed
    frame = pd.DataFrame(
        {
            "customer_id": [f"S{i:04d}" for i in range(n)],
            "tenure": np.where(churned, lifetime, observed),
            "Churn": np.where(churned, "Yes", "No"),
            "MonthlyCharges": np.round(rng.uniform(20, 100, n), 2),
        }
    )
    path = tmp_path / "subscribers.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_tool_chooses_contractual_for_subscribers(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        load_into(con, {"customers": subscribers(tmp_path)})
        result = calculate_clv(con, ClvRequest(horizon_months=24, margin=0.5))
    assert result.method == "contractual" and result.sbg is not None and result.bgnbd is None
    assert "contractual (sBG)" in result.notes[0] and "'MonthlyCharges'" in result.notes[0]
    assert result.sbg.parameters["alpha"] == pytest.approx(0.8, abs=0.25)
    churned = [c for c in result.customers if c.p_alive == 0.0]
    assert churned and all(c.clv == 0.0 for c in churned)
    active = max((c for c in result.customers if c.p_alive == 1.0), key=lambda c: c.clv)
    assert 0 < active.clv <= 0.5 * active.monetary_value * 24


def test_the_tool_says_when_it_chose_bgnbd_and_a_customers_file_changes_nothing(
    sample_data: GeneratedData,
) -> None:
    totals = []
    tables = sample_data.tables
    for files in (
        {"transactions": tables["transactions"]},
        {"customers": tables["customers"], "transactions": tables["transactions"]},
    ):
        with duckdb.connect() as con:
            load_into(con, files)
            result = calculate_clv(con, ClvRequest(method="auto", horizon_months=6))
        assert (
            result.method == "probabilistic" and "non-contractual (BG/NBD + Gamma-Gamma)" in result.notes[0]
        )
        totals.append([(c.customer_id, c.clv) for c in result.customers])
    assert [cid for cid, _ in totals[0]] == [cid for cid, _ in totals[1]]
    # the same values; the fit's float sums may differ in the last bit between runs on a busy machine
    assert [v for _, v in totals[0]] == pytest.approx([v for _, v in totals[1]], rel=1e-12)
