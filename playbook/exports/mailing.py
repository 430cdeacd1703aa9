"""Mailing lists by status: news, offers and greetings, one row per customer.

Not task workbooks: nobody fills them in and nothing reads them back. Each customer gets
one suggested mailing: a greeting when its contact person's birthday or its first-deal
anniversary falls in the greetings window, else an offer when it is late against its own
rhythm or lost, else the news. E-mail and phone are separate columns (mail and call links
only on values that validate), and a consent column is carried over when the customers
file has one. Written as a CSV per mailing, which mailing services import, and, up to
:data:`WORKBOOK_MAX_CUSTOMERS` customers, one workbook (all customers, then a sheet per
mailing).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.exports.tasks import _FORMULA_START, _PHONE, neutralise, phone_link, plain_text
from playbook.exports.workbook import (
    _DATES,
    _MONEY,
    _SHARES,
    DATE_FORMATS,
    cell_value,
    format_cell,
    print_setup,
)
from playbook.report.i18n import Lang

__all__ = ["MAILINGS", "MAILING_COLUMNS", "WORKBOOK_MAX_CUSTOMERS", "consent_flag",
           "mailing_csv_only", "mailing_list", "write_mailing_lists"]

#: The mailings, by key (``exports.mailing.kind.<key>``).
MAILINGS = ("news", "offers", "greetings")
MAILING_COLUMNS = ("customer_id", "customer_name", "contact_person", "email", "phone",
                   "manager", "segment", "state", "rung", "value_band", "last_purchase",
                   "mailing", "occasion", "consent")
#: The most customers the mailing workbook is written for (the rows of its first sheet).
#: Above it, the CSV files only. The demo's 3,000 customers keep their workbook; at 10,000
#: the workbook (every customer twice, 14 columns: 280,000 cells) still costs only seconds
#: and is a list a person can filter; a larger client's tens of thousands of rows are read
#: by a mailing service, not a person, and would make the workbook the slowest step of the
#: run (half a minute at 74,000 customers) or, past 1,048,576 rows, one Excel cannot open.
WORKBOOK_MAX_CUSTOMERS = 10_000
_YES = {"1", "да", "д", "yes", "y", "true", "истина", "+", "согласен", "согласна",
        "подписан", "subscribed", "opt in", "opted in", "x", "v", "✓"}
_NO = {"0", "нет", "н", "no", "n", "false", "ложь", "-", "отказ", "отписан",
       "unsubscribed", "opt out", "opted out"}


def consent_flag(value) -> bool | None:
    """True / False for a consent the customers file states (да, yes, 1, +; нет, no, 0,
    -...), None when blank or unclear.
    """
    if isinstance(value, bool):
        return value
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = " ".join(str(value).strip().lower().replace("ё", "е").split())
    return True if text in _YES else False if text in _NO else None


def mailing_list(base: pd.DataFrame, people: pd.DataFrame, occasions: pd.DataFrame,
                 lang: Lang) -> pd.DataFrame:
    """One row per customer of ``base`` with its suggested mailing.

    ``base (customer_id, state[, segment, rung, value_band, last_purchase])``, ``people``
    (:func:`playbook.exports.lists.people`), ``occasions``
    (:func:`playbook.exports.lists.occasions`) -> :data:`MAILING_COLUMNS` with ``mailing``
    a key of :data:`MAILINGS`. ``state`` is the rhythm's status (active, overdue, at_risk,
    lost), shown in the client's language; ``consent`` as stated (yes / no in the client's
    language when clear, else as written; absent without a consent column).
    """
    frame = base.merge(people, on="customer_id", how="left")
    first = occasions.sort_values("date").drop_duplicates("customer_id") \
        .set_index("customer_id")
    # a customer's greeting first, else an offer to one slipping or lost, else news; the
    # words made once per occasion and state, not once per customer
    greeted = frame["customer_id"].map({
        cid: plain_text(lang.t(f"exports.mailing.occasion.{item.kind}",
                               date=lang.date(item.date, "compact")))
        for cid, item in zip(first.index, first.itertuples(index=False), strict=True)})
    offered = frame["state"].isin(["overdue", "at_risk", "lost"])
    words = {key: plain_text(lang.t(f"exports.mailing.occasion.{key}"))
             for key in ("offer_lost", "offer_late", "news")}
    plain = np.where(~offered, words["news"], np.where(frame["state"] == "lost",
                                                       words["offer_lost"], words["offer_late"]))
    has = greeted.notna().to_numpy()
    frame["mailing"] = np.where(has, "greetings", np.where(offered, "offers", "news")).tolist()
    frame["occasion"] = np.where(has, greeted.to_numpy(dtype=object), plain).tolist()
    states = {s: plain_text(lang.t(f"segmentation.status.{s}")) for s in frame["state"].unique()}
    frame["state"] = frame["state"].map(states).tolist()
    if "consent" in frame:
        words = {True: lang.t("exports.mailing.consent.yes"),
                 False: lang.t("exports.mailing.consent.no")}
        frame["consent"] = [words.get(consent_flag(v), v if isinstance(v, str) else None)
                            for v in frame["consent"]]
    return frame[[c for c in MAILING_COLUMNS if c in frame]].reset_index(drop=True)


def _headers(frame: pd.DataFrame, lang: Lang) -> list[str]:
    return [plain_text(lang.t(f"exports.mailing.column.{c}")) for c in frame.columns]


def _shown(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    shown = frame.copy()
    names = {k: plain_text(lang.t(f"exports.mailing.kind.{k}")) for k in shown["mailing"].unique()}
    shown["mailing"] = shown["mailing"].map(names)
    shown["manager"] = shown["manager"].replace(
        {"unassigned": plain_text(lang.t("segmentation.tasks.unassigned"))})
    return shown


def write_mailing_lists(frame: pd.DataFrame, folder: Path, lang: Lang) -> list[Path]:
    """Write the mailing lists: ``<file>_<mailing>.csv`` per mailing (UTF-8 with BOM, ``;``)
    and, for up to :data:`WORKBOOK_MAX_CUSTOMERS` customers, ``<file>.xlsx`` (all
    customers, then one sheet per mailing); ``<file>`` and the mailings' names in the
    client's language (``Рассылки_новости.csv``, ``mailings_news.csv``). Every text cell is
    formula-safe. Returns the files written, sorted.

    The workbook is streamed (openpyxl's write-only mode: each row written as it is made,
    no cell kept), with the same cells, formats, links and sheet settings a cell-by-cell
    workbook had. A larger client gets the CSV files only (:func:`mailing_csv_only`): a
    workbook of every customer twice would cost seconds per ten thousand rows, nobody
    reads it, and past Excel's 1,048,576 rows it could not be opened at all; a mailing
    service loads the CSV, of any length.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = plain_text(lang.t("exports.mailing.file"))
    shown = _shown(frame, lang)
    headers = _headers(frame, lang)
    written = []
    if len(frame) <= WORKBOOK_MAX_CUSTOMERS:
        written.append(_write_workbook(frame, shown, headers, folder / f"{stem}.xlsx", lang))
    for key in MAILINGS:
        name = plain_text(lang.t(f"exports.mailing.kind.{key}")).lower()
        part = shown[frame["mailing"] == key]
        written.append(_write_csv(part, headers, folder / f"{stem}_{name}.csv", lang))
    return sorted(written)


def mailing_csv_only(files: list, lang: Lang) -> bool:
    """Whether ``files`` (what a run wrote) hold the mailing lists as CSV files without
    their workbook: a client of more than :data:`WORKBOOK_MAX_CUSTOMERS` customers.
    """
    stem = plain_text(lang.t("exports.mailing.file"))
    names = {Path(f).name for f in files}
    return f"{stem}.xlsx" not in names and any(
        n.startswith(f"{stem}_") and n.endswith(".csv") for n in names)


def _write_workbook(frame: pd.DataFrame, shown: pd.DataFrame, headers: list[str], path: Path,
                    lang: Lang) -> Path:
    """The mailing workbook: all customers, then one sheet per mailing."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    parts = [(plain_text(lang.t("exports.mailing.sheet_all")), shown)]
    parts += [(plain_text(lang.t(f"exports.mailing.kind.{k}")), shown[frame["mailing"] == k])
              for k in MAILINGS]
    for title, part in parts:
        _stream_sheet(book.create_sheet(title[:31]), headers, list(frame.columns), part,
                      title, DATE_FORMATS[lang.code])
    partial = path.with_name(path.name + ".partial")
    book.save(partial)
    partial.replace(path)
    return path


def _stream_sheet(sheet, headers: list[str], columns: list[str], part: pd.DataFrame,
                  title: str, date_format: str) -> None:
    """One sheet of the mailing workbook, in write-only mode: settings first, then rows."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 28 if column in (
            "customer_name", "occasion", "email", "contact_person") else 16
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(part) + 1}"
    print_setup(sheet, title, paper=Worksheet.PAPERSIZE_A4)
    sheet.append(headers)
    styled = [column in _DATES or column in _MONEY or column in _SHARES for column in columns]
    for row in part.itertuples(index=False):
        cells = []
        for column, value, keep in zip(columns, row, styled, strict=True):
            value = cell_value(column, value)
            if value is None and not keep:
                cells.append(None)
                continue
            cell = WriteOnlyCell(sheet, value)
            format_cell(cell, column, date_format)
            cells.append(cell)
        sheet.append(cells)


def _write_csv(frame: pd.DataFrame, headers: list[str], path: Path, lang: Lang) -> Path:
    """One mailing's CSV: every cell as :func:`_csv_value` gives it, made a column at a time
    (:func:`_csv_column`); the quoting is the ``csv`` module's, as before.
    """
    partial = path.with_name(path.name + ".partial")
    date_format = "%d.%m.%Y" if lang.code == "ru" else "%Y-%m-%d"
    columns = [_csv_column(column, frame[column], date_format) for column in frame.columns]
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(headers)
        writer.writerows(zip(*columns, strict=True))
    partial.replace(path)
    return path


def _csv_column(column: str, values: pd.Series, date_format: str) -> list:
    """A column's CSV cells, the same as :func:`_csv_value` of each cell gives, made with
    column operations: text (all values strings or blank), dates (a date column, or
    ``datetime.date`` values: each distinct date formatted once) and integers; any other
    column (mixed values, floats) cell by cell.
    """
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty"):
        return _csv_text(column, values)
    if values.dtype.kind in "iu":
        return values.astype(str).tolist()
    if kind in ("date", "datetime64"):
        codes, distinct = pd.factorize(values)
        exact = values.dtype.kind == "M" or all(type(v) is dt.date for v in distinct)
        if exact:  # one value, one text (equal datetimes of two time zones are not one)
            shown = [v.strftime(date_format) for v in distinct] + [""]
            return np.asarray(shown, dtype=object)[codes].tolist()  # code -1: blank
    return [_csv_value(column, v, date_format) for v in values]


def _csv_text(column: str, values: pd.Series) -> list[str]:
    """Text cells: blank for a missing value, an apostrophe before a formula's start (a
    valid phone number excepted), else the text as it is.
    """
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    text = text.fillna("")
    risky = text.str.startswith(_FORMULA_START).to_numpy(dtype=bool, copy=True)
    if column == "phone" and risky.any():
        # phone_link's test on those cells, with Python's regular expressions as it has them
        stripped = text[risky].astype(object).str.strip()
        valid = (stripped.str.match(_PHONE.pattern)
                 & stripped.str.count(r"\d").between(10, 15)).to_numpy(dtype=bool)
        risky[np.flatnonzero(risky)[valid]] = False
    if risky.any():
        text = text.where(~risky, "'" + text)
    return text.tolist()


def _csv_value(column: str, value, date_format: str):
    """One CSV cell (the rule :func:`_csv_column` follows for a whole column)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime(date_format)
    if column == "phone" and phone_link(value):
        return value  # digits and separators only: nothing a spreadsheet could run
    return neutralise(value)
