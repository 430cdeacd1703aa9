"""Control charts: p-chart limits by hand, XmR limits, the run rules on series with planted
shifts, trends and outliers, limits reset at the rollout, signals judged against the
baseline."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from playbook.standards.control import (
    SHIFT,
    TREND,
    against_baseline,
    merge,
    p_chart,
    run_rules,
    signals,
    xmr_chart,
)


def _months(n: int, start: str = "2025-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def test_p_chart_limits_by_hand_with_varying_n():
    series = pd.DataFrame({"month": _months(3), "n": [100, 25, 400], "passed": [80, 20, 320]})
    chart = p_chart(series)
    p = 420 / 525  # pooled share = 0.8
    assert chart["centre"].tolist() == pytest.approx([p] * 3)
    for n, lcl, ucl in zip([100, 25, 400], chart["lcl"], chart["ucl"], strict=True):
        sigma = math.sqrt(p * (1 - p) / n)
        assert lcl == pytest.approx(p - 3 * sigma)
        assert ucl == pytest.approx(min(p + 3 * sigma, 1))
    assert chart["ucl"].iloc[1] == 1.0  # 0.8 + 3 * 0.08 clipped to 1
    assert chart["value"].tolist() == pytest.approx([0.8, 0.8, 0.8])


def test_limits_reset_at_the_rollout_date_give_each_segment_its_own_centre():
    series = pd.DataFrame({"month": _months(6), "n": [100] * 6,
                           "passed": [60, 62, 58, 90, 92, 88]})
    chart = p_chart(series, reset=dt.date(2025, 4, 1))
    assert chart["segment"].tolist() == [0, 0, 0, 1, 1, 1]
    assert chart["centre"].iloc[0] == pytest.approx(0.6)
    assert chart["centre"].iloc[-1] == pytest.approx(0.9)
    # a reset in the second half of a month leaves that month before the change
    late = p_chart(series, reset=dt.date(2025, 4, 20))
    assert late["segment"].tolist() == [0, 0, 0, 0, 1, 1]


def test_xmr_limits_are_the_mean_plus_minus_2_66_mean_moving_ranges():
    values = [10.0, 12.0, 11.0, 13.0, 12.0]
    chart = xmr_chart(pd.DataFrame({"month": _months(5), "value": values}))
    mr = np.mean([2, 1, 2, 1])
    assert chart["centre"].iloc[0] == pytest.approx(11.6)
    assert chart["ucl"].iloc[0] == pytest.approx(11.6 + 2.66 * mr)
    assert chart["lcl"].iloc[0] == pytest.approx(11.6 - 2.66 * mr)


def _flat_chart(values, centre=0.0, sigma=1.0) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"period": _months(n), "value": values, "centre": centre,
                         "lcl": centre - 3 * sigma, "ucl": centre + 3 * sigma,
                         "sigma": sigma, "segment": 0})


def test_noise_breaks_no_rule():
    rng = np.random.default_rng(13)
    values = np.clip(rng.normal(0, 0.5, 24), -1.9, 1.9)
    values[::2] = np.abs(values[::2]) * -1  # alternate sides: no long runs
    values[1::2] = np.abs(values[1::2])
    assert run_rules(_flat_chart(values)) == []


def test_a_point_outside_the_limits_is_a_signal():
    values = [0.1, -0.2, 3.5, 0.2, -0.1]
    found = run_rules(_flat_chart(values))
    assert [(s["rule"], s["direction"]) for s in found] == [("outside", "up")]
    assert found[0]["start"] == _months(5)[2]


def test_a_planted_shift_of_seven_points_is_found_and_six_is_not():
    six = [0.5, -0.5] * 2 + [0.4] * (SHIFT - 1) + [-0.3, 0.3]
    seven = [0.5, -0.5] * 2 + [0.4] * SHIFT + [-0.3]
    assert not [s for s in run_rules(_flat_chart(six)) if s["rule"] == "shift"]
    shifts = [s for s in run_rules(_flat_chart(seven)) if s["rule"] == "shift"]
    assert len(shifts) == 1 and shifts[0]["direction"] == "up"


def test_a_planted_trend_of_six_rising_points_is_found():
    values = [0.0, -0.5, -0.4, -0.3, -0.2, -0.1, 0.05, -0.6]
    assert TREND == 6
    trends = [s for s in run_rules(_flat_chart(values)) if s["rule"] == "trend"]
    assert len(trends) == 1 and trends[0]["direction"] == "up"
    assert trends[0]["start"] == _months(8)[1] and trends[0]["end"] == _months(8)[6]


def test_two_of_three_points_beyond_two_sigma_on_one_side():
    values = [0.1, 2.5, -0.2, 2.4, 0.0, -0.1]
    rules = [s["rule"] for s in run_rules(_flat_chart(values))]
    assert "two_of_three" in rules and "outside" not in rules


def test_signals_judge_the_change_against_the_baseline_and_by_direction():
    rng = np.random.default_rng(5)
    passed = np.r_[rng.binomial(200, 0.70, 10), rng.binomial(200, 0.85, 10)]
    series = pd.DataFrame({"month": _months(20), "n": 200, "passed": passed})
    chart = p_chart(series, reset=dt.date(2025, 11, 1))
    found = signals("compliance", chart)
    change = [s for s in found if s["basis"] == "baseline"]
    assert change and change[0]["meaning"] == "improvement"
    assert "shift" in change[0]["rules"] and change[0]["start"] == "2025-11-01"
    worse = signals("hours", chart, higher_is_better=False)
    assert [s["meaning"] for s in worse if s["basis"] == "baseline"][0] == "concern"
    baseline = against_baseline(chart)
    assert baseline["centre"].nunique() == 1
    assert baseline["centre"].iloc[-1] == pytest.approx(chart["centre"].iloc[0])


def test_merge_joins_adjacent_signals_in_one_direction():
    m = _months(4)
    found = [{"rule": "outside", "start": m[0], "end": m[0], "direction": "up"},
             {"rule": "shift", "start": m[0], "end": m[2], "direction": "up"},
             {"rule": "outside", "start": m[3], "end": m[3], "direction": "down"}]
    merged = merge(found)
    assert len(merged) == 2
    assert merged[0]["rules"] == ["outside", "shift"] and merged[0]["end"] == m[2]


def test_employees_with_enough_checks_get_their_own_chart_and_signals():
    from playbook.standards.measure import employee_charts

    rng = np.random.default_rng(13)
    months = pd.date_range("2025-01-01", periods=18, freq="MS")
    rows = []
    for month in months:
        for employee, n in (("Ann", 40), ("Bob", 40), ("Few", 5)):
            # Ann improves when the standards take effect in her branch; Bob does not
            p = 0.92 if employee == "Ann" and month >= pd.Timestamp("2025-10-01") else 0.7
            for passed in rng.random(n) < p:
                rows.append({"employee": employee, "branch": "N" if employee == "Ann" else "S",
                             "month": month, "passed": bool(passed)})
    checks = pd.DataFrame(rows)
    charts, found = employee_charts(checks, {"N": dt.date(2025, 10, 1), "S": dt.date(2026, 3, 1)},
                                    None)
    assert set(charts) == {"Ann", "Bob"}  # five checks a month: too few for a chart
    assert charts["Ann"]["segment"].max() == 1 and charts["Bob"]["segment"].max() == 1
    ann = [s for s in found if s["employee"] == "Ann" and s["basis"] == "baseline"]
    assert ann and all(s["meaning"] == "improvement" for s in ann)
    assert ann[0]["series"] == "employee:Ann"
    assert not [s for s in found if s["employee"] == "Bob" and s["basis"] == "baseline"
                and s["rule"] in ("outside", "shift")]
