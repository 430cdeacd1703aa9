"""Compliance: checks from the logs, Wilson intervals, the 10-hour rule in calendar and in
working hours, the fair best performer, what to fix first, unknown audit items."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook.errors import DataError
from playbook.standards import compliance as co
from playbook.standards.catalog import catalog
from playbook.standards.measure import measure
from playbook.standards.settings import Rollout, Standards

CATALOG = catalog()
T = pd.Timestamp


def _requests(pairs) -> pd.DataFrame:
    return pd.DataFrame({"received": [T(a) for a, _ in pairs],
                         "first_answer": [T(b) if b else pd.NaT for _, b in pairs],
                         "row": range(2, 2 + len(pairs))})


def test_the_ten_hour_rule_in_calendar_and_in_working_hours():
    # Friday 17:00 -> Monday 10:00: 65 calendar hours, 2 working hours (9-18, Mon-Fri)
    frame = _requests([("2026-01-09 17:00", "2026-01-12 10:00"),
                       ("2026-01-12 09:00", "2026-01-12 18:30"),   # 9.5 h, 9 working h
                       ("2026-01-12 08:00", "2026-01-12 19:00")])  # 11 h, 9 working h
    calendar = co.response_times(frame, limit=10, hours="calendar")
    assert calendar["hours_to_answer"].tolist() == pytest.approx([65, 9.5, 11])
    assert calendar["within"].tolist() == [False, True, False]
    working = co.response_times(frame, limit=10, hours="working")
    assert working["hours_to_answer"].tolist() == pytest.approx([2, 9, 9])
    assert working["within"].tolist() == [True, True, True]


def test_working_hours_follow_the_working_week_given():
    start, end = pd.Series([T("2026-01-10 10:00")]), pd.Series([T("2026-01-11 12:00")])
    assert co.working_hours(start, end).iloc[0] == 0  # a weekend
    assert co.working_hours(start, end, days=(6, 7), day_start=10,
                            day_end=20).iloc[0] == pytest.approx(12)


def test_an_unanswered_request_is_late_once_its_time_is_up_and_pending_before():
    frame = _requests([("2026-01-01 09:00", None), ("2026-01-31 20:00", None)])
    out = co.response_times(frame, limit=10, as_of=dt.date(2026, 1, 31))
    assert out["within"].iloc[0] is np.False_ or out["within"].iloc[0] == False  # noqa: E712
    assert pd.isna(out["within"].iloc[1])  # 4 hours so far: not judged yet


def test_an_answer_before_the_request_is_refused_naming_the_rows():
    frame = _requests([("2026-01-02 09:00", "2026-01-01 09:00")])
    with pytest.raises(DataError, match="rows 2"):
        co.response_times(frame)


def test_wilson_interval_matches_the_formula():
    low, high = co.wilson(8, 10)
    assert float(low) == pytest.approx(0.4902, abs=1e-4)
    assert float(high) == pytest.approx(0.9433, abs=1e-4)


def _checks(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "employee", "item", "passed"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["month"] = frame["date"].dt.to_period("M").dt.to_timestamp()
    frame["branch"] = "A"
    return frame[co.CHECK_COLUMNS]


def test_one_lucky_check_does_not_win_the_month():
    rows = [("2026-03-05", "Lucky", "greet_customer", True)]
    rows += [("2026-03-06", "Steady", "greet_customer", i < 18) for i in range(20)]  # 90%
    rows += [("2026-03-07", "Other", "greet_customer", i < 14) for i in range(20)]   # 70%
    checks = _checks(rows)
    best = co.best_performers(checks, min_checks=1, shrink=10)
    assert best["employee"].tolist() == ["Steady"]  # 1/1 pulled to ~0.81, 18/20 to ~0.87
    shrunk = best.iloc[0]
    month = (1 + 18 + 14) / 41
    assert shrunk["score"] == pytest.approx((18 + 10 * month) / 30)
    assert co.best_performers(checks, min_checks=25).empty


def test_the_minimum_number_of_checks_keeps_a_short_record_out():
    rows = [("2026-03-05", "Few", "greet_customer", True)] * 4
    rows += [("2026-03-06", "Many", "greet_customer", i < 6) for i in range(10)]
    best = co.best_performers(_checks(rows), min_checks=5, shrink=0)
    assert best["employee"].tolist() == ["Many"]


def test_fix_first_ranks_the_weighted_shortfall_and_skips_what_may_be_met():
    by = pd.DataFrame({"item": ["phone_third_ring", "appearance", "greet_customer"],
                       "n": [400, 400, 3], "share": [0.70, 0.85, 2 / 3]})
    by["ci_low"], by["ci_high"] = co.wilson(by["share"] * by["n"], by["n"])
    fix = co.fix_first(by, CATALOG)
    # third ring: (0.90 - 0.70) x 3 = 0.6; appearance: (0.95 - 0.85) x 1 = 0.1; greeting: 2
    # of 3 checks, its interval (up to 94%) reaches the target of 90%
    assert fix["item"].tolist() == ["phone_third_ring", "appearance"]


def test_calls_become_checks_by_their_measures():
    calls = pd.DataFrame({
        "time": pd.to_datetime(["2026-01-05 10:00"] * 5),
        "branch": "A", "employee": "E",
        "rings": pd.array([2, 5, None, 3, None], dtype="Float64"),
        "missed": pd.array([False, False, True, False, True], dtype="boolean"),
        "hold_seconds": pd.array([30, 120, None, None, None], dtype="Float64"),
        "callback": pd.array([False, True, True, None, False], dtype="boolean")})
    checks = co.call_checks(calls, CATALOG)
    got = checks.groupby("item")["passed"].apply(list).to_dict()
    assert got["phone_third_ring"] == [True, False, True]
    assert got["phone_callback"] == [True, True]  # 120 s on hold but a call-back offered
    assert got["phone_missed_returned"] == [True, False]


def test_an_item_the_catalog_lacks_is_reported_not_dropped():
    audits = pd.DataFrame({"date": pd.to_datetime(["2026-01-05"] * 3), "branch": "A",
                           "employee": "E", "item": ["greet_customer", "smile", "smile"],
                           "passed": [True, True, False], "row": [2, 3, 4]})
    assert len(co.audit_checks(audits, CATALOG)) == 1
    unknown = co.unknown_items(audits, CATALOG)
    assert unknown.to_dict("records") == [{"item": "smile", "checks": 2, "rows": "3, 4"}]


def test_measure_without_any_log_says_there_is_nothing_to_measure():
    out = measure(CATALOG, Standards(), dt.date(2026, 10, 31))
    assert not out.has_checks and out.overall is None and out.signals == []
    assert out.logs == {"audits": False, "calls": False, "requests": False}


def test_measure_recovers_a_planted_compliance_and_its_change():
    rng = np.random.default_rng(13)
    days = pd.date_range("2025-01-01", "2026-06-30", freq="D")
    dates = rng.choice(days, 6000)
    after = dates >= np.datetime64("2025-09-01")
    passed = rng.random(6000) < np.where(after, 0.9, 0.6)
    audits = pd.DataFrame({"date": dates, "branch": "A",
                           "employee": rng.choice(["E1", "E2", "E3"], 6000),
                           "item": "greet_customer", "passed": passed})
    settings = Standards(rollout=Rollout(in_force=dt.date(2025, 9, 1)))
    out = measure(CATALOG, settings, dt.date(2026, 6, 30), audits=audits)
    assert out.overall == pytest.approx(0.9, abs=0.03)
    assert out.overall_before == pytest.approx(0.6, abs=0.03)
    change = [s for s in out.signals if s["basis"] == "baseline"]
    assert change[0]["meaning"] == "improvement" and change[0]["start"] == "2025-09-01"
    assert len(out.best) == 18
