"""Revenue, buyers and lines by calendar month: the intake section's chart and the report
summary's trend."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.intake.views import monthly_activity, monthly_revenue, revenue_trend


def _lines(rows, unit: str = "us") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"]).astype(f"datetime64[{unit}]")
    return frame


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_months_hand_counted_with_the_gap_as_zeros(unit):
    frame = _lines([("a", "2025-01-05", 100.0), ("a", "2025-01-20", -100.0),
                    ("b", "2025-01-31", 30.0), ("b", "2025-03-01", 5.0),
                    ("c", "2025-03-31", -7.0)], unit)
    monthly = monthly_activity(frame)
    assert monthly["month"].tolist() == list(pd.to_datetime(
        ["2025-01-01", "2025-02-01", "2025-03-01"]))
    assert monthly["revenue"].tolist() == [30.0, 0.0, -2.0]  # net of returns
    assert monthly["customers"].tolist() == [1, 0, 1]  # a nets to 0: not a buyer in January
    assert monthly["rows"].tolist() == [3, 0, 2]
    # each month as the period's start, in the unit pandas gives periods
    assert monthly["month"].dtype == frame["date"].dt.to_period("M").dt.to_timestamp().dtype
    pd.testing.assert_frame_equal(monthly_revenue(frame[["date", "amount"]]),
                                  monthly[["month", "revenue"]], check_exact=True)


def test_no_lines_no_months():
    frame = _lines([])
    assert monthly_activity(frame).empty and monthly_revenue(frame).empty
    assert list(monthly_revenue(frame)) == ["month", "revenue"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 1500),
                          st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=80))
def test_revenue_alone_is_the_activity_s_revenue_to_the_last_bit(rows):
    frame = _lines([(c, pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), a)
                    for c, d, a in rows])
    activity = monthly_activity(frame)
    revenue = monthly_revenue(frame)
    pd.testing.assert_frame_equal(revenue, activity[["month", "revenue"]], check_exact=True)
    assert revenue_trend(revenue) == revenue_trend(activity)
