"""Last period's win-back calls read back: the win-back rate, the revenue recovered and the
second lifetime against the first, by hand on a small table and on the demo's workbooks.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from playbook.followup.analysis import match_customers
from playbook.report.i18n import Lang
from playbook.winback import outcomes as wo
from playbook.winback import views

AS_OF = dt.date(2026, 10, 31)
GIVEN = pd.Timestamp("2026-08-03")


def _tasks(rows):
    return pd.DataFrame(rows, columns=["customer_id", "list", "status", "given", "date_done"]) \
        .assign(known=True)


TASKS = _tasks([
    ("A", "winback", "won_back", GIVEN, pd.Timestamp("2026-08-10")),
    ("B", "winback", "done", GIVEN, None),          # called, no date: the hand-over counts
    ("C", "winback", "no_answer", GIVEN, None),     # not called, bought anyway
    ("D", "winback", "todo", GIVEN, None),          # not called, nothing
    ("E", "calls", "done", GIVEN, pd.Timestamp("2026-08-05")),  # another list: left out
])
TX = pd.DataFrame([
    ("A", "2025-01-01", 1000.0, 200.0, "d1"), ("A", "2025-07-02", 3000.0, 600.0, "d2"),
    ("A", "2026-08-09", 500.0, 100.0, "d3"),   # before its call: the first lifetime
    ("A", "2026-09-01", 2000.0, 400.0, "d4"), ("A", "2026-10-01", 1000.0, 200.0, "d5"),
    ("A", "2026-11-05", 9999.0, 1.0, "d6"),    # after as_of: not counted
    ("B", "2025-03-01", 800.0, 100.0, "d7"),
    ("C", "2024-12-01", 100.0, 10.0, "d8"), ("C", "2026-09-15", 400.0, 40.0, "d9"),
    ("D", "2025-05-05", 300.0, 30.0, "d10"),
    ("E", "2026-09-01", 700.0, 70.0, "d11"),
], columns=["customer_id", "date", "amount", "margin", "order_id"]).assign(
    date=lambda f: pd.to_datetime(f["date"]))


def test_outcomes_by_hand():
    table = wo.winback_outcomes(TASKS, TX, AS_OF).set_index("customer_id")
    assert list(table.index) == ["A", "B", "C", "D"]
    a = table.loc["A"]
    assert a["called"] and a["returned"] and a["call_date"] == pd.Timestamp("2026-08-10")
    assert a["revenue_after"] == 3000.0 and a["margin_after"] == 600.0 and a["orders_after"] == 2
    # first lifetime: 1 Jan 2025 to 9 Aug 2026, three documents, 4,500
    assert a["first_months"] == pytest.approx((pd.Timestamp("2026-08-09")
                                               - pd.Timestamp("2025-01-01")).days / wo.MONTH_DAYS)
    assert a["first_orders"] == 3 and a["first_revenue"] == 4500.0
    assert a["second_months"] == pytest.approx(60 / wo.MONTH_DAYS)  # 1 Sep to 31 Oct
    assert table.loc["B", "called"] and not table.loc["B", "returned"]
    assert table.loc["B", "first_months"] == 1.0  # one purchase: a month at least
    assert not table.loc["C", "called"] and table.loc["C", "returned"]

    out = wo.summarise(table.reset_index(), AS_OF)
    assert (out["listed"], out["called"], out["returned"]) == (4, 2, 1)
    assert out["rate"] == 0.5
    assert (out["not_called"], out["not_called_returned"], out["not_called_rate"]) == (2, 1, 0.5)
    assert out["revenue_recovered"] == 3000.0 and out["margin_recovered"] == 600.0
    life = out["lifetimes"]
    assert life["n"] == 1 and life["too_early"]  # one customer, two months: too early
    assert life["first_orders_per_month"] == pytest.approx(3 / a["first_months"], abs=1e-3)
    assert life["second_orders_per_month"] == pytest.approx(2 / (60 / wo.MONTH_DAYS), abs=1e-3)
    assert life["second_revenue_per_month"] == pytest.approx(3000 / (60 / wo.MONTH_DAYS),
                                                             abs=1e-2)


def test_without_costs_no_margin_and_without_win_back_tasks_nothing():
    out = wo.summarise(wo.winback_outcomes(TASKS, TX.drop(columns="margin"), AS_OF), AS_OF)
    assert out["margin_recovered"] is None and out["revenue_recovered"] == 3000.0
    assert wo.winback_outcomes(TASKS[TASKS["list"] == "calls"], TX, AS_OF).empty
    assert views.outcome_sentences(None, Lang("en", "RUB")) == []
    assert views.outcomes_heading(None, Lang("ru", "RUB")) is None


def test_a_second_lifetime_long_enough_is_compared():
    rows = [(f"K{i}", "winback", "done", GIVEN - pd.DateOffset(months=9), None)
            for i in range(12)]
    tx = pd.DataFrame([(f"K{i}", d, 100.0) for i in range(12)
                       for d in ("2024-01-01", "2025-01-01", "2025-12-01", "2026-10-01")],
                      columns=["customer_id", "date", "amount"])
    out = wo.summarise(wo.winback_outcomes(_tasks(rows), tx, AS_OF), AS_OF)
    assert out["returned"] == 12 and not out["lifetimes"]["too_early"]
    lang = Lang("en", "RUB")
    text = " ".join(views.outcome_sentences(out | {"as_of": AS_OF.isoformat(), "min_months": 6,
                                                   "min_returned": 10}, lang))
    assert "The 12 who came back buy" in text and "Too early" not in text


def test_customers_back_without_a_purchase_before_their_call_have_no_first_lifetime():
    """A client whose data starts after last period's calls (its first months): those back
    have no first lifetime, so the second is not set against it (it once failed to write
    the missing figure)."""
    rows = [(f"K{i}", "winback", "done", GIVEN, None) for i in range(3)]
    tx = pd.DataFrame([(f"K{i}", "2026-10-05", 100.0) for i in range(3)],
                      columns=["customer_id", "date", "amount"])
    out = wo.summarise(wo.winback_outcomes(_tasks(rows), tx, AS_OF), AS_OF)
    assert out["returned"] == 3 and out["lifetimes"]["first_orders_per_month"] is None
    for code in ("ru", "en"):
        lines = views.outcome_sentences(out | {"as_of": AS_OF.isoformat(), "min_months": 6,
                                               "min_returned": 10}, Lang(code, "RUB"))
        assert len(lines) == 1 and "3" in lines[0]  # the rate; no lifetimes sentence


@pytest.fixture(scope="module")
def demo_outcomes(demo_run):
    return views.read_outcomes(demo_run)


def test_the_demo_shows_its_win_back_calls(demo_run, demo_outcomes):
    out = demo_outcomes
    tasks, _ = demo_run.tasks_done()
    tasks = match_customers(tasks, demo_run.transactions()["customer_id"])
    mine = tasks[tasks["known"] & (tasks["list"] == "winback")]
    assert out["listed"] == mine["customer_id"].nunique()
    assert out["called"] == mine.loc[mine["status"].isin(["done", "won_back"]),
                                     "customer_id"].nunique()
    assert out["called"] + out["not_called"] == out["listed"]
    assert 0 < out["returned"] < out["called"] and out["rate"] == out["returned"] / out["called"]
    assert out["revenue_recovered"] > 0 and out["margin_recovered"] > 0
    # the demo's calls raise buying again (tasks_truth.json): the called return more often
    assert out["rate"] > out["not_called_rate"]
    assert out["lifetimes"]["too_early"]  # three months since the hand-over


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_demo_sentences_in_both_languages(demo_outcomes, code):
    lang = Lang(code, "RUB")
    text = " ".join([views.outcomes_heading(demo_outcomes, lang).text,
                     *map(str, views.outcome_sentences(demo_outcomes, lang))])
    assert "{" not in text and "winback." not in text
    assert str(lang.int(demo_outcomes["called"])) in text
    if code == "en":
        assert not re.search("[А-Яа-яЁё]", text)


def test_the_summary_shows_how_many_came_back(demo_run, demo_outcomes):
    from playbook.report.document import build_summary

    data = views.results(views.analyse(demo_run)) | {"outcomes": demo_outcomes}
    for code in ("ru", "en"):
        lang = Lang(code, "RUB")
        figures = dict(build_summary({"winback": data}, lang)["figures"])
        tile = figures[lang.t("winback.summary.won_back")]
        came, called = demo_outcomes["returned"], demo_outcomes["called"]
        assert tile == f"{lang.int(came)} / {lang.int(called)}"
    without = build_summary({"winback": data | {"outcomes": None}}, Lang("en"))["figures"]
    assert len(without) == 3
