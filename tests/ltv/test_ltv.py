"""The seed formulas on hand-computed frames: LTV = S x C x P x T, CRR, cohorts, what-if."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook.ltv import formulas as ltv


def days_of(rows, margin=None):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    if margin is not None:
        frame["margin"] = frame["amount"] * margin
    return ltv.purchase_days(frame)


def test_purchase_days_merge_same_day_and_drop_returns():
    frame = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
                          "date": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 15:00",
                                                  "2025-01-02 09:00", "2025-01-03 09:00"]),
                          "amount": [10.0, 5.0, -3.0, 7.0], "margin": [2.0, 1.0, -1.0, np.nan]})
    days = ltv.purchase_days(frame)
    assert days[["customer_id", "amount"]].values.tolist() == [["a", 15.0], ["b", 7.0]]
    assert days["margin"].iloc[0] == 3.0 and np.isnan(days["margin"].iloc[1])


def test_crr_hand_computed():
    """Window 1 month, monthly periods. At 31 Jan: a, b, c active (S = 3). In February a and
    b buy again and d is new; c does not: E = 3 (a, b, d), N = 1, CRR = (3 - 1) / 3."""
    days = days_of([("z", "2024-12-15", 1),  # the data starts a full window before January
                    ("a", "2025-01-10", 1), ("b", "2025-01-20", 1), ("c", "2025-01-25", 1),
                    ("a", "2025-02-10", 1), ("b", "2025-02-15", 1), ("d", "2025-02-20", 1),
                    ("a", "2025-03-05", 1)])
    table = ltv.crr_table(days, dt.date(2025, 3, 31), period="month", window_months=1)
    feb = table[table["period_end"] == dt.date(2025, 2, 28)].iloc[0]
    assert (feb["S"], feb["E"], feb["N"]) == (3, 3, 1)
    assert feb["crr"] == pytest.approx(200 / 3) and feb["churn"] == pytest.approx(100 / 3)
    mar = table[table["period_end"] == dt.date(2025, 3, 31)].iloc[0]
    assert (mar["S"], mar["E"], mar["N"]) == (3, 1, 0)
    assert mar["crr"] == pytest.approx(100 / 3)


def test_crr_starts_after_a_full_activity_window():
    days = days_of([("a", f"2024-{m:02d}-15", 1) for m in range(1, 13)]
                   + [("a", f"2025-{m:02d}-15", 1) for m in range(1, 7)])
    table = ltv.crr_table(days, dt.date(2025, 6, 30), period="quarter", window_months=12)
    assert table["period_start"].min() >= dt.date(2024, 12, 31)
    assert (table["crr"] == 100).all()


def test_ltv_factors_hand_computed():
    """Two customers over a 12-month window: a buys monthly for 100, b twice for 400.
    S = (1200 + 800) / 14 purchases, C = 14 / 2 / 12, P = 0.25 from the margin column."""
    rows = [("a", f"2025-{m:02d}-05", 100) for m in range(1, 13)]
    rows += [("b", "2025-03-01", 400), ("b", "2025-09-01", 400)]
    days = days_of(rows, margin=0.25)
    factors = ltv.ltv_factors(days, dt.date(2025, 12, 31), retention=0.9)
    assert factors.S == pytest.approx(2000 / 14)
    assert factors.C == pytest.approx(14 / 2 / 12)
    assert factors.P == pytest.approx(0.25)
    assert factors.T == pytest.approx(10.0)  # 1 / (1 - 0.9)
    assert factors.ltv == pytest.approx(2000 / 14 * 14 / 24 * 0.25 * 10)
    assert factors.margin_known


def test_ltv_without_margin_uses_the_parameter_or_revenue():
    days = days_of([("a", "2025-01-05", 100), ("a", "2025-02-05", 100)])
    assumed = ltv.ltv_factors(days, dt.date(2025, 2, 28), margin_share=0.3, retention=0.5)
    assert assumed.P == 0.3 and assumed.margin_known
    revenue = ltv.ltv_factors(days, dt.date(2025, 2, 28), retention=0.5)
    assert revenue.P == 1.0 and not revenue.margin_known


def test_lifetime_is_capped_when_nobody_leaves():
    assert ltv._lifetime(1.0) == ltv.MAX_LIFETIME_MONTHS
    assert ltv._lifetime(0.999) == ltv.MAX_LIFETIME_MONTHS
    assert ltv._lifetime(0.75) == pytest.approx(4.0)


def test_too_short_history_is_a_clear_error():
    days = days_of([("a", "2025-01-05", 100)])
    with pytest.raises(ValueError, match="too short to measure retention"):
        ltv.monthly_retention(days, dt.date(2025, 3, 1), window_months=12)


def test_cohort_table_hand_computed():
    days = days_of([("a", "2025-01-05", 1), ("a", "2025-02-05", 1), ("b", "2025-01-20", 1),
                    ("b", "2025-03-01", 1), ("c", "2025-02-10", 1), ("c", "2025-03-10", 1)])
    table = ltv.cohort_table(days, dt.date(2025, 3, 31))
    jan = table.loc[pd.Timestamp("2025-01-01")]
    assert jan[0] == 1.0 and jan[1] == 0.5 and jan[2] == 0.5
    feb = table.loc[pd.Timestamp("2025-02-01")]
    assert feb[1] == 1.0 and np.isnan(feb[2])  # not observable yet
    curve = ltv.cohort_curve(table, days)
    assert curve[1] == pytest.approx((0.5 * 2 + 1.0 * 1) / 3)
    assert curve[2] == pytest.approx(0.5)


def test_whatif_retention_plus_five_points():
    factors = ltv.LtvFactors(S=100.0, C=1.0, P=0.5, T=10.0, customers=10, margin_known=True,
                             retention=0.9)
    result = ltv.whatif_retention(factors, 10, points=0.05, horizon_months=12)
    better = (0.9 ** 12 + 0.05) ** (1 / 12)
    assert result["annual_retention_plus"] == pytest.approx(0.9 ** 12 + 0.05)
    assert result["ltv_plus"] == pytest.approx(50.0 / (1 - better))
    assert result["ltv_change"] > 0
    expected = 10 * 50 * sum(better ** k - 0.9 ** k for k in range(1, 13))
    assert result["profit_change"] == pytest.approx(expected)


def test_acquisition_versus_retention_cost():
    crr = pd.DataFrame({"period_start": [dt.date(2025, 3, 31)],
                        "period_end": [dt.date(2025, 6, 30)], "S": [100], "E": [110],
                        "N": [20], "crr": [90.0], "churn": [10.0]})
    spend = pd.DataFrame({"period_start": ["2025-04-01"], "period_end": ["2025-06-30"],
                          "acquisition": [100_000.0], "retention": [30_000.0]})
    table = ltv.acquisition_vs_retention(spend, crr)
    row = table.iloc[0]
    assert (row["new"], row["kept"]) == (20, 90)
    assert row["cost_new"] == 5_000 and row["cost_kept"] == pytest.approx(30_000 / 90)
    assert row["ratio"] == pytest.approx(15.0)
