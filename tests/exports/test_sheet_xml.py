"""The list sheets' data rows written as XML a column at a time (:mod:`playbook.exports.
sheet_xml`) are the bytes openpyxl writes cell by cell, and the openpyxl internals that
writer copies or hooks into are the ones it was written against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import io
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_streamed import _lists

from playbook.exports import sheet_xml, streamed, tasks
from playbook.report.i18n import Lang

START = dt.date(2026, 11, 2)
_STAMPS = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")

#: Text that has tripped a spreadsheet writer: XML's specials, spaces around it, control
#: characters, formulas' and errors' look, quote prefixes, links, long text.
AWKWARD = ["", " ", "  ", " x", "x ", " x ", "\u00a0x", "x\u3000", "a\tb", "\nline\n",
           "\r", "=SUM(A1)", "=", "==", "+7 call", "+", "-5", "-", "'q", "@x", "#N/A",
           "#NULL!", "#DIV/0!", "#REF!", "<b>&amp;</b>", "a > b & c < d", 'say "hi"', "it's",
           "]]>", "\x0b=1+2", "x\x00y", "\x1f", "ж" * 40, "Ж" * 33000, "ООО «Альфа»",
           "😀 emoji", "\u200b", "\x85x\x85", "anna@alfa.ru", " anna@alfa.ru ", "a@b",
           "x@y.ru?subject=1", "=a@b.ru", "-x@y.ru", "+7 (912) 345-67-89", "8 912 345 67 89",
           "79123456789", "-79123456789", "12-34", "+1 (555) 010-99-99"]
_TEXT = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=12),
                  st.text(alphabet=" <>&\"'=+-@#\t\n\r\x0b\x00ж😀\u00a0", max_size=8))
_BLANK = st.sampled_from([None, np.nan])
_DAY = st.dates(min_value=dt.date(1899, 12, 1), max_value=dt.date(2200, 1, 1))
_MOMENT = st.datetimes(min_value=dt.datetime(1899, 12, 1), max_value=dt.datetime(2200, 1, 1))
_MONEY = st.one_of(st.floats(), st.integers(-2**70, 2**70),
                   st.sampled_from([0.1 + 0.2, 1e-7, 1e16, 1e17, -0.0, 0.0, 2.0**60, 1e300,
                                    5e-324, 123456789.125, -1.5, 2**53 + 1]))
_SHARE = st.one_of(st.floats(0, 1), st.sampled_from([0.1 + 0.2, -0.0, 1.0, 1e-7]))


def _parts(book) -> dict[str, bytes]:
    """A saved workbook's parts, the times it was written cut from its properties."""
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as saved:
        return {name: _STAMPS.sub(b"", saved.read(name)) for name in saved.namelist()}


def _both(make):
    """``make()``'s workbook parts with the rows written as XML and by openpyxl cell by
    cell (or the error each way raised), and whether the XML writer wrote every sheet.
    """
    calls, real = [], sheet_xml.write_rows

    def spy(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]

    made = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheet_xml, "write_rows", spy)
        for premade in (True, False):
            patch.setattr(streamed, "_PREMADE", premade)
            try:
                made[premade] = _parts(make())
            except Exception as error:  # noqa: BLE001 (the same error both ways)
                made[premade] = (type(error), str(error)[:200])
    return made[True], made[False], calls


@st.composite
def _frames(draw) -> pd.DataFrame:
    """A task list with every column, each of random awkward values."""
    n = draw(st.integers(1, 9))

    def column(values, **kwargs):
        return draw(st.lists(st.one_of(values, _BLANK), min_size=n, max_size=n, **kwargs))

    frame = {c: column(_TEXT) for c in tasks.TASK_COLUMNS}
    frame["customer_id"] = column(st.one_of(_TEXT, st.integers(0, 10**6)))
    for c in ("last_purchase", "given", "due_date", "date_done"):
        frame[c] = column(st.one_of(_DAY, _MOMENT))
    for c in ("revenue_12m", "value_at_stake"):
        frame[c] = column(_MONEY)
    for c in ("drop_share", "p_alive", "share_of_wallet"):
        frame[c] = column(_SHARE)
    tasks_ = pd.DataFrame(frame)
    if draw(st.booleans()):  # a typed date column (its cells: pandas' Timestamps)
        tasks_["last_purchase"] = pd.to_datetime(
            [d if isinstance(d, dt.date) else None for d in frame["last_purchase"]])
    if draw(st.booleans()):
        tasks_["revenue_12m"] = pd.to_numeric(tasks_["revenue_12m"], errors="coerce")
    return tasks_


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lists=st.lists(_frames(), min_size=1, max_size=3), code=st.sampled_from(["ru", "en"]),
       chunk=st.sampled_from([1, 2, 3, sheet_xml.CHUNK_ROWS]))
def test_the_rows_are_the_bytes_openpyxl_writes(lists, code, chunk):
    lang = Lang(code)
    sheets = dict(zip(("calls", "winback", "penetration")[:len(lists)], lists, strict=True))

    def make():
        return streamed.new_book(sheets, lang, manager="m", shown="Менеджер & <Co>",
                                 start=START, completion=None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheet_xml, "CHUNK_ROWS", chunk)  # rows joined a few at a time too
        fast, slow, calls = _both(make)
    assert fast == slow
    assert calls and all(calls)  # every list sheet's rows written as XML


#: Values a prepared column never holds, for the writer's own checks: what it does not make
#: goes to openpyxl cell by cell, the same workbook (or error) as before.
_ODD = st.one_of(
    _TEXT, _BLANK, _MONEY, _DAY, _MOMENT, st.booleans(),
    st.sampled_from([np.float64(1.5), np.int64(3), dt.time(12, 30),
                     dt.datetime(2026, 1, 1, tzinfo=dt.UTC), pd.Timestamp("2026-01-02"),
                     pd.Timestamp("2026-01-02 10:00:00.000001"), pd.NaT, "\ud800", "x\x01"]))


#: A column's values: of one kind (the writer's own), mostly, or anything.
_KINDS = [st.one_of(_TEXT, st.none()), st.one_of(_MONEY, st.none()),
          st.one_of(_DAY, _MOMENT, st.none())] * 3 + [_ODD]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(1, 6))
def test_any_value_is_written_as_openpyxl_writes_it(data, n):
    columns = data.draw(st.lists(st.sampled_from(tasks.TASK_COLUMNS), min_size=1, max_size=6,
                                 unique=True))
    columns = [c for c in tasks.TASK_COLUMNS if c in columns or c == "status"]
    values = {c: data.draw(st.lists(data.draw(st.sampled_from(_KINDS)), min_size=n,
                                    max_size=n)) for c in columns}
    lang = Lang("ru")
    books = []

    def make():
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        books.append(book)
        sheet = sheet_xml.PremadeSheet(parent=book, title="list")
        book._add_sheet(sheet)
        streamed._list_sheet(sheet, values, lang, header="h")
        return book

    fast, slow, _ = _both(make)
    for book in books:  # one openpyxl refused: its sheet's stream closed here, in order
        for sheet in book.worksheets:
            if sheet._rows is not None:
                sheet._rows.close()
            if sheet._writer is not None:
                sheet._writer.close()
    assert fast == slow


def test_the_rows_are_written_as_xml_for_the_demo_like_lists():
    """The lists of test_streamed (every awkward value a run's lists hold): the same bytes,
    none of them left to openpyxl's cells.
    """
    lang = Lang("ru")
    made = _lists(lang)
    for manager in ("Иванов Иван", "=Петрова", tasks.UNASSIGNED, "Smith & Sons"):
        sheets = {k: v[v["manager"] == manager] for k, v in made.items()}
        fast, slow, calls = _both(lambda sheets=sheets, manager=manager: streamed.new_book(
            sheets, lang, manager=manager, shown=manager, start=START, completion=None))
        assert fast == slow
        assert calls and all(calls)
        sheet = fast["xl/worksheets/sheet2.xml"]
        assert b"<hyperlinks>" in sheet and b'xml:space="preserve"' in sheet


#: What the writer copies from openpyxl 3.1.5 (and et_xmlfile 2.0, Python's ElementTree):
#: how a write-only sheet sends its rows, how a cell is written, its style and type taken,
#: its links collected. A change here can change the bytes openpyxl writes: check
#: ``sheet_xml`` against the new code (the property tests above), then update the digest.
PINNED = {
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet._write_rows": "bab6d5c3d13c3acd",
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet.append": "33d1ae5850f767e3",
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet._values_to_row": "1730ae9899d31788",
    "openpyxl.worksheet._writer.WorksheetWriter.__init__": "eb13e00d42ef9993",
    "openpyxl.worksheet._writer.WorksheetWriter.write_row": "1d9ae0194864e690",
    "openpyxl.worksheet._writer.WorksheetWriter.write_hyperlinks": "47ffb8d5363f2d07",
    "openpyxl.cell._writer._set_attributes": "1accea001da0ca29",
    "openpyxl.cell._writer.etree_write_cell": "5f901060aa233306",
    "openpyxl.xml.functions.whitespace": "b12795dcf3b8fcb1",
    "openpyxl.compat.strings.safe_string": "13813ebf87cdf21b",
    "openpyxl.cell.cell.Cell._bind_value": "f6e44c69a209a48f",
    "openpyxl.cell.cell.Cell.check_string": "1a488da508a66bfa",
    "openpyxl.cell.cell.Cell.hyperlink": "f36532ecd9e02ee4",
    "openpyxl.styles.styleable.StyleableObject.style_id": "b55df2adfdf835b3",
    "openpyxl.styles.styleable.StyleableObject.has_style": "f77e4a2fd7610ee3",
    "et_xmlfile.xmlfile._IncrementalFileWriter.write": "8f08f75c3e7a0b58",
    "et_xmlfile.xmlfile._IncrementalFileWriter.element": "fe8d0dd858b04ab3",
    "xml.etree.ElementTree._escape_cdata": "c56eb0a01f385f74",
    "openpyxl.workbook.workbook.Workbook.create_sheet": "acadbc56da92f768",
}


def _named(path: str):
    """The function (a property's getter or setter) at a dotted path."""
    import importlib

    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        break
    if isinstance(found, property):
        found = found.fset if path.endswith(".hyperlink") else found.fget
    return found


@pytest.mark.parametrize("path", sorted(PINNED))
def test_the_openpyxl_code_the_writer_copies_is_unchanged(path):
    source = inspect.getsource(_named(path))
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == PINNED[path], (
        f"{path} changed: check playbook/exports/sheet_xml.py against it")


def test_the_openpyxl_internals_the_writer_uses_are_there():
    from et_xmlfile.xmlfile import _IncrementalFileWriter
    from openpyxl.cell import _writer
    from openpyxl.worksheet import _writer as sheet_writer

    assert openpyxl.LXML is False  # cells written by ElementTree through et_xmlfile
    assert openpyxl.__version__ == sheet_xml.CHECKED_OPENPYXL, (
        "another openpyxl: the writer steps aside; check it against this one, then move "
        "CHECKED_OPENPYXL")
    assert sheet_writer.write_cell is _writer.etree_write_cell
    assert inspect.isgeneratorfunction(sheet_xml.PremadeSheet._write_rows)
    # the sheet's stream: text written as it is by the writer's _file
    sink = []
    stream = _IncrementalFileWriter(sink.append)
    with stream.element("sheetData"):
        stream._file("<row/>")
    assert "".join(sink) == "<sheetData><row/></sheetData>"
    book = openpyxl.Workbook(write_only=True)
    assert book.iso_dates is False and hasattr(book, "_cell_styles")
    sheet = book.create_sheet("s")
    assert type(sheet) is openpyxl.worksheet._write_only.WriteOnlyWorksheet
    sheet.append(["x"])  # the writer made: the sheet's links collected in _hyperlinks
    assert sheet._hyperlinks == []
    sheet.close()
