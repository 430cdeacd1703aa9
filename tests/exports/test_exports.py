"""Managers' task lists: content, files, and the spreadsheet formula guard."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pandas as pd
import pytest

from playbook.exports import tasks as exports
from playbook.report.i18n import Lang

LANG = Lang("ru")


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+7 (912) 000-00-00", "'+7 (912) 000-00-00"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("ООО «Альфа»", "ООО «Альфа»"),
    (-5, -5),
    (None, None),
])
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def _tasks(names):
    return pd.DataFrame({
        "manager": ["Иванов И. И.", exports.UNASSIGNED][: len(names)],
        "customer_id": [f"K{i}" for i in range(len(names))],
        "customer_name": names,
        "contact": ["=cmd|' /C calc'!A0", "+7 912"][: len(names)],
        "reason": ["r", "r"][: len(names)],
        "suggested_action": ["a", "a"][: len(names)],
        "due_date": [dt.date(2026, 11, 7)] * len(names),
    })


def test_task_lists_are_written_per_manager_and_neutralised(tmp_path):
    lists = {"calls": _tasks(["=1+1", "@evil"]), "greetings": _tasks(["ok"]),
             "penetration": _tasks(["x", "y"])}
    files = exports.write_task_lists(lists, tmp_path, LANG)
    names = sorted(p.name for p in files)
    ivanov = exports.manager_stem("Иванов И. И.")  # dots and spaces: the readable part + hash
    assert ivanov.startswith("Иванов_И_И-")
    assert "unassigned.xlsx" in names and f"{ivanov}.xlsx" in names
    assert f"{ivanov}__calls.csv" in names
    raw = (tmp_path / f"{ivanov}__calls.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Менеджер", "Код клиента", "Клиент", "Контакт", "Причина",
                       "Что сделать", "Срок"]
    assert rows[1][2] == "'=1+1" and rows[1][3].startswith("'=cmd")
    assert rows[1][6] == "2026-11-07"
    book = openpyxl.load_workbook(tmp_path / "unassigned.xlsx")
    assert book.sheetnames == ["Звонки", "Поздравления", "Вопрос о доле закупок"]
    sheet = book["Звонки"]
    assert sheet["C2"].value == "'@evil" and sheet["C2"].data_type == "s"
    assert sheet["A2"].value == "Без менеджера"
    assert book.properties.title == "Без менеджера"
    book = openpyxl.load_workbook(tmp_path / f"{ivanov}.xlsx")
    assert book.properties.title == "Иванов И. И."
    assert book["Звонки"].oddHeader.center.text == "Иванов И. И.: Звонки"
    assert not list(tmp_path.glob("*.partial"))


def test_greetings_within_the_window_and_leap_days():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "birthday": pd.to_datetime(["1980-11-10", "1976-02-29", "1990-06-01", None]),
        "first_deal": pd.to_datetime(["2020-11-20", "2026-11-05", "2019-01-15", "2024-11-01"]),
    })
    who = exports.people(customers, pd.DataFrame({"customer_id": [], "date": []}),
                         customers["customer_id"])
    start = dt.date(2026, 11, 1)
    tasks = exports.greetings_list(customers, who, LANG, start=start, days=30)
    got = sorted(zip(tasks["customer_id"], tasks["due_date"], strict=True))
    # a: birthday 10 Nov and 6th anniversary 20 Nov; d: 2nd anniversary on 1 Nov;
    # b's first deal is this year (no anniversary yet); c is outside the window
    assert got == [("a", dt.date(2026, 11, 10)), ("a", dt.date(2026, 11, 20)),
                   ("d", dt.date(2026, 11, 1))]
    assert exports._next_occurrence(dt.date(1976, 2, 29), dt.date(2027, 1, 1)) == \
        dt.date(2027, 2, 28)


def test_people_fall_back_to_transactions_for_manager_and_name():
    transactions = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01"]),
        "manager": ["Old", "New", None],
        "customer_name": ["Alpha", "Alpha", "Beta"],
    })
    who = exports.people(None, transactions, pd.Series(["a", "b"])).set_index("customer_id")
    assert who.loc["a", "manager"] == "New" and who.loc["b", "manager"] == exports.UNASSIGNED
    assert who.loc["b", "customer_name"] == "Beta" and who.loc["a", "contact"] == ""


def test_a_blank_manager_is_no_manager():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "manager": ["  ", "Петров П."]})
    who = exports.people(customers, pd.DataFrame({"customer_id": [], "date": []}),
                         customers["customer_id"]).set_index("customer_id")
    assert who.loc["a", "manager"] == exports.UNASSIGNED
    assert who.loc["b", "manager"] == "Петров П."
