"""Intake: every supported format, column detection, problem rows and error messages.

Each test writes a tiny file into tmp_path by hand (bytes where the encoding matters),
runs :func:`playbook.intake.run_intake` on it and compares with figures computed by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.errors import DataError
from playbook.intake import IntakeResult, run_intake
from playbook.params import load_params, params_from_dict

TODAY = dt.date(2024, 12, 31)
WORKBOOKS = Path(__file__).resolve().parents[1] / "data" / "workbooks"


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def params_for(tmp_path: Path, transactions, **extra):
    raw = {"client": {"name": "ООО «Тест»"}, "data": {"transactions": transactions}}
    for key, value in extra.items():
        raw[key] = value
    return params_from_dict(raw, base_dir=tmp_path)


def intake(tmp_path: Path, transactions="tx.csv", *, today=TODAY, **extra) -> IntakeResult:
    return run_intake(params_for(tmp_path, transactions, **extra), tmp_path / "out", today=today)


def intake_error(tmp_path: Path, transactions="tx.csv", **extra) -> str:
    with pytest.raises(DataError) as info:
        intake(tmp_path, transactions, **extra)
    message = str(info.value)
    assert "\n" not in message, "an error is one paragraph"
    assert "Traceback" not in message
    return message


def tx_frame(result: IntakeResult) -> pd.DataFrame:
    return pd.read_parquet(result.transactions_path)


def dates(result: IntakeResult) -> list[dt.date]:
    return [pd.Timestamp(d).date() for d in tx_frame(result)["date"]]


def issues(result: IntakeResult) -> dict[str, tuple[int, str]]:
    return {i.kind: (i.rows, i.action) for i in result.issues}


def example_rows(result: IntakeResult, kind: str) -> list[int]:
    """The row numbers an issue quotes: how a consultant finds the rows in the file."""
    return [row for i in result.issues if i.kind == kind for row, _ in i.examples]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SIMPLE_EN = "customer,date,amount\nA,2024-01-01,10.00\nB,2024-01-02,20.50\nA,2024-01-03,5\n"


# ---------------------------------------------------------------------------------------
# CSV dialects and encodings
# ---------------------------------------------------------------------------------------

ONE_C = (
    "Контрагент;Дата;Сумма\r\n"
    '"ООО ""Ромашка""";01.02.2024;"1 234,50"\r\n'
    '"ООО ""Ромашка""";15.02.2024;1\u00a0000,00\r\n'
    "ИП Иванов;03.03.2024;500,25\r\n"
    "ИП Иванов;03.03.2024;2 000\r\n"
    "Петров Пётр;31.03.2024;99,9\r\n"
)
ONE_C_REVENUE = 1234.50 + 1000.00 + 500.25 + 2000 + 99.90


def test_1c_cp1251_semicolon_decimal_comma_and_space_thousands(tmp_path):
    write(tmp_path / "tx.csv", ONE_C, "cp1251")
    result = intake(tmp_path)

    fig = result.figures
    assert fig["transactions"] == {"rows_read": 5, "rows_used": 5}
    assert fig["revenue"] == pytest.approx(ONE_C_REVENUE)
    assert fig["customers"] == 3
    assert fig["period"] == {"start": "2024-02-01", "end": "2024-03-31"}
    assert fig["issues"] == []

    info = result.files[0]
    assert (info.kind, info.encoding, info.delimiter, info.decimal) == ("csv", "cp1251", ";", ",")
    assert info.mapping == {"customer_id": "Контрагент", "date": "Дата", "amount": "Сумма"}

    frame = tx_frame(result)
    assert list(frame["customer_id"]) == ['ООО "Ромашка"', 'ООО "Ромашка"', "ИП Иванов",
                                          "ИП Иванов", "Петров Пётр"]
    assert list(frame["amount"]) == pytest.approx([1234.5, 1000.0, 500.25, 2000.0, 99.9])
    assert dates(result) == [dt.date(2024, 2, 1), dt.date(2024, 2, 15), dt.date(2024, 3, 3),
                             dt.date(2024, 3, 3), dt.date(2024, 3, 31)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_unicode_encodings_read_the_same(tmp_path, encoding):
    write(tmp_path / "tx.csv", ONE_C, encoding)
    result = intake(tmp_path)
    assert result.figures["revenue"] == pytest.approx(ONE_C_REVENUE)
    assert result.files[0].headers == ["Контрагент", "Дата", "Сумма"]  # no BOM in the name
    assert tx_frame(result)["customer_id"].iloc[-1] == "Петров Пётр"


def test_cp1251_detected_even_when_the_only_cyrillic_is_at_the_end(tmp_path):
    write(tmp_path / "tx.csv", "client;date;amount\nA;01.02.2024;10\nЯ;02.02.2024;5\n", "cp1251")
    result = intake(tmp_path)
    assert list(tx_frame(result)["customer_id"]) == ["A", "Я"]


def test_comma_delimited_dot_decimals(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    result = intake(tmp_path)
    assert result.files[0].delimiter == ","
    assert result.files[0].decimal == "."
    assert result.figures["revenue"] == pytest.approx(35.5)
    assert result.figures["customers"] == 2
    assert result.figures["transactions"]["rows_used"] == 3


def test_tab_delimited(tmp_path):
    write(tmp_path / "tx.csv", "Клиент\tДата\tСумма\nА\t01.01.2024\t1 500,75\nБ\t02.01.2024\t10\n")
    result = intake(tmp_path)
    assert result.files[0].delimiter == "\t"
    assert result.figures["revenue"] == pytest.approx(1510.75)


def test_thousands_commas_with_dot_decimals(tmp_path):
    write(tmp_path / "tx.csv",
          'customer,date,amount\nA,2024-01-01,"1,234.50"\nB,2024-01-02,"12,000"\n'
          'C,2024-01-03,"1,000,000.01"\nD,2024-01-04,7.25\n')
    result = intake(tmp_path)
    assert list(tx_frame(result)["amount"]) == pytest.approx([1234.5, 12000, 1000000.01, 7.25])


def test_dot_thousands_with_decimal_comma(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;1.234,50\nБ;02.01.2024;10,5\n")
    result = intake(tmp_path)
    assert list(tx_frame(result)["amount"]) == pytest.approx([1234.5, 10.5])


def test_currency_marks_and_bracketed_negatives(tmp_path):
    write(tmp_path / "tx.csv",
          "Клиент;Дата;Сумма\nА;01.01.2024;1 000,00 руб.\nА;02.01.2024;(200,00)\n"
          "Б;03.01.2024;300,50\n")
    result = intake(tmp_path)
    assert list(tx_frame(result)["amount"]) == pytest.approx([1000.0, -200.0, 300.5])
    assert result.figures["revenue"] == pytest.approx(1100.5)


def test_declared_encoding_delimiter_and_decimal_are_used(tmp_path):
    write(tmp_path / "tx.txt", "Клиент|Дата|Сумма\nА|01.01.2024|1,5\nБ|02.01.2024|2,5\n", "cp1251")
    result = intake(tmp_path, {"path": "tx.txt", "encoding": "cp1251", "delimiter": "|",
                               "decimal": ","})
    assert result.figures["revenue"] == pytest.approx(4.0)


# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------

def test_iso_dates_with_and_without_time(tmp_path):
    write(tmp_path / "tx.csv", "customer,date,amount\nA,2024-01-05,1\nA,2024-01-06T10:30:00,1\n"
                               "B,2024-02-29 23:59,1\n")
    assert dates(intake(tmp_path)) == [dt.date(2024, 1, 5), dt.date(2024, 1, 6),
                                       dt.date(2024, 2, 29)]


def test_excel_serial_dates(tmp_path):
    write(tmp_path / "tx.csv", "customer;date;amount\nA;45292;1\nB;45293;1\nC;45351,5;1\n")
    result = intake(tmp_path)
    assert dates(result) == [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 2, 29)]


def test_day_first_slashes(tmp_path):
    write(tmp_path / "tx.csv", "customer,date,amount\nA,13/01/2024,1\nB,02/03/2024,1\n")
    assert dates(intake(tmp_path)) == [dt.date(2024, 1, 13), dt.date(2024, 3, 2)]


def test_month_first_slashes_detected(tmp_path):
    write(tmp_path / "tx.csv", "customer,date,amount\nA,01/13/2024,1\nB,03/02/2024,1\n")
    assert dates(intake(tmp_path)) == [dt.date(2024, 1, 13), dt.date(2024, 3, 2)]


def test_ambiguous_slashes_default_to_day_first(tmp_path):
    write(tmp_path / "tx.csv", "customer,date,amount\nA,03/02/2024,1\n")
    assert dates(intake(tmp_path)) == [dt.date(2024, 2, 3)]


def test_declared_date_format_wins(tmp_path):
    write(tmp_path / "tx.csv", "customer,date,amount\nA,03/02/2024,1\n")
    result = intake(tmp_path, {"path": "tx.csv", "date_format": "%m/%d/%Y"})
    assert dates(result) == [dt.date(2024, 3, 2)]


def test_compact_yyyymmdd_dates(tmp_path):
    write(tmp_path / "tx.csv", "customer,date,amount\nA,20240105,1\nB,19991231,1\n")
    assert dates(intake(tmp_path)) == [dt.date(2024, 1, 5), dt.date(1999, 12, 31)]


# ---------------------------------------------------------------------------------------
# XLSX and Parquet
# ---------------------------------------------------------------------------------------

def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


XLSX_ROWS = [
    ["Клиент", "Дата", "Сумма"],
    ["А", dt.datetime(2024, 1, 10), 100.5],
    ["Б", dt.datetime(2024, 1, 11), 200],
    ["А", dt.date(2024, 2, 1), 50.25],
]


def test_xlsx_sheet_by_name(tmp_path):
    _workbook(tmp_path / "tx.xlsx", {"Справка": [["отчёт за год"]], "Продажи": XLSX_ROWS})
    result = intake(tmp_path, {"path": "tx.xlsx", "sheet": "Продажи"})
    assert result.files[0].kind == "xlsx"
    assert result.files[0].sheet == "Продажи"
    assert result.figures["revenue"] == pytest.approx(350.75)
    assert result.figures["customers"] == 2
    assert dates(result) == [dt.date(2024, 1, 10), dt.date(2024, 1, 11), dt.date(2024, 2, 1)]


def test_xlsx_sheet_by_index(tmp_path):
    _workbook(tmp_path / "tx.xlsx", {"Справка": [["отчёт за год"]], "Продажи": XLSX_ROWS})
    result = intake(tmp_path, {"path": "tx.xlsx", "sheet": 1})
    assert result.files[0].sheet == "Продажи"
    assert result.figures["revenue"] == pytest.approx(350.75)


def test_xlsx_first_non_empty_sheet(tmp_path):
    rows = [[None, None], *XLSX_ROWS[:-1], ["А", dt.date(2024, 2, 1), 0]]
    _workbook(tmp_path / "tx.xlsx", {"Лист1": [], "Лист2": rows})
    result = intake(tmp_path, "tx.xlsx")
    assert result.files[0].sheet == "Лист2"
    assert result.figures["transactions"]["rows_read"] == 3
    # Row numbers are the sheet's own: the header is on row 2 here.
    assert example_rows(result, "zero_amounts") == [5]


def test_xlsx_excel_serial_numbers_and_text_amounts(tmp_path):
    _workbook(tmp_path / "tx.xlsx", {"Data": [["customer", "date", "amount"],
                                              [1001, 45292, "1 234,50"],
                                              [1002, 45293, "10,00"]]})
    result = intake(tmp_path, "tx.xlsx")
    assert dates(result) == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert list(tx_frame(result)["customer_id"]) == ["1001", "1002"]
    assert result.figures["revenue"] == pytest.approx(1244.5)


def test_xlsx_numeric_cells_mixed_with_decimal_comma_text(tmp_path):
    _workbook(tmp_path / "tx.xlsx", {"Data": [["Клиент", "Дата", "Сумма"],
                                              ["А", "01.01.2024", 100.5],
                                              ["Б", "02.01.2024", "1 234,50"]]})
    result = intake(tmp_path, "tx.xlsx")
    assert list(tx_frame(result)["amount"]) == pytest.approx([100.5, 1234.5])


def test_xlsx_duplicates_and_headerless(tmp_path):
    rows = [["A", dt.datetime(2024, 1, 1), 10], ["A", dt.datetime(2024, 1, 1), 10],
            ["B", dt.datetime(2024, 1, 2), 5]]
    _workbook(tmp_path / "tx.xlsx", {"Data": rows})
    result = intake(tmp_path, {"path": "tx.xlsx", "header": False,
                               "columns": {"customer_id": 1, "date": 2, "amount": 3}},
                    intake={"duplicates": "drop"})
    assert issues(result) == {"duplicates": (1, "dropped")}
    assert example_rows(result, "duplicates") == [2]  # no header: the first row is row 1
    assert list(tx_frame(result)["customer_id"]) == ["A", "B"]
    assert result.figures["revenue"] == 15


def test_headerless_csv_by_column_numbers(tmp_path):
    write(tmp_path / "tx.csv", "К1;01.01.2024;10,5\nК2;02.01.2024;xx\n")
    message = intake_error(tmp_path, {"path": "tx.csv", "header": False,
                                      "columns": {"customer_id": 1, "date": 2, "amount": 3}})
    assert "row 2 ('xx')" in message  # no header: the second line is row 2


def test_xlsx_wrong_sheet_name_lists_the_sheets(tmp_path):
    path = _workbook(tmp_path / "tx.xlsx", {"Справка": [["x"]], "Продажи": XLSX_ROWS})
    message = intake_error(tmp_path, {"path": "tx.xlsx", "sheet": "Sales"})
    assert str(path) in message
    assert "'Sales'" in message
    assert "'Справка'" in message and "'Продажи'" in message
    assert "Fix 'sheet'" in message


def test_xlsx_sheet_index_out_of_range(tmp_path):
    path = _workbook(tmp_path / "tx.xlsx", {"Продажи": XLSX_ROWS})
    message = intake_error(tmp_path, {"path": "tx.xlsx", "sheet": 3})
    assert str(path) in message and "Продажи" in message and "sheet number 3" in message


def test_xlsx_every_sheet_empty(tmp_path):
    path = _workbook(tmp_path / "tx.xlsx", {"Лист1": [], "Лист2": []})
    message = intake_error(tmp_path, "tx.xlsx")
    assert str(path) in message and "empty" in message


def test_xlsx_bad_amount_names_the_sheet_row(tmp_path):
    _workbook(tmp_path / "tx.xlsx", {"Data": [[], ["customer", "date", "amount"],
                                              ["A", dt.datetime(2024, 1, 1), 10],
                                              ["B", dt.datetime(2024, 1, 2), "n/a"]]})
    message = intake_error(tmp_path, "tx.xlsx")
    assert "row 4 ('n/a')" in message


def test_parquet_input(tmp_path):
    table = pa.table({
        "customer_id": pa.array([1, 2, 1], pa.int64()),
        "order_date": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 5), dt.date(2024, 2, 1)],
                               pa.date32()),
        "revenue": pa.array([10.5, 20.0, 30.25], pa.float64()),
    })
    pq.write_table(table, tmp_path / "tx.parquet")
    result = intake(tmp_path, "tx.parquet")
    assert result.files[0].kind == "parquet"
    assert result.files[0].mapping == {"customer_id": "customer_id", "date": "order_date",
                                       "amount": "revenue"}
    assert result.figures["revenue"] == pytest.approx(60.75)
    assert result.figures["customers"] == 2
    assert dates(result) == [dt.date(2024, 1, 1), dt.date(2024, 1, 5), dt.date(2024, 2, 1)]
    assert list(tx_frame(result)["customer_id"]) == ["1", "2", "1"]


def test_parquet_timestamps_and_large_amounts(tmp_path):
    table = pa.table({
        "customer": ["A", "B"],
        "date": pa.array([dt.datetime(2024, 3, 1, 15, 30), dt.datetime(2024, 3, 2)],
                         pa.timestamp("us")),
        "amount": [1234567.5, 0.01],
    })
    pq.write_table(table, tmp_path / "tx.parquet")
    result = intake(tmp_path, "tx.parquet")
    assert dates(result) == [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    assert list(tx_frame(result)["amount"]) == pytest.approx([1234567.5, 0.01])


def test_whitespace_separated_headerless_cdnow(tmp_path):
    write(tmp_path / "CDNOW_sample.txt",
          "00001 19970101 1 11.77\n"
          "00002 19970112 1 12.00\n"
          "00002 19970112 5 77.00\n"
          "00003 19970102 2 20.76\n"
          "00003 19970330 2 20.76\n"
          "00004 19970330 1 0.00\n")
    source = {"path": "CDNOW_sample.txt", "header": False,
              "columns": {"customer_id": 1, "date": 2, "amount": 4}}
    result = intake(tmp_path, source)
    assert result.files[0].delimiter == " "
    fig = result.figures
    assert fig["transactions"] == {"rows_read": 6, "rows_used": 6}
    assert fig["revenue"] == pytest.approx(11.77 + 12 + 77 + 20.76 * 2)
    assert fig["customers"] == 4
    assert fig["period"] == {"start": "1997-01-01", "end": "1997-03-30"}
    frame = tx_frame(result)
    assert list(frame["customer_id"]) == ["00001", "00002", "00002", "00003", "00003", "00004"]
    assert example_rows(result, "zero_amounts") == [6]  # no header: the first line is row 1


def test_whitespace_separated_with_padding_and_header(tmp_path):
    write(tmp_path / "tx.txt", "customer  date      amount\n   7  2024-01-01   5.5\n"
                               "  12  2024-01-02  10\n")
    result = intake(tmp_path, "tx.txt")
    assert list(tx_frame(result)["customer_id"]) == ["7", "12"]
    assert result.figures["revenue"] == pytest.approx(15.5)


# ---------------------------------------------------------------------------------------
# Column detection
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers, expected", [
    (["Покупатель", "Дата продажи", "Выручка"], ["Покупатель", "Дата продажи", "Выручка"]),
    (["Контрагент", "Дата документа", "Сумма с НДС"],
     ["Контрагент", "Дата документа", "Сумма с НДС"]),
    (["Customer ID", "Order Date", "Sales"], ["Customer ID", "Order Date", "Sales"]),
    (["customer_id", "InvoiceDate", "Amount"], ["customer_id", "InvoiceDate", "Amount"]),
    (["КЛИЕНТ", "ДАТА", "СУММА"], ["КЛИЕНТ", "ДАТА", "СУММА"]),
])
def test_auto_detection_from_common_headers(tmp_path, headers, expected):
    write(tmp_path / "tx.csv", ";".join(headers) + "\nА;01.01.2024;10\n")
    result = intake(tmp_path)
    mapping = result.files[0].mapping
    assert [mapping["customer_id"], mapping["date"], mapping["amount"]] == expected


def test_code_and_name_both_present(tmp_path):
    write(tmp_path / "tx.csv", "Документ;Код клиента;Контрагент;Дата;Сумма;Менеджер\n"
                               "Р-1;К001;ООО Альфа;01.01.2024;10;Иванова\n")
    result = intake(tmp_path)
    assert result.files[0].mapping == {
        "customer_id": "Код клиента", "date": "Дата", "amount": "Сумма",
        "order_id": "Документ", "customer_name": "Контрагент", "manager": "Менеджер"}
    frame = tx_frame(result)
    assert frame.loc[0, "customer_id"] == "К001"
    assert frame.loc[0, "customer_name"] == "ООО Альфа"
    assert frame.loc[0, "order_id"] == "Р-1"
    assert frame.loc[0, "manager"] == "Иванова"


def test_cost_gives_margin(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма;Себестоимость\nА;01.01.2024;100;60\n"
                               "А;02.01.2024;50,5;20\n")
    frame = tx_frame(intake(tmp_path))
    assert list(frame["margin"]) == pytest.approx([40.0, 30.5])


def test_margin_missing_is_null(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    result = intake(tmp_path)
    assert tx_frame(result)["margin"].isna().all()
    assert pd.read_parquet(result.summary_path)["total_margin"].isna().all()


def test_ambiguous_column_names_both(tmp_path):
    path = write(tmp_path / "tx.csv", "Клиент;Дата;Сумма;Amount\nА;01.01.2024;10;10\n")
    message = intake_error(tmp_path)
    assert str(path) in message
    assert "could be 'amount': 'Сумма', 'Amount'" in message
    assert "'Клиент', 'Дата', 'Сумма', 'Amount'" in message  # the file's headers
    assert "columns:" in message  # says how to choose


def test_ambiguous_column_resolved_by_parameters(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма;Amount\nА;01.01.2024;10;99\n")
    result = intake(tmp_path, {"path": "tx.csv", "columns": {"amount": "Сумма"}})
    assert result.figures["revenue"] == 10


def test_missing_column_lists_the_headers(tmp_path):
    path = write(tmp_path / "tx.csv", "Клиент;Дата;Количество\nА;01.01.2024;10\n")
    message = intake_error(tmp_path)
    assert str(path) in message
    assert "'amount'" in message
    assert "'Клиент', 'Дата', 'Количество'" in message
    assert "columns:" in message


def test_explicit_mapping_to_absent_header(tmp_path):
    path = write(tmp_path / "tx.csv", SIMPLE_EN)
    message = intake_error(tmp_path, {"path": "tx.csv", "columns": {"amount": "Total"}})
    assert str(path) in message and "'Total'" in message
    assert "'customer', 'date', 'amount'" in message


def test_explicit_mapping_tolerates_case_and_spacing(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма, руб\nА;01.01.2024;10\n")
    result = intake(tmp_path, {"path": "tx.csv", "columns": {"amount": "сумма руб"}})
    assert result.files[0].mapping["amount"] == "Сумма, руб"


def test_explicit_column_number_out_of_range(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    message = intake_error(tmp_path, {"path": "tx.csv", "columns": {"amount": 7}})
    assert "column number 7" in message and "3 columns" in message


# ---------------------------------------------------------------------------------------
# Files that cannot be used: one clear paragraph each
# ---------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    write(tmp_path / "other.csv", SIMPLE_EN)
    message = intake_error(tmp_path, "nope.csv")
    assert str(tmp_path / "nope.csv") in message
    assert "does not exist" in message
    assert "other.csv" in message  # what is there instead
    assert "Check 'path'" in message


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "exports").mkdir()
    message = intake_error(tmp_path, "exports")
    assert "folder" in message


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path / "tx.csv", content)
    message = intake_error(tmp_path)
    assert str(path) in message and "empty" in message and "Export" in message


@pytest.mark.parametrize("content", ["Клиент;Дата;Сумма\n", "Клиент;Дата;Сумма", "a,b,c\r\n"])
def test_header_only(tmp_path, content):
    path = write(tmp_path / "tx.csv", content)
    message = intake_error(tmp_path)
    assert str(path) in message and "no data rows" in message and "Export the data again" in message


def test_header_only_xlsx(tmp_path):
    _workbook(tmp_path / "tx.xlsx", {"Data": [["Клиент", "Дата", "Сумма"]]})
    message = intake_error(tmp_path, "tx.xlsx")
    assert "no data rows" in message


@pytest.mark.parametrize("name, content, phrase", [
    ("tx.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "binary"),
    ("tx.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
     "cannot be opened as a spreadsheet"),
    ("tx.csv", "Уважаемый клиент!\nВыгрузка будет готова завтра.\n".encode(),
     "not look like a table"),
])
def test_binary_or_non_tabular_file(tmp_path, name, content, phrase):
    path = write(tmp_path / name, content)
    message = intake_error(tmp_path, name)
    assert str(path) in message and phrase in message
    assert "CSV" in message or "XLSX" in message or "xlsx" in message


def test_zip_archive(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "tx.zip", "w") as archive:
        archive.writestr("tx.csv", SIMPLE_EN)
    message = intake_error(tmp_path, "tx.zip")
    assert "ZIP" in message and "Unpack" in message


def test_damaged_xlsx(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "tx.xlsx", "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really>")
    message = intake_error(tmp_path, "tx.xlsx")
    assert "Excel" in message and "save it again" in message


def test_not_parquet_but_named_so_is_read_as_csv(tmp_path):
    write(tmp_path / "tx.parquet", SIMPLE_EN)
    assert intake(tmp_path, "tx.parquet").figures["revenue"] == pytest.approx(35.5)


def test_unbalanced_quote_names_the_row(tmp_path):
    path = write(tmp_path / "tx.csv", 'customer,date,amount\nA,2024-01-01,10\n'
                                      'B "x,2024-01-02,5\nC,2024-01-03,1\n')
    message = intake_error(tmp_path)
    assert str(path) in message and "row 3" in message and "unbalanced quote" in message


def test_ragged_rows_are_named_not_called_separator_free(tmp_path):
    path = write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;10;лишнее\n"
                                      "Б;02.01.2024\n")
    message = intake_error(tmp_path)
    assert str(path) in message
    assert "header has 2 ';' separator(s)" in message
    assert "row 2 ('А;01.01.2024;10;лишнее'), row 3 ('Б;02.01.2024')" in message
    assert "set 'delimiter'" in message


def test_line_breaks_inside_quoted_cells(tmp_path):
    write(tmp_path / "tx.csv", 'Клиент;Дата;Сумма;Комментарий\n'
                               'А;01.01.2024;10;"доставка\nдо двери"\nБ;02.01.2024;5;\n'
                               'В;03.01.2024;0;\n')
    result = intake(tmp_path)
    assert result.figures["revenue"] == 15
    assert example_rows(result, "zero_amounts") == [4]  # records, as a spreadsheet shows


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_blank_lines_count_in_row_numbers(tmp_path, newline):
    # DuckDB skips empty lines; the rows quoted must still be the file's own.
    lines = ["Клиент;Дата;Сумма", "А;01.01.2024;10", "", "Б;02.01.2024;0", "", "",
             "В;03.01.2024;-5", "Г;04.01.2024;7", "", ""]
    write(tmp_path / "tx.csv", newline.join(lines))
    result = intake(tmp_path)
    assert example_rows(result, "zero_amounts") == [4]
    assert example_rows(result, "returns") == [7]
    assert result.figures["transactions"]["rows_read"] == 4


def test_an_empty_line_inside_a_quoted_cell_is_not_a_blank_row(tmp_path):
    write(tmp_path / "tx.csv", 'Клиент;Дата;Сумма;Комментарий\nА;01.01.2024;10;"первая\n\nвторая"\n'
                               "Б;02.01.2024;0;\n\nВ;03.01.2024;-5;\n")
    result = intake(tmp_path)
    assert example_rows(result, "zero_amounts") == [3]  # records, as a spreadsheet shows
    assert example_rows(result, "returns") == [5]


def test_trailing_separator_on_every_line(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма;\nА;01.01.2024;10;\nБ;02.01.2024;5;\n")
    assert intake(tmp_path).figures["revenue"] == 15


def test_online_retail_export(tmp_path):
    # The UCI Online Retail layout: no amount (quantity x price), float customer ids with
    # blanks, cancelled invoices as negative quantities, m/d/yyyy dates with times.
    write(tmp_path / "tx.csv",
          "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
          "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,UK\n"
          "536366,22633,HAND WARMER UNION JACK,6,12/13/2010 8:28,1.85,17850.0,UK\n"
          "C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527.0,UK\n"
          '536381,22139,"RETROSPOT TEA SET, CERAMIC 11 PC",12,12/14/2010 9:41,4.25,,UK\n')
    result = intake(tmp_path)
    assert result.files[0].mapping == {
        "customer_id": "CustomerID", "date": "InvoiceDate", "order_id": "InvoiceNo",
        "quantity": "Quantity", "price": "UnitPrice", "product": "Description",
        "amount": "Quantity x UnitPrice"}
    assert issues(result) == {"blank_customer_id": (1, "dropped"), "returns": (1, "netted")}
    assert result.figures["revenue"] == pytest.approx(6 * 2.55 + 6 * 1.85 - 27.5)
    assert dates(result) == [dt.date(2010, 12, 1), dt.date(2010, 12, 13), dt.date(2010, 12, 1)]


def test_product_name_preferred_to_its_code(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Артикул;Номенклатура;Сумма\n"
                               "А;01.01.2024;А-1;Бумага;10\n")
    assert intake(tmp_path).files[0].mapping["product"] == "Номенклатура"


def test_title_period_and_blank_lines_above_the_header_are_skipped(tmp_path):
    write(tmp_path / "tx.csv", "Отчёт о продажах\nПериод: 01.01.2024 - 31.01.2024\n\n"
                               "Клиент;Дата;Сумма\nА;01.01.2024;10\nБ;02.01.2024;0\n", "cp1251")
    result = intake(tmp_path)
    assert result.files[0].lines_above_header == 3
    assert result.files[0].headers == ["Клиент", "Дата", "Сумма"]
    assert result.figures["transactions"]["rows_read"] == 2
    assert result.figures["revenue"] == 10
    assert example_rows(result, "zero_amounts") == [6]  # the file's own line numbers


def test_a_spreadsheet_saved_as_csv_with_its_title_rows(tmp_path):
    # Saved from Excel: the rows above the table are padded with separators.
    write(tmp_path / "tx.csv", "Продажи за январь 2024;;;\nОрганизация:;ООО «Тест»;;\n;;;\n"
                               "Клиент;Дата;Сумма;Менеджер\nА;01.01.2024;10;Иванов\n"
                               "Б;02.01.2024;5;\n")
    result = intake(tmp_path)
    assert result.files[0].lines_above_header == 3
    assert result.files[0].mapping["manager"] == "Менеджер"
    assert result.figures["revenue"] == 15


def test_a_header_with_unnamed_columns_is_still_the_header(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма;;;\nА;01.01.2024;10;x;y;z\n"
                               "Б;02.01.2024;5;x;y;z\n")
    result = intake(tmp_path)
    assert result.files[0].lines_above_header == 0
    assert result.figures["revenue"] == 15


def test_a_title_above_a_headerless_file(tmp_path):
    write(tmp_path / "tx.csv", "Выгрузка продаж\nК1;01.01.2024;10,5\nК2;02.01.2024;2\n")
    result = intake(tmp_path, {"path": "tx.csv", "header": False,
                               "columns": {"customer_id": 1, "date": 2, "amount": 3}})
    assert result.files[0].lines_above_header == 1
    assert result.figures["revenue"] == 12.5


@pytest.mark.parametrize("sep, values, expected", [
    (";", ["10,5", "1.5"], [10.5, 1.5]),                 # tie: the ';' file means comma
    (";", ["1.234,50", "1.234", "0,5"], [1234.5, 1234, 0.5]),
    (";", ["1 234 567,89", "-1\u00a0000", "7"], [1234567.89, -1000, 7]),
    (",", ["1,234.50", "1,234", "0.5"], [1234.5, 1234, 0.5]),
    (",", ["$1,234.50", "(1,000.00)", "3"], [1234.5, -1000, 3]),
])
def test_amount_notations(tmp_path, sep, values, expected):
    rows = [f'K{i}{sep}2024-01-0{i + 1}{sep}"{v}"' for i, v in enumerate(values)]
    write(tmp_path / "tx.csv", f"customer{sep}date{sep}amount\n" + "\n".join(rows) + "\n")
    assert list(tx_frame(intake(tmp_path))["amount"]) == pytest.approx(expected)


def test_stray_decimal_comma_in_a_dot_file_is_reported_not_misread(tmp_path):
    write(tmp_path / "tx.csv", 'customer,date,amount\nA,2024-01-01,10.5\n'
                               'B,2024-01-02,"10,5"\nC,2024-01-03,1.25\n')
    message = intake_error(tmp_path)
    assert "row 3 ('10,5')" in message  # not silently read as 105


@pytest.mark.parametrize("date_format", ["%Q", "dd.mm.yyyy"])
def test_invalid_declared_date_format(tmp_path, date_format):
    path = write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;10\n")
    message = intake_error(tmp_path, {"path": "tx.csv", "date_format": date_format})
    assert str(path) in message and repr(date_format) in message and "'%d.%m.%Y'" in message


@pytest.mark.parametrize("encoding, phrase", [("cp-1251", "unknown encoding"),
                                              ("utf-16", "cannot be decoded as utf-16")])
def test_wrong_declared_encoding(tmp_path, encoding, phrase):
    path = write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;10\n", "cp1251")
    message = intake_error(tmp_path, {"path": "tx.csv", "encoding": encoding})
    assert str(path) in message and phrase in message and "leave it out" in message


def test_rows_blank_everywhere_are_reported_not_a_crash(tmp_path):
    # Found by fuzzing: identical all-blank rows used to crash the duplicate check.
    path = write(tmp_path / "tx.csv", ";;\n;;\n")
    message = intake_error(tmp_path, {"path": "tx.csv", "header": False,
                                      "columns": {"customer_id": 1, "date": 2, "amount": 3}},
                           intake={"bad_rows": "drop"})
    assert str(path) in message and "no usable rows" in message


_CELLS = st.one_of(
    st.sampled_from(["", " ", "Клиент", "Дата", "Сумма", "customer", "date", "amount",
                     "01.02.2024", "2024-01-05", "45292", "1 234,50", "1,234.50", "-5", "abc",
                     '"', '""', "x\ny", "13/01/2024", "00001", "1e400", "Итого"]),
    st.text(alphabet='0123456789.,;-"\t абвАБ/ \r\n\x00\xa0', max_size=8))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_CELLS, min_size=1, max_size=4), max_size=5),
       sep=st.sampled_from([";", ",", "\t", " "]),
       encoding=st.sampled_from(["utf-8", "cp1251", "utf-8-sig", "utf-16"]),
       header=st.booleans(), drop=st.booleans())
def test_any_text_file_gives_figures_or_a_data_error(tmp_path_factory, rows, sep, encoding,
                                                      header, drop):
    folder = tmp_path_factory.mktemp("fuzz")
    text = "\n".join(sep.join(r) for r in rows)
    write(folder / "tx.csv", text.encode(encoding, errors="replace"))
    source = {"path": "tx.csv"} if header else {
        "path": "tx.csv", "header": False, "columns": {"customer_id": 1, "date": 2, "amount": 3}}
    try:
        result = intake(folder, source, intake={"bad_rows": "drop" if drop else "stop"})
    except DataError as exc:
        assert str(folder / "tx.csv") in str(exc) or "tx.csv" in str(exc)
    else:
        assert result.figures["transactions"]["rows_used"] >= 1


def _bad_cells(column: str, n_bad: int) -> str:
    lines = ["Клиент;Дата;Сумма"]
    for i in range(10):
        date, amount = f"{i + 1:02d}.01.2024", f"{i + 1},50"
        if i < n_bad:
            if column == "amount":
                amount = ["abc", "", "12,3,4", "—", "N/A", "x1", "1e", "?"][i]
            else:
                date = ["32.01.2024", "", "вчера", "2024/13/45", "1.1", "00.00.0000",
                        "31.02.2024", "?"][i]
        lines.append(f"К{i};{date};{amount}")
    return "\n".join(lines) + "\n"


def test_unparseable_amounts_stop_with_rows_and_values(tmp_path):
    path = write(tmp_path / "tx.csv", _bad_cells("amount", 7))
    message = intake_error(tmp_path)
    assert str(path) in message
    assert "'Сумма'" in message
    assert "7 row(s)" in message
    assert "row 2 ('abc'), row 3 (''), row 4 ('12,3,4'), row 5 ('—'), row 6 ('N/A') " \
           "and 2 more" in message
    assert "row 7" not in message
    assert "Fix these cells" in message and "intake.bad_rows: drop" in message


def test_unparseable_dates_stop_with_rows_and_values(tmp_path):
    path = write(tmp_path / "tx.csv", _bad_cells("date", 3))
    message = intake_error(tmp_path)
    assert str(path) in message
    assert "'Дата'" in message and "dates" in message
    assert "row 2 ('32.01.2024'), row 3 (''), row 4 ('вчера')" in message
    assert "more" not in message
    assert "%d.%m.%Y" in message  # the formats tried
    assert "Fix these cells" in message


def test_both_columns_bad_are_reported_together(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;xx;1\nБ;01.01.2024;yy\nВ;02.01.2024;3\n")
    message = intake_error(tmp_path)
    assert "row 2 ('xx')" in message and "row 3 ('yy')" in message


def test_bad_rows_drop_counts_them(tmp_path):
    write(tmp_path / "tx.csv", _bad_cells("amount", 7))
    result = intake(tmp_path, intake={"bad_rows": "drop"})
    assert issues(result) == {"bad_amount": (7, "dropped")}
    assert result.figures["transactions"] == {"rows_read": 10, "rows_used": 3}
    assert result.figures["revenue"] == pytest.approx(8.5 + 9.5 + 10.5)
    bad = next(i for i in result.issues if i.kind == "bad_amount")
    assert bad.column == "Сумма" and bad.file == "tx.csv"
    assert bad.examples[:2] == [(2, "abc"), (3, None)]


def test_every_row_bad_and_dropped_is_an_error(tmp_path):
    path = write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;xx;1\nБ;yy;2\n")
    message = intake_error(tmp_path, intake={"bad_rows": "drop"})
    assert str(path) in message and "no usable rows" in message


def test_bad_optional_numbers_are_kept_and_reported(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма;Количество\nА;01.01.2024;10;шт\n"
                               "Б;02.01.2024;5;2\n")
    result = intake(tmp_path)
    assert issues(result) == {"bad_quantity": (1, "kept")}
    assert result.figures["revenue"] == 15


# ---------------------------------------------------------------------------------------
# Documented handling of problem rows (reported, not errors)
# ---------------------------------------------------------------------------------------

def test_returns_are_netted(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;1 000,00\nА;05.01.2024;-250,00\n"
                               "Б;02.01.2024;300\nБ;03.01.2024;-300\n")
    result = intake(tmp_path)
    assert result.figures["revenue"] == pytest.approx(750.0)
    assert result.figures["transactions"]["rows_used"] == 4
    assert result.figures["customers"] == 2
    assert issues(result) == {"returns": (2, "netted")}
    returns = result.issues[0]
    assert returns.amount == pytest.approx(-550.0)


# Who counts as a customer: ids among the rows used, and of them those with a purchase day.
RETURNS_ONLY = ("Клиент;Дата;Сумма\nА;01.01.2024;1 000,00\nА;05.01.2024;-250,00\n"
                "Б;02.01.2024;300\nБ;02.01.2024;-300\nВ;03.01.2024;-80\nГ;04.01.2024;-5\n"
                "Г;05.01.2024;-5\n")


def test_customers_with_only_returns_are_counted_apart(tmp_path):
    """A day netting to zero (Б: a purchase returned the same day) is still a purchase day,
    as in the customer summary; В and Г have only returns."""
    write(tmp_path / "tx.csv", RETURNS_ONLY)
    result = intake(tmp_path)
    assert result.figures["customers"] == 4
    assert result.figures["customers_with_purchase"] == 2
    summary = pd.read_parquet(result.summary_path)
    assert list(summary["customer_id"]) == ["А", "Б"]


@pytest.mark.parametrize("code, only_returns, expected", [
    ("en", 1, "4,338 customers and revenue of £10 (net of returns). 1 more customer appears "
              "only in returns, with no purchase in the period, and is not counted among them."),
    ("en", 34, "4,338 customers and revenue of £10 (net of returns). 34 more customers appear "
               "only in returns"),
    ("ru", 1, "Ещё 1 клиент встречается только в возвратах, без покупок за период, и в это "
              "число не входит."),
    ("ru", 34, "4\u00a0338 клиентов и выручка 10\u00a0£ (за вычетом возвратов). Ещё 34 клиента "
               "встречаются только в возвратах"),
    ("ru", 25, "Ещё 25 клиентов встречаются только в возвратах"),
    ("ru", 21, "Ещё 21 клиент встречается"),
])
def test_the_overview_counts_customers_with_purchases(code, only_returns, expected):
    from playbook.intake.views import overview_sentence
    from playbook.report.i18n import Lang

    figures = {"transactions": {"rows_read": 10, "rows_used": 9}, "revenue": 10.0,
               "customers": 4338 + only_returns, "customers_with_purchase": 4338,
               "period": {"start": "2010-12-01", "end": "2011-12-09"}}
    assert expected in overview_sentence(figures, Lang(code, "GBP"))


@pytest.mark.parametrize("code, extra, expected", [
    ("en", 34, "4,338 (34 more appear only in returns)"),
    ("en", 1, "4,338 (1 more appears only in returns)"),
    ("en", 0, "4,338"),
    ("ru", 34, "4\u00a0338 (ещё 34 — только с возвратами)"),
])
def test_the_executive_summary_counts_customers_with_purchases(code, extra, expected):
    from playbook.report.document import _intake_summary
    from playbook.report.i18n import Lang

    lang = Lang(code, "GBP")
    results = {"intake": {"transactions": {"rows_read": 10, "rows_used": 9}, "revenue": 10.0,
                          "customers": 4338 + extra, "customers_with_purchase": 4338,
                          "period": {"start": "2010-12-01", "end": "2011-12-09"}}}
    figures, _ = _intake_summary(results, lang)
    assert (lang.t("intake.customers"), expected) in figures


def test_exact_duplicates_dropped_and_counted(tmp_path):
    write(tmp_path / "tx.csv", "Документ;Клиент;Дата;Сумма\nР1;А;01.01.2024;100\n"
                               "Р1;А;01.01.2024;100\nР1;А;01.01.2024;100\nР2;А;01.01.2024;100\n"
                               "Р3;Б;02.01.2024;50\n")
    result = intake(tmp_path)
    assert issues(result) == {"duplicates": (2, "dropped")}
    assert result.figures["transactions"] == {"rows_read": 5, "rows_used": 3}
    assert result.figures["revenue"] == 250
    assert example_rows(result, "duplicates") == [3, 4]  # the first copy is kept
    assert list(tx_frame(result)["order_id"]) == ["Р1", "Р2", "Р3"]


def test_duplicates_kept_when_asked(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\nА;01.01.2024;100\n")
    result = intake(tmp_path, intake={"duplicates": "keep"})
    assert result.figures["revenue"] == 200
    assert "duplicates" not in issues(result)


def test_future_dates_dropped_relative_to_today(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\nБ;10.01.2024;20\n"
                               "В;11.01.2024;7\nГ;01.01.2042;5\n")
    result = intake(tmp_path, today=dt.date(2024, 1, 10))
    assert issues(result) == {"future_dates": (2, "dropped")}
    assert result.figures["revenue"] == 120
    assert result.figures["customers"] == 2
    assert result.figures["period"]["end"] == "2024-01-10"
    future = result.issues[0]
    assert future.examples == [(4, "11.01.2024"), (5, "01.01.2042")]
    assert future.amount == 12


def test_max_future_days_allows_a_margin(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\nБ;11.01.2024;20\n")
    result = intake(tmp_path, today=dt.date(2024, 1, 10), intake={"max_future_days": 1})
    assert issues(result) == {}
    assert result.figures["revenue"] == 120


def test_blank_customer_ids_dropped(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\n;02.01.2024;20\n"
                               "   ;03.01.2024;7\n")
    result = intake(tmp_path)
    assert issues(result) == {"blank_customer_id": (2, "dropped")}
    assert result.figures["revenue"] == 100
    assert result.figures["transactions"] == {"rows_read": 3, "rows_used": 1}
    blank = result.issues[0]
    assert [r for r, _ in blank.examples] == [3, 4]
    assert blank.column == "Клиент" and blank.amount == 27


def test_rows_after_as_of_kept_aside(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\nБ;31.01.2024;20\n"
                               "В;01.02.2024;7\nА;15.02.2024;3\n")
    result = intake(tmp_path, as_of="2024-01-31")
    fig = result.figures
    assert fig["as_of"] == "2024-01-31"
    assert fig["revenue"] == 120
    assert fig["customers"] == 2
    assert fig["transactions"] == {"rows_read": 4, "rows_used": 2}
    assert fig["period"] == {"start": "2024-01-01", "end": "2024-01-31"}
    assert issues(result) == {"after_as_of": (2, "kept_aside")}
    # Kept in the normalised table for holdout checks, left out of the summary.
    assert len(tx_frame(result)) == 4
    summary = pd.read_parquet(result.summary_path)
    assert list(summary["customer_id"]) == ["А", "Б"]
    assert list(summary["total_spend"]) == [100, 20]


def test_as_of_defaults_to_the_last_date(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    assert intake(tmp_path).figures["as_of"] == "2024-01-03"


def test_as_of_before_all_data_is_an_error(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    message = intake_error(tmp_path, as_of="2020-01-01")
    assert "as_of" in message and "tx.csv" in message


def test_problem_rows_combined_exact_figures(tmp_path):
    write(tmp_path / "tx.csv",
          "Клиент;Дата;Сумма\n"
          "А;01.01.2024;100\n"      # row 2: used
          "А;01.01.2024;100\n"      # row 3: duplicate, kept: no document number
          ";02.01.2024;50\n"        # row 4: blank id
          "Б;03.01.2024;-30\n"      # row 5: return, netted
          "Б;02.01.2024;80\n"       # row 6: used
          "В;01.06.2030;999\n"      # row 7: future
          "Г;01.03.2024;40\n")      # row 8: after as_of
    result = intake(tmp_path, as_of="2024-02-01", today=dt.date(2024, 6, 30))
    assert result.figures == {
        "transactions": {"rows_read": 7, "rows_used": 4},
        "revenue": 250.0,
        "customers": 2,
        "customers_with_purchase": 2,
        "period": {"start": "2024-01-01", "end": "2024-01-03"},
        "as_of": "2024-02-01",
        "issues": [
            {"kind": "blank_customer_id", "rows": 1, "action": "dropped"},
            {"kind": "duplicates", "rows": 1, "action": "kept"},
            {"kind": "future_dates", "rows": 1, "action": "dropped"},
            {"kind": "after_as_of", "rows": 1, "action": "kept_aside"},
            {"kind": "returns", "rows": 1, "action": "netted"},
        ],
    }


def test_figures_keys_match_the_results_contract(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\nА;02.01.2024;-10\n")
    fig = intake(tmp_path).figures
    assert set(fig) == {"transactions", "revenue", "customers", "customers_with_purchase",
                        "period", "as_of", "issues"}
    assert set(fig["transactions"]) == {"rows_read", "rows_used"}
    assert set(fig["period"]) == {"start", "end"}
    assert all(set(i) == {"kind", "rows", "action"} for i in fig["issues"])
    assert isinstance(fig["revenue"], float)
    assert isinstance(fig["customers"], int)
    assert isinstance(fig["customers_with_purchase"], int)
    json.dumps(fig)  # plain JSON types only


def test_intake_json_and_outputs(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\nА;02.01.2024;-10\n")
    result = intake(tmp_path)
    out = tmp_path / "out"
    saved = json.loads((out / "intake.json").read_text(encoding="utf-8"))
    assert saved["figures"] == result.figures
    assert saved["files"][0]["name"] == "tx.csv"
    assert saved["issues"][0]["kind"] == "returns"
    assert saved["issues"][0]["examples"] == [[3, "-10"]]
    assert list(tx_frame(result).columns) == ["customer_id", "date", "amount", "margin"]
    assert not (out / "_work").exists()
    assert not list(out.glob("*.partial"))
    assert result.customers_path is None


# ---------------------------------------------------------------------------------------
# The customers file
# ---------------------------------------------------------------------------------------

CUSTOMERS_1C = (
    "Код клиента;Наименование;Менеджер;Контактное лицо;Дата рождения;Дата первой сделки;"
    "Телефон;E-mail;Источник\n"
    "К001;ООО Альфа;Иванова;Пётр Петров;15.05.1980;01.02.2019;+7 900 000-00-01;"
    "a@alfa.ru;Рекомендация партнёра\n"
    "К002;ИП Бета;Сидоров;Анна Смирнова;;10.03.2021;;b@beta.ru;Выставка\n"
    "К003;АО Гамма;Иванова;;31.12.1975;;;;\n"
)
TX_WITH_CODES = ("Код клиента;Дата;Сумма\nК001;01.01.2024;100\nК002;02.01.2024;50\n"
                 "К009;03.01.2024;10\nК009;04.01.2024;10\n")


def intake_with_customers(tmp_path: Path, customers: str) -> IntakeResult:
    return intake(tmp_path, "tx.csv", data={"transactions": "tx.csv", "customers": customers})


def test_customers_file_auto_detected_with_referral_from_source(tmp_path):
    write(tmp_path / "tx.csv", TX_WITH_CODES, "cp1251")
    write(tmp_path / "customers.csv", CUSTOMERS_1C, "cp1251")
    result = intake_with_customers(tmp_path, "customers.csv")
    info = result.files[1]
    assert info.mapping == {
        "customer_id": "Код клиента", "name": "Наименование", "manager": "Менеджер",
        "contact_person": "Контактное лицо", "birthday": "Дата рождения",
        "first_deal": "Дата первой сделки", "phone": "Телефон", "email": "E-mail",
        "source": "Источник"}
    customers = pd.read_parquet(result.customers_path)
    assert list(customers["customer_id"]) == ["К001", "К002", "К003"]
    assert list(customers["name"]) == ["ООО Альфа", "ИП Бета", "АО Гамма"]
    assert customers["referral"].iloc[:2].tolist() == [True, False]
    assert pd.isna(customers["referral"].iloc[2])  # no source: unknown, not "no"
    assert pd.Timestamp(customers.loc[0, "birthday"]).date() == dt.date(1980, 5, 15)
    assert pd.isna(customers.loc[1, "birthday"])
    assert pd.Timestamp(customers.loc[1, "first_deal"]).date() == dt.date(2021, 3, 10)
    assert customers.loc[0, "email"] == "a@alfa.ru"
    # Transactions of customers missing from the customers file are kept and reported.
    assert issues(result) == {"unknown_customers": (2, "kept")}
    unknown = next(i for i in result.issues if i.kind == "unknown_customers")
    assert unknown.examples == [(4, "К009"), (5, "К009")]
    assert result.figures["revenue"] == 170


def test_customers_referral_column_wins_over_source(tmp_path):
    write(tmp_path / "tx.csv", "customer id,date,amount\n1,2024-01-01,10\n2,2024-01-02,5\n")
    write(tmp_path / "cust.csv", "Customer ID,Name,Source,Referral\n1,Alpha,fair,yes\n"
                                 "2,Beta,Recommended by Alpha,no\n3,Gamma,,\n")
    result = intake_with_customers(tmp_path, "cust.csv")
    customers = pd.read_parquet(result.customers_path)
    assert customers["referral"].iloc[:2].tolist() == [True, False]
    assert pd.isna(customers["referral"].iloc[2])
    assert "unknown_customers" not in issues(result)


def test_customers_duplicate_and_blank_ids(tmp_path):
    write(tmp_path / "tx.csv", "Код клиента;Дата;Сумма\nК1;01.01.2024;10\n")
    write(tmp_path / "cust.csv", "Код;Наименование\nК1;А\nК1;А-дубль\n;Без кода\nК2;Б\n")
    result = intake_with_customers(tmp_path, "cust.csv")
    assert issues(result) == {"customers_blank_id": (1, "dropped"),
                              "customers_duplicate_id": (1, "dropped")}
    customers = pd.read_parquet(result.customers_path)
    assert customers["name"].tolist() == ["А", "Б"]


def test_customers_file_without_id_column_is_an_error(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    path = write(tmp_path / "cust.csv", "Телефон;Город\n123;Москва\n")
    with pytest.raises(DataError) as info:
        intake_with_customers(tmp_path, "cust.csv")
    assert str(path) in str(info.value) and "'Телефон', 'Город'" in str(info.value)


# ---------------------------------------------------------------------------------------
# Inputs are never modified; load_params end to end
# ---------------------------------------------------------------------------------------

def test_input_files_are_byte_identical_after_intake(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    tx = write(data / "tx.csv", ONE_C.replace("Петров Пётр;31.03.2024;99,9\r\n",
                                              "Петров Пётр;31.03.2024;99,9\r\n" * 2), "cp1251")
    cu = write(data / "cust.csv", CUSTOMERS_1C, "utf-8-sig")
    params_file = tmp_path / "client.yaml"
    params_file.write_text(yaml.safe_dump({
        "client": {"name": "Тест", "language": "ru"},
        "data": {"transactions": "data/tx.csv", "customers": "data/cust.csv"},
        "intake": {"duplicates": "drop"},
    }, allow_unicode=True), encoding="utf-8")
    before = {p: (sha(p), p.stat().st_mtime_ns) for p in (tx, cu, params_file)}
    result = run_intake(load_params(params_file), tmp_path / "out", today=TODAY)
    assert result.figures["revenue"] == pytest.approx(ONE_C_REVENUE)  # the copy is dropped
    assert {p: (sha(p), p.stat().st_mtime_ns) for p in before} == before
    assert sorted(p.name for p in data.iterdir()) == ["cust.csv", "tx.csv"]


def test_quotes_in_folder_and_header_names(tmp_path):
    folder = tmp_path / "O'Brien \"Ltd\""
    folder.mkdir()
    write(folder / "tx.csv", 'customer;date;"Сумма, ""руб"""\nA;01.01.2024;10\n')
    result = run_intake(params_for(folder, {"path": "tx.csv", "columns": {"amount": 3}}),
                        folder / "out", today=TODAY)
    assert result.files[0].mapping["amount"] == 'Сумма, "руб"'
    assert result.figures["revenue"] == 10


def test_rerun_overwrites_outputs(tmp_path):
    write(tmp_path / "tx.csv", SIMPLE_EN)
    intake(tmp_path)
    write(tmp_path / "tx.csv", "customer,date,amount\nA,2024-01-01,1\n")
    result = intake(tmp_path)
    assert result.figures["revenue"] == 1
    assert len(tx_frame(result)) == 1


def test_amount_from_quantity_times_unit_price(tmp_path):
    """An Online Retail-style export: no amount column, returns as negative quantities."""
    write(tmp_path / "tx.csv",
          "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
          "536365,85123A,HEART HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
          "536366,22633,HAND WARMER,6,12/13/2010 8:28,1.85,17850.0,United Kingdom\n"
          "C536379,D,Discount,-1,12/14/2010 9:41,27.5,14527.0,United Kingdom\n"
          "536380,22961,JAM SET,24,12/14/2010 9:41,1.45,14527.0,United Kingdom\n"
          "536381,22139,TEA SET,2,12/14/2010 9:45,4.95,,United Kingdom\n")
    result = intake(tmp_path)
    assert result.figures["revenue"] == pytest.approx(6 * 2.55 + 6 * 1.85 - 27.5 + 24 * 1.45)
    assert result.figures["period"] == {"start": "2010-12-01", "end": "2010-12-14"}
    assert issues(result)["returns"] == (1, "netted")
    assert issues(result)["blank_customer_id"] == (1, "dropped")
    assert result.files[0].mapping["amount"] == "Quantity x UnitPrice"


def test_unreadable_price_names_both_columns(tmp_path):
    write(tmp_path / "tx.csv", "Date,Customer,Qty,Price\n2020-01-01,A,2,abc\n")
    message = intake_error(tmp_path)
    assert "'Qty x Price'" in message and "row 2 ('2 x abc')" in message


def test_repeated_amount_header_is_ambiguous(tmp_path):
    write(tmp_path / "tx.csv", "Дата;Клиент;Сумма;Сумма\n01.01.2020;A;10;20\n")
    message = intake_error(tmp_path)
    assert "2 columns are called 'Сумма'" in message and "'amount' is ambiguous" in message
    assert "columns: {amount: 'Сумма_1'}" in message
    chosen = intake(tmp_path, {"path": "tx.csv", "columns": {"amount": "Сумма_1"}})
    assert chosen.figures["revenue"] == 20


def test_a_repeated_header_named_in_the_parameters_is_ambiguous_too(tmp_path):
    """The parameters say amount: Сумма and the file has two: the first was taken in
    silence. Now the message gives the columns' numbers, which choose either.
    """
    write(tmp_path / "tx.csv", "Дата;Клиент;Сумма;Сумма\n01.01.2020;A;10;20\n")
    message = intake_error(tmp_path, {"path": "tx.csv", "columns": {"amount": "Сумма"}})
    assert "2 columns are called 'Сумма' (columns 3, 4)" in message
    assert "columns: {amount: 3} for the first of them, {amount: 4} for the second" in message
    for number, revenue in ((3, 10), (4, 20)):
        chosen = intake(tmp_path, {"path": "tx.csv", "columns": {"amount": number}})
        assert chosen.figures["revenue"] == revenue


@pytest.mark.parametrize(("header", "policy", "action", "revenue"), [
    ("Клиент;Дата;Сумма", "auto", "kept", 300),             # no document number: kept
    ("Клиент;Дата;Сумма;Документ", "auto", "dropped", 200),  # same document twice: dropped
    ("Клиент;Дата;Сумма", "drop", "dropped", 200),
    ("Клиент;Дата;Сумма;Документ", "keep", None, 300),       # not even looked for
])
def test_duplicate_policy(tmp_path, header, policy, action, revenue):
    doc = ";РН-1" if "Документ" in header else ""
    write(tmp_path / "tx.csv", f"{header}\nА;01.01.2024;100{doc}\nА;01.01.2024;100{doc}\n"
                               f"Б;02.01.2024;100{';РН-2' if doc else ''}\n")
    result = intake(tmp_path, intake={"duplicates": policy})
    assert issues(result).get("duplicates") == ((1, action) if action else None)
    assert result.figures["revenue"] == revenue


def test_survey_responses_are_read_with_their_template(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\n")
    write(tmp_path / "exit.csv", "Код клиента;Что не устроило в товаре или услуге\nА;Дорого\n")
    write(tmp_path / "complaints.csv", "Квартал;Жалоб;Клиентов в базе\n2024-Q1;3;1 200\n")
    raw = {"client": {"name": "Т"}, "data": {"transactions": "tx.csv",
                                             "exit_survey": "exit.csv",
                                             "complaints": "complaints.csv"}}
    result = run_intake(params_from_dict(raw, base_dir=tmp_path), tmp_path / "out", today=TODAY)
    answers = pd.read_parquet(tmp_path / "out" / "survey__exit_survey.parquet")
    assert list(answers.columns) == ["customer_id", "product_issue"]
    assert answers.loc[0, "product_issue"] == "Дорого"
    complaints = pd.read_parquet(tmp_path / "out" / "survey__complaints.parquet")
    assert complaints.to_dict("records") == [{"period": "2024-Q1", "complaints": 3.0,
                                              "customers": 1200.0}]
    assert [f.name for f in result.files] == ["tx.csv", "exit.csv", "complaints.csv"]


def test_survey_answer_off_scale_names_file_column_and_row(tmp_path):
    write(tmp_path / "tx.csv", "Клиент;Дата;Сумма\nА;01.01.2024;100\n")
    write(tmp_path / "s.csv", "Код клиента;Готовность рекомендовать\nА;9\nБ;11\n")
    raw = {"client": {"name": "Т"}, "data": {"transactions": "tx.csv", "survey_annual": "s.csv"}}
    with pytest.raises(DataError) as info:
        run_intake(params_from_dict(raw, base_dir=tmp_path), tmp_path / "out", today=TODAY)
    message = str(info.value)
    assert str(tmp_path / "s.csv") in message and "row 3 ('11')" in message
    assert "0-10" in message


def test_total_lines_of_an_export_are_dropped_and_reported(tmp_path):
    write(tmp_path / "tx.csv", "Дата;Клиент;Сумма\n01.01.2024;А;100\n02.01.2024;Итого;7\n"
                               "Итого;;100\n;Всего по отчёту;100\n", "cp1251")
    result = intake(tmp_path)
    assert issues(result)["totals"] == (2, "dropped")
    # a customer actually named "Итого" with a real date keeps its sale
    assert result.figures["revenue"] == 107 and result.figures["customers"] == 2


def test_unicode_minus_and_dash_read_as_negative(tmp_path):
    write(tmp_path / "tx.csv", "Дата;Клиент;Сумма\n01.01.2024;А;100\n02.01.2024;А;\u22125,5\n"
                               "03.01.2024;А;\u20134,5\n")
    result = intake(tmp_path)
    assert result.figures["revenue"] == pytest.approx(90.0)
    assert issues(result)["returns"] == (2, "netted")


@pytest.mark.parametrize("name, kind", [("sales.xls", "xls"), ("sales.ods", "ods")])
def test_old_excel_and_opendocument_workbooks(tmp_path, name, kind):
    # Written by tests/data/workbooks/make_workbooks.py: a title, a blank row, the table.
    (tmp_path / name).write_bytes((WORKBOOKS / name).read_bytes())
    result = intake(tmp_path, name)
    info = result.files[0]
    assert (info.kind, info.sheet, info.headers) == (kind, "Продажи", ["Дата", "Клиент", "Сумма"])
    assert result.figures["revenue"] == pytest.approx(1200.5 + 99.9 + 300)
    assert result.figures["customers"] == 2
    assert dates(result) == [dt.date(2024, 1, 5), dt.date(2024, 1, 6), dt.date(2024, 1, 9)]
    assert list(tx_frame(result)["customer_id"]) == ["ООО «Вектор»", "ИП Иванов", "ООО «Вектор»"]


def test_more_sheets_with_the_same_table_are_reported(tmp_path):
    header = ["Клиент", "Дата", "Сумма"]
    _workbook(tmp_path / "tx.xlsx", {
        "2023": [header, ["А", dt.datetime(2023, 5, 1), 10]],
        "Сводная": [["Клиент", "Итого"], ["А", 10]],
        "2024": [header, ["А", dt.datetime(2024, 5, 1), 20], ["Б", dt.datetime(2024, 6, 1), 5]],
    })
    result = intake(tmp_path, "tx.xlsx")
    assert result.files[0].sheet == "2023"
    assert result.files[0].unread_sheets == {"2024": 2}
    assert issues(result) == {"other_sheets": (2, "not_read")}
    assert result.issues[0].column == "'2024'"
    assert result.figures["revenue"] == 10
    # Named, a sheet is read alone and nothing is reported.
    assert intake(tmp_path, {"path": "tx.xlsx", "sheet": "2024"}).issues == []


def test_a_word_document_is_not_a_spreadsheet(tmp_path):
    # Word's .doc is an OLE2 container as old Excel files are.
    write(tmp_path / "tx.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    assert "cannot be opened as a spreadsheet" in intake_error(tmp_path, "tx.doc")


def test_xlsx_title_rows_above_the_header_are_skipped(tmp_path):
    rows = [["Отчёт о продажах за январь 2024"], [], ["ООО «Тест»", None, None],
            ["Дата", "Клиент", "Сумма"], [dt.datetime(2024, 1, 5), "А", 10],
            [dt.datetime(2024, 1, 6), "Б", 5.5], [dt.datetime(2024, 1, 7), "В", 0]]
    _workbook(tmp_path / "tx.xlsx", {"Продажи": rows})
    result = intake(tmp_path, "tx.xlsx")
    assert result.figures["revenue"] == 15.5
    assert result.files[0].headers == ["Дата", "Клиент", "Сумма"]
    assert example_rows(result, "zero_amounts") == [7]  # Excel's own row numbers


def test_other_sheets_found_beyond_the_rows_read_to_judge_them(tmp_path):
    # A sheet is judged on its first rows; a long one is still counted whole, and a
    # sheet whose header sits below many blank rows is still recognised.
    header = ["Клиент", "Дата", "Сумма"]
    long = [header] + [["А", dt.datetime(2024, 1, 1) + dt.timedelta(days=i % 300), 1]
                       for i in range(500)]
    late = [[None]] * 150 + [header, ["Б", dt.datetime(2025, 1, 1), 2]]
    _workbook(tmp_path / "tx.xlsx", {"2023": [header, ["А", dt.datetime(2023, 5, 1), 10]],
                                     "2024": long, "2025": late,
                                     "Клиенты": [["Код", "Имя"]] * 300})
    result = intake(tmp_path, "tx.xlsx")
    assert result.files[0].unread_sheets == {"2024": 500, "2025": 1}
