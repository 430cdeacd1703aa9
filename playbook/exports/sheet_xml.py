"""A list sheet's data rows written as XML a column at a time, byte for byte as openpyxl's
write-only sheet writes them cell by cell.

openpyxl makes a cell object for every cell and writes it through ElementTree, about 10 µs a
cell: a large client's managers' workbooks (5M cells) took a minute of CPU. Here each
column's distinct cells are written once, as openpyxl writes a cell (``_set_attributes`` and
``etree_write_cell`` of :mod:`openpyxl.cell._writer`: ``<c r= s= t=>``, the same escaping,
``xml:space``, number and date text), and the rows are joined from them. openpyxl still
writes everything else (the workbook, styles, the header row, each sheet's settings, the
links and their relationships); :class:`PremadeSheet` only lets it take rows already written.
``tests/exports/test_sheet_xml.py`` compares the bytes with openpyxl's own and pins the
openpyxl internals this relies on.
"""

from __future__ import annotations

import datetime as dt
from math import isfinite
from typing import NamedTuple

import numpy as np
from openpyxl import LXML
from openpyxl import __version__ as _OPENPYXL
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink

__all__ = ["PremadeSheet", "Column", "write_rows"]

#: Rows joined into one piece of XML at a time (a few MB of text).
CHUNK_ROWS = 20_000
#: The openpyxl this writer is checked against byte for byte (tests/exports/test_sheet_xml.py
#: pins the internals it copies); under any other, rows are written by openpyxl itself.
CHECKED_OPENPYXL = "3.1.5"
#: The longest text a cell keeps (openpyxl's ``Cell.check_string`` cuts the rest).
_MAX_TEXT = 32767


class _Written(NamedTuple):
    """Rows already written as XML, sent through the sheet's row writer (a tuple, as
    openpyxl's ``append`` takes).
    """

    xml: str
    rows: int


class PremadeSheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet that also takes rows already written as XML
    (:meth:`append_xml`); everything else as openpyxl writes it.
    """

    def append_xml(self, xml: str, rows: int) -> None:
        """Add ``rows`` rows given as their XML (``<row>`` elements numbered on from the rows
        before), written into the sheet's data as they are.
        """
        self.append(_Written(xml, rows))

    def _write_rows(self):
        """The generator openpyxl sends each appended row to (``WriteOnlyWorksheet.
        _write_rows``), taking :class:`_Written` rows too: their text goes straight to the
        sheet's stream, numbered rows counted on.
        """
        try:
            stream = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        with stream.element("sheetData"):
            number = 1
            try:
                while True:
                    row = yield
                    if isinstance(row, _Written):
                        stream._file(row.xml)  # noqa: SLF001 (et_xmlfile's text sink)
                        number += row.rows
                    else:
                        cells = self._values_to_row(row, number)
                        self._writer.write_row(stream, cells, number)
                        number += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)


class Column(NamedTuple):
    """A column's cells: row ``i`` holds the cell ``codes[i]`` of the distinct cells
    ``values``, ``styles`` (an openpyxl style array or None) and ``links`` (a hyperlink
    target or None); ``-1``: no cell. A text value is written as text (data type ``s``, as
    the list sheets keep a formula's look text).
    """

    codes: np.ndarray
    values: list
    styles: list
    links: list


class _Cells(NamedTuple):
    """A column's distinct cells as written: each one's style (an index into the sheet's
    styles, ``-1`` none) and its XML after the coordinate's closing quote and the style
    attribute.
    """

    codes: np.ndarray
    styles: np.ndarray
    tails: list[str]


#: An empty cell after its style (written only when it has one).
_EMPTY = ' t="n" />'


def write_rows(sheet: PremadeSheet, columns: list[Column], *, first: int = 2) -> bool:
    """Write the rows of these columns (the first numbered ``first``) to ``sheet`` as
    openpyxl writes them cell by cell, with their styles and links. Gives False, writing
    nothing, when a cell holds what this writer does not make (a boolean, a time zone, a
    character openpyxl refuses...): the caller then appends them to openpyxl cell by cell.
    """
    book = sheet.parent
    if (LXML or _OPENPYXL != CHECKED_OPENPYXL or book.iso_dates
            or any(r >= first for r in sheet.row_dimensions)):
        return False  # openpyxl would write these cells otherwise (lxml's serialiser...)
    known: dict[tuple, int] = {}  # a distinct style: its index in ``kinds``
    kinds: list = []
    made = []
    for column in columns:
        cells = _cells(sheet, column, known, kinds)
        if cells is None:
            return False
        made.append(cells)
    ids = _style_ids(book, made, kinds)
    # a cell's text from its coordinate's closing quote to its value: the style, if any
    styled = np.array([f'" s="{i}"' for i in ids] + ['"', ""], dtype=object)
    unstyled, absent = len(ids), len(ids) + 1
    rows = len(columns[0].codes) if columns else 0
    numbers = np.array([str(r) for r in range(first, first + rows)], dtype=object)
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    pieces = []
    for letter, cells in zip(letters, made, strict=True):
        here = cells.codes >= 0
        # each distinct cell's style, then no cell's (code -1)
        style = np.append(np.where(cells.styles >= 0, cells.styles, unstyled), absent)
        opening = np.full(rows, f'<c r="{letter}', dtype=object)
        opening[~here] = ""
        number = numbers.copy()
        number[~here] = ""
        tails = np.array(cells.tails + [""], dtype=object)  # the last: no cell (code -1)
        pieces.append((opening, number, styled[style[cells.codes]], tails[cells.codes]))
    for start in range(0, rows, CHUNK_ROWS):
        end = min(start + CHUNK_ROWS, rows)
        table = np.empty((end - start, 4 * len(columns) + 4), dtype=object)
        table[:, 0] = '<row r="'
        table[:, 1] = numbers[start:end]
        table[:, 2] = '">'
        for j, parts in enumerate(pieces):
            for k, part in enumerate(parts):
                table[:, 3 + 4 * j + k] = part[start:end]
        table[:, -1] = "</row>"
        sheet.append_xml("".join(table.ravel().tolist()), end - start)
    sheet._hyperlinks.extend(_links(columns, letters, first))  # noqa: SLF001
    return True


def _cells(sheet, column: Column, known: dict, kinds: list) -> _Cells | None:
    """A column's distinct cells written (None when one is not what this writer makes)."""
    values, styles = column.values, list(column.styles)
    types = set(map(type, values))
    if types <= {str, type(None)}:
        if ILLEGAL_CHARACTERS_RE.search("".join(v for v in values if v is not None)):
            return None  # openpyxl refuses the text (IllegalCharacterError)
        tails = [_EMPTY if v is None else _text(v) for v in values]
    elif types <= {float, int, type(None)}:  # not bool: a boolean cell is another type
        # safe_string: "%.16g" (16 significant digits), and no text for NaN and infinity
        tails = [_EMPTY if v is None else f' t="n"><v>{v:.16g}</v></c>' if isfinite(v)
                 else ' t="n"><v /></c>' for v in values]
    else:
        tails = []
        dates: dict[tuple, tuple | None] = {}
        for i, value in enumerate(values):
            if value is None:
                tails.append(_EMPTY)
            elif isinstance(value, dt.date):  # a datetime too (not a time of day)
                key = (type(value), value)
                if key not in dates:
                    dates[key] = _date(sheet, value, styles[i])
                if dates[key] is None:
                    return None
                tail, styles[i] = dates[key]
                tails.append(tail)
            else:
                return None  # a mix of types, or one this writer does not make
    given = {id(style): style for style in styles}  # the style arrays given, once each
    seen = {key: _kind(style, known, kinds) for key, style in given.items()}
    index = np.array([seen[id(style)] for style in styles], dtype=np.int64)
    codes = np.asarray(column.codes, dtype=np.int64)
    blank = np.array([v is None for v in values] + [False], dtype=bool)  # the last: code -1
    blank[:-1] &= index < 0
    if blank.any():  # openpyxl leaves out an empty cell without a style
        codes = np.where(blank[codes], -1, codes)
    return _Cells(codes, index, tails)


def _kind(style, known: dict, kinds: list) -> int:
    """A style's index among the sheet's styles (added when new); -1 for no style."""
    if style is None or not any(style):
        return -1
    at = known.setdefault(tuple(style), len(known))
    if at == len(kinds):
        kinds.append(style)
    return at


def _text(value: str) -> str:
    """A text cell after its coordinate and style, as openpyxl writes it (inline string,
    ElementTree's escaping, ``xml:space`` when the text has spaces around it).
    """
    value = value[:_MAX_TEXT]
    if not value:
        return ' t="inlineStr" />'
    shown = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f' t="inlineStr"><is><t{space}>{shown}</t></is></c>'


def _date(sheet, value: dt.date, style) -> tuple[str, object] | None:
    """A date cell after its coordinate and style, as openpyxl writes it (the days since the
    workbook's epoch), and the style a cell of it has (a cell given a date takes a date
    format when its own is not one): None for a date with a time zone.
    """
    if getattr(value, "tzinfo", None) is not None:
        return None
    cell = Cell(sheet, row=1, column=1, value=value, style_array=style)
    days = to_excel(value, sheet.parent.epoch)
    tail = ' t="n" />' if days is None else f' t="n"><v>{safe_string(days)}</v></c>'
    return tail, cell._style  # noqa: SLF001


def _style_ids(book, made: list[_Cells], kinds: list) -> list[int]:
    """The workbook's ids of the sheet's styles, given in the order openpyxl meets them
    writing the rows cell by cell (row by row, left to right): a style new to the workbook
    takes the next id.
    """
    first: dict[int, tuple[int, int]] = {}  # style: its first cell's (row, column)
    for j, cells in enumerate(made):
        used = np.append(cells.styles, -1)[cells.codes]  # code -1: no cell, no style
        kinds_here, rows = np.unique(used, return_index=True)
        for kind, row in zip(kinds_here.tolist(), rows.tolist(), strict=True):
            if kind >= 0 and (kind not in first or (row, j) < first[kind]):
                first[kind] = (row, j)
    ids = [0] * len(kinds)
    for kind in sorted(first, key=first.get):
        ids[kind] = book._cell_styles.add(kinds[kind])  # noqa: SLF001
    return ids


def _links(columns: list[Column], letters: list[str], first: int) -> list[Hyperlink]:
    """The sheet's links in the order openpyxl collects them writing the cells (row by row,
    left to right), each as a cell given it makes it.
    """
    found = []
    for j, column in enumerate(columns):
        at = [i for i, link in enumerate(column.links) if link]
        if not at:
            continue
        codes = np.asarray(column.codes)
        rows = np.flatnonzero(np.isin(codes, at))
        found.extend((int(r), j, column.links[codes[r]]) for r in rows)
    found.sort(key=lambda link: link[:2])
    return [Hyperlink(ref=f"{letters[j]}{r + first}", target=target)
            for r, j, target in found]
