"""Cohorts, CRR and the forecast check use complete periods; a short check is not judged.

A holdout of a few days is not a forecast check: the error of its total (often hundreds
of percent) says nothing about the model. Below the minimum the report says why and
results.json marks the holdout ``judged: false``.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from playbook.ltv import bgnbd
from playbook.ltv import formulas as ltv
from playbook.ltv import views as ltv_views
from playbook.report.i18n import Lang
from playbook.running.context import RunContext


def days_of(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return ltv.purchase_days(frame)


def test_cohorts_leave_out_the_month_the_data_ends_inside():
    # Everyone buys on the 20th of every month; the data ends on March 9th.
    rows = [(c, f"2025-{m:02d}-20", 1) for c in "ab" for m in (1, 2)]
    rows += [("a", "2025-03-05", 1), ("c", "2025-03-02", 1)]
    table = ltv.cohort_table(days_of(rows), dt.date(2025, 3, 9))
    # March (9 days) is neither a column nor a cohort: January's cohort is seen for one
    # month after its first, not two months with a made-up drop in the second.
    assert table.index.tolist() == [pd.Timestamp("2025-01-01")]
    assert table.loc["2025-01-01", 1] == 1.0 and (2 not in table.columns
                                                  or np.isnan(table.loc["2025-01-01", 2]))
    whole = ltv.cohort_table(days_of(rows), dt.date(2025, 3, 31))
    assert whole.loc["2025-01-01", 2] == 0.5 and pd.Timestamp("2025-03-01") in whole.index


def test_crr_periods_are_complete():
    days = days_of([("a", f"{y}-{m:02d}-15", 1) for y in (2023, 2024) for m in range(1, 13)]
                   + [("a", f"2025-{m:02d}-15", 1) for m in range(1, 6)])
    for period, last in (("quarter", dt.date(2025, 3, 31)), ("month", dt.date(2025, 4, 30))):
        table = ltv.crr_table(days, dt.date(2025, 5, 20), period=period, window_months=12)
        assert table["period_end"].max() == last


@pytest.mark.parametrize("cal_end, end, gap, judged, min_days", [
    ("2011-11-30", "2011-11-30", 59.3, False, 60),   # nothing after the fit
    ("2011-11-30", "2011-12-09", 20.0, False, 56),   # 9 days: under 8 weeks
    ("2011-09-30", "2011-11-30", 59.3, True, 60),    # 61 days >= the usual gap, 8 weeks
    ("2011-09-30", "2011-11-30", 75.0, False, 75),   # the customers' rhythm asks for more
    ("2011-09-30", "2011-11-30", None, True, 56),
])
def test_holdout_length(cal_end, end, gap, judged, min_days):
    verdict = bgnbd.holdout_length(cal_end, end, median_gap_days=gap)
    assert verdict["judged"] is judged and verdict["min_days"] == min_days
    assert verdict["reason"] == (None if judged else "short")
    assert verdict["start"] == (pd.Timestamp(cal_end) + pd.Timedelta(days=1)).date().isoformat()


def _with(run: RunContext, **ltv_params) -> RunContext:
    ltv_cfg = run.params.ltv.model_copy(update=ltv_params)
    return RunContext(params=run.params.model_copy(update={"ltv": ltv_cfg}),
                      run_dir=run.run_dir)


def _plain(sentences) -> str:
    text = " ".join(re.sub(r"<[^>]+>", "", str(s)) for s in sentences)
    return " ".join(text.split())


def test_a_holdout_too_short_to_judge_is_not_reported_as_an_error(demo_run):
    run = _with(demo_run, calibration_end=dt.date(2026, 10, 15))  # 16 days before as_of
    res = ltv_views.analyse(run)
    holdout = ltv_views.results(res)["holdout"]
    assert holdout["judged"] is False and holdout["reason"] == "short"
    assert (holdout["start"], holdout["end"], holdout["days"]) == ("2026-10-16", "2026-10-31",
                                                                    16)
    assert holdout["min_days"] >= 56
    assert not {"mae", "rmse", "corr", "total_actual", "total_predicted"} & set(holdout)
    assert not res.holdout_judged and res.holdout_table is None
    for code, words in (("en", ["The forecast is not checked", "16 days",
                                f"at least {holdout['min_days']} days", "8 weeks"]),
                        ("ru", ["Прогноз не проверяется", "16 дн.",
                                f"не меньше {holdout['min_days']} дн.", "8 нед."])):
        text = _plain(ltv_views.holdout_sentences(res, Lang(code)))
        for word in words:
            assert word in text
        assert "%" not in text  # no forecast error is quoted


def test_a_long_holdout_is_judged(demo_run):
    res = ltv_views.analyse(demo_run)  # the demo: fitted to 2025-10-31, checked on a year
    holdout = ltv_views.results(res)["holdout"]
    assert holdout["judged"] is True and holdout["reason"] is None
    assert (holdout["end"], holdout["days"]) == ("2026-10-31", 365)
    assert {"mae", "rmse", "corr", "total_actual", "total_predicted"} <= set(holdout)
    text = _plain(ltv_views.holdout_sentences(res, Lang("en")))
    assert "(Nov 1, 2025 – Oct 31, 2026)" in text and "the days after it" not in text


def test_the_holdout_ends_with_the_last_complete_month(demo_run, monkeypatch):
    # The data ends on October 20th: the check runs to September 30th, and October's 20
    # days, which would look like a slump in buying, are left out.
    end = dt.date(2026, 10, 20)
    monkeypatch.setattr(RunContext, "as_of", property(lambda self: end))
    run = _with(demo_run, calibration_end=dt.date(2026, 3, 31))
    everything = run.transactions()  # up to October 20th: the export ends there
    monkeypatch.setattr(run, "transactions", lambda after_as_of=False, columns=None: (
        everything if columns is None else everything[[c for c in columns if c in everything]]))
    res = ltv_views.analyse(run)
    holdout = res.holdout
    assert holdout["judged"] and (holdout["end"], holdout["data_end"]) == ("2026-09-30",
                                                                          "2026-10-20")
    cal = bgnbd.rfm_summary(everything, calibration_end="2026-03-31",
                            observation_end="2026-09-30", time_unit="week")
    assert holdout["total_actual"] == cal["frequency_holdout"].sum()
    for code, word in (("en", "The check stops at September 30, 2026"),
                       ("ru", "Проверка заканчивается 30 сентября 2026 г.")):
        assert word in _plain(ltv_views.holdout_sentences(res, Lang(code)))
    assert res.complete_through == dt.date(2026, 9, 30)
    crr = _plain(ltv_views.crr_sentences(res, run, Lang("en")))
    assert "The data ends on October 20, 2026, inside a month" in crr
    assert "up to September 30, 2026" in crr
    assert res.crr["period_end"].max() <= dt.date(2026, 9, 30)
    assert res.cohorts.index.max() <= pd.Timestamp("2026-09-01")


def test_lines_after_as_of_are_the_holdout_and_not_the_customers_state(demo_run, monkeypatch):
    """With lines after as_of (an export that goes on), the models see them in the holdout
    only; fitted and judged from the purchase days, they are those of the lines."""
    as_of = dt.date(2026, 8, 31)
    monkeypatch.setattr(RunContext, "as_of", property(lambda self: as_of))
    run = _with(demo_run, calibration_end=dt.date(2026, 2, 28))
    assert run.lines_after_as_of
    lines = run.transactions(after_as_of=True, columns=["customer_id", "date", "amount"])
    assert lines["date"].max() > pd.Timestamp(as_of)
    res = ltv_views.analyse(run)
    assert res.holdout["data_end"] == lines["date"].max().date().isoformat()
    cal = bgnbd.rfm_summary(lines, calibration_end="2026-02-28",
                            observation_end=res.holdout["end"], time_unit="week")
    assert res.holdout["total_actual"] == cal["frequency_holdout"].sum()
    fit = bgnbd.fit_bgnbd(cal, time_unit="week")
    assert (res.bg.r, res.bg.alpha, res.bg.a, res.bg.b) == (fit.r, fit.alpha, fit.a, fit.b)
    now = bgnbd.rfm_summary(lines[lines["date"] <= pd.Timestamp(as_of)],
                            calibration_end=as_of, time_unit="week")
    assert res.customers["customer_id"].tolist() == now["customer_id"].tolist()
    assert (res.customers["p_alive"].to_numpy()
            == bgnbd.prob_alive(res.bg, now).to_numpy()).all()
