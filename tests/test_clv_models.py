"""BG/NBD, Gamma-Gamma and the RFM summary against the published CDNOW results and exact maths."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

import duckdb
import mpmath
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from tools.clv import bgnbd, gamma_gamma, rfm_summary


def _lifetimes_data(name: str) -> Path:
    """A data file shipped in the `lifetimes` wheel, found without importing the package."""
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "lifetimes (dev dependency) is not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / name
    assert path.exists()
    return path


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW 1/10 sample summary (2,357 customers, 39 weeks) used by Fader, Hardie and Lee."""
    return pd.read_csv(_lifetimes_data("cdnow_customers_summary_with_transactions.csv"))


def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow: pd.DataFrame) -> None:
    x, t_x, T = (cdnow[c].to_numpy(np.float64) for c in ("x", "t_x", "T"))
    params, fit = bgnbd.fit(x, t_x, T)
    # Fader, Hardie and Lee (2005), section 5: r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4.
    assert params.r == pytest.approx(0.243, abs=5e-4)
    assert params.alpha == pytest.approx(4.414, abs=5e-4)
    assert params.a == pytest.approx(0.793, abs=5e-4)
    assert params.b == pytest.approx(2.426, abs=5e-4)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert fit.converged and np.all(np.isfinite(fit.std_errors))


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow: pd.DataFrame) -> None:
    x, m = cdnow["x"].to_numpy(np.float64), cdnow["zbar"].to_numpy(np.float64)
    params, fit = gamma_gamma.fit(x, m)
    # Fader, Hardie and Lee (2005), "RFM and CLV": p=6.25, q=3.74, gamma=15.44 on 946 repeat buyers.
    assert params.p == pytest.approx(6.25, abs=5e-3)
    assert params.q == pytest.approx(3.74, abs=5e-3)
    assert params.gamma == pytest.approx(15.44, abs=1e-2)
    assert int(gamma_gamma.usable(x, m).sum()) == 946
    assert fit.converged


def test_rfm_summary_of_raw_cdnow_transactions_matches_the_papers_summary(cdnow: pd.DataFrame) -> None:
    raw = pd.read_csv(
        _lifetimes_data("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    raw["ts"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    tx = raw[["customer_id", "ts", "amount"]]
    people = pd.DataFrame({"customer_id": sorted(tx["customer_id"].unique())})
    with duckdb.connect() as con:
        con.register("people_frame", people)
        con.register("tx_frame", tx)
        con.execute("CREATE TABLE customers AS SELECT * FROM people_frame")
        con.execute("CREATE TABLE transactions AS SELECT * FROM tx_frame")
        rfm = rfm_summary(con, as_of=datetime(1997, 9, 30), time_unit="week").frame()
    rfm.index = rfm.index.astype(int)
    expected = cdnow.set_index("ID").sort_index()
    assert len(rfm) == len(expected) == 2357
    got = rfm.loc[expected.index]
    np.testing.assert_array_equal(got["frequency"], expected["x"])
    np.testing.assert_allclose(got["recency"], expected["t_x"], atol=0.006)
    np.testing.assert_allclose(got["T"], expected["T"], atol=0.006)
    np.testing.assert_allclose(got["monetary_value"], expected["zbar"], atol=0.006)


def test_analytic_gradients_match_finite_differences(cdnow: pd.DataFrame) -> None:
    x, t_x, T = (cdnow[c].to_numpy(np.float64) for c in ("x", "t_x", "T"))
    theta = np.log([0.5, 3.0, 1.2, 1.7])
    _, grad = bgnbd.log_likelihood(np.exp(theta), x, t_x, T)
    numeric = approx_fprime(theta, lambda th: bgnbd.log_likelihood(np.exp(th), x, t_x, T)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)
    keep = gamma_gamma.usable(cdnow["x"].to_numpy(float), cdnow["zbar"].to_numpy(float))
    xs, ms = cdnow["x"].to_numpy(float)[keep], cdnow["zbar"].to_numpy(float)[keep]
    theta = np.log([4.0, 3.0, 20.0])
    _, grad = gamma_gamma.log_likelihood(np.exp(theta), xs, ms)
    numeric = approx_fprime(theta, lambda th: gamma_gamma.log_likelihood(np.exp(th), xs, ms)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)


def _paper_expectation(p: bgnbd.BgNbdParams, t: float, x: float, t_x: float, T: float) -> float:
    """FHL 2005 equation (10) evaluated literally in 50-digit arithmetic."""
    mpmath.mp.dps = 50
    r, alpha, a, b = (mpmath.mpf(v) for v in (p.r, p.alpha, p.a, p.b))
    first = (a + b + x - 1) / (a - 1)
    first *= 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mpmath.hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + T + t)
    )
    death = (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0
    return float(first / (1 + death))


@pytest.mark.parametrize(
    "t,x,t_x,T",
    [
        (39.0, 2, 30.43, 38.86),  # CDNOW customer 1, 39 more weeks
        (39.0, 0, 0.0, 38.86),
        (52.0, 300, 103.0, 104.0),  # heavy buyer: the literal formula's terms overflow doubles
        (520.0, 50, 90.0, 100.0),  # ten-year horizon
        (5000.0, 10, 3.0, 100.0),  # surely dead: tiny but positive
        (0.5, 1, 1.0, 1.0),
    ],
)
def test_conditional_expectation_matches_the_paper_formula(t: float, x: float, t_x: float, T: float) -> None:
    params = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    arr = {k: np.array([v], dtype=np.float64) for k, v in (("x", x), ("t_x", t_x), ("T", T))}
    got = bgnbd.expected_purchases(params, t, arr["x"], arr["t_x"], arr["T"])[0]
    assert got == pytest.approx(_paper_expectation(params, t, x, t_x, T), rel=1e-8, abs=1e-14)


def test_new_customer_expectation_and_p_alive_behave() -> None:
    params = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    mpmath.mp.dps = 30
    literal = (
        (params.a + params.b - 1)
        / (params.a - 1)
        * (
            1
            - (params.alpha / (params.alpha + 78)) ** params.r
            * mpmath.hyp2f1(params.r, params.b, params.a + params.b - 1, 78 / (params.alpha + 78))
        )
    )
    assert float(bgnbd.expected_purchases_new(params, 78.0)) == pytest.approx(float(literal), rel=1e-9)
    x = np.array([0.0, 5.0, 5.0])
    alive = bgnbd.p_alive(params, x, np.array([0.0, 30.0, 5.0]), np.array([39.0, 39.0, 39.0]))
    assert alive[0] == 1.0  # no repeat purchase: never seen dropping out
    assert 0.0 < alive[2] < alive[1] < 1.0  # same purchases, longer silence, less likely alive


def test_gamma_gamma_conditional_mean_shrinks_towards_the_population() -> None:
    params = gamma_gamma.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    x = np.array([0.0, 1.0, 20.0])
    m = np.array([0.0, 100.0, 100.0])
    value = gamma_gamma.conditional_mean(params, x, m)
    assert value[0] == pytest.approx(params.mean_order_value)
    assert params.mean_order_value < value[1] < value[2] < 100.0
    assert value[1] == pytest.approx(6.25 * (15.44 + 100.0) / (6.25 + 3.74 - 1.0))


def test_conditional_expectation_on_a_random_grid_including_a_equal_one() -> None:
    """Random parameters and histories, heavy buyers, ten-year horizons and the a = 1 singularity."""
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(60):
        a = float(rng.choice([rng.uniform(0.2, 8.0), 1.0, 1.00004]))
        params = bgnbd.BgNbdParams(
            r=float(rng.uniform(0.1, 8)),
            alpha=float(rng.uniform(0.5, 120)),
            a=a,
            b=float(rng.uniform(0.5, 50)),
        )
        T = float(rng.uniform(0.5, 104))
        x = float(rng.choice([0, rng.integers(1, 10), rng.integers(10, 400)]))
        t_x = float(rng.uniform(0, T)) if x else 0.0
        t = float(rng.choice([1.0, 52.0, 520.0]))
        exact_a = bgnbd.BgNbdParams(
            r=params.r, alpha=params.alpha, a=a if a != 1.0 else 1.0 + 1e-15, b=params.b
        )
        want = _paper_expectation(exact_a, t, x, t_x, T)
        got = bgnbd.expected_purchases(params, t, np.array([x]), np.array([t_x]), np.array([T]))[0]
        worst = max(worst, abs(got - want) / max(abs(want), 1e-300))
    assert worst < 1e-7


def test_conditional_expectation_in_the_poisson_limit() -> None:
    """Customers who all buy at one steady rate push r and alpha towards infinity: still exact."""
    params = bgnbd.BgNbdParams(r=445578.0, alpha=905157.0, a=2.69, b=18.1)
    for t, x, t_x, T in ((4.3, 3.0, 6.0, 8.0), (52.0, 40.0, 80.0, 90.0), (52.0, 0.0, 0.0, 10.0)):
        got = bgnbd.expected_purchases(params, t, np.array([x]), np.array([t_x]), np.array([T]))[0]
        assert got == pytest.approx(_paper_expectation(params, t, x, t_x, T), rel=1e-5)
