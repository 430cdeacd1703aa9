"""A new task workbook is streamed (openpyxl write-only) and is the same workbook, cell for
cell, as the one built cell by cell (the path kept for a workbook that already exists).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from playbook.exports import lists, streamed, tasks, workbook
from playbook.report.i18n import Lang

START = dt.date(2026, 11, 2)
MANAGERS = ["Иванов Иван", "=Петрова", tasks.UNASSIGNED, "Smith & Sons"]
NAMES = ["=HYPERLINK(\"http://evil.example/\",\"x\")", "+7 call", "-минус", "@SUM(A1)",
         "'кавычка", "\tтаб", "\rвозврат", "\x0b=1+2", "\x0b-5", "#N/A", "ООО «Альфа»",
         "Ж" * 300, None, "", "Бета\x0bГамма", "  пробелы  "]
PHONES = ["+7 (912) 345-67-89", "8 912 345 67 89", "12-34", "=1+2", "-79123456789",
          "\x0b+7 912 345 67 89", None, "+7 912 345 67 89 доб. 1", "79123456789",
          "+1 (555) 010-99-99", "-", "+"]
EMAILS = ["anna@alfa.ru", "not an address", "x@y.ru?subject=1", None, "=a@b.ru",
          "-x@y.ru", "ж@почта.рф", "a@b"]


def _column(values, n, rng):
    return [values[i] for i in rng.integers(0, len(values), n)]


def _lists(lang: Lang, n: int = 60) -> dict[str, pd.DataFrame]:
    """Five lists over four managers, with every awkward value the writer has to handle."""
    rng = np.random.default_rng(3)
    ids = [f"C{i}" for i in range(n)]
    people = pd.DataFrame({
        "customer_id": ids, "manager": _column(MANAGERS, n, rng),
        "customer_name": _column(NAMES, n, rng),
        "contact_person": _column(["Анна", None, "-Пётр", "=A1", "Длинное имя " * 20], n, rng),
        "phone": _column(PHONES, n, rng), "email": _column(EMAILS, n, rng)})
    when = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    context = pd.DataFrame({
        "customer_id": ids, "last_purchase": [d.date() for d in when],
        "revenue_12m": np.where(rng.random(n) < 0.2, np.nan, rng.gamma(2, 1e5, n)),
        "usual_category": _column(["Бумага", None, "=SUM(1)", "Канц\x0bтовары"], n, rng),
        "drop_share": np.where(rng.random(n) < 0.5, np.nan, rng.random(n)),
        "segment": _column(["Чемпионы", "В зоне риска", None], n, rng),
        "rung": _column(["Клиент", "Постоянный"], n, rng),
        "value_band": _column(list("ABC"), n, rng),
        "p_alive": rng.random(n), "share_of_wallet": None})
    stamped = context.assign(last_purchase=when)  # a datetime64 column, kept as datetimes
    made = {}
    for number, key in enumerate(("calls", "retain", "winback", "greetings", "penetration")):
        size = n - 7 * number
        rows = pd.DataFrame({
            "customer_id": ids[:size],
            "reason": _column(["Упал в «Спящие»", "-20% выручки", "=причина", "Текст " * 50,
                               "строка\nвторая", None], size, rng),
            "suggested_action": _column(["Позвонить", "+предложить скидку"], size, rng),
            # some due before the hand-over (moved to it), one missing
            "due_date": [START + dt.timedelta(days=int(d)) for d in rng.integers(-9, 30, size)],
            "value_at_stake": np.round(rng.gamma(2, 1e4, size), 2)})
        rows.loc[rows.index[::9], "value_at_stake"] = [0.1, 0.2, -0.0, 1e9, 0.3, 0.7, 2.5][
            :len(rows.index[::9])]
        rows.loc[rows.index[5], "due_date"] = None
        given = {"greetings": None, "penetration": stamped}.get(key, context)
        made[key] = lists.finish(rows, key, lang, people=people, context=given, start=START)
    return made


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame({"manager": ["Иванов Иван"] * 4 + [tasks.UNASSIGNED],
                         "list": ["calls", "calls", "retain", "winback", "calls"],
                         "status": ["done", "no_answer", "won_back", "todo", "done"]})


def _snapshot(path) -> dict:
    """Everything a manager's Excel shows of the workbook, as openpyxl reads it back."""
    book = openpyxl.load_workbook(path)
    props = book.properties
    shot = {"properties": (props.title, props.identifier, props.keywords, props.subject),
            "active": book.active.title, "sheets": book.sheetnames}
    for sheet in book.worksheets:
        cells = [(c.coordinate, c.value, c.data_type, c.number_format, c.font.b, c.font.sz,
                  c.alignment.wrap_text, c.alignment.vertical, c.quotePrefix,
                  c.hyperlink.target if c.hyperlink else None)
                 for row in sheet.iter_rows() for c in row]
        setup = sheet.page_setup
        shot[sheet.title] = {
            "size": (sheet.max_row, sheet.max_column), "cells": cells,
            "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
            "heights": {r: d.height for r, d in sheet.row_dimensions.items() if d.height},
            "widths": {k: d.width for k, d in sheet.column_dimensions.items()},
            "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref,
            "checks": [(v.type, v.formula1, str(v.sqref), v.prompt, v.allow_blank,
                        v.showDropDown, v.showErrorMessage, v.showInputMessage)
                       for v in sheet.data_validations.dataValidation],
            "print": (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight,
                      sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.print_title_rows,
                      sheet.oddHeader.center.text)}
    return shot


@pytest.mark.parametrize("code", ["ru", "en"])
@pytest.mark.parametrize("with_outcomes", [True, False])
def test_the_streamed_workbook_is_the_one_built_cell_by_cell(tmp_path, monkeypatch, code,
                                                             with_outcomes):
    lang = Lang(code)
    made = _lists(lang)
    outcomes = _outcomes() if with_outcomes else None
    calls, real = [], streamed.new_book

    def spy(*args, **kwargs):
        calls.append(kwargs["manager"])
        return real(*args, **kwargs)

    monkeypatch.setattr(streamed, "new_book", spy)
    fast = workbook.write_task_lists(made, tmp_path / "streamed", lang, start=START,
                                     outcomes=outcomes)
    assert len(calls) == len(fast) == len(MANAGERS)  # every workbook streamed
    monkeypatch.setattr(workbook, "_STREAM_NEW", False)
    slow = workbook.write_task_lists(made, tmp_path / "cells", lang, start=START,
                                     outcomes=outcomes)
    assert len(calls) == len(MANAGERS)  # none of these
    assert [p.name for p in fast] == [p.name for p in slow]
    seen = set()
    for a, b in zip(fast, slow, strict=True):
        one, other = _snapshot(a), _snapshot(b)
        assert one.keys() == other.keys()
        for key in one:
            assert one[key] == other[key], (a.name, key)
        seen.update(_features(one, lang))
    # the lists exercised what the comparison is for
    assert seen >= {"tel", "mailto", "quoted", "typed text", "date", "wrapped",
                    "no completion"}
    assert ("completion" in seen) == with_outcomes  # outcomes of two managers, or none


def _features(shot: dict, lang: Lang) -> set[str]:
    found = set()
    for key, sheet in shot.items():
        if key in ("properties", "active", "sheets"):
            continue
        for _, value, kind, fmt, _, _, wrap, _, quote, link in sheet["cells"]:
            if link:
                found.add(link.split(":")[0])
            if quote:
                found.add("quoted")
            if kind == "s" and isinstance(value, str) and (value.startswith("=")
                                                           or value == "#N/A"):
                found.add("typed text")
            if isinstance(value, dt.datetime) and "YY" in fmt.upper():
                found.add("date")
            if wrap:
                found.add("wrapped")
    summary = shot[shot["sheets"][0]]["cells"]
    none = tasks.plain_text(lang.t("exports.summary.last_period_none"))
    if any(c[1] == none for c in summary):
        found.add("no completion")
    if any(c[3] == "0%" and isinstance(c[1], float) for c in summary):
        found.add("completion")  # a done share
    return found


@pytest.mark.parametrize("values", [
    pd.Series(["=1", "+2", "-3", "@4", "\t5", "\r6", "'7", "\x0b=8", "a\x0bb", "", None, "ж"]),
    pd.Series(["=1", "ok", None, np.nan], dtype=object),
    pd.Series(["=1", "ok", None], dtype="str"),
    pd.Series([1, -2, 3]), pd.Series([1, None, -3], dtype="Int64"),
    pd.Series([1.5, None, "x", dt.date(2026, 1, 2)], dtype=object),
    pd.Series([None, None], dtype=object), pd.Series([np.nan, np.nan]),
    pd.Series(["=a", "b", None, "=a"], dtype="category"),
])
@pytest.mark.parametrize("column", ["customer_name", "phone", "email", "reason"])
def test_text_columns_are_what_cell_value_gives(values, column):
    assert streamed.column_values(column, values) == [workbook.cell_value(column, v)
                                                      for v in values]


@pytest.mark.parametrize(("column", "values"), [
    ("phone", pd.Series(PHONES)), ("phone", pd.Series([79123456789, -7912345678])),
    ("due_date", pd.Series([dt.date(2026, 1, 2), None, dt.date(2025, 3, 4)])),
    ("due_date", pd.Series([dt.datetime(2026, 1, 2, 13), None], dtype=object)),
    ("due_date", pd.Series(pd.to_datetime(["2026-01-02 10:00", None]))),
    ("due_date", pd.Series(["2026-01-02", None])),
    ("value_at_stake", pd.Series([1.5, np.nan, -0.0, 2**60])),
    ("revenue_12m", pd.Series([1, 2**62])), ("p_alive", pd.Series([0.5, None], dtype="Float64")),
    ("drop_share", pd.Series([0.5, None, "0.25"], dtype=object)),
])
def test_dates_numbers_and_phones_are_what_cell_value_gives(column, values):
    got = streamed.column_values(column, values)
    want = [workbook.cell_value(column, v) for v in values]
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


def test_figures_count_what_the_cells_hold():
    values = {"customer_id": ["a", None, "", "b", "c"],
              "value_at_stake": [0.1, 5.0, 7.0, None, 0.2],
              "due_date": [dt.date(2026, 3, 1), dt.date(2020, 1, 1), None, None,
                           dt.datetime(2026, 2, 1, 12)]}
    assert streamed.figures(values) == (3, 0.1 + 0.2, dt.date(2026, 2, 1))
    assert streamed.figures({"task_id": ["x"]}) == (0, 0.0, None)
    # added one at a time in row order, as the cells are read: not numpy's pairwise sum
    stake = [1e16] + [1.0] * 40
    one_at_a_time = 0.0
    for value in stake:
        one_at_a_time += value
    assert one_at_a_time != float(np.array(stake).sum())
    values = {"customer_id": ["a"] * len(stake), "value_at_stake": stake}
    assert streamed.figures(values)[1] == one_at_a_time


def test_the_follow_up_reads_the_same_tasks_from_a_streamed_workbook(tmp_path, monkeypatch):
    from playbook.followup.workbooks import read_returned

    lang = Lang("ru")
    made = _lists(lang, n=40)
    workbook.write_task_lists(made, tmp_path / "streamed", lang, start=START)
    monkeypatch.setattr(workbook, "_STREAM_NEW", False)
    workbook.write_task_lists(made, tmp_path / "cells", lang, start=START)
    fast, fast_report = read_returned([tmp_path / "streamed"], tmp_path / "work")
    slow, slow_report = read_returned([tmp_path / "cells"], tmp_path / "work")
    assert len(fast) == sum(len(t) for t in made.values())  # every task read back
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_report == slow_report
