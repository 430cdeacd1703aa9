"""The managers' task workbooks, written with openpyxl (format version 1, docs/workbooks.md).

One workbook per manager, ``<stem>.xlsx`` (:func:`playbook.exports.tasks.manager_stem`):
the summary sheet first, then one sheet per list. Each list sheet has real Excel dates,
click-to-call and mail links only on values that validate, the manager's columns (status
from a drop-down, date done, comment), an autofilter, a frozen header, rows sorted by value
at stake, and prints landscape, fitted to the page's width with the header on every page.
A notebook that writes after another adds its sheets and rebuilds the summary.

A workbook that does not exist yet (always so under ``playbook run``) is streamed by
:mod:`playbook.exports.streamed`, the same cells and settings; one that exists is opened
and added to cell by cell here. Both share the summary's rows (:func:`summary_rows`), the
column widths and the drop-down.

:func:`last_period_completion` is where last period's filled-in workbooks, once read back
(an outcomes table), become the summary's "last period" block.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from playbook.exports.tasks import (
    ALWAYS,
    FORMAT,
    LISTS,
    STATUSES,
    TASK_COLUMNS,
    UNASSIGNED,
    digest,
    email_link,
    label,
    list_name,
    manager_stem,
    neutralise,
    phone_link,
    plain_text,
    status_name,
)
from playbook.report.i18n import Lang

__all__ = ["write_task_lists", "manager_files", "last_period_completion", "cell_value",
           "format_cell", "print_setup", "xml_text", "DATE_FORMATS", "MONEY_FORMAT",
           "SHARE_FORMAT"]

DATE_FORMATS = {"ru": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
MONEY_FORMAT = "#,##0"
SHARE_FORMAT = "0%"
_DATES = ("last_purchase", "given", "due_date", "date_done")
_MONEY = ("revenue_12m", "value_at_stake")
_SHARES = ("drop_share", "p_alive", "share_of_wallet")
_WIDE = {"reason": 45, "suggested_action": 45, "customer_name": 28}
#: The columns the manager fills in: wide enough to type into, however empty they start.
_FIXED = {"status": 16, "date_done": 14, "comment": 40}
#: The columns whose text wraps.
WRAPPED = ("reason", "suggested_action", "comment")
#: How many rows below the tasks keep the drop-down (rows a manager adds).
_SPARE_ROWS = 50
#: A new workbook is streamed (off only where the tests compare it with one built cell by cell).
_STREAM_NEW = True


def last_period_completion(outcomes: pd.DataFrame | None, manager) -> pd.DataFrame | None:
    """Last period's tasks of ``manager`` by list: given, per status, and the share done.

    ``outcomes (manager, list, status) -> list, given, <status keys>, done_share``, one row
    per task read back from last period's filled-in workbooks (``list`` a list key,
    ``status`` a key of :data:`~playbook.exports.tasks.STATUSES`); done = done or won
    back. None when there are no outcomes (the summary then says so) or none of this
    manager's.
    """
    if outcomes is None or outcomes.empty:
        return None
    mine = outcomes[outcomes["manager"].map(str) == str(manager)]
    if mine.empty:
        return None
    counts = pd.crosstab(mine["list"], mine["status"]).reindex(columns=list(STATUSES),
                                                                fill_value=0)
    counts.insert(0, "given", counts.sum(axis=1))
    counts["done_share"] = (counts["done"] + counts["won_back"]) / counts["given"]
    order = [k for k in LISTS if k in counts.index] + [k for k in counts.index if k not in LISTS]
    return counts.loc[order].rename_axis("list").reset_index()


def _shown_manager(manager: str, lang: Lang) -> str:
    return plain_text(lang.t("segmentation.tasks.unassigned")) if manager == UNASSIGNED \
        else manager


def sheet_columns(tasks: pd.DataFrame) -> list[str]:
    """The columns a list sheet shows: every column with data, and the ones always there."""
    return [c for c in TASK_COLUMNS if c in ALWAYS or tasks[c].notna().any()]


def manager_files(lists: dict[str, pd.DataFrame], lang: Lang) -> dict[str, str]:
    """``{manager: file stem}`` of every manager with a task in ``lists``, in name order
    (managers told apart by their names as text).

    Raises
    ------
    RuntimeError
        When two managers' names would share a file.
    """
    managers = sorted({str(m) for tasks in lists.values() for m in tasks["manager"]})
    stems = {manager: manager_stem(manager, lang) for manager in managers}
    seen: dict[str, str] = {}
    for manager, stem in stems.items():
        other = seen.setdefault(stem.casefold(), manager)
        if other != manager:
            raise RuntimeError(f"Managers {other!r} and {manager!r} would share the file "
                               f"{stem}.xlsx; rename one of them in the client's data.")
    return stems


def write_task_lists(lists: dict[str, pd.DataFrame], folder: Path, lang: Lang, *,
                     start: dt.date, outcomes: pd.DataFrame | None = None) -> list[Path]:
    """Write each manager's task lists into the manager's workbook.

    Files are named by :func:`~playbook.exports.tasks.manager_stem`, so two managers never
    share a file and the same manager gets the same file from every notebook: a workbook
    already written by another notebook keeps its sheets, a sheet of the same list is
    replaced (or removed, when the list has nothing for the manager now: a list without
    tasks gets no sheet), and the summary is rebuilt over all of them. Managers are told apart by
    their names as text (``101`` and ``"101"`` are one manager).

    Parameters
    ----------
    lists
        ``{list key: tasks}`` with tasks from :func:`playbook.exports.lists.finish`.
    folder
        The run's ``exports/`` folder (created if needed).
    start
        The hand-over date (the workbooks' ``subject``).
    outcomes
        Last period's tasks read back (see :func:`last_period_completion`), if any.

    Returns
    -------
    list of Path
        The workbooks written, sorted.

    Raises
    ------
    RuntimeError
        When two managers' names would share a file, or the file holds another manager's
        tasks (never overwritten).
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {key: tasks["manager"].map(str) for key, tasks in lists.items()}
    stems = manager_files(lists, lang)
    written = []
    for manager in stems:
        sheets = {key: tasks[names[key] == manager] for key, tasks in lists.items()}
        path = folder / f"{stems[manager]}.xlsx"
        _write_book(path, sheets, lang, manager=manager, start=start,
                    completion=last_period_completion(outcomes, manager))
        written.append(path)
    return sorted(written)


def xml_text(value):
    """Control characters (a vertical tab from 1C) are not allowed in the file's XML."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _open_book(path: Path, manager: str):
    import openpyxl

    identifier = f"sha256:{digest(manager)}"
    book = openpyxl.load_workbook(path)  # another notebook wrote it: add our sheets
    if book.properties.identifier not in (None, identifier):
        raise RuntimeError(
            f"{path} holds the tasks of manager {book.properties.title!r}, not of "
            f"{manager!r}: two managers' names gave one file name. Nothing was "
            "overwritten; rename one of the managers in the client's data.")
    return book


def book_properties(book, manager: str, shown: str, start: dt.date) -> None:
    """Whose workbook it is (``identifier``, ``title``), its format and hand-over date."""
    props = book.properties
    props.identifier = f"sha256:{digest(manager)}"
    props.title, props.keywords, props.subject = xml_text(shown), FORMAT, start.isoformat()


def list_titles(lang: Lang) -> dict[str, str]:
    """``{sheet title: list key}`` of the known lists."""
    return {list_name(k, lang)[:31]: k for k in LISTS}


def sheet_rank(title: str, titles: dict[str, str]) -> int:
    """Where a list sheet goes: the lists' order, anything else after them."""
    return LISTS.index(titles[title]) if title in titles else len(LISTS)


def _write_book(path: Path, sheets: dict[str, pd.DataFrame], lang: Lang, *, manager: str,
                start: dt.date, completion: pd.DataFrame | None) -> None:
    """One manager's workbook: streamed when new (:mod:`playbook.exports.streamed`), else
    the existing one opened, its sheets of these lists replaced and the summary rebuilt.
    """
    if _STREAM_NEW and not path.exists():
        from playbook.exports.streamed import new_book

        book = new_book(sheets, lang, manager=manager, shown=_shown_manager(manager, lang),
                        start=start, completion=completion)
    else:
        book = _added_book(path, sheets, lang, manager=manager, start=start,
                           completion=completion)
    partial = path.with_name(path.name + ".partial")
    book.save(partial)
    partial.replace(path)


def _added_book(path: Path, sheets: dict[str, pd.DataFrame], lang: Lang, *, manager: str,
                start: dt.date, completion: pd.DataFrame | None):
    """The workbook built cell by cell (openpyxl's normal mode): new, or one already
    written to add these sheets to.
    """
    import openpyxl

    if path.exists():
        book = _open_book(path, manager)
    else:  # only when streaming is switched off (the tests compare the two)
        book = openpyxl.Workbook()
        book.remove(book.active)
    shown = _shown_manager(manager, lang)
    book_properties(book, manager, shown, start)
    titles = list_titles(lang)
    for key, tasks in sheets.items():
        title = list_name(key, lang)[:31]
        if title in book.sheetnames:
            book.remove(book[title])
        if tasks.empty:  # nothing on this list for this manager: no sheet to puzzle over
            continue
        tasks = tasks.assign(manager=shown)  # one manager a workbook
        _list_sheet(book.create_sheet(title), tasks, lang, header=f"{shown[:100]}: {title}")
    summary = plain_text(lang.t("exports.summary.sheet"))
    if summary in book.sheetnames:
        if completion is None:  # the other notebook's outcomes stay on the summary
            completion = _kept_completion(book[summary], lang, titles)
        book.remove(book[summary])
    order = sorted(book.worksheets, key=lambda s: sheet_rank(s.title, titles))
    book._sheets = order  # noqa: SLF001 (openpyxl has no public way to reorder sheets)
    figures = [(ws.title, *_sheet_figures(ws, lang)) for ws in order if ws.title in titles]
    _summary_sheet(book.create_sheet(summary, 0), lang, manager=shown, start=start,
                   completion=completion, figures=figures)
    book.active = 0
    return book


def _list_sheet(sheet, tasks: pd.DataFrame, lang: Lang, *, header: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = sheet_columns(tasks)
    sheet.append([label(c, lang) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    date_format = DATE_FORMATS[lang.code]
    for row in tasks[columns].itertuples(index=False):
        sheet.append([cell_value(c, v) for c, v in zip(columns, row, strict=True)])
    last = len(tasks) + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cells = [sheet.cell(row=r, column=index) for r in range(2, last + 1)]
        for cell in cells:
            format_cell(cell, column, date_format)
        sheet.column_dimensions[letter].width = column_width(
            column, lang, [c.value for c in cells[:200]])
        if column in WRAPPED:
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.add_data_validation(status_check(columns, len(tasks), lang))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    print_setup(sheet, header)


def column_width(column: str, lang: Lang, first: list) -> float:
    """A list sheet's column width: its header's and the first 200 values' (``first``)."""
    width = max([len(label(column, lang)) / 2 + 2] + [len(str(v or "")) + 2 for v in first])
    return _FIXED.get(column, min(_WIDE.get(column, 24), max(10, width)))


def status_check(columns: list[str], rows: int, lang: Lang):
    """The status drop-down over a list sheet's ``rows`` tasks and the spare rows below."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    status = get_column_letter(columns.index("status") + 1)
    choices = ",".join(status_name(k, lang) for k in STATUSES)
    check = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True,
                           showDropDown=False, showErrorMessage=False,
                           prompt=plain_text(lang.t("exports.status_prompt")),
                           showInputMessage=True)
    check.add(f"{status}2:{status}{rows + 1 + _SPARE_ROWS}")
    return check


def print_setup(sheet, header: str, *, paper: str | None = None) -> None:
    """Landscape A4, fitted to the page's width, the header row on every page (``paper``:
    A4's code, for a write-only sheet, which lacks the constant).
    """
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = paper or sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.oddHeader.center.text = xml_text(header).replace("&", "&&")


def cell_value(column: str, value):
    """A value as the cell holds it: a date, a number, or formula-safe text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column in _DATES:
        return pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    if column in _MONEY or column in ("drop_share", "p_alive", "share_of_wallet"):
        return float(value)
    if column == "phone" and phone_link(value):
        return xml_text(str(value))  # digits and separators only: written with a quote prefix
    return xml_text(neutralise(str(value)))


def format_cell(cell, column: str, date_format: str) -> None:
    """Number format, text type, quote prefix and contact link of a written cell."""
    value = cell.value
    if column in _DATES:
        cell.number_format = date_format
    elif column in _MONEY:
        cell.number_format = MONEY_FORMAT
    elif column in _SHARES:
        cell.number_format = SHARE_FORMAT
    elif isinstance(value, str):
        cell.data_type = "s"  # text stays text, even if it looks like a formula
        if value.startswith(("'", "+", "-")):
            cell.quotePrefix = True  # and stays text when the manager edits the cell
        if column == "phone" and (link := phone_link(value)):
            cell.hyperlink = link
        elif column == "email" and (link := email_link(value)):
            cell.hyperlink = link


#: The summary's row whose text wraps in a merged A:D block, and its height.
HOW_ROW, HOW_HEIGHT = 3, 60


def summary_rows(lang: Lang, *, manager: str, start: dt.date,
                 completion: pd.DataFrame | None,
                 figures: list[tuple[str, int, float, dt.date | None]]) -> list[list[tuple]]:
    """The summary sheet's rows, each a list of ``(value, style)`` cells (``style`` a dict of
    cell attributes, or None): title, hand-over, how to use it, ``figures`` (a list sheet's
    title, tasks, value at stake, first due date) and their total, last period's completion.
    """
    from openpyxl.styles import Alignment, Font

    s = lambda key, **kw: plain_text(lang.t(f"exports.summary.{key}", **kw))  # noqa: E731
    bold = {"font": Font(bold=True)}
    money = {"number_format": MONEY_FORMAT}
    rows = [[(s("title", manager=xml_text(manager)), {"font": Font(bold=True, size=14)})],
            [(s("given", date=lang.date(start, "compact")), None)],
            [(s("how"), {"alignment": Alignment(wrap_text=True, vertical="top")})],
            [],
            [(s(k), bold) for k in ("list", "tasks", "value_at_stake", "first_due")]]
    total_tasks, total_value = 0, 0.0
    for title, tasks, value, first_due in figures:
        total_tasks, total_value = total_tasks + tasks, total_value + value
        rows.append([(title, None), (tasks, None), (round(value, 2), money),
                     (first_due, {"number_format": DATE_FORMATS[lang.code]})])
    rows.append([(s("total"), bold), (total_tasks, bold),
                 (round(total_value, 2), {**money, **bold}), (None, bold)])
    rows += [[], [(s("last_period"), bold)]]
    if completion is None:
        rows.append([(s("last_period_none"), None)])
    else:
        rows.append([(v, None) for v in (s("list"), s("tasks"),
                                         *[status_name(k, lang) for k in STATUSES],
                                         s("done_share"))])
        for item in completion.itertuples(index=False):
            key = item.list
            name = list_name(key, lang) if key in LISTS else str(key)
            rows.append([(v, None) for v in (name, item.given,
                                             *[getattr(item, k) for k in STATUSES])]
                        + [(item.done_share, {"number_format": SHARE_FORMAT})])
    return rows


def summary_layout(sheet, manager: str, title: str, *, paper: str | None = None) -> None:
    """The summary's column widths and print setup (before its rows, for a streamed sheet)."""
    for letter, width in zip("ABCDEFGH", (34, 12, 18, 16, 14, 14, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.row_dimensions[HOW_ROW].height = HOW_HEIGHT
    print_setup(sheet, f"{manager[:100]}: {title}", paper=paper)


def _summary_sheet(sheet, lang: Lang, *, manager: str, start: dt.date,
                   completion: pd.DataFrame | None, figures: list[tuple]) -> None:
    summary_layout(sheet, manager, sheet.title)
    rows = summary_rows(lang, manager=manager, start=start, completion=completion,
                        figures=figures)
    for number, row in enumerate(rows, start=1):
        for column, (value, style) in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            for name, setting in (style or {}).items():
                setattr(cell, name, setting)
    sheet.merge_cells(f"A{HOW_ROW}:D{HOW_ROW}")


def _kept_completion(sheet, lang: Lang, titles: dict[str, str]) -> pd.DataFrame | None:
    """Last period's completion as an earlier summary shows it (None when it shows none)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    heading = plain_text(lang.t("exports.summary.last_period"))
    starts = [i for i, r in enumerate(rows) if r and r[0] == heading]
    if not starts or starts[0] + 2 > len(rows) or \
            rows[starts[0] + 1][0] != plain_text(lang.t("exports.summary.list")):
        return None
    kept = []
    for row in rows[starts[0] + 2:]:
        if not row or row[0] in (None, ""):
            break
        kept.append({"list": titles.get(row[0], row[0]), "given": row[1],
                     **dict(zip(STATUSES, row[2:2 + len(STATUSES)], strict=True)),
                     "done_share": row[2 + len(STATUSES)]})
    return pd.DataFrame(kept) if kept else None


def _sheet_figures(sheet, lang: Lang) -> tuple[int, float, dt.date | None]:
    """A list sheet's tasks, value at stake and first due date, read from its cells."""
    header = [c.value for c in sheet[1]]
    find = lambda key: header.index(label(key, lang)) if label(key, lang) in header \
        else None  # noqa: E731
    ids, value, due = find("customer_id"), find("value_at_stake"), find("due_date")
    tasks, total, first = 0, 0.0, None
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if ids is None or row[ids] in (None, ""):
            continue
        tasks += 1
        if value is not None and isinstance(row[value], (int, float)):
            total += float(row[value])
        when = row[due] if due is not None else None
        if isinstance(when, dt.datetime):
            when = when.date()
        if isinstance(when, dt.date) and (first is None or when < first):
            first = when
    return tasks, total, first
