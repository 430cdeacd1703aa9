"""Did it pay off: difference-in-differences on synthetic panels recovers a known effect
within its interval, the event study finds no pre-trend where there is none, and short or
thin data gets a plain verdict."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook.standards.effect import branch_panel, customer_branches, did, event_study

START = dt.date(2025, 1, 1)


def _panel(*, effect: float, branches: int = 20, treated: int = 10, months: int = 24,
           seed: int = 13, pretrend: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    month_effect = rng.normal(0, 0.02, months)
    for b in range(branches):
        level = rng.normal(0.3, 0.05)
        is_treated = b < treated
        for m, month in enumerate(pd.date_range("2024-01-01", periods=months, freq="MS")):
            post = month >= pd.Timestamp(START)
            trend = pretrend * (m - 12) if is_treated and not post else 0.0
            y = level + month_effect[m] + (effect if is_treated and post else 0) + trend \
                + rng.normal(0, 0.01)
            rows.append({"branch": f"B{b:02d}", "month": month, "base": 500,
                         "repeat_rate": y})
    return pd.DataFrame(rows)


def _treated(n: int = 10) -> list[str]:
    return [f"B{b:02d}" for b in range(n)]


@pytest.mark.parametrize("true", [0.05, 0.0, -0.03])
def test_did_recovers_a_known_effect_within_its_interval(true):
    effect = did(_panel(effect=true), treated=_treated(), start=START)
    assert effect.verdict == "estimated" and effect.n_branches == 20
    assert effect.ci_low <= true <= effect.ci_high
    assert effect.estimate == pytest.approx(true, abs=0.01)
    assert effect.periods_before == 12 and effect.periods_after == 12


def test_the_event_study_sees_no_pretrend_where_there_is_none_and_one_where_there_is():
    flat, p_flat = event_study(_panel(effect=0.05), treated=_treated(), start=START)
    assert p_flat > 0.05
    after = flat[flat["relative_month"] >= 0]
    covers = (after["ci_low"] <= 0.05) & (after["ci_high"] >= 0.05)
    assert covers.mean() >= 0.8  # 95% intervals: one miss in twelve is chance
    assert after["estimate"].mean() == pytest.approx(0.05, abs=0.01)
    _, p_trend = event_study(_panel(effect=0.05, pretrend=0.004), treated=_treated(),
                             start=START)
    assert p_trend < 0.01


def test_too_short_says_so_and_few_branches_are_not_clustered():
    panel = _panel(effect=0.05)
    short = did(panel, treated=_treated(), start=START, stop=dt.date(2025, 3, 1))
    assert short.verdict == "too_short" and short.estimate is None
    many = did(panel, treated=_treated(), start=START)
    assert many.errors == "cluster"
    thin = did(panel[panel["branch"].isin(["B00", "B10", "B11"])], treated=["B00"],
               start=START)
    assert thin.verdict == "estimated" and thin.errors == "hac" and thin.n_branches == 3
    assert thin.ci_low <= 0.05 <= thin.ci_high
    alone = did(panel[panel["branch"].isin(["B00", "B01"])], treated=["B00", "B01"],
                start=START)
    assert alone.verdict == "too_short" and alone.estimate is None  # nobody to compare with


def _three_branches(seed: int, *, effect: float, rho: float) -> pd.DataFrame:
    """A pilot and two others, 17 months, each branch's noise autocorrelated (AR(1))."""
    rng = np.random.default_rng(seed)
    rows = []
    for b in range(3):
        noise = 0.0
        for month in pd.date_range("2024-02-01", periods=17, freq="MS"):
            noise = rho * noise + rng.normal(0, 0.017)
            lift = effect if b == 0 and month >= pd.Timestamp(START) else 0.0
            rows.append({"branch": f"B{b:02d}", "month": month, "base": 700,
                         "repeat_rate": 0.27 + 0.01 * b + lift + noise})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("rho", [0.0, 0.5])
def test_with_three_branches_the_interval_covers_the_truth_about_95_percent(rho):
    # clustered by branch the 95% interval would cover about 80% here; Newey-West within
    # branch relies on the months instead and holds (conservatively)
    hits = [did(_three_branches(seed, effect=0.05, rho=rho), treated=["B00"], start=START)
            for seed in range(120)]
    covered = np.mean([e.ci_low <= 0.05 <= e.ci_high for e in hits])
    assert 0.9 <= covered <= 1.0
    assert np.mean([e.estimate for e in hits]) == pytest.approx(0.05, abs=0.005)
    assert all(e.periods_after == 6 and e.errors == "hac" for e in hits)


def test_crr_counts_the_base_still_active_at_the_month_end():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "d", "c"],
        "date": pd.to_datetime(["2024-01-10", "2025-01-05", "2024-01-20", "2024-12-20"]),
        "amount": [10.0, 20.0, 5.0, 7.0]})
    branch = pd.Series("N", index=tx.index)
    panel = branch_panel(tx, branch, dt.date(2025, 1, 31))
    january = panel.iloc[0]
    # base: a, d, c (bought in 2024); d's only purchase is 12 months old at January's end
    assert (january["base"], january["buyers"], january["retained"]) == (3, 1, 2)
    assert january["crr"] == pytest.approx(2 / 3)


def test_complaints_per_thousand_customers_of_the_branch_base():
    from playbook.standards.effect import complaints_panel

    panel = pd.DataFrame({"branch": ["N", "S"], "month": pd.to_datetime(["2025-01-01"] * 2),
                          "base": [500, 250]})
    requests = pd.DataFrame({
        "received": pd.to_datetime(["2025-01-03", "2025-01-09", "2025-01-20", "2025-02-01"]),
        "branch": ["N", "N", "S", "S"],
        "category": ["Жалоба", "Вопрос", "претензия", "Жалоба"]})
    out = complaints_panel(panel, requests)
    assert out["complaints"].tolist() == [2.0, 4.0]  # 1 of 500, 1 of 250 (February aside)
    assert "complaints" not in complaints_panel(panel, None)
    assert "complaints" not in complaints_panel(panel, requests.drop(columns="category"))


def test_the_panel_counts_repeat_buyers_of_each_branch_base():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "c"],
        "date": pd.to_datetime(["2024-01-10", "2025-01-05", "2024-06-01", "2024-12-01",
                                "2024-12-20"]),
        "amount": [10.0, 20.0, 5.0, 5.0, 7.0],
        "manager": ["Ann", "Ann", "Bob", "Bob", "Ann"]})
    staff = pd.DataFrame({"employee": ["Ann", "Bob"], "branch": ["N", "S"]})
    branch = customer_branches(tx, staff)
    assert branch.tolist() == ["N", "N", "S", "S", "N"]
    panel = branch_panel(tx, branch, dt.date(2025, 1, 31))
    january = panel[(panel["branch"] == "N") & (panel["month"] == pd.Timestamp("2025-01-01"))]
    assert january[["base", "buyers", "revenue"]].iloc[0].tolist() == [2, 1, 20.0]
    assert january["repeat_rate"].iloc[0] == pytest.approx(0.5)


def test_pilot_effect_from_transactions_recovers_a_planted_lift():
    from playbook.standards.effect import pilot_effect
    from playbook.standards.settings import Rollout, Standards

    rng = np.random.default_rng(13)
    branches = [f"B{b}" for b in range(10)]
    settings = Standards(rollout=Rollout(start=dt.date(2025, 1, 6), branches=branches,
                                         pilot=branches[:5], develop_weeks=2, train_weeks=2,
                                         pilot_weeks=52, wave_size=5))
    in_force = pd.Timestamp("2025-02-03")  # 2 + 2 weeks after the start
    months = pd.date_range("2023-01-01", "2026-01-01", freq="MS")
    rows = []
    for b, branch in enumerate(branches):
        for c in range(150):
            for month in months:
                p = 0.3 + (0.1 if b < 5 and month >= in_force else 0.0)
                if rng.random() < p:
                    rows.append((f"{branch}-{c}", month + pd.Timedelta(days=9), 100.0,
                                 f"M{branch}"))
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "manager"])
    staff = pd.DataFrame({"employee": [f"M{b}" for b in branches], "branch": branches})
    result = pilot_effect(tx, staff, settings, dt.date(2025, 12, 31))
    effect = result.effect
    assert effect.verdict == "estimated" and effect.n_branches == 10 and effect.n_treated == 5
    assert effect.ci_low <= 0.1 <= effect.ci_high + 0.01
    assert effect.estimate == pytest.approx(0.1, abs=0.03)
    assert effect.pretrend_p is not None and effect.pretrend_p > 0.01
    assert len(result.events) > 0


def test_without_a_control_a_segmented_time_series_recovers_a_level_change():
    from playbook.standards.effect import segmented

    rng = np.random.default_rng(13)
    months = pd.date_range("2024-01-01", periods=30, freq="MS")
    post = months >= pd.Timestamp("2025-03-01")
    y = 0.30 + 0.001 * np.arange(30) + 0.04 * post + rng.normal(0, 0.005, 30)
    series = pd.DataFrame({"month": months, "repeat_rate": y, "base": 1000})
    effect = segmented(series, start=dt.date(2025, 3, 1))
    assert effect.method == "segmented time series" and effect.verdict == "estimated"
    assert effect.ci_low <= 0.04 <= effect.ci_high
    assert effect.estimate == pytest.approx(0.04, abs=0.01)
    short = segmented(series.head(17), start=dt.date(2025, 3, 1))
    assert short.verdict == "too_short" and short.periods_after == 3
