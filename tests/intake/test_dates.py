"""Dates: day first or month first decided from the whole column, a date_format with the
time, and a date_format proposed when the dates cannot be read.

Files are read both ways (quick and thorough, see test_intake_quick) wherever the way
matters, and must give the same outputs.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_intake_quick import both

import playbook.intake.parsing as parsing
from playbook.intake.views import advice, consultant_notes, issues_sentences, issues_table
from playbook.report.i18n import Lang

HEADER = "customer,date,amount"


def text(dates: list[str], header: str = HEADER) -> str:
    cells = [f'"{d}"' if "," in d else d for d in dates]
    return "\n".join([header, *(f"K{i % 7},{d},{10 + i}" for i, d in enumerate(cells))]) + "\n"


def read_dates(outcome) -> list[dt.date]:
    frames, _ = outcome
    return [d.date() for d in pd.to_datetime(frames["transactions.parquet"]["date"])]


AMBIGUOUS = [f"{m}/{d}/2010 {8 + d % 9}:{d:02d}" for m in (1, 2, 3) for d in range(1, 13)]


def test_month_first_is_decided_by_a_date_beyond_the_sample(tmp_path, monkeypatch):
    """36 dates read either way, then one with a day above 12: the whole column is month
    first, though the sample (5 rows here, 20,000 in a run) saw only ambiguous ones."""
    monkeypatch.setattr(parsing, "SAMPLE_ROWS", 5)
    outcome, quick = both(tmp_path, text([*AMBIGUOUS, "3/13/2010 9:02"]), monkeypatch)
    assert quick  # nothing to report
    dates = read_dates(outcome)
    assert dates[:3] == [dt.date(2010, 1, 1), dt.date(2010, 1, 2), dt.date(2010, 1, 3)]
    assert dates[-1] == dt.date(2010, 3, 13)
    saved = outcome[1]
    assert saved["files"][0]["date_order"] == {
        "date": {"order": "month_first", "basis": "data", "example": "3/13/2010 9:02"}}
    assert saved["files"][0]["date_formats"] == {"date": "%m/%d/%Y"}
    assert saved["issues"] == []


def test_day_first_is_decided_by_a_date_beyond_the_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "SAMPLE_ROWS", 5)
    outcome, quick = both(tmp_path, text([*AMBIGUOUS, "13/3/2010"]), monkeypatch)
    assert quick
    dates = read_dates(outcome)
    assert dates[:2] == [dt.date(2010, 1, 1), dt.date(2010, 2, 1)] and dates[-1] == dt.date(
        2010, 3, 13)
    assert outcome[1]["files"][0]["date_order"]["date"] == {
        "order": "day_first", "basis": "data", "example": "13/3/2010"}


def test_more_month_first_dates_than_day_first_ones_win(tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "SAMPLE_ROWS", 5)
    dates = [*AMBIGUOUS, "13/3/2010", "3/14/2010", "3/15/2010"]
    outcome, _ = both(tmp_path, text(dates), monkeypatch, intake={"bad_rows": "drop"})
    frames, saved = outcome
    assert saved["files"][0]["date_order"]["date"]["order"] == "month_first"
    assert [(i["kind"], i["rows"]) for i in saved["issues"]] == [("bad_date", 1)]


def test_without_a_deciding_date_day_first_is_assumed_and_reported(tmp_path, monkeypatch):
    dates = ["01/02/2024", "05/05/2024", "03/04/2024 10:00", "12/11/2024"]
    outcome, quick = both(tmp_path, text(dates), monkeypatch)
    assert not quick  # the assumption is reported with its rows: the thorough way
    assert read_dates(outcome) == [dt.date(2024, 2, 1), dt.date(2024, 5, 5),
                                   dt.date(2024, 4, 3), dt.date(2024, 11, 12)]
    saved = outcome[1]
    assert saved["files"][0]["date_order"]["date"] == {
        "order": "day_first", "basis": "assumed", "example": None}
    (issue,) = saved["issues"]
    assert (issue["kind"], issue["rows"], issue["action"]) == ("ambiguous_dates", 3,
                                                               "read_day_first")
    assert issue["column"] == "date"
    assert issue["examples"] == [[2, "01/02/2024"], [4, "03/04/2024 10:00"], [5, "12/11/2024"]]
    assert saved["figures"]["issues"] == [
        {"kind": "ambiguous_dates", "rows": 3, "action": "read_day_first"}]


@pytest.mark.parametrize("code, label, action, words", [
    ("en", "Dates that read day or month first (no day above 12)", "read day first (assumed)",
     ["has a day above 12", "read day first"]),
    ("ru", "Даты читаются и с дня, и с месяца (нет дня больше 12)",
     "прочитаны как день, затем месяц (предположение)",
     ["число не больше 12", "прочитаны как день, затем месяц"]),
])
def test_the_assumption_is_explained_in_the_data_quality_section(code, label, action, words):
    lang = Lang(code)
    issue = {"kind": "ambiguous_dates", "rows": 1200, "action": "read_day_first",
             "column": "InvoiceDate", "amount": None}
    table = issues_table([issue], lang)
    assert list(table.iloc[0])[0] == label and list(table.iloc[0])[-1] == action
    (text_,) = advice([issue], lang)
    assert "InvoiceDate" in text_ and all(w in text_ for w in words)
    # the format to set is advice for the consultant, never the client's report
    assert "%" not in text_ and "date_format" not in text_
    _, note = consultant_notes([issue], lang)
    assert "InvoiceDate" in note and "date_format" in note and "'%m/%d/%Y'" in note
    figures = {"transactions": {"rows_read": 1200, "rows_used": 1200}}
    assert label.lower() in issues_sentences(figures, [issue], lang)[0]


def test_dates_with_dots_are_day_first_by_convention(tmp_path, monkeypatch):
    outcome, quick = both(tmp_path, text(["01.02.2024", "03.04.2024"]), monkeypatch)
    assert quick and read_dates(outcome) == [dt.date(2024, 2, 1), dt.date(2024, 4, 3)]
    assert outcome[1]["files"][0]["date_order"]["date"]["basis"] == "convention"
    assert outcome[1]["issues"] == []


@pytest.mark.parametrize("date_format, cells, expected", [
    ("%m/%d/%Y %H:%M", ["12/1/2010 8:26", "1/13/2011 17:05"],
     [dt.date(2010, 12, 1), dt.date(2011, 1, 13)]),
    ("%Y%m%d%H", ["2018100100", "2019123123"], [dt.date(2018, 10, 1), dt.date(2019, 12, 31)]),
    ("%d %b %Y", ["05 Jan 2024", "31 Dec 2023"], [dt.date(2024, 1, 5), dt.date(2023, 12, 31)]),
])
def test_a_declared_date_format_may_include_the_time(tmp_path, monkeypatch, date_format,
                                                      cells, expected):
    outcome, quick = both(tmp_path, text(cells), monkeypatch,
                          data={"transactions": {"path": "tx.csv", "date_format": date_format}})
    assert quick and read_dates(outcome) == expected


@pytest.mark.parametrize("cells, proposed", [
    (["2018100100", "2018100113", "2019123123"], "%Y%m%d%H"),
    (["20181001103000", "20191231235959"], "%Y%m%d%H%M%S"),
    (["31-Dec-2023", "05-Jan-2024"], "%d-%b-%Y"),
    (["Dec 31, 2023", "Jan 5, 2024"], "%b %d, %Y"),
])
def test_unreadable_dates_bring_a_proposed_date_format(tmp_path, monkeypatch, cells, proposed):
    message, _ = both(tmp_path, text(cells * 3), monkeypatch)
    assert isinstance(message, str)
    assert "tx.csv" in message and "column 'date'" in message
    assert f"row 2 ({cells[0]!r})" in message
    assert f"date_format: {proposed!r}" in message
    assert "bad_rows" not in message  # most dates fail: not a few typos to leave out


def test_the_proposed_format_reads_the_quoted_values(tmp_path, monkeypatch):
    message, _ = both(tmp_path, text(["2018100100"] * 7), monkeypatch)
    assert "and 2 more" in message  # five quoted
    assert "'2018100100' is 2018-10-01" in message
    outcome, _ = both(tmp_path, text(["2018100100"] * 7), monkeypatch,
                      data={"transactions": {"path": "tx.csv", "date_format": "%Y%m%d%H"}})
    assert read_dates(outcome) == [dt.date(2018, 10, 1)] * 7


def test_no_format_is_proposed_that_misreads_the_dates_already_read(tmp_path, monkeypatch):
    """Half the column in one format and half in another: no single date_format reads it."""
    cells = ["2018100100"] * 6 + ["01.02.2024"] * 4
    message, _ = both(tmp_path, text(cells), monkeypatch)
    assert "date_format: '" not in message
    assert "Most dates in the column cannot be read" in message
    assert "bad_rows" not in message


def test_implausible_readings_are_not_proposed(tmp_path, monkeypatch):
    message, _ = both(tmp_path, text(["01011900", "02011900"]), monkeypatch)
    assert "date_format: '" not in message and "bad_rows" not in message


def test_a_few_bad_dates_may_be_left_out(tmp_path, monkeypatch):
    cells = [f"{d:02d}.01.2024" for d in range(1, 29)] * 2 + ["вчера"]
    message, _ = both(tmp_path, text(cells), monkeypatch)
    assert "row 58 ('вчера')" in message
    assert "Fix these cells in the file, or set intake.bad_rows: drop" in message
    assert "date_format: '" not in message


def test_many_bad_dates_are_not_offered_to_be_left_out(tmp_path, monkeypatch):
    cells = [f"{d:02d}.01.2024" for d in range(1, 8)] + ["вчера", "позавчера", "завтра"]
    message, _ = both(tmp_path, text(cells), monkeypatch)
    assert "Fix these cells in the file." in message and "bad_rows" not in message
