"""Looking forward: who is at risk (valuable, overdue against their own rhythm, still likely
active), who is lost, and the money at stake, on small hand-computed frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.intake.summary import customer_summary
from playbook.segmentation import rhythm as rh

AS_OF = dt.date(2025, 12, 31)


def tx(rows):
    """(customer, 'YYYY-MM-DD', amount[, margin]) -> a transactions frame."""
    columns = ["customer_id", "date", "amount"] + (["margin"] if len(rows[0]) == 4 else [])
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def every(customer, last: str, gap: int, times: int, amount: float = 100.0):
    """``times`` purchases ``gap`` days apart, the last on ``last``."""
    end = pd.Timestamp(last)
    return [(customer, (end - pd.Timedelta(days=gap * k)).date().isoformat(), amount)
            for k in range(times)]


ROWS = (every("steady", "2025-12-26", 10, 6)        # 5 days since, gap 10: on rhythm
        + every("late", "2025-12-11", 10, 6)        # 20 days: 2 gaps, overdue
        + every("small_late", "2025-12-11", 10, 2, 1.0)  # the same lateness, class C
        + every("gone", "2025-11-21", 10, 6)        # 40 days: 4 gaps, lost
        + [("year", "2024-12-01", 5000.0)]          # one purchase 395 days ago: lost
        + [("fresh", "2025-12-21", 50.0)])          # one purchase 10 days ago


def test_statuses_follow_each_customers_own_rhythm():
    summary = customer_summary(tx(ROWS), AS_OF)
    valuable = summary["customer_id"] != "small_late"
    out = rh.rhythm(summary, AS_OF, valuable=valuable.to_numpy()).set_index("customer_id")
    assert out["status"].to_dict() == {"fresh": "active", "gone": "lost", "late": "at_risk",
                                       "small_late": "overdue", "steady": "active",
                                       "year": "lost"}
    assert out.loc["late", "usual_gap"] == pytest.approx(10.0)
    assert out.loc["late", "ratio"] == pytest.approx(2.0)
    assert out.loc["gone", "days_since"] == 40
    # one-time buyers are measured against the repeat customers' median gap (10 days)
    assert out.loc["fresh", "gap_basis"] == "median"
    assert out.loc["fresh", "usual_gap"] == pytest.approx(10.0)


def test_a_one_time_buyer_is_lost_only_after_a_year():
    rows = every("a", "2025-12-21", 10, 4) + [("once", "2025-08-01", 100.0)]
    summary = customer_summary(tx(rows), AS_OF)
    out = rh.rhythm(summary, AS_OF).set_index("customer_id")
    # 152 days = 15 median gaps, but one purchase is no rhythm: late, not lost
    assert out.loc["once", "status"] == "at_risk"


def test_the_multiples_and_the_year_are_parameters():
    summary = customer_summary(tx(ROWS), AS_OF)
    out = rh.rhythm(summary, AS_OF, overdue_gaps=2.5, lost_gaps=5, lost_days=400)
    status = out.set_index("customer_id")["status"]
    assert status["late"] == "active" and status["gone"] == "at_risk"
    assert status["year"] == "at_risk"  # 395 days < 400


def test_annual_pace_counts_months_as_a_customer_in_the_window():
    frame = tx([("old", "2024-06-01", 999.0), ("old", "2025-03-01", 600.0),
                ("new", "2025-10-01", 300.0)])
    first = pd.Series(pd.to_datetime(["2024-06-01", "2025-10-01"]), index=["old", "new"])
    pace = rh.annual_pace(frame, first, AS_OF)
    assert pace["old"] == pytest.approx(600.0)  # 600 over 12 months
    months = 12 * (pd.Timestamp(AS_OF) - pd.Timestamp("2025-10-01")).days / 365
    assert pace["new"] == pytest.approx(300.0 / months * 12)


def test_abc_classes():
    values = pd.Series([50.0, 30.0, 10.0, 7.0, 3.0, 0.0], index=list("abcdef"))
    assert rh.abc_classes(values).to_dict() == {"a": "A", "b": "A", "c": "B", "d": "B",
                                                "e": "C", "f": "C"}


def _history():
    """Two years: "a" (valuable, monthly) was late a year ago and came back at half pace."""
    rows = [("a", "2023-12-01", 1000.0)]
    rows += [("a", f"2024-{m:02d}-01", 1000.0) for m in range(1, 12)]  # Jan..Nov 2024
    rows += [("a", "2025-06-01", 3000.0), ("a", "2025-12-20", 2500.0)]
    rows += [("b", f"2024-{m:02d}-15", 10.0) for m in range(1, 13)]
    rows += [("b", f"2025-{m:02d}-15", 10.0) for m in range(1, 13)]
    return tx(rows)


def test_the_realisation_factor_is_measured_a_year_earlier():
    frame = _history()
    # on 2024-12-31 "a" had not bought for 60 days, twice its monthly rhythm: at risk then;
    # its pace then was 11 000 a year (11 purchases in the 12 months), and over 2025 it
    # brought 5 500: half its pace
    factor, customers = rh.realisation(frame, AS_OF, classes=("A",))
    assert customers == 1
    assert factor == pytest.approx(5500.0 / 11000.0)


def test_money_at_stake_is_the_pace_times_the_factor():
    frame = _history()
    summary = customer_summary(frame, AS_OF)
    abc = pd.DataFrame({"customer_id": summary["customer_id"],
                        "abc": rh.abc_classes(summary.set_index("customer_id")["total_spend"])
                        .to_numpy()})
    later = pd.concat([frame, tx([("a", "2025-10-01", 500.0)])])  # "a" late again now
    later = later[later["date"] != pd.Timestamp("2025-12-20")]
    summary = customer_summary(later, AS_OF)
    out = rh.forward_groups(summary, later, AS_OF, abc, classes=("A",))
    risk = out.group("at_risk")
    assert list(risk["customer_id"]) == ["a"]
    assert out.factor_basis == "history" and out.value_basis == "revenue"
    pace = (3000.0 + 500.0)  # bought in the last 12 months, a customer all 12 months
    assert risk["pace"].iloc[0] == pytest.approx(pace)
    assert risk["at_stake"].iloc[0] == pytest.approx(pace * out.factor)
    fixed = rh.forward_groups(summary, later, AS_OF, abc, classes=("A",), factor=0.25)
    assert fixed.factor_basis == "given"
    assert fixed.group("at_risk")["at_stake"].iloc[0] == pytest.approx(pace * 0.25)


def test_a_short_history_assumes_the_factor_and_margin_is_used_when_known():
    # "a" buys every 30 days, 10 times up to 2025-11-01: 60 days since, two gaps: at risk
    rows = [(c, d, a, a * 0.3) for c, d, a in every("a", "2025-11-01", 30, 10, 100.0)]
    rows += [(c, d, a, a * 0.3) for c, d, a in every("b", "2025-12-30", 10, 5, 10.0)]
    frame = tx(rows)
    summary = customer_summary(frame, AS_OF)
    abc = pd.DataFrame({"customer_id": ["a", "b"], "abc": ["A", "C"]})
    out = rh.forward_groups(summary, frame, AS_OF, abc)
    assert out.factor_basis == "assumed" and out.factor == rh.ASSUMED_FACTOR
    assert out.value_basis == "margin"
    risk = out.group("at_risk")
    assert list(risk["customer_id"]) == ["a"]
    # 300 of margin since its first purchase 330 days ago: 300 / (330 / 365) a year
    assert risk["pace"].iloc[0] == pytest.approx(300.0 * 365 / 330)
    assert risk["at_stake"].iloc[0] == pytest.approx(300.0 * 365 / 330 * rh.ASSUMED_FACTOR)


@st.composite
def transactions(draw):
    rows = []
    for i in range(draw(st.integers(2, 20))):
        for _ in range(draw(st.integers(1, 6))):
            day = draw(st.integers(0, 900))
            rows.append((f"c{i}", (pd.Timestamp("2023-06-01") + pd.Timedelta(days=day))
                         .date().isoformat(), draw(st.floats(1, 5_000))))
    return tx(rows)


@settings(max_examples=40, deadline=None)
@given(transactions(), st.floats(1.1, 3.0), st.floats(0.5, 3.0))
def test_every_customer_has_one_state_and_the_rules_hold(frame, overdue, extra):
    as_of = frame["date"].max().date()
    summary = customer_summary(frame, as_of)
    valuable = np.arange(len(summary)) % 2 == 0
    out = rh.rhythm(summary, as_of, valuable=valuable, overdue_gaps=overdue,
                    lost_gaps=overdue + extra)
    assert out["status"].isin(rh.STATUSES).all() and len(out) == len(summary)
    repeat = out["gap_basis"] == "own"
    lost = (out["days_since"] >= 365) | (repeat & (out["ratio"] > overdue + extra))
    assert ((out["status"] == "lost") == lost).all()
    assert not (out["status"] == "at_risk")[~valuable].any()
    assert not (out["status"] == "overdue")[valuable].any()
    late = out["status"].isin(["at_risk", "overdue"])
    assert (out.loc[late, "ratio"] > overdue).all()


def test_without_repeat_purchases_only_the_year_counts():
    frame = tx([("a", "2024-01-01", 10.0), ("b", "2025-06-01", 20.0)])
    summary = customer_summary(frame, AS_OF)
    abc = pd.DataFrame({"customer_id": ["a", "b"], "abc": ["A", "B"]})
    out = rh.forward_groups(summary, frame, AS_OF, abc)
    assert out.median_gap is None and out.factor_basis == "assumed"
    assert out.customers.set_index("customer_id")["status"].to_dict() == {"a": "lost",
                                                                          "b": "active"}


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_rule_is_stated_with_its_multiples(code):
    from types import SimpleNamespace

    from playbook.report.i18n import Lang
    from playbook.segmentation.views_risk import rhythm_intro

    frame = tx(ROWS)
    summary = customer_summary(frame, AS_OF)
    abc = pd.DataFrame({"customer_id": summary["customer_id"], "abc": "A"})
    seg = SimpleNamespace(rhythm=rh.forward_groups(summary, frame, AS_OF, abc),
                          risk_classes=("A", "B"))
    text = rhythm_intro(seg, Lang(code))
    assert ("1,5" if code == "ru" else "1.5") in text and "3" in text and "10" in text
    seg.rhythm.median_gap = None
    assert "365" not in rhythm_intro(seg, Lang(code)) and rhythm_intro(seg, Lang(code))


def test_newly_lost_are_those_who_became_lost_within_the_window():
    frame = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "days_since": [400, 370, 100, 100, 30],
        "usual_gap": [10.0, 10.0, 30.0, 40.0, 10.0],
        "gap_basis": ["own", "median", "own", "own", "own"],
        "status": ["lost", "lost", "lost", "lost", "active"],
    })
    got = rh.newly_lost(frame, days=90, lost_gaps=3.0, lost_days=365)
    # a: 310 days / 10 was already > 3 gaps; b: one-time buyer past the year 5 days ago;
    # c: 10 / 30 was on rhythm; d: 10 / 40 too; e: not lost
    assert got.tolist() == [False, True, True, True, False]
