"""Hostile and broken data files (issue 10): each ends in exit code 2 with a message that
names the file, the rows and what to do; never a traceback, a hang or a changed input.

Every file is made here, in tmp_path: decompression bombs are a few kilobytes that claim or
unpack to gigabytes, so nothing big is written or committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

import playbook.intake.decode as decode_module
import playbook.intake.workbooks as workbooks_module
from playbook.errors import DataError
from playbook.intake import run_intake
from playbook.params import params_from_dict

TODAY = dt.date(2024, 12, 31)
PLAYBOOK = Path(sys.executable).parent / "playbook"
HEADER = ["Клиент", "Дата", "Сумма"]
ROWS = [[f"К-{i}", "01.02.2024", 10 + i] for i in range(5)]


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

def intake(folder: Path, transactions="tx.csv", **extra):
    raw = {"client": {"name": "Тест"}, "data": {"transactions": transactions}, **extra}
    return run_intake(params_from_dict(raw, base_dir=folder), folder / "out", today=TODAY)


def intake_error(folder: Path, transactions="tx.csv", **extra) -> str:
    with pytest.raises(DataError) as info:
        intake(folder, transactions, **extra)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def validate_cli(folder: Path, transactions="tx.csv", *, preamble: str = "", **extra) -> str:
    """``playbook validate`` as a consultant runs it: exit code 2, the file named on stderr,
    no traceback anywhere, the input unchanged; returns stderr. With ``preamble`` (Python run
    first, to make the reader misbehave) the command is run as ``python -c``.
    """
    source = folder / (transactions if isinstance(transactions, str) else transactions["path"])
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    params = folder / "params.yaml"
    params.write_text(yaml.safe_dump({"client": {"name": "Тест"},
                                      "data": {"transactions": transactions}, **extra},
                                     allow_unicode=True), encoding="utf-8")
    if preamble:
        command = [sys.executable, "-c", preamble + "\nimport sys\nfrom playbook.cli import main"
                   f"\nsys.exit(main(['validate', {str(params)!r}]))"]
    else:
        command = [str(PLAYBOOK), "validate", str(params)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert source.name in result.stderr
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text and "stack backtrace" not in text and "panicked" not in text
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    return result.stderr


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return "".join(line + "\n" for line in lines).encode(encoding)


def csv_lines(rows=ROWS, header=HEADER) -> list[str]:
    return [";".join(header)] + [";".join(str(v) for v in row) for row in rows]


# A minimal .xlsx and .ods, written by hand: bombs need XML no library writes.

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/'
    'workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Продажи" sheetId="1" r:id="rId1"/></sheets>'
    '</workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
    'sheet1.xml"/></Relationships>')


def column(n: int) -> str:
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_xml(ref: str, value) -> str:
    if isinstance(value, str) and value.startswith("="):
        return f'<c r="{ref}"><f>{value[1:]}</f></c>'
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def rows_xml(rows) -> str:
    return "".join(f'<row r="{r}">' + "".join(cell_xml(f"{column(c)}{r}", v)
                                              for c, v in enumerate(row, 1)) + "</row>"
                   for r, row in enumerate(rows, 1))


def xlsx(path: Path, rows, *, extra: str = "", padding: int = 0) -> Path:
    """A workbook of one sheet of ``rows``; ``extra``: raw XML after them (a far-out cell);
    ``padding``: that many spaces inside the sheet (they pack a thousand times over).
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            sheet.write((rows_xml(rows) + extra).encode())
            for _ in range(padding >> 20):
                sheet.write(b" " * (1 << 20))
            sheet.write(b"</sheetData></worksheet>")
    return path


def ods(path: Path, body: str, *, padding: int = 0) -> Path:
    head = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:'
            'oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:'
            'opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:'
            'text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table '
            'table:name="Продажи">')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
                'oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"),
                         "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        with archive.open("content.xml", "w") as content:
            content.write((head + body).encode())
            for _ in range(padding >> 20):
                content.write(b" " * (1 << 20))
            content.write(b"</table:table></office:spreadsheet></office:body>"
                          b"</office:document-content>")
    return path


def ods_row(cells, repeat: int = 1) -> str:
    def cell(value, times=1):
        again = f' table:number-columns-repeated="{times}"' if times > 1 else ""
        if isinstance(value, str):
            return (f'<table:table-cell office:value-type="string"{again}><text:p>{value}'
                    f'</text:p></table:table-cell>')
        return (f'<table:table-cell office:value-type="float" office:value="{value}"{again}>'
                f'<text:p>{value}</text:p></table:table-cell>')
    again = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return (f"<table:table-row{again}>" + "".join(cell(*c) if isinstance(c, tuple) else cell(c)
                                                   for c in cells) + "</table:table-row>")


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the ZIP's central directory claim that ``member`` unpacks to ``size`` bytes."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack("<H", data[at + 28:at + 30])[0]
        if data[at + 46:at + 46 + length] == member.encode():
            data[at + 24:at + 28] = struct.pack("<I", size)
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------------------------------
# 1. Workbook decompression bombs, and sheets of billions of cells
# ---------------------------------------------------------------------------------------

def test_a_real_workbook_still_reads(tmp_path):
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS])
    result = intake(tmp_path, "tx.xlsx")
    assert result.figures["transactions"]["rows_used"] == 5
    assert result.figures["revenue"] == sum(10 + i for i in range(5))
    assert not list((tmp_path / "out").glob("_work*"))


def test_a_tightly_packed_sheet_is_a_zip_bomb(tmp_path):
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS], padding=40 << 20)  # 40 MB from ~40 KB
    assert (tmp_path / "tx.xlsx").stat().st_size < 200_000
    stderr = validate_cli(tmp_path, "tx.xlsx")
    assert "xl/worksheets/sheet1.xml" in stderr and "zip bomb" in stderr
    assert "save the sheet as CSV" in stderr


def test_a_workbook_declaring_gigabytes_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    path = xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS])
    declare_size(path, "xl/worksheets/sheet1.xml", 3_000_000_000)
    opened = []
    monkeypatch.setattr(workbooks_module, "_load_workbook", lambda *a: opened.append(a))
    message = intake_error(tmp_path, "tx.xlsx")
    assert str(path) in message and "unpacks to 2.8 GB" in message and "zip bomb" in message
    assert not opened


def test_an_ods_bomb_is_refused(tmp_path):
    ods(tmp_path / "tx.ods", ods_row(HEADER) + ods_row(ROWS[0]), padding=30 << 20)
    message = intake_error(tmp_path, "tx.ods")
    assert "content.xml" in message and "zip bomb" in message


def test_one_cell_far_out_does_not_take_the_machine_down(tmp_path):
    # A 2 KB file whose sheet spans A1:XFD1048576: 17 billion cells, 512 GB for the reader,
    # which aborts the process when it cannot have them. It reads in a child process.
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS],
         extra='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    started = time.monotonic()
    stderr = validate_cli(tmp_path, "tx.xlsx")
    assert time.monotonic() - started < 60
    assert "more memory" in stderr and "delete the empty rows and columns" in stderr
    assert "memory allocation" not in stderr


def test_a_sheet_over_the_cell_limit_names_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(workbooks_module, "MAX_SHEET_CELLS", 20)
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS], extra='<row r="9"><c r="H9"><v>1</v></c></row>')
    message = intake_error(tmp_path, "tx.xlsx")
    assert "spans 9 rows and 8 columns (A1:H9, 72 cells)" in message
    assert "save the sheet as CSV" in message


def test_an_ods_cell_repeated_a_billion_times_is_refused(tmp_path):
    body = ods_row(HEADER) + ods_row(["К-1", "01.02.2024", (5, 16384)], repeat=1_000_000)
    ods(tmp_path / "tx.ods", body)
    message = intake_error(tmp_path, "tx.ods")
    assert str(tmp_path / "tx.ods") in message and "save it again as .xlsx or CSV" in message


def test_a_reader_that_hangs_is_stopped(tmp_path, monkeypatch):
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS])
    monkeypatch.setattr(workbooks_module, "WORKBOOK_SECONDS", 1)
    monkeypatch.setattr(workbooks_module, "_load_workbook", lambda *a: time.sleep(60))
    started = time.monotonic()
    message = intake_error(tmp_path, "tx.xlsx")
    assert time.monotonic() - started < 20
    assert "took more than" in message and "save the sheet as CSV" in message


@pytest.mark.parametrize("cells", [
    {"A1": 1, "B2": 2}, {"C5": "a", "E9": 2.5}, {"C1": 1, "C9": 2}, {"A5": 1, "A9": 2}, {},
])
def test_sheet_cells_are_those_of_the_whole_sheet_from_a1(tmp_path, cells):
    openpyxl = pytest.importorskip("openpyxl")
    from python_calamine import CalamineWorkbook

    book = openpyxl.Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    book.save(tmp_path / "shape.xlsx")
    with CalamineWorkbook.from_path(str(tmp_path / "shape.xlsx")) as workbook:
        name = workbook.sheet_names[0]
        expected = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        got = list(workbooks_module._sheet_cells(workbook, tmp_path, name))
        head = list(workbooks_module._sheet_cells(workbook, tmp_path, name, nrows=2))
    blank = [[None if v == "" else v for v in row] for row in expected]
    assert [[None if v == "" else v for v in row] for row in got] == blank
    assert len(head) == min(2, len(expected))


# ---------------------------------------------------------------------------------------
# 2. NUL bytes
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", [1, 3, 50_000])  # the header, the first KB, past a MB
def test_rows_with_nul_bytes_are_named_wherever_they_are(tmp_path, where):
    rows = [[f"К-{i}", "01.02.2024", f"{10 + i},50"] for i in range(60_000)]
    lines = csv_lines(rows)
    lines[where - 1] = lines[where - 1][:4] + "\x00" + lines[where - 1][4:]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(lines))
    message = intake_error(tmp_path)
    assert str(tmp_path / "tx.csv") in message and "1 row(s) hold NUL bytes" in message
    assert f"row {where} (" in message and "export it again" in message


def test_nul_rows_in_a_cp1251_file_on_the_command_line(tmp_path):
    lines = csv_lines()
    lines[2] += "\x00\x00"
    lines[4] = "\x00" + lines[4]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(lines, "cp1251"))
    stderr = validate_cli(tmp_path)
    assert "2 row(s) hold NUL bytes" in stderr and "row 3 (" in stderr and "row 5 (" in stderr


def test_nul_in_a_quoted_cell_over_two_lines_names_the_spreadsheet_row(tmp_path):
    lines = csv_lines() + ['К-9;01.02.2024;"1\n\x002"', "К-10;01.02.2024;3"]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(lines))
    message = intake_error(tmp_path)
    assert "row 7 (" in message and "1 row(s)" in message


@pytest.mark.parametrize("start", [b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n", bytes(range(256)) * 8])
def test_binary_files_are_still_binary(tmp_path, start):
    (tmp_path / "tx.csv").write_bytes(start + b"\x00\x01\x02\x03" * 100)
    assert "binary file" in intake_error(tmp_path)


# ---------------------------------------------------------------------------------------
# 3. UTF-16 without a byte-order mark
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("declared", [None, "utf-16", "UTF16"])
def test_utf16_without_a_bom_is_read(tmp_path, order, declared):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(), order))
    source = {"path": "tx.csv", **({"encoding": declared} if declared else {})}
    result = intake(tmp_path, source)
    assert result.files[0].encoding == order
    assert result.files[0].mapping == {"customer_id": "Клиент", "date": "Дата",
                                       "amount": "Сумма"}
    assert result.figures["revenue"] == sum(10 + i for i in range(5))


def test_a_declared_byte_order_is_honoured(tmp_path):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(), "utf-16-be"))
    result = intake(tmp_path, {"path": "tx.csv", "encoding": "utf-16-be"})
    assert result.figures["customers"] == 5


def test_utf16_of_cyrillic_only_cells_is_still_detected(tmp_path):
    rows = [["Ягодкин Пётр Иванович", "01.02.2024", "10"]] * 3
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(rows), "utf-16-le"))
    assert intake(tmp_path).files[0].encoding == "utf-16-le"


# ---------------------------------------------------------------------------------------
# 4. Two encodings in one file
# ---------------------------------------------------------------------------------------

def mixed(rows_utf8: int, cp1251_rows: list[int], first_utf8: bool = True) -> bytes:
    """UTF-8 rows with the rows numbered ``cp1251_rows`` (spreadsheet rows, header = 1) in
    cp1251; with ``first_utf8`` False, the other way round.
    """
    lines = csv_lines([[f"Ёлкин {i}", "01.02.2024", f"{i},5"] for i in range(rows_utf8)])
    main, other = ("utf-8", "cp1251") if first_utf8 else ("cp1251", "utf-8")
    return b"".join((line + "\n").encode(other if n in cp1251_rows else main)
                    for n, line in enumerate(lines, 1))


@pytest.mark.parametrize("rows", [[3, 7], [40_002, 40_003]])  # in the first MB, and past it
def test_cp1251_rows_in_a_utf8_file_are_named(tmp_path, rows):
    (tmp_path / "tx.csv").write_bytes(mixed(40_005, rows))
    message = intake_error(tmp_path)
    assert "mixes two encodings" in message and "most of its rows are UTF-8" in message
    assert f"row {rows[0]} ('Ёлкин" in message and f"row {rows[1]} (" in message
    assert "2 row(s)" in message and "save the file as UTF-8" in message


def test_utf8_rows_in_a_cp1251_file_are_named(tmp_path):
    (tmp_path / "tx.csv").write_bytes(mixed(50, [40], first_utf8=False))
    stderr = validate_cli(tmp_path)
    assert "most of its rows are in cp1251, but 1 row(s) are UTF-8" in stderr
    assert "row 40 ('Ёлкин 38" in stderr


def test_utf8_rows_in_a_big_cp1251_file_are_found_by_the_parallel_decoder(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(decode_module, "PARALLEL_TRANSCODE_BYTES", 1)
    monkeypatch.setattr(decode_module, "usable_cpus", lambda: 2)
    (tmp_path / "tx.csv").write_bytes(mixed(5_000, [4_000], first_utf8=False))
    assert "row 4000 ('Ёлкин" in intake_error(tmp_path)


def test_a_big_cp1251_file_is_decoded_in_parallel(tmp_path, monkeypatch):
    # The parallel decoder had gone untested (and broken); a clean file reads as it did.
    monkeypatch.setattr(decode_module, "PARALLEL_TRANSCODE_BYTES", 1)
    monkeypatch.setattr(decode_module, "usable_cpus", lambda: 3)
    (tmp_path / "tx.csv").write_bytes(mixed(2_000, [], first_utf8=False))
    result = intake(tmp_path)
    assert result.files[0].encoding == "cp1251"
    frame = pd.read_parquet(result.transactions_path)
    assert frame["customer_id"].tolist() == [f"Ёлкин {i}" for i in range(2_000)]


def test_a_declared_encoding_is_honoured_for_a_mixed_file(tmp_path):
    (tmp_path / "tx.csv").write_bytes(mixed(20, [5], first_utf8=False))  # row 5 is UTF-8
    result = intake(tmp_path, {"path": "tx.csv", "encoding": "cp1251"})
    assert result.files[0].encoding == "cp1251"  # as asked: the consultant's call
    names = pd.read_parquet(result.transactions_path)["customer_id"].tolist()
    assert names[3] == "Ёлкин 3".encode().decode("cp1251") and names[4] == "Ёлкин 4"


def test_declared_utf8_with_other_rows_names_them_and_does_not_switch(tmp_path):
    (tmp_path / "tx.csv").write_bytes(mixed(20, [5, 9]))
    message = intake_error(tmp_path, {"path": "tx.csv", "encoding": "utf-8"})
    assert "2 row(s) are not UTF-8" in message and "encoding: utf-8" in message
    assert "row 5 ('Ёлкин 3" in message


def test_a_utf8_bom_file_with_cp1251_rows_names_them(tmp_path):
    (tmp_path / "tx.csv").write_bytes(b"\xef\xbb\xbf" + mixed(20, [6]))
    message = intake_error(tmp_path)
    assert "1 row(s) are not UTF-8 text, though it starts with a UTF-8 byte-order mark" in message
    assert "row 6 ('Ёлкин 4" in message and "'encoding'" not in message


def test_ascii_then_cp1251_is_still_cp1251(tmp_path):
    lines = csv_lines([[f"K-{i}", "01.02.2024", "10"] for i in range(60_000)],
                      ["client", "date", "amount"])
    data = csv_bytes(lines) + "Ягодкин;01.02.2024;5\n".encode("cp1251")
    (tmp_path / "tx.csv").write_bytes(data)
    result = intake(tmp_path)
    assert result.files[0].encoding == "cp1251"
    assert "Ягодкин" in set(pd.read_parquet(result.transactions_path)["customer_id"])


# ---------------------------------------------------------------------------------------
# 5. Amounts too large to be amounts
# ---------------------------------------------------------------------------------------

HUGE = ["1e30", "9" * 40, "1e400", "NaN"]


def test_huge_amounts_are_named_not_summed(tmp_path):
    rows = ROWS + [[f"X-{i}", "01.02.2024", v] for i, v in enumerate(HUGE)]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(rows)))
    stderr = validate_cli(tmp_path)
    assert "4 row(s) whose amounts (numbers below 10^15) cannot be read" in stderr
    assert "row 7 ('1e30')" in stderr and f"row 8 ('{'9' * 40}')" in stderr


def test_huge_amounts_follow_the_bad_rows_policy(tmp_path):
    rows = ROWS + [[f"X-{i}", "01.02.2024", v] for i, v in enumerate(HUGE)]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(rows)))
    result = intake(tmp_path, intake={"bad_rows": "drop"})
    assert {i.kind: i.rows for i in result.issues}["bad_amount"] == 4
    assert result.figures["revenue"] == sum(10 + i for i in range(5))


def test_huge_amounts_in_a_workbook_and_as_quantity_times_price(tmp_path):
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS, ["X", "01.02.2024", 1e30]])
    assert "row 7 ('1000000000000000019884624838656')" in intake_error(tmp_path, "tx.xlsx")
    lines = csv_lines([["A", "01.02.2024", "1e14", "1e14"], ["B", "01.02.2024", "2", "3"]],
                      ["Клиент", "Дата", "Количество", "Цена"])
    (tmp_path / "tx.csv").write_bytes(csv_bytes(lines))
    message = intake_error(tmp_path)
    assert "row 2 ('1e14 x 1e14')" in message


# ---------------------------------------------------------------------------------------
# 6. Formulas without saved results
# ---------------------------------------------------------------------------------------

def test_formulas_never_calculated_ask_for_excel_not_for_dropping_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Клиент", "Дата", "Количество", "Сумма"])
    for i in range(7):
        book.active.append([f"К-{i}", "01.02.2024", 5, f"=C{i + 2}*2"])
    book.save(tmp_path / "tx.xlsx")
    stderr = validate_cli(tmp_path, "tx.xlsx")
    assert "7 cell(s) with a formula whose result was never saved" in stderr
    assert "row 2 ('Сумма: =C2*2')" in stderr and "and 2 more" in stderr
    assert "Open it in Excel or LibreOffice and save it" in stderr
    assert "bad_rows" not in stderr


def test_formulas_with_saved_results_and_blank_cells_are_fine(tmp_path):
    # A formula with its saved result, as Excel writes it, in a table with blank cells.
    rows = rows_xml([[*HEADER, "Примечание"], *ROWS, ["К-9", "01.02.2024", 3]])
    saved = '<c r="C2"><f>5*2</f><v>10</v></c>'
    xlsx(tmp_path / "tx.xlsx", [], extra=rows.replace('<c r="C2"><v>10</v></c>', saved))
    assert intake(tmp_path, "tx.xlsx").figures["revenue"] == sum(10 + i for i in range(5)) + 3


def test_a_formula_whose_saved_result_is_empty_text_is_fine(tmp_path):
    # Excel saves =IF(...;"";...) as t="str" with an empty value: a result, not a missing one.
    rows = rows_xml([[*HEADER, "Метка"], *[[*row, "x"] for row in ROWS]])
    empty = '<c r="D3" t="str"><f>IF(C3&gt;0,"","x")</f><v></v></c>'
    xlsx(tmp_path / "tx.xlsx", [], extra=rows.replace(
        '<c r="D3" t="inlineStr"><is><t>x</t></is></c>', empty))
    assert intake(tmp_path, "tx.xlsx").figures["customers"] == 5


def test_formulas_above_the_table_are_not_its_business(tmp_path):
    title = '<row r="1"><c r="A1"><f>TODAY()</f></c></row>'
    body = rows_xml([[], HEADER, *ROWS, ["К-9", "01.02.2024"]])[len('<row r="1"></row>'):]
    xlsx(tmp_path / "tx.xlsx", [], extra=title + body)
    message = intake_error(tmp_path, "tx.xlsx")  # the blank amount, not the title's formula
    assert "row 8 ('')" in message and "with a formula" not in message


# ---------------------------------------------------------------------------------------
# 7. Returns only
# ---------------------------------------------------------------------------------------

RETURNS = [[f"К-{i}", "01.02.2024", f"-{10 + i},50"] for i in range(6)]


def test_a_file_of_returns_only_says_so(tmp_path):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(RETURNS)))
    stderr = validate_cli(tmp_path)
    assert "every amount in column 'Сумма' is negative or zero" in stderr
    assert "row 2 ('-10,50')" in stderr and "and 1 more" in stderr
    assert "name it in the parameters" in stderr


def test_returns_only_with_the_amount_column_named_gives_no_advice_to_name_it(tmp_path):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(RETURNS)))
    source = {"path": "tx.csv", "columns": {"customer_id": "Клиент", "date": "Дата",
                                            "amount": "Сумма"}}
    message = intake_error(tmp_path, source, intake={"bad_rows": "drop"})
    assert "The parameters map amount to 'Сумма'" in message
    assert "name it in the parameters" not in message and "bad_rows" not in message


def test_returns_only_before_as_of_points_at_as_of(tmp_path):
    rows = RETURNS + [["К-1", "01.03.2024", "100"]]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(rows)))
    message = intake_error(tmp_path, as_of="2024-02-15")
    assert "dated after as_of (2024-02-15)" in message
    assert "name it in the parameters" not in message


def test_some_returns_are_still_netted(tmp_path):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(csv_lines(RETURNS + [["К-1", "01.02.2024",
                                                                       "100"]])))
    assert {i.kind for i in intake(tmp_path).issues} >= {"returns"}


# ---------------------------------------------------------------------------------------
# 8. A native reader's panic
# ---------------------------------------------------------------------------------------

PANIC = """
import python_calamine

class PanicException(BaseException):  # as pyo3 raises it: not an Exception
    pass

def panic(*args, **kwargs):
    raise PanicException("called `Option::unwrap()` on a `None` value")

python_calamine.CalamineWorkbook.from_path = panic
"""


def test_a_reader_panic_is_a_clean_message_on_the_command_line(tmp_path):
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS])
    stderr = validate_cli(tmp_path, "tx.xlsx", preamble=PANIC)
    assert "the spreadsheet reader failed on this file (PanicException: called" in stderr


@pytest.mark.parametrize("fork", [True, False])
def test_a_reader_panic_is_a_data_error(tmp_path, monkeypatch, fork):
    from python_calamine import CalamineWorkbook

    class PanicException(BaseException):
        pass

    def panic(*args, **kwargs):
        raise PanicException("index out of bounds")

    monkeypatch.setattr(workbooks_module, "_FORK", fork)
    monkeypatch.setattr(CalamineWorkbook, "from_path", panic)
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS])
    message = intake_error(tmp_path, "tx.xlsx")
    assert str(tmp_path / "tx.xlsx") in message and "PanicException: index out of bounds" in message


def test_an_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    from python_calamine import CalamineWorkbook

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workbooks_module, "_FORK", False)
    monkeypatch.setattr(CalamineWorkbook, "from_path", interrupt)
    xlsx(tmp_path / "tx.xlsx", [HEADER, *ROWS])
    with pytest.raises(KeyboardInterrupt):
        intake(tmp_path, "tx.xlsx")


# ---------------------------------------------------------------------------------------
# A delimiter inside a cell that is not in quotes
# ---------------------------------------------------------------------------------------

def test_a_delimiter_inside_an_unquoted_cell_is_named_as_the_cause(tmp_path):
    """1C writes a name with a ';' in it without quotes: the row's cells move one column
    right, so its amount is a date or a name. The message says why before what to fix, and
    only of the rows quoted that are longer than the header.
    """
    lines = ["Клиент;Название;Дата;Сумма", "К-1;ООО Альфа;01.02.2024;10",
             "К-2;ООО Бета; филиал;01.02.2024;11", '"К-4";"ООО Дельта; склад";01.02.2024;13',
             "К-5;ООО Эпсилон;01.02.2024;x"]
    lines += [f"К-{i};ООО Номер {i};01.02.2024;{i}" for i in range(6, 40)]
    (tmp_path / "tx.csv").write_bytes(csv_bytes(lines))
    stderr = validate_cli(tmp_path, {"path": "tx.csv", "columns": {
        "customer_id": "Клиент", "customer_name": "Название", "date": "Дата",
        "amount": "Сумма"}})
    assert "row 3 ('01.02.2024')" in stderr and "row 5 ('x')" in stderr
    assert "Row 3 has more cells than the header's 4: a ';' inside a cell that is not in " \
           "quotes" in stderr  # not row 4, whose ';' is quoted, nor row 5, a bad amount
    assert "Rows" not in stderr


def test_a_bad_amount_alone_says_nothing_of_cells_moved_or_of_dates(tmp_path):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(["Клиент;Дата;Сумма", "К-1;01.02.2024;10",
                                                 "К-2;01.02.2024;abc"]))
    stderr = validate_cli(tmp_path)
    assert "row 3 ('abc')" in stderr
    assert "more cells" not in stderr and "Date formats tried" not in stderr


def test_unreadable_dates_still_say_which_formats_were_tried(tmp_path):
    (tmp_path / "tx.csv").write_bytes(csv_bytes(["Клиент;Дата;Сумма", "К-1;01.02.2024;10",
                                                 "К-2;31.02.2024;11"]))
    assert "Date formats tried: date: %d.%m.%Y." in validate_cli(tmp_path)


def test_a_header_without_rows_counts_the_columns_it_does_not_list(tmp_path):
    header = ";".join(f"Колонка {i}" for i in range(1, 12))
    (tmp_path / "tx.csv").write_bytes(csv_bytes([header]))
    message = intake_error(tmp_path)
    assert "Колонка 8, … (11 in all)) but no data rows" in message
