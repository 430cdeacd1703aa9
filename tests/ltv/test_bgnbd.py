"""Tests of the models of playbook.ltv: the summary, fitting, predictions, CLV, the holdout check.

One file for playbook.ltv.rfm, .likelihood, .bgnbd and .gammagamma: most checks (CDNOW,
recovery, edge cases) run the two models on the same summary and share its fixtures.

Reference numbers come from the papers (CDNOW: Fader, Hardie & Lee 2005a, 2005b), from
direct (non-vectorised) formulas written out here, and from lifetimes 0.11.3 where noted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy.special import hyp2f1

from playbook.demo.purchases import simulate_bgnbd, simulate_spend
from playbook.errors import DataError
from playbook.intake.summary import customer_summary
from playbook.ltv import bgnbd, gammagamma, likelihood
from playbook.ltv.bgnbd import (
    BGNBDFit,
    bgnbd_loglik,
    expected_purchases,
    fit_bgnbd,
    holdout_by_frequency,
    holdout_check,
    prob_alive,
)
from playbook.ltv.gammagamma import (
    GammaGammaFit,
    clv,
    expected_spend,
    fit_gamma_gamma,
    gamma_gamma_loglik,
)
from playbook.ltv.rfm import rfm_summary

ROOT = Path(__file__).resolve().parents[2]
CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow"
DEMO = ROOT / "data_samples" / "demo"


# --- data ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    """The raw CDNOW log: master id, sample id, yyyymmdd, CDs, dollars (no header)."""
    tx = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                     names=["master_id", "customer_id", "date", "cds", "amount"],
                     dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


@pytest.fixture(scope="module")
def cdnow(cdnow_tx) -> pd.DataFrame:
    """The 39-week calibration summary in weeks, with the 39-week holdout."""
    return rfm_summary(cdnow_tx, calibration_end="1997-09-30", observation_end="1998-06-30",
                       time_unit="week")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow) -> BGNBDFit:
    return fit_bgnbd(cdnow)


@pytest.fixture(scope="module")
def demo_tx() -> pd.DataFrame:
    """The demo client's sales journal, read as intake would (duplicates and blank ids out)."""
    raw = pd.read_csv(DEMO / "transactions.csv", sep=";", encoding="cp1251", dtype=str,
                      keep_default_na=False)
    raw = raw.drop_duplicates()
    raw = raw[raw["Код клиента"] != ""]
    amount = (raw["Сумма"].str.replace(r"[\s\u00a0]", "", regex=True)
              .str.replace(",", ".").astype(float))
    return pd.DataFrame({"customer_id": raw["Код клиента"],
                         "date": pd.to_datetime(raw["Дата"], format="%d.%m.%Y"),
                         "amount": amount}).reset_index(drop=True)


def simulated_summary(n: int, rng: np.random.Generator, *, horizon: float = 104.0,
                      params: dict | None = None) -> pd.DataFrame:
    """A summary in weeks of n customers simulated by the demo's true process."""
    params = params or {"r": 0.9, "alpha": 4.0, "a": 0.8, "b": 6.0}
    birth = rng.uniform(0.0, horizon - 1.0, size=n)
    tx = simulate_bgnbd(n, **params, birth_weeks=birth, horizon_weeks=horizon, rng=rng)
    tx["value"] = simulate_spend(tx["customer"].to_numpy(), p=6.0, q=4.0, gamma=15_000.0,
                                 rng=rng, n_customers=n)
    by = tx.groupby("customer")
    frequency = by["purchase_no"].max()
    first = by["t_weeks"].min()
    repeat_mean = tx[tx["purchase_no"] > 0].groupby("customer")["value"].mean()
    return pd.DataFrame({
        "frequency": frequency.to_numpy(),
        "recency": (by["t_weeks"].max() - first).to_numpy(),
        "T": (horizon - first).to_numpy(),
        "monetary_value": repeat_mean.reindex(frequency.index).fillna(0.0).to_numpy(),
    })


# --- direct formulas (one customer at a time, straight from the papers) ------------------------


def lbeta(p: float, q: float) -> float:
    return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)


def direct_bgnbd_loglik(r, alpha, a, b, x, t_x, T) -> float:
    """FHL 2005a eq. 6 with Beta functions, as printed."""
    common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    first = lbeta(a, b + x) - lbeta(a, b) + common - (r + x) * math.log(alpha + T)
    if x == 0:
        return first
    second = lbeta(a + 1, b + x - 1) - lbeta(a, b) + common - (r + x) * math.log(alpha + t_x)
    top = max(first, second)
    return top + math.log(math.exp(first - top) + math.exp(second - top))


def direct_prob_alive(r, alpha, a, b, x, t_x, T) -> float:
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def direct_expected(r, alpha, a, b, x, t_x, T, t) -> float:
    """FHL 2005a eq. 10, with the hypergeometric function as printed (no transformation)."""
    z = t / (alpha + T + t)
    core = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * core * direct_prob_alive(r, alpha, a, b, x, t_x, T)


def direct_gamma_gamma_loglik(p, q, g, x, m) -> float:
    """FHL 2005b / Colombo & Jiang: density of the mean of x Gamma(p, nu) values."""
    return (math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q) + q * math.log(g)
            + (p * x - 1) * math.log(m) + p * x * math.log(x)
            - (p * x + q) * math.log(g + x * m))


TINY = pd.DataFrame({  # hand-made customers: x, t_x, T in weeks
    "frequency": [0, 1, 3, 2, 0, 10_000],
    "recency": [0.0, 2.0, 4.5, 0.5, 0.0, 51.0],
    "T": [5.0, 5.0, 5.0, 6.0, 0.0, 52.0],
    "monetary_value": [0.0, 10.0, 12.5, 40.0, 0.0, 3.0],
})
PARAMS = {"r": 0.5, "alpha": 2.0, "a": 0.7, "b": 3.0}


# --- rfm_summary -----------------------------------------------------------------------------


def test_rfm_summary_by_hand():
    tx = pd.DataFrame([
        ("A", "2025-01-01", 100.0), ("A", "2025-01-01", 50.0),   # one purchase day: 150
        ("A", "2025-01-10", -30.0),                                # a return alone: no purchase
        ("A", "2025-01-15", 80.0), ("A", "2025-02-01", 40.0),      # 02-01 is in the holdout
        ("B", "2025-01-20", 0.0), ("B", "2025-01-25", 60.0),       # a $0 day
        ("C", "2025-02-05", 100.0),                                # first buys in the holdout
        ("D", "2025-01-05", 200.0), ("D", "2025-01-05", -200.0),   # net 0
        ("D", "2025-01-06", 10.0), ("D", "2025-03-01", 10.0),      # after observation_end
    ], columns=["customer_id", "date", "amount"])
    got = rfm_summary(tx, calibration_end="2025-01-31", observation_end="2025-02-28",
                      time_unit="day")
    # $0 days and net-0 days count as purchases (as in CDNOW); a return-only day does not
    want = pd.DataFrame({
        "customer_id": ["A", "B", "D"],
        "frequency": np.array([1, 1, 1], dtype="int64"),
        "recency": [14.0, 5.0, 1.0],
        "T": [30.0, 11.0, 26.0],
        "monetary_value": [80.0, 60.0, 10.0],
        "frequency_holdout": np.array([1, 0, 0], dtype="int64"),
        "duration_holdout": [28.0, 28.0, 28.0],
    })
    assert_frame_equal(got, want, check_dtype=False)
    assert got["frequency"].dtype == "int64"

    weeks = rfm_summary(tx, calibration_end="2025-01-31", time_unit="week")
    assert weeks["T"].tolist() == pytest.approx([30 / 7, 11 / 7, 26 / 7])

    months = rfm_summary(tx, calibration_end="2025-01-31", time_unit="month")
    assert months["T"].iloc[0] == pytest.approx(30 / (365.25 / 12))


def test_rfm_summary_matches_the_playbook_summary(demo_tx):
    ours = rfm_summary(demo_tx, calibration_end="2026-10-31", time_unit="day")
    theirs = customer_summary(demo_tx, dt.date(2026, 10, 31), margin=None)
    assert len(ours) == len(theirs) == 3000
    for column in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(ours[column].to_numpy(dtype=float),
                                   theirs[column].to_numpy(dtype=float), rtol=1e-12)


def test_rfm_summary_rejects_bad_arguments():
    tx = pd.DataFrame({"customer_id": ["A"], "date": ["2025-01-01"], "amount": [1.0]})
    with pytest.raises(ValueError, match="observation_end"):
        rfm_summary(tx, calibration_end="2025-02-01", observation_end="2025-01-01")
    with pytest.raises(ValueError, match="time_unit"):
        rfm_summary(tx, calibration_end="2025-02-01", time_unit="fortnight")
    with pytest.raises(DataError, match="'client'"):
        rfm_summary(tx, calibration_end="2025-02-01", customer_id="client")
    with pytest.raises(DataError, match="later calibration end"):
        rfm_summary(tx, calibration_end="2024-12-31")


# --- CDNOW: the published estimates --------------------------------------------------------------


def test_cdnow_summary_from_the_raw_log_matches_the_published_one(cdnow):
    published = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    assert len(cdnow) == 2357
    assert (cdnow["customer_id"].to_numpy() == published["ID"].to_numpy()).all()
    assert (cdnow["frequency"].to_numpy() == published["x"].to_numpy()).all()
    # the published file rounds weeks and dollars to 2 decimals
    assert np.abs(cdnow["recency"] - published["t_x"]).max() <= 0.005 + 1e-9
    assert np.abs(cdnow["T"] - published["T"]).max() <= 0.005 + 1e-9
    assert np.abs(cdnow["monetary_value"] - published["zbar"]).max() <= 0.005 + 1e-9


def test_cdnow_bgnbd_reproduces_the_paper(cdnow_fit):
    # Fader, Hardie & Lee (2005a), 2,357 customers, 39 weeks: 0.243, 4.414, 0.793, 2.426, -9582.4
    fit = cdnow_fit
    assert fit.n_customers == 2357
    assert fit.time_unit == "week"
    assert f"{fit.r:.3g} {fit.alpha:.4g} {fit.a:.3g} {fit.b:.4g}" == "0.243 4.414 0.793 2.426"
    assert fit.loglik == pytest.approx(-9582.4, abs=0.05)
    # standard errors as lifetimes 0.11.3 reports them on the same data
    lifetimes_se = {"r": 0.012557, "alpha": 0.378224, "a": 0.185734, "b": 0.705414}
    for name, se in lifetimes_se.items():
        assert fit.se[name] == pytest.approx(se, rel=1e-3)


def test_cdnow_fit_in_days_is_the_fit_in_weeks(cdnow_tx, cdnow_fit):
    days = rfm_summary(cdnow_tx, calibration_end="1997-09-30", time_unit="day")
    fit = fit_bgnbd(days, time_unit="day")
    assert fit.alpha == pytest.approx(cdnow_fit.alpha * 7, rel=1e-8)
    weeks = fit.to_unit("week")
    for name in ("r", "alpha", "a", "b", "loglik"):
        assert getattr(weeks, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-8)
    assert weeks.se["alpha"] == pytest.approx(cdnow_fit.se["alpha"], rel=1e-5)
    assert weeks.to_unit("day").alpha == pytest.approx(fit.alpha, rel=1e-12)


def test_cdnow_gamma_gamma_reproduces_the_paper(cdnow):
    # Fader, Hardie & Lee (2005b): p 6.25, q 3.74, gamma 15.44
    fit = fit_gamma_gamma(cdnow)
    assert fit.n_customers == int((cdnow["frequency"] > 0).sum()) == 946
    assert (round(fit.p, 2), round(fit.q, 2), round(fit.gamma, 2)) == (6.25, 3.74, 15.44)
    # lifetimes 0.11.3 on the same customers: 6.249572, 3.744225, 15.443521
    assert fit.p == pytest.approx(6.249572, rel=1e-5)
    assert fit.q == pytest.approx(3.744225, rel=1e-5)
    assert fit.gamma == pytest.approx(15.443521, rel=1e-5)
    assert fit.loglik == pytest.approx(
        gamma_gamma_loglik(fit, *cdnow.loc[cdnow.frequency > 0, ["frequency", "monetary_value"]]
                           .to_numpy().T).sum(), rel=1e-12)


def test_cdnow_published_summary_gives_the_same_estimates():
    published = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    fit = fit_bgnbd(published, frequency="x", recency="t_x", T="T")
    assert f"{fit.r:.3g} {fit.alpha:.4g} {fit.a:.3g} {fit.b:.4g}" == "0.243 4.414 0.793 2.426"
    spend = fit_gamma_gamma(published, frequency="x", monetary_value="zbar")
    assert (round(spend.p, 2), round(spend.q, 2), round(spend.gamma, 1)) == (6.25, 3.74, 15.4)


# --- log-likelihoods against the direct formulas -------------------------------------------------


def test_bgnbd_loglik_matches_the_direct_formula():
    got = bgnbd_loglik(PARAMS, TINY["frequency"], TINY["recency"], TINY["T"])
    want = [direct_bgnbd_loglik(**PARAMS, x=x, t_x=t, T=T)
            for x, t, T in TINY[["frequency", "recency", "T"]].itertuples(index=False)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # by hand: a customer with x = 0 observed for T = 0 carries no information
    assert got[4] == pytest.approx(0.0, abs=1e-12)
    # and one with x = 0 observed for T: ln[(alpha/(alpha+T))^r] = 0.5 ln(2/7)
    assert got[0] == pytest.approx(0.5 * math.log(2 / 7), rel=1e-12)


def test_gamma_gamma_loglik_matches_the_direct_formula():
    prm = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    rows = TINY[TINY["frequency"] > 0]
    got = gamma_gamma_loglik(prm, rows["frequency"], rows["monetary_value"])
    want = [direct_gamma_gamma_loglik(6.0, 4.0, 15.0, x, m)
            for x, m in rows[["frequency", "monetary_value"]].itertuples(index=False)]
    np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("model", ["bgnbd", "gamma_gamma"])
def test_grouped_objective_and_gradient_are_exact(model):
    """The compressed, grouped objective equals the per-customer sum; its gradient is right."""
    rng = np.random.default_rng(13)
    data = simulated_summary(400, rng)
    data = pd.concat([data, data.iloc[:100]], ignore_index=True)  # repeated rows
    if model == "bgnbd":
        columns = [data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")]
        prepared = bgnbd._bgnbd_data(likelihood.compress(columns))
        objective, theta = bgnbd._bgnbd_objective, np.log([0.7, 3.0, 0.9, 5.0])
        direct = -bgnbd_loglik(dict(zip(["r", "alpha", "a", "b"], np.exp(theta), strict=True)),
                               *columns).mean()
    else:
        rows = data[data["frequency"] > 0]
        columns = [rows[c].to_numpy(dtype=float) for c in ("frequency", "monetary_value")]
        prepared = gammagamma._gamma_gamma_data(likelihood.compress(columns))
        objective, theta = gammagamma._gamma_gamma_objective, np.log([5.0, 3.0, 9000.0])
        direct = -gamma_gamma_loglik(dict(zip(["p", "q", "gamma"], np.exp(theta), strict=True)),
                                     *columns).mean()
    value, grad = objective(theta, prepared)
    assert value == pytest.approx(direct, rel=1e-12)
    h = 1e-6
    numeric = [(objective(theta + h * e, prepared)[0] - objective(theta - h * e, prepared)[0])
               / (2 * h) for e in np.eye(len(theta))]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9)


def test_fit_loglik_is_the_sum_over_customers(cdnow, cdnow_fit):
    per_customer = bgnbd_loglik(cdnow_fit, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert cdnow_fit.loglik == pytest.approx(per_customer.sum(), rel=1e-12)


def test_compression_is_exact(cdnow, cdnow_fit):
    doubled = fit_bgnbd(pd.concat([cdnow, cdnow], ignore_index=True))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(doubled, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-7)
    assert doubled.loglik == pytest.approx(2 * cdnow_fit.loglik, rel=1e-10)
    assert doubled.se["r"] == pytest.approx(cdnow_fit.se["r"] / math.sqrt(2), rel=1e-4)


def test_subsample_warm_start_does_not_change_the_estimate(monkeypatch):
    summary = simulated_summary(120_000, np.random.default_rng(13), horizon=52.0)
    columns = [summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")]
    n_repeat = int((summary["frequency"] > 0).sum())
    assert likelihood.thinned(likelihood.compress(columns), n_repeat) is not None  # the warm path
    warm = fit_bgnbd(summary), fit_gamma_gamma(summary)
    monkeypatch.setattr(bgnbd, "thinned", lambda *args: None)
    monkeypatch.setattr(gammagamma, "thinned", lambda *args: None)
    cold = fit_bgnbd(summary), fit_gamma_gamma(summary)
    for w, c in zip(warm, cold, strict=True):
        for name, value in w.params.items():
            assert value == pytest.approx(c.params[name], rel=1e-7)


# --- predictions -----------------------------------------------------------------------------


def test_predictions_match_the_direct_formulas():
    fit = BGNBDFit(**PARAMS, loglik=0.0, se={}, n_customers=0, time_unit="week",
                   repeat_purchases=0)
    small = TINY.iloc[:5]  # the direct 2F1 cannot take x = 10,000
    alive = prob_alive(fit, small)
    expected = expected_purchases(fit, 13.0, small)
    for i, (x, t_x, T) in enumerate(small[["frequency", "recency", "T"]].itertuples(index=False)):
        assert alive.iloc[i] == pytest.approx(direct_prob_alive(**PARAMS, x=x, t_x=t_x, T=T),
                                              rel=1e-12)
        assert expected.iloc[i] == pytest.approx(
            direct_expected(**PARAMS, x=x, t_x=t_x, T=T, t=13.0), rel=1e-9)
    assert alive.name == "prob_alive" and expected.name == "expected_purchases"
    assert (alive.index == small.index).all()

    spend = expected_spend(GammaGammaFit(6.0, 4.0, 15.0, 0.0, {}, 0), TINY)
    x, m = TINY["frequency"], TINY["monetary_value"]
    want = np.where(x > 0, (3.0 / (6 * x + 3.0)) * 30.0 + (6 * x / (6 * x + 3.0)) * m, 30.0)
    np.testing.assert_allclose(spend, want, rtol=1e-12)


def test_unconditional_expectation_matches_the_demo_readme():
    # data_samples/README.md: E[X(t)] = 6.24 at t = 52 and 11.90 at t = 156.57 (truth, weeks)
    truth = BGNBDFit(r=0.9, alpha=4.0, a=0.8, b=6.0, loglik=0.0, se={}, n_customers=0,
                     time_unit="week", repeat_purchases=0)
    new = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [0.0, 0.0]})
    got = expected_purchases(truth, np.array([52.0, 1096 / 7]), new)
    assert got.round(2).tolist() == [6.24, 11.90]


def test_cdnow_predictions_match_lifetimes(cdnow, cdnow_fit):
    # lifetimes 0.11.3, BetaGeoFitter/GammaGammaFitter on the same summary, customers
    # 1, 2, 3, 18, 1516: conditional_probability_alive, conditional_expected_number_of_
    # purchases_up_to_time(52) and conditional_expected_average_profit
    rows = cdnow.set_index("customer_id").loc[[1, 2, 3, 18, 1516]]
    spend_fit = fit_gamma_gamma(cdnow)
    np.testing.assert_allclose(prob_alive(cdnow_fit, rows),
                               [0.7266203, 0.21239102, 1.0, 0.31085574, 0.96885445], rtol=1e-5)
    np.testing.assert_allclose(expected_purchases(cdnow_fit, 52, rows),
                               [1.5586862, 0.2601216, 0.25168191, 0.38071425, 25.75733858],
                               rtol=1e-5)
    np.testing.assert_allclose(expected_spend(spend_fit, rows),
                               [24.653919, 18.910018, 35.170371, 17.673139, 39.890287], rtol=1e-6)


def test_clv_is_the_documented_sum(cdnow, cdnow_fit):
    spend_fit = fit_gamma_gamma(cdnow)
    rows = cdnow.iloc[:50]
    got = clv(cdnow_fit, spend_fit, rows, months=12, annual_discount=0.12, margin=0.3)
    month_weeks = 365.25 / 12 / 7
    monthly = 1.12 ** (1 / 12) - 1
    spend = expected_spend(spend_fit, rows).to_numpy()
    want = np.zeros(len(rows))
    previous = np.zeros(len(rows))
    for m in range(1, 13):
        current = expected_purchases(cdnow_fit, m * month_weeks, rows).to_numpy()
        want += 0.3 * spend * (current - previous) / (1 + monthly) ** m
        previous = current
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.name == "clv"
    # without discounting it is margin * spend * E[X(12 months)]
    flat = clv(cdnow_fit, spend_fit, rows, months=12, annual_discount=0.0, margin=1.0)
    np.testing.assert_allclose(flat, spend * previous, rtol=1e-10)
    longer = clv(cdnow_fit, spend_fit, rows, months=24, annual_discount=0.12, margin=0.3)
    assert (longer > got).all()
    with pytest.raises(ValueError, match="months"):
        clv(cdnow_fit, spend_fit, rows, months=0, annual_discount=0.1, margin=0.3)
    with pytest.raises(ValueError, match="margin"):
        clv(cdnow_fit, spend_fit, rows, months=12, annual_discount=0.1, margin=25)


# --- holdout -----------------------------------------------------------------------------------


def test_cdnow_holdout_matches_lifetimes(cdnow, cdnow_fit):
    # Reference: lifetimes 0.11.3 -- calibration_and_holdout_data(tx, "id", "date",
    # calibration_period_end="1997-09-30", observation_period_end="1998-06-30", freq="D"),
    # recency/T/duration divided by 7, BetaGeoFitter().fit(...), then
    # conditional_expected_number_of_purchases_up_to_time(duration_holdout, ...) per customer.
    # The log has 1,882 repeat purchase days in weeks 40-78 (same-day purchases merged).
    check = holdout_check(cdnow_fit, cdnow)
    assert check["total_actual"] == 1882
    assert check["total_predicted"] == pytest.approx(1653.4087, rel=1e-4)
    assert check["total_error"] == pytest.approx(1653.4087 - 1882, rel=1e-3)
    assert check["mae"] == pytest.approx(0.785454, rel=1e-4)
    assert check["rmse"] == pytest.approx(1.607982, rel=1e-4)
    assert check["corr"] == pytest.approx(0.625647, rel=1e-4)

    table = holdout_by_frequency(cdnow_fit, cdnow)
    assert table["label"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    np.testing.assert_allclose(table["actual"], [0.236712, 0.697039, 1.392523, 1.56, 2.532258,
                                                 2.947368, 3.862069, 6.359375], atol=1e-6)
    np.testing.assert_allclose(table["predicted"], [0.225087, 0.523131, 1.044134, 1.52028,
                                                    2.163866, 2.653846, 3.504042, 6.157191],
                               atol=2e-6)


def test_holdout_needs_holdout_columns(cdnow_fit):
    with pytest.raises(DataError, match="observation_end"):
        holdout_check(cdnow_fit, TINY)


# --- edge cases ------------------------------------------------------------------------------


def test_no_repeat_customers_cannot_be_fitted():
    summary = pd.DataFrame({"frequency": [0] * 100, "recency": [0.0] * 100, "T": [10.0] * 100,
                            "monetary_value": [0.0] * 100})
    with pytest.raises(DataError, match="at least 20"):
        fit_bgnbd(summary)
    with pytest.raises(DataError, match="Gamma-Gamma"):
        fit_gamma_gamma(summary)


def test_a_single_customer_cannot_be_fitted():
    with pytest.raises(DataError, match="Only 1 customers"):
        fit_bgnbd(pd.DataFrame({"frequency": [3], "recency": [5.0], "T": [8.0]}))


def test_huge_frequencies_and_empty_windows_stay_finite():
    summary = simulated_summary(2_000, np.random.default_rng(13))
    extra = pd.DataFrame({"frequency": [10_000, 10_000, 0, 0], "recency": [103.5, 2.0, 0.0, 0.0],
                          "T": [103.5, 103.5, 0.0, 0.0],
                          "monetary_value": [31_000.0, 27_000.0, 0.0, 0.0]})
    summary = pd.concat([summary, extra], ignore_index=True)
    fit = fit_bgnbd(summary)
    spend = fit_gamma_gamma(summary)
    assert all(math.isfinite(v) for v in [*fit.params.values(), fit.loglik, *fit.se.values()])
    assert all(math.isfinite(v) for v in [*spend.params.values(), spend.loglik])
    for values in (prob_alive(fit, summary), expected_purchases(fit, 52.0, summary),
                   clv(fit, spend, summary, months=24, annual_discount=0.1, margin=0.25)):
        assert np.isfinite(values).all() and (values >= 0).all()
    tail = expected_purchases(fit, 52.0, summary).iloc[-4:].to_numpy()
    assert tail[0] > 1000        # alive and buying ~100 a week
    assert tail[1] < 1e-6        # 10,000 purchases, then silent for 100 weeks: gone
    assert tail[2] == tail[3] == pytest.approx(
        expected_purchases(fit, 52.0, pd.DataFrame({"frequency": [0], "recency": [0.0],
                                                    "T": [0.0]})).iloc[0])
    assert prob_alive(fit, summary).iloc[-2:].tolist() == [1.0, 1.0]


def test_expected_purchases_is_smooth_through_a_equal_one():
    values = []
    for a in (1 - 1e-4, 1 - 1e-6, 1.0, 1 + 1e-6, 1 + 1e-4):
        fit = BGNBDFit(r=0.5, alpha=4.0, a=a, b=3.0, loglik=0.0, se={}, n_customers=0,
                       time_unit="week", repeat_purchases=0)
        values.append(expected_purchases(fit, 20.0, TINY).to_numpy())
    values = np.array(values)
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values[2], (values[1] + values[3]) / 2, rtol=1e-9)
    np.testing.assert_allclose(values[0], values[4], rtol=1e-3)


def test_data_without_dropout_is_reported_not_fitted():
    # Poisson buyers who never drop out: the BG/NBD likelihood rises towards a -> 0
    rng = np.random.default_rng(13)
    T = rng.uniform(1, 52, 3000)
    x = rng.poisson(rng.gamma(1.0, 0.5, 3000) * T)
    recency = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    with pytest.raises(DataError, match="not identified: a = .*, b = "):
        fit_bgnbd(pd.DataFrame({"frequency": x, "recency": recency, "T": T}))
    with pytest.raises(DataError, match="did not converge|not identified"):
        fit_bgnbd(pd.DataFrame({"frequency": x, "recency": recency, "T": T}).iloc[:2000])


@pytest.mark.parametrize("bad, message", [
    ({"recency": [6.0]}, "greater than 'T'"),
    ({"T": [-1.0]}, "negative"),
    ({"frequency": [1.5]}, "whole numbers"),
    ({"frequency": [np.nan]}, "missing"),
])
def test_invalid_summaries_are_explained(bad, message):
    summary = simulated_summary(200, np.random.default_rng(13))
    row = pd.DataFrame({"frequency": [1.0], "recency": [2.0], "T": [5.0], **bad})
    with pytest.raises(DataError, match=message):
        fit_bgnbd(pd.concat([summary, row], ignore_index=True))


def test_spend_model_errors_are_explained():
    summary = simulated_summary(300, np.random.default_rng(13))
    broken = summary.copy()
    broken.loc[broken["frequency"] > 0, "monetary_value"] = 0.0
    with pytest.raises(DataError, match="non-positive"):
        fit_gamma_gamma(broken)
    heavy = GammaGammaFit(p=2.0, q=0.8, gamma=10.0, loglik=0.0, se={}, n_customers=0)
    with pytest.raises(DataError, match="q = 0.8"):
        expected_spend(heavy, summary)
    with pytest.raises(DataError, match="'spend'"):
        fit_gamma_gamma(summary, monetary_value="spend")


# --- recovery of known parameters ----------------------------------------------------------------


def within(estimate: float, truth: float, se: float, k: float = 3.0) -> bool:
    return abs(estimate - truth) <= k * se


def test_recovery_on_a_simulated_population():
    """20,000 customers from the true process: every estimate within 3 standard errors.

    The estimates are asymptotically normal with the reported SEs, so each check would fail
    with probability 0.27% under a correct model (the generator seed is fixed; at this seed
    the largest deviation is 2.4 SE, q of the spend model, and all are within 13%). p and
    gamma are strongly correlated, so the mean purchase they imply is much tighter (1%).
    """
    summary = simulated_summary(20_000, np.random.default_rng(13))
    fit = fit_bgnbd(summary)
    spend = fit_gamma_gamma(summary)
    truth = {"r": 0.9, "alpha": 4.0, "a": 0.8, "b": 6.0, "p": 6.0, "q": 4.0, "gamma": 15_000.0}
    estimates = {**fit.params, **spend.params}
    errors = {**fit.se, **spend.se}
    for name, value in truth.items():
        assert within(estimates[name], value, errors[name]), (name, estimates[name], errors[name])
        assert estimates[name] == pytest.approx(value, rel=0.15)
    mean_spend = spend.p * spend.gamma / (spend.q - 1)
    assert mean_spend == pytest.approx(6.0 * 15_000 / 3, rel=0.03)


def test_recovery_on_the_demo_client(demo_tx):
    """The committed demo data: 3,000 customers, fitted in days, alpha converted to weeks.

    Looser than the simulation test by construction: the demo merges same-day documents
    (frequency ~2% low), nets returns, has 40 customers a competitor took (their buying
    thinned after a date, playbook/demo/winback.py) and is one draw of 3,000 customers. At
    this seed every estimate is within 2.5 SE of the truth (largest: alpha +2.45 SE) and
    within 12% but b, +19.6% (1.3 SE: its standard error is 15% of it); the test allows
    3 SE, and 15% (20% for the loosely identified b).
    """
    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))["true_params"]
    summary = rfm_summary(demo_tx, calibration_end="2026-10-31", time_unit="day")
    fit = fit_bgnbd(summary, time_unit="day").to_unit("week")
    spend = fit_gamma_gamma(summary)
    for model, estimate in (("bgnbd", fit), ("gamma_gamma", spend)):
        for name, value in truth[model].items():
            got = estimate.params[name]
            assert within(got, value, estimate.se[name]), (name, got, estimate.se[name])
            assert got == pytest.approx(value, rel=0.2 if name == "b" else 0.15), name


def test_demo_holdout_year_is_predicted_within_five_percent(demo_tx):
    summary = rfm_summary(demo_tx, calibration_end="2025-10-31", observation_end="2026-10-31",
                          time_unit="day")
    fit = fit_bgnbd(summary, time_unit="day")
    check = holdout_check(fit, summary)
    assert abs(check["total_error_pct"]) < 5
    assert check["corr"] > 0.6
