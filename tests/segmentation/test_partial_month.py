"""When the data ends inside a month, figures by month and quarter stop at the last complete one.

A month that has had 9 of its days looks like a slump next to whole months: a steady buyer
seems irregular (XYZ), the month's active customers seem to collapse, and "the last full
month" is not full. Each of those is checked here, and that the report says which month
was the last complete one, in both languages.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from playbook import periods
from playbook.intake import run_intake
from playbook.intake import views as intake_views
from playbook.intake.summary import customer_summary
from playbook.params import params_from_dict
from playbook.report.i18n import Lang
from playbook.running.context import RunContext, intake_dir
from playbook.segmentation import analysis as sg
from playbook.segmentation import views as sv


@pytest.mark.parametrize("day, period, last, end", [
    ("2011-12-09", "month", "2011-11", "2011-11-30"),
    ("2011-11-30", "month", "2011-11", "2011-11-30"),
    ("2024-02-29", "month", "2024-02", "2024-02-29"),  # a leap day ends February
    ("2024-02-28", "month", "2024-01", "2024-01-31"),
    ("2011-12-09", "quarter", "2011Q3", "2011-09-30"),
    ("2011-12-31", "quarter", "2011Q4", "2011-12-31"),
    ("2011-12-30", "year", "2010", "2010-12-31"),
])
def test_the_last_complete_period(day, period, last, end):
    assert str(periods.last_complete_period(day, period)) == last
    assert periods.complete_end(day, period) == dt.date.fromisoformat(end)
    assert periods.is_period_end(day, period) == (day == end)


def tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


#: The data ends on December 20th; the steady customer buys on the 25th of every month,
#: so December (20 of its 31 days) holds no purchase of it yet.
AS_OF = dt.date(2024, 12, 20)
STEADY = [("steady", f"2024-{m:02d}-25", 100) for m in range(1, 12)]


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_a_steady_buyer_is_regular_although_the_data_ends_inside_a_month(period):
    frame = tx(STEADY + [("late", "2024-12-02", 50)])
    summary = customer_summary(frame, AS_OF)
    out = sg.abc_xyz(summary, frame, AS_OF, period=period).set_index("customer_id")
    # Counting December (no purchase yet) as a period would give a CV of 0.29 by month.
    assert out.loc["steady", "cv"] == pytest.approx(0.0)
    assert out.loc["steady", "xyz"] == "X"
    # A customer whose first purchase falls in the partial month has no complete period.
    assert out.loc["late", "periods"] == 0 and bool(out.loc["late", "short_history"])


def test_base_health_ends_with_the_last_complete_month():
    frame = tx(STEADY + [("steady", "2024-12-02", 100), ("b", "2024-11-03", 10)])
    health = sg.base_health(frame, as_of=AS_OF)
    assert health["month"].iloc[-1] == pd.Timestamp("2024-11-01")
    assert health["active"].iloc[-1] == 2  # November: steady and b, not December's one
    assert sg.base_health(frame)["month"].iloc[-1] == pd.Timestamp("2024-12-01")


def test_a_client_whose_lines_are_all_in_the_month_not_yet_complete_has_no_months():
    """A new client's first export: no complete month yet, so no month of base health, even
    with a customers file saying who came by recommendation (it once divided an empty text
    column there, and the segmentation's notebook failed)."""
    frame = tx([("a", "2024-12-02", 100), ("b", "2024-12-03", 10)])
    customers = pd.DataFrame({"customer_id": ["a", "b"], "referral": [True, False]})
    health = sg.base_health(frame, customers, as_of=AS_OF)
    assert health.empty
    assert list(health.columns) == ["month", "active", "new", "returning", "new_referral",
                                    "referral_share"]
    assert sg.referral_trend(health) is None


def test_the_intake_trend_names_the_last_complete_month():
    frame = tx(STEADY + [("steady", "2024-12-02", 100), ("b", "2024-11-03", 10)])
    monthly = intake_views.monthly_activity(frame)
    for code, month in (("en", "Nov 2024"), ("ru", "нояб. 2024")):
        text = " ".join(intake_views.trend_sentences(monthly, Lang(code), as_of=AS_OF))
        assert month in text
    month_end = intake_views.trend_sentences(monthly, Lang("en"), as_of=dt.date(2024, 12, 31))
    assert "Dec 2024" in month_end[-1]


def _run(tmp_path, language: str, as_of: str, period: str = "month") -> RunContext:
    rows = [f"К{c};{d:02d}.{m:02d}.2024;{100 * c + d}" for c in range(1, 9)
            for m in range(1, 13) for d in (3, 17)]
    (tmp_path / "tx.csv").write_text("\n".join(["Клиент;Дата;Сумма", *rows]) + "\n",
                                     encoding="utf-8")
    params = params_from_dict({"client": {"name": "Тест", "language": language},
                               "data": {"transactions": "tx.csv"}, "as_of": as_of,
                               "segmentation": {"xyz": {"period": period}}},
                              base_dir=tmp_path)
    run_intake(params, intake_dir(tmp_path), today=dt.date(2025, 1, 31))
    return RunContext(params=params, run_dir=tmp_path)


def _plain(sentences) -> str:
    text = " ".join(re.sub(r"<[^>]+>", "", str(s)) for s in sentences)
    return " ".join(text.split())  # Babel's non-breaking spaces become plain ones


@pytest.mark.parametrize("language, says", [
    ("en", ["The data ends on December 10, 2024, inside a month",
            "run to the last complete month, Nov 2024", "the window ends on November 30, 2024",
            "in the last complete month (Nov 2024)"]),
    ("ru", ["Данные заканчиваются 10 декабря 2024 г., посреди месяца",
            "до последнего полного месяца — нояб. 2024", "окно — по 30 ноября 2024 г.",
            "в последнем полном месяце (нояб. 2024)"]),
])
def test_the_report_names_the_last_complete_month(tmp_path, language, says):
    run = _run(tmp_path, language, "2024-12-10")
    seg = sv.analyse(run)
    text = _plain(sv.abc_sentences(seg, run, run.lang) + sv.health_sentences(seg, run.lang))
    for part in says:
        assert part in text
    lists = {"calls": [], "greetings": [], "penetration": []}
    results = sv.results(seg, lists, [], tmp_path)
    assert results["complete_through"] == "2024-11-30"
    assert results["abc_xyz"]["window_end"] == "2024-11-30"
    assert results["base_health"]["month"] == "2024-11-01"
    # December's 3rd was bought by all 8; November's two purchase days by all 8 too.
    assert results["base_health"]["active_last_month"] == 8


def test_nothing_is_said_when_the_data_ends_on_a_month_end(tmp_path):
    run = _run(tmp_path, "en", "2024-11-30")
    seg = sv.analyse(run)
    text = _plain(sv.abc_sentences(seg, run, run.lang) + sv.health_sentences(seg, run.lang))
    assert "inside a month" not in text and "in the last complete month (Nov 2024)" in text


def test_quarters_end_with_the_last_complete_quarter(tmp_path):
    run = _run(tmp_path, "en", "2024-12-10", period="quarter")
    seg = sv.analyse(run)
    text = _plain(sv.abc_sentences(seg, run, run.lang))
    assert "inside a quarter" in text and "ends on September 30, 2024" in text
    assert seg.abc["cv"].notna().all()
