"""Reading filled-in task workbooks back: what managers do to them, and hostile files."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from fubooks import HANDOVER, SHEET_COLUMNS, task_rows, write_book
from openpyxl import Workbook

from playbook.errors import DataError
from playbook.followup import workbooks as wb
from playbook.followup.contract import list_key, parse_date, parse_status

D = dt.date


# --- the contract's parsers -------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "key"), [
    ("сделано", "done"), ("Сделано ", "done"), ("ВЫПОЛНЕНО", "done"), ("готово", "done"),
    ("да", "done"), ("done", "done"), ("Completed", "done"), ("yes", "done"),
    ("не дозвонились", "no_answer"), ("нет ответа", "no_answer"), ("не отвечает", "no_answer"),
    ("no answer", "no_answer"), ("No reply", "no_answer"),
    ("отказ", "refused"), ("отказался", "refused"), ("declined", "refused"),
    ("refused", "refused"), ("вернули", "won_back"), ("вернулся", "won_back"),
    ("Won back", "won_back"), ("returned", "won_back"), ("сделать", "todo"), ("to do", "todo"),
    (None, "todo"), ("", "todo"), ("  ", "todo"), ("вернулся ", "won_back"),
])
def test_statuses_typed_in_either_language(typed, key):
    assert parse_status(typed) == key


def test_a_status_no_one_can_read_is_not_guessed():
    assert parse_status("перезвонить в пятницу") is None
    assert parse_status("maybe") is None


def test_yo_is_read_as_e():
    from playbook.followup.contract import column_key
    assert column_key("СЧЁТ") is None and column_key("  статус ") == "status"
    assert column_key("Customer ID") == "customer_id" and column_key("customer_id") == \
        "customer_id"


@pytest.mark.parametrize(("typed", "day"), [
    (D(2026, 3, 5), D(2026, 3, 5)), (dt.datetime(2026, 3, 5, 14, 0), D(2026, 3, 5)),
    ("2026-03-05", D(2026, 3, 5)), ("05.03.2026", D(2026, 3, 5)), ("5.3.26", D(2026, 3, 5)),
    ("05/03/2026", D(2026, 3, 5)), ("03/25/2026", D(2026, 3, 25)), (46086, D(2026, 3, 5)),
    ("46086", D(2026, 3, 5)), ("2026-03-05 10:00:00", D(2026, 3, 5)),
    ("вчера", None), ("31.02.2026", None), (5, None), (None, None), ("", None), (True, None),
])
def test_dates_as_stored_or_typed(typed, day):
    assert parse_date(typed) == day


def test_list_names_in_either_language():
    assert list_key("Звонки") == "calls" and list_key("Win back") == "winback"
    assert list_key("Звонки (август)") is None  # renamed: the row's list column says


# --- workbooks as managers leave them -----------------------------------------------------------


def _read(tmp_path, *paths):
    return wb.read_returned(list(paths), tmp_path / "work")


def test_a_workbook_reads_back_as_written(tmp_path):
    rows = task_rows(["К-1", "К-2", "К-3"], statuses=["сделано", "сделать", "отказ"],
                     done=[D(2026, 8, 5), None, None])
    frame, found = _read(tmp_path, write_book(tmp_path / "a.xlsx", {"Звонки": rows}))
    assert frame["customer_id"].tolist() == ["К-1", "К-2", "К-3"]
    assert frame["status"].tolist() == ["done", "todo", "refused"]
    assert frame["list"].unique().tolist() == ["calls"]
    assert frame["manager"].unique().tolist() == ["Иванова Анна"]
    assert (frame["given"] == "2026-08-03").all()
    assert frame["date_done"].iloc[0] == dt.datetime(2026, 8, 5)
    assert found["problems"] == [] and found["files"][0]["sheets"] == {"Звонки": 3}


def test_resorted_rows_extra_and_deleted_columns_and_a_renamed_sheet(tmp_path):
    rows = task_rows(["К-1", "К-2", "К-3"], statuses=["выполнено", None, "нет ответа"])
    rows.reverse()  # re-sorted
    columns = [c for c in SHEET_COLUMNS if c not in ("segment", "customer_name", "given")]
    path = write_book(tmp_path / "b.xlsx", {"Мои звонки": rows}, columns=columns,
                      extra="Заметки")
    frame, found = _read(tmp_path, path)
    by_id = frame.set_index("customer_id")
    assert by_id.loc["К-1", "status"] == "done" and by_id.loc["К-2", "status"] == "todo"
    assert by_id.loc["К-3", "status"] == "no_answer"
    assert (frame["list"] == "calls").all()  # from the list column, not the sheet's name
    assert (frame["given"] == "2026-08-03").all()  # from the workbook's subject
    assert frame["segment"].isna().all()
    assert found["files"][0]["sheets"] == {"Мои звонки": 3}


def test_english_headers_statuses_and_typed_dates(tmp_path):
    rows = task_rows(["C1", "C2", "C3", "C4"], statuses=["Done", "no reply", "won back", ""],
                     list_name="Calls", done=["5.8.26", "2026-08-06", 46240, "someday"],
                     given="03.08.2026")
    frame, found = _read(tmp_path, write_book(tmp_path / "en.xlsx", {"Calls": rows},
                                              lang="en", subject=None))
    assert frame["status"].tolist() == ["done", "no_answer", "won_back", "todo"]
    assert frame["date_done"].dt.date.tolist()[:3] == [D(2026, 8, 5), D(2026, 8, 6),
                                                       D(2026, 8, 6)]
    assert (frame["given"] == "2026-08-03").all()
    assert [p["problem"] for p in found["problems"]] == ["bad_date"]  # counted, row kept
    assert len(frame) == 4


def test_bad_rows_are_counted_not_fatal(tmp_path):
    rows = task_rows(["К-1", None, "К-3"], statuses=["сделано", "сделано", "перезвонить"])
    frame, found = _read(tmp_path, write_book(tmp_path / "c.xlsx", {"Звонки": rows}))
    assert frame["customer_id"].tolist() == ["К-1"]
    assert sorted((p["problem"], p["row"]) for p in found["problems"]) == [
        ("no_customer_id", 3), ("unknown_status", 4)]
    assert all(p["file"] == "c.xlsx" and p["sheet"] == "Звонки" for p in found["problems"])


def test_a_folder_reads_every_workbook_and_skips_lock_files(tmp_path):
    folder = tmp_path / "done"
    write_book(folder / "a.xlsx", {"Звонки": task_rows(["К-1"], statuses=["сделано"])})
    write_book(folder / "b.xlsx", {"Вернуть": task_rows(["К-2"], statuses=["вернули"],
                                                        list_name="Вернуть", key="winback",
                                                        manager="Петров Пётр")},
               title="Петров Пётр")
    (folder / "~$a.xlsx").write_bytes(b"lock")
    (folder / "notes.txt").write_text("x")
    frame, found = _read(tmp_path, folder)
    assert sorted(frame["manager"]) == ["Иванова Анна", "Петров Пётр"]
    assert sorted(frame["list"]) == ["calls", "winback"]
    assert len(found["files"]) == 2


def test_a_sheet_without_a_status_column_is_skipped_when_others_have_one(tmp_path):
    ok = task_rows(["К-1"], statuses=["сделано"])
    path = write_book(tmp_path / "d.xlsx", {"Звонки": ok, "Копия": ok})
    book = __import__("openpyxl").load_workbook(path)
    book["Копия"].delete_cols(SHEET_COLUMNS.index("status") + 1)
    book.save(path)
    frame, found = _read(tmp_path, path)
    assert len(frame) == 1
    assert found["files"][0]["skipped_sheets"] == {"Копия": {"row": 1, "missing": ["status"]}}


# --- files it cannot use ----------------------------------------------------------------------


def test_not_a_workbook(tmp_path):
    path = tmp_path / "tasks.xlsx"
    path.write_text("Код клиента;Статус\nК-1;сделано\n", encoding="utf-8")
    with pytest.raises(DataError, match="tasks.xlsx: is not an Excel workbook") as err:
        _read(tmp_path, path)
    assert "save it as .xlsx" in str(err.value)


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(DataError, match="archive.xlsx"):
        _read(tmp_path, path)


def test_no_customer_id_column(tmp_path):
    columns = [c for c in SHEET_COLUMNS if c != "customer_id"]
    path = write_book(tmp_path / "e.xlsx", {"Звонки": task_rows(["К-1"], statuses=["да"])},
                      columns=columns)
    with pytest.raises(DataError) as err:
        _read(tmp_path, path)
    message = str(err.value)
    assert "e.xlsx" in message and "'Код клиента' / 'Customer ID'" in message
    assert "'Звонки'" in message and "run again" in message


def test_no_status_column_names_the_sheet_and_row(tmp_path):
    columns = [c for c in SHEET_COLUMNS if c != "status"]
    path = write_book(tmp_path / "f.xlsx", {"Звонки": task_rows(["К-1"], statuses=["да"])},
                      columns=columns)
    with pytest.raises(DataError, match=r"f.xlsx.*sheet 'Звонки'.*\(row 1\).*'Статус' / "
                                        r"'Status'"):
        _read(tmp_path, path)


def test_a_huge_sheet_is_refused_before_it_is_read(tmp_path):
    path = write_book(tmp_path / "g.xlsx", {"Звонки": task_rows(["К-1"], statuses=["да"])})
    book = __import__("openpyxl").load_workbook(path)
    book["Звонки"]["ZZ30000"] = "x"  # a stray cell far out: 30,000 x 702 cells
    book.save(path)
    with pytest.raises(DataError, match=r"g.xlsx: sheet 'Звонки' spans 30,000 rows"):
        _read(tmp_path, path)


def test_formulas_are_never_evaluated(tmp_path):
    path = tmp_path / "h.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "Звонки"
    sheet.append(["Код клиента", "Статус", "Дата выполнения"])
    sheet.append(["К-1", '=IF(1=1,"сделано","")', None])  # saved without a result
    sheet.append(['=CONCAT("К-","2")', "сделано", "=TODAY()"])
    sheet.append(["К-3", "сделано", None])
    book.save(path)
    frame, found = _read(tmp_path, path)
    # no result saved: a formula reads as an empty cell, never as its text or its value
    assert frame["customer_id"].tolist() == ["К-1", "К-3"]
    assert frame["status"].tolist() == ["todo", "done"]
    assert [p["problem"] for p in found["problems"]] == ["no_customer_id"]


def test_missing_paths_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        _read(tmp_path, tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no Excel workbook"):
        _read(tmp_path, tmp_path / "empty")


def test_the_summary_sheet_alone_is_not_enough(tmp_path):
    path = write_book(tmp_path / "s.xlsx", {}, summary=True)
    with pytest.raises(DataError, match="no sheet has a header with a customer-id column"):
        _read(tmp_path, path)


def test_handover_date_from_the_row_beats_the_subject(tmp_path):
    rows = task_rows(["К-1"], statuses=["да"], given=HANDOVER + dt.timedelta(days=2))
    frame, _ = _read(tmp_path, write_book(tmp_path / "i.xlsx", {"Звонки": rows}))
    assert frame["given"].iloc[0] == dt.datetime(2026, 8, 5)
