"""A manager's new task workbook, streamed: openpyxl's write-only mode, each row written as
it is made, the cells' values prepared a column at a time, the list sheets' data rows
written as XML a column at a time by :mod:`playbook.exports.sheet_xml` (the bytes openpyxl
writes for the cells :func:`_column_cells` makes, which stay for what that writer does not
make).

It is the workbook :mod:`playbook.exports.workbook` builds cell by cell, the same in every
cell (value, type, number format, font, alignment, quote prefix, link) and setting (widths,
the status drop-down, frozen header, filter, print setup, the summary). That path stays for
a workbook that already exists (a notebook opened by hand adds its sheets to it); a run
writes every manager's workbook once, new (:func:`playbook.exports.books.write_recorded`),
so this way. The summary's figures are counted from the task lists, as
:func:`playbook.exports.workbook._sheet_figures` reads them from a sheet's cells.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from playbook.exports.tasks import (
    _FORMULA_START,
    email_link,
    label,
    list_name,
    phone_link,
    plain_text,
)
from playbook.exports.workbook import (
    _DATES,
    _MONEY,
    _SHARES,
    DATE_FORMATS,
    HOW_ROW,
    MONEY_FORMAT,
    SHARE_FORMAT,
    WRAPPED,
    book_properties,
    cell_value,
    column_width,
    list_titles,
    print_setup,
    sheet_columns,
    sheet_rank,
    status_check,
    summary_layout,
    summary_rows,
)
from playbook.report.i18n import Lang

__all__ = ["new_book", "column_values", "figures"]

#: Text starting with these gets Excel's quote prefix (:func:`~workbook.format_cell`).
_QUOTED = ("'", "+", "-")
#: A list sheet's data rows are written as XML a column at a time (off only where the tests
#: compare them with openpyxl's cells).
_PREMADE = True


def new_book(sheets: dict[str, pd.DataFrame], lang: Lang, *, manager: str, shown: str,
             start: dt.date, completion: pd.DataFrame | None):
    """A new workbook of ``manager``'s lists, streamed; ``shown`` is the manager's name as
    the workbook shows it. Returns the openpyxl workbook, to be saved.
    """
    from openpyxl import Workbook

    from playbook.exports.sheet_xml import PremadeSheet

    book = Workbook(write_only=True)
    book_properties(book, manager, shown, start)
    titles = list_titles(lang)
    made: dict[str, pd.DataFrame] = {}
    for key, tasks in sheets.items():
        title = list_name(key, lang)[:31]
        made.pop(title, None)  # as a sheet replaced: a later list of the same title wins
        if not tasks.empty:  # nothing on this list for this manager: no sheet
            made[title] = tasks.assign(manager=shown)  # one manager a workbook
    order = sorted(made, key=lambda title: sheet_rank(title, titles))
    prepared = {}
    for title in order:
        columns = sheet_columns(made[title])
        prepared[title] = {c: column_values(c, made[title][c]) for c in columns}
    summary = book.create_sheet(plain_text(lang.t("exports.summary.sheet")))
    _summary_sheet(summary, lang, manager=shown, start=start, completion=completion,
                   figures=[(t, *figures(prepared[t])) for t in order if t in titles])
    for title in order:
        sheet = PremadeSheet(parent=book, title=title)  # book.create_sheet(title), taking rows
        book._add_sheet(sheet)  # noqa: SLF001                 as XML (the data rows)
        _list_sheet(sheet, prepared[title], lang, header=f"{shown[:100]}: {title}")
    book.active = 0
    return book


def figures(values: dict[str, list]) -> tuple[int, float, dt.date | None]:
    """A list sheet's tasks, value at stake and first due date from its cells' values
    (``{column: values}``), as :func:`~workbook._sheet_figures` reads them from its cells:
    the rows with a customer id, the sum of their value at stake in row order, their
    earliest due date.
    """
    if "customer_id" not in values:
        return 0, 0.0, None
    ids = pd.Series(values["customer_id"], dtype=object)
    counted = (ids.notna() & (ids != "")).to_numpy(dtype=bool)
    total = 0.0
    if "value_at_stake" in values:
        stake = np.array(values["value_at_stake"], dtype=float)[counted]  # a blank: NaN
        stake = stake[~np.isnan(stake)]
        # cumsum adds in row order, one at a time, from 0.0 as a loop would
        total = float(np.cumsum(np.concatenate([[0.0], stake]))[-1])
    first = None
    if "due_date" in values:
        due = np.array(values["due_date"], dtype=object)[counted]
        dates = [w.date() if isinstance(w, dt.datetime) else w for w in due
                 if isinstance(w, dt.date)]
        first = min(dates) if dates else None
    return int(counted.sum()), total, first


def column_values(column: str, values: pd.Series) -> list:
    """``[cell_value(column, v) for v in values]``, made with column operations where they
    give the same: dates and numbers of a typed column, text of a column of strings or
    integers; any other column cell by cell.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)  # its values, as iterating it gives them
    blank = values.isna().to_numpy(dtype=bool)  # cell_value's None and NaN
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty" or blank.all():
        return [None] * len(values)
    if column in _DATES:
        if values.dtype.kind == "M" or kind in ("date", "datetime"):
            out = values.to_numpy(dtype=object, copy=True)  # a date kept as it is
            out[blank] = None
            return out.tolist()
    elif column in _MONEY or column in _SHARES:
        if values.dtype.kind in "fiu":
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            out = np.asarray(numbers.tolist(), dtype=object)  # Python floats
            out[np.isnan(numbers)] = None
            return out.tolist()
    elif kind == "string" or values.dtype.kind in "iu":
        return _texts(column, values, blank)
    return [cell_value(column, v) for v in values]


def _texts(column: str, values: pd.Series, blank: np.ndarray) -> list:
    """Text cells: the formula guard (a valid phone number excepted), no control characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    strings = values.dtype.kind not in "iu"  # phone_link() takes strings only
    text = values[~blank].astype(str).astype(object)
    risky = text.str.startswith(_FORMULA_START).to_numpy(dtype=bool, copy=True)
    if column == "phone" and strings and risky.any():
        at = np.flatnonzero(risky)
        risky[at] = [phone_link(t) is None for t in text.iloc[at]]
    if risky.any():
        text = text.where(~risky, "'" + text)
    illegal = text.str.contains(ILLEGAL_CHARACTERS_RE).to_numpy(dtype=bool)
    if illegal.any():
        text = text.copy()
        text[illegal] = [ILLEGAL_CHARACTERS_RE.sub("", t) for t in text[illegal]]
    out = np.full(len(values), None, dtype=object)
    out[~blank] = text.to_numpy(dtype=object)
    return out.tolist()


def _summary_sheet(sheet, lang: Lang, *, manager: str, start: dt.date,
                   completion: pd.DataFrame | None, figures: list[tuple]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet.worksheet import Worksheet

    summary_layout(sheet, manager, sheet.title, paper=Worksheet.PAPERSIZE_A4)
    sheet.merged_cells.add(f"A{HOW_ROW}:D{HOW_ROW}")
    for row in summary_rows(lang, manager=manager, start=start, completion=completion,
                            figures=figures):
        cells = []
        for value, style in row:
            if style:
                value = WriteOnlyCell(sheet, value)
                for name, setting in style.items():
                    setattr(value, name, setting)
            cells.append(value)
        sheet.append(cells)


def _list_sheet(sheet, values: dict[str, list], lang: Lang, *, header: str) -> None:
    """A list sheet in write-only mode: its settings first, then the header, then the rows
    (written as XML a column at a time by :mod:`~playbook.exports.sheet_xml`, the same bytes
    as openpyxl's cells; by openpyxl cell by cell when that writer does not make a value).
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    from playbook.exports.sheet_xml import PremadeSheet, write_rows

    columns = list(values)
    rows = len(values[columns[0]])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width(
            column, lang, values[column][:200])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"
    sheet.data_validations.append(status_check(columns, rows, lang))
    print_setup(sheet, header, paper=Worksheet.PAPERSIZE_A4)
    wrap = Alignment(wrap_text=True, vertical="top")
    styles = {"header": _style(sheet, font=Font(bold=True), alignment=wrap),
              "date": _style(sheet, number_format=DATE_FORMATS[lang.code]),
              "money": _style(sheet, number_format=MONEY_FORMAT),
              "share": _style(sheet, number_format=SHARE_FORMAT),
              "quoted": _style(sheet, quotePrefix=True),
              "wrap": _style(sheet, alignment=wrap),
              "wrap quoted": _style(sheet, alignment=wrap, quotePrefix=True)}
    sheet.append([_cell(sheet, label(c, lang), styles["header"]) for c in columns])
    if _PREMADE and isinstance(sheet, PremadeSheet):
        made = [_column(c, values[c], styles) for c in columns]
        if None not in made and write_rows(sheet, made):
            return
    cells = [_column_cells(sheet, c, values[c], styles) for c in columns]
    for row in zip(*cells, strict=True):
        sheet.append(row)


def _style(sheet, **attributes):
    """The style of a cell given these attributes, to give cells as they are made (openpyxl
    keeps a cell's style as an array of indexes into the workbook's fonts, formats...).
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet)
    for name, setting in attributes.items():
        setattr(cell, name, setting)
    return cell._style  # noqa: SLF001 (read only: openpyxl copies it into each cell)


def _cell(sheet, value, style):
    from openpyxl.cell import Cell

    return Cell(sheet, row=1, column=1, value=value, style_array=style)


def _format(column: str, styles: dict):
    """The number format style of a date, money or share column's every cell; None for
    another column.
    """
    if column in _DATES:
        return styles["date"]
    if column in _MONEY:
        return styles["money"]
    return styles["share"] if column in _SHARES else None


def _column_cells(sheet, column: str, values: list, styles: dict) -> list:
    """A column's cells as appended, with :func:`~workbook.format_cell`'s formats: a styled
    cell for a date, money, share or wrapped column and for text with a quote prefix, a link
    or a formula's look (kept text); the bare value otherwise.
    """
    from openpyxl.cell.cell import ERROR_CODES

    style = _format(column, styles)
    if style is not None:
        cells = [_cell(sheet, v, style) for v in values]
        for cell in cells:  # text here (prepared columns hold none) is never a formula
            if cell.data_type in ("f", "e"):
                cell.data_type = "s"
        return cells
    text = pd.Series(values, dtype=object)
    written = text.notna().to_numpy(dtype=bool)
    shown = text[written]
    quoted = np.zeros(len(text), dtype=bool)
    quoted[written] = shown.str.startswith(_QUOTED).to_numpy(dtype=bool)
    typed = np.zeros(len(text), dtype=bool)  # text Excel would take as a formula or error
    typed[written] = (shown.str.startswith("=") | shown.isin(ERROR_CODES)).to_numpy(dtype=bool)
    links: dict[int, str] = {}
    if column in ("phone", "email"):
        at = np.flatnonzero(written)
        maybe = (shown.str.contains("@", regex=False) if column == "email" else
                 shown.str.contains(r"\d")).to_numpy(dtype=bool)
        check = email_link if column == "email" else phone_link
        links = {i: link for i in at[maybe] if (link := check(values[i]))}
    wrap = column in WRAPPED
    out = list(values)
    special = np.ones(len(text), dtype=bool) if wrap else quoted | typed
    special[list(links)] = True
    for i in np.flatnonzero(special):
        name = ("wrap " if wrap else "") + ("quoted" if quoted[i] else "")
        cell = _cell(sheet, values[i], styles[name.strip()] if name.strip() else None)
        if typed[i]:
            cell.data_type = "s"
        if i in links:
            cell.hyperlink = links[i]
        out[i] = cell
    return out


def _column(column: str, values: list, styles: dict):
    """A column's cells for :func:`~playbook.exports.sheet_xml.write_rows`, the cells
    :func:`_column_cells` makes: its distinct values, each with its style and link. None when
    a text column holds anything but text and blanks.
    """
    from playbook.exports.sheet_xml import Column

    style = _format(column, styles)
    if style is not None:
        return Column(np.arange(len(values)), values, [style] * len(values),
                      [None] * len(values))  # every value a cell of the column's format
    if not {type(v) for v in values} <= {str, type(None)}:
        return None
    codes, distinct = pd.factorize(np.array(values, dtype=object))  # a blank: -1
    texts = distinct.tolist()
    links: list = [None] * len(texts)
    if column in ("phone", "email"):
        check = email_link if column == "email" else phone_link
        for i, text in enumerate(texts):
            if ("@" in text) if column == "email" else re.search(r"\d", text):
                links[i] = check(text)
    wrap = "wrap " if column in WRAPPED else ""
    kinds = [(wrap + ("quoted" if text.startswith(_QUOTED) else "")).strip() for text in texts]
    cells = [styles[kind] if kind else None for kind in kinds]
    if wrap:  # a blank is a wrapped cell too
        texts.append(None)
        cells.append(styles["wrap"])
        links.append(None)
        codes = np.where(codes < 0, len(texts) - 1, codes)
    return Column(codes, texts, cells, links)
