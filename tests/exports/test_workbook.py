"""The task workbooks round trip: written, opened with openpyxl as a manager's Excel would,
and read as the format of docs/workbooks.md says, in both languages.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from playbook.exports import lists, tasks, workbook
from playbook.report.i18n import Lang

START = dt.date(2026, 11, 2)
EVIL = "=HYPERLINK(\"http://evil.example/\",\"click\")"


def _lists(lang: Lang) -> dict[str, pd.DataFrame]:
    people = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "manager": ["Иванов Иван", "Иванов Иван", "Иванов Иван", tasks.UNASSIGNED],
        "customer_name": [EVIL, "ООО «Альфа»", "@SUM(A1)", "Beta"],
        "contact_person": ["Анна", None, "-Пётр", None],
        "phone": ["+7 (912) 345-67-89", "12-34", "=1+2", None],
        "email": ["anna@alfa.ru", "not an address", "x@y.ru?subject=1", None],
    })
    context = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "last_purchase": [dt.date(2026, 8, 1)] * 4,
        "revenue_12m": [1000.0, 2000.0, 0.0, 10.0],
        "usual_category": ["Бумага", None, None, None],
        "drop_share": [0.5, None, None, None],
        "segment": ["Чемпионы"] * 4, "rung": ["Клиент"] * 4, "value_band": list("ABCA"),
        "p_alive": [0.9, 0.2, None, None], "share_of_wallet": [None] * 4,
    })
    rows = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"], "reason": ["r1", "r2", "r3", "r4"],
        "suggested_action": ["a"] * 4,
        # one due date before the hand-over: moved to the hand-over
        "due_date": [dt.date(2026, 11, 9), dt.date(2026, 10, 1), dt.date(2026, 11, 9),
                     dt.date(2026, 11, 9)],
        "value_at_stake": [10.0, 300.0, 20.0, 5.0]})
    calls = lists.finish(rows, "calls", lang, people=people, context=context, start=START)
    retain = lists.finish(rows.iloc[:1], "retain", lang, people=people, context=None,
                          start=START)
    return {"calls": calls, "retain": retain}


@pytest.fixture(params=["ru", "en"])
def written(request, tmp_path):
    lang = Lang(request.param)
    made = _lists(lang)
    workbook.write_task_lists({"calls": made["calls"]}, tmp_path, lang, start=START)
    files = workbook.write_task_lists({"retain": made["retain"]}, tmp_path, lang, start=START)
    stem = tasks.manager_stem("Иванов Иван", lang)
    return lang, tmp_path, files, openpyxl.load_workbook(tmp_path / f"{stem}.xlsx")


def _rows(sheet) -> list[dict]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_files_properties_and_sheets(written):
    lang, folder, files, book = written
    unassigned = "Без_менеджера" if lang.code == "ru" else "unassigned"
    assert [p.name for p in files] == ["Иванов_Иван.xlsx"]  # the retain list: one manager's
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["Иванов_Иван.xlsx", f"{unassigned}.xlsx"])
    assert not list(folder.glob("*.csv")) and not list(folder.glob("*.partial"))
    props = book.properties
    assert props.title == "Иванов Иван" and props.keywords == "playbook-tasks v1"
    assert props.subject == "2026-11-02"
    assert props.identifier == f"sha256:{tasks.digest('Иванов Иван')}"
    summary = "Сводка" if lang.code == "ru" else "Summary"
    assert book.sheetnames == [summary, tasks.list_name("calls", lang),
                               tasks.list_name("retain", lang)]
    assert book.active.title == summary


def test_dates_are_real_and_never_before_the_hand_over(written):
    lang, _, _, book = written
    for row in _rows(book[tasks.list_name("calls", lang)]):
        given, due = row[tasks.label("given", lang)], row[tasks.label("due_date", lang)]
        assert isinstance(given.value, dt.datetime) and given.value.date() == START
        assert isinstance(due.value, dt.datetime) and due.value.date() >= START
        assert due.is_date and "YY" in due.number_format.upper()
        assert row[tasks.label("last_purchase", lang)].is_date


def test_rows_are_sorted_by_value_at_stake(written):
    lang, _, _, book = written
    rows = _rows(book[tasks.list_name("calls", lang)])
    values = [r[tasks.label("value_at_stake", lang)].value for r in rows]
    assert values == sorted(values, reverse=True) == [300.0, 20.0, 10.0]
    ids = [r[tasks.label("task_id", lang)].value for r in rows]
    assert ids == ["calls-C2", "calls-C3", "calls-C1"]


def test_links_only_on_valid_contacts_and_text_stays_text(written):
    lang, _, _, book = written
    rows = {r[tasks.label("customer_id", lang)].value: r
            for r in _rows(book[tasks.list_name("calls", lang)])}
    phone, email = tasks.label("phone", lang), tasks.label("email", lang)
    assert rows["C1"][phone].value == "+7 (912) 345-67-89"  # as typed, no apostrophe
    assert rows["C1"][phone].hyperlink.target == "tel:+79123456789"
    assert rows["C1"][phone].quotePrefix  # stays text when edited
    assert rows["C1"][email].hyperlink.target == "mailto:anna@alfa.ru"
    for cid in ("C2", "C3"):
        assert rows[cid][phone].hyperlink is None and rows[cid][email].hyperlink is None
    name = tasks.label("customer_name", lang)
    assert rows["C1"][name].value == "'" + EVIL and rows["C1"][name].data_type == "s"
    assert rows["C3"][name].value == "'@SUM(A1)" and rows["C3"][phone].value == "'=1+2"
    assert rows["C3"][tasks.label("contact_person", lang)].value == "'-Пётр"
    for row in rows.values():
        for cell in row.values():
            assert cell.data_type != "f"  # no formula anywhere


def test_manager_columns_status_drop_down_and_layout(written):
    lang, _, _, book = written
    sheet = book[tasks.list_name("calls", lang)]
    header = [c.value for c in sheet[1]]
    for key in ("task_id", "customer_id", "status", "date_done", "comment"):
        assert tasks.label(key, lang) in header
    assert header[-3:] == [tasks.label(k, lang) for k in ("status", "date_done", "comment")]
    assert tasks.label("share_of_wallet", lang) not in header  # no data: left out
    column = openpyxl.utils.get_column_letter(header.index(tasks.label("status", lang)) + 1)
    statuses = [tasks.status_name(k, lang) for k in tasks.STATUSES]
    assert {r[tasks.label("status", lang)].value for r in _rows(sheet)} == {statuses[0]}
    [check] = sheet.data_validations.dataValidation
    assert check.type == "list" and check.formula1 == '"' + ",".join(statuses) + '"'
    assert f"{column}2" in check.sqref and f"{column}4" in check.sqref
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}4"
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and setup.fitToWidth == 1 and setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    comment = openpyxl.utils.get_column_letter(header.index(tasks.label("comment", lang)) + 1)
    assert sheet.column_dimensions[comment].width >= 30  # room to type, though empty
    share = tasks.label("p_alive", lang)
    assert _rows(sheet)[0][share].number_format == "0%"


def test_the_summary_counts_every_list_of_the_workbook(written):
    lang, _, _, book = written
    summary = book.worksheets[0]
    values = [row for row in summary.iter_rows(values_only=True)]
    assert "Иванов Иван" in values[0][0]
    by_list = {r[0]: r[1:4] for r in values if r and r[0] in (
        tasks.list_name("calls", lang), tasks.list_name("retain", lang))}
    assert by_list[tasks.list_name("calls", lang)][:2] == (3, 330.0)
    assert by_list[tasks.list_name("retain", lang)][:2] == (1, 10.0)
    total = [r for r in values if r and r[0] == ("Итого" if lang.code == "ru" else "Total")][0]
    assert total[1:3] == (4, 340.0)
    # the reader skips a sheet whose header row names no customer id (either language)
    ids = {tasks.label("customer_id", Lang(code)) for code in ("ru", "en")}
    assert not ids & set(values[0])
    none = "Заполненных книг" if lang.code == "ru" else "No filled-in workbooks"
    assert any(r[0] and str(r[0]).startswith(none) for r in values)


def test_last_period_completion_from_outcomes(tmp_path):
    outcomes = pd.DataFrame({"manager": ["Иванов Иван"] * 4 + ["Other"],
                             "list": ["calls", "calls", "calls", "retain", "calls"],
                             "status": ["done", "no_answer", "won_back", "todo", "done"]})
    got = workbook.last_period_completion(outcomes, "Иванов Иван")
    assert list(got["list"]) == ["calls", "retain"]
    calls = got.iloc[0]
    assert (calls["given"], calls["done"], calls["won_back"], calls["no_answer"]) == (3, 1, 1, 1)
    assert calls["done_share"] == pytest.approx(2 / 3)
    assert workbook.last_period_completion(None, "Иванов Иван") is None
    assert workbook.last_period_completion(outcomes, "Nobody") is None
    lang = Lang("en")
    workbook.write_task_lists({"calls": _lists(lang)["calls"]}, tmp_path, lang, start=START,
                              outcomes=outcomes)
    summary = openpyxl.load_workbook(tmp_path / "Иванов_Иван.xlsx")["Summary"]
    rows = [r for r in summary.iter_rows(values_only=True)]
    at = [r[0] for r in rows].index("Last period's completion")
    assert rows[at + 1][:3] == ("List", "Tasks", "to do")
    assert rows[at + 2][:2] == ("Calls", 3) and rows[at + 3][:2] == ("Retain", 1)
    # the next notebook adds its list without outcomes: last period's completion stays
    workbook.write_task_lists({"retain": _lists(lang)["retain"]}, tmp_path, lang, start=START)
    summary = openpyxl.load_workbook(tmp_path / "Иванов_Иван.xlsx")["Summary"]
    again = [r for r in summary.iter_rows(values_only=True)]
    assert again[-3:] == rows[-3:]
