"""Working lists for the client's managers: who to call, whom to congratulate, whom to ask.

:func:`call_list`, :func:`greetings_list` and :func:`penetration_list` build task tables
(one row per task) from the segmentation tables; :func:`write_task_lists` writes them per
manager as CSV (UTF-8 with BOM, so Excel opens it) and XLSX into the run's ``exports/``.
Contact details live only here, never in the report.

Every text cell is passed through :func:`neutralise`: a value starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so no spreadsheet runs
it as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd

from playbook.report.i18n import Lang

__all__ = ["TASK_COLUMNS", "neutralise", "people", "last_known", "plain_text", "with_people",
           "call_list", "greetings_list", "penetration_list",
           "write_task_lists", "write_segment_list", "UNASSIGNED"]

TASK_COLUMNS = ["manager", "customer_id", "customer_name", "contact", "reason",
                "suggested_action", "due_date"]
UNASSIGNED = "unassigned"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HIGH_RISK_SEGMENTS = ("at_risk", "cant_lose")


def neutralise(value):
    """A cell value safe for spreadsheets: text starting a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _contact(row) -> str:
    parts = [row.get(k) for k in ("contact_person", "phone", "email")]
    return ", ".join(str(p) for p in parts if isinstance(p, str) and p.strip())


def people(customers: pd.DataFrame | None, transactions: pd.DataFrame,
           ids: pd.Series) -> pd.DataFrame:
    """customer_id -> manager, customer_name, contact.

    The customers file is the source; where it says nothing (or is not given), the last
    manager and customer name seen in the transactions fill in. Customers without a manager
    go to :data:`UNASSIGNED`.
    """
    out = pd.DataFrame({"customer_id": ids.to_numpy()})
    info = (customers.drop_duplicates("customer_id").set_index("customer_id")
            if customers is not None else pd.DataFrame())
    for col in ("manager", "name", "contact_person", "phone", "email"):
        out[col] = out["customer_id"].map(info[col]) if col in info else None
    out["manager"] = out["manager"].fillna(out["customer_id"].map(
        last_known(transactions, "manager")))
    out["name"] = out["name"].fillna(out["customer_id"].map(
        last_known(transactions, "customer_name")))
    out["manager"] = out["manager"].fillna(UNASSIGNED)
    out["customer_name"] = out["name"].fillna(out["customer_id"])
    out["contact"] = [_contact(r) for r in out.to_dict("records")]
    return out[["customer_id", "manager", "customer_name", "contact"]]


def last_known(transactions: pd.DataFrame, column: str) -> pd.Series:
    """customer_id -> the last non-empty value of ``column`` (e.g. manager, customer_name)."""
    if column not in transactions:
        return pd.Series(dtype="object")
    known = transactions.dropna(subset=[column]).sort_values("date")
    return known.groupby("customer_id")[column].last()


def call_list(moves: pd.DataFrame, rungs: pd.DataFrame, abc: pd.DataFrame,
              people: pd.DataFrame, lang: Lang, *, due: dt.date) -> pd.DataFrame:
    """Regular and high-value (ABC class A) customers who moved down a rung or into
    at-risk / can't-lose-them: one call task each, most valuable first.
    """
    frame = moves.merge(rungs[["customer_id", "rung"]], on="customer_id")
    frame = frame.merge(abc[["customer_id", "abc", "value"]], on="customer_id")
    important = frame["rung"].isin(["regular", "adherent", "advocate", "unknown"]) | \
        frame["rung_before"].isin(["regular", "adherent", "advocate", "unknown"]) | \
        (frame["abc"] == "A")
    fell = frame["moved_down"] | (frame["segment_now"].isin(HIGH_RISK_SEGMENTS)
                                  & (frame["segment_before"] != frame["segment_now"]))
    picked = frame[important & fell].sort_values("value", ascending=False)
    rows = []
    for item in picked.itertuples(index=False):
        if item.segment_now in HIGH_RISK_SEGMENTS and item.segment_before != item.segment_now:
            reason = lang.t("segmentation.tasks.reason_segment",
                            segment=lang.t(f"segmentation.segment.{item.segment_now}"))
        else:
            reason = lang.t("segmentation.tasks.reason_rung",
                            before=lang.t(f"segmentation.rung.{item.rung_before}"),
                            now=lang.t(f"segmentation.rung.{item.rung_now}"))
        rows.append({"customer_id": item.customer_id, "reason": plain_text(reason),
                     "suggested_action": plain_text(lang.t("segmentation.tasks.action_call")),
                     "due_date": due})
    return with_people(rows, people)


def greetings_list(customers: pd.DataFrame | None, people: pd.DataFrame, lang: Lang, *,
                   start: dt.date, days: int) -> pd.DataFrame:
    """Contact persons' birthdays and first-deal anniversaries in [start, start + days]."""
    if customers is None:
        return with_people([], people)
    rows = []
    for column, key in (("birthday", "birthday"), ("first_deal", "anniversary")):
        if column not in customers:
            continue
        for cid, when in customers[["customer_id", column]].dropna().itertuples(index=False):
            when = pd.Timestamp(when).date()
            upcoming = _next_occurrence(when, start)
            if upcoming is None or (upcoming - start).days > days:
                continue
            if key == "anniversary":
                years = upcoming.year - when.year
                if years < 1:
                    continue
                reason = lang.t("segmentation.tasks.reason_anniversary", years=years,
                                date=lang.date(upcoming, "compact"))
            else:
                reason = lang.t("segmentation.tasks.reason_birthday",
                                date=lang.date(upcoming, "compact"))
            rows.append({"customer_id": cid, "reason": plain_text(reason),
                         "suggested_action": plain_text(lang.t(f"segmentation.tasks.action_{key}")),
                         "due_date": upcoming})
    return with_people(sorted(rows, key=lambda r: r["due_date"]), people)


def penetration_list(rungs: pd.DataFrame, people: pd.DataFrame, lang: Lang, *,
                     due: dt.date) -> pd.DataFrame:
    """Regular customers to ask the penetration question (share of wallet)."""
    regulars = rungs[rungs["rung"].isin(["regular", "unknown"])]
    rows = [{"customer_id": cid, "reason": plain_text(lang.t("segmentation.tasks.reason_regular")),
             "suggested_action": plain_text(lang.t("segmentation.tasks.action_penetration")),
             "due_date": due} for cid in regulars["customer_id"]]
    return with_people(rows, people)


def _next_occurrence(when: dt.date, start: dt.date) -> dt.date | None:
    for year in (start.year, start.year + 1):
        try:
            candidate = when.replace(year=year)
        except ValueError:  # 29 February in a common year: greet on 28 February
            candidate = dt.date(year, 2, 28)
        if candidate >= start:
            return candidate
    return None


def plain_text(text: str) -> str:
    """Locale sentences are HTML-escaped for the report; exports want them as plain text."""
    import html

    return html.unescape(text)


def with_people(rows: list[dict], people: pd.DataFrame) -> pd.DataFrame:
    """Task rows (customer_id, reason, suggested_action, due_date) -> :data:`TASK_COLUMNS`."""
    tasks = pd.DataFrame(rows, columns=["customer_id", "reason", "suggested_action", "due_date"])
    tasks = tasks.merge(people, on="customer_id", how="left")
    tasks["manager"] = tasks["manager"].fillna(UNASSIGNED)
    tasks["customer_name"] = tasks["customer_name"].fillna(tasks["customer_id"])
    tasks["contact"] = tasks["contact"].fillna("")
    return tasks[TASK_COLUMNS].reset_index(drop=True)


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w]+", "_", str(name), flags=re.UNICODE).strip("_")
    return slug[:60] or UNASSIGNED


def _headers(lang: Lang) -> list[str]:
    return [plain_text(lang.t(f"segmentation.tasks.column.{c}")) for c in TASK_COLUMNS]


def _display(tasks: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    shown = tasks.copy()
    shown["manager"] = shown["manager"].replace(
        {UNASSIGNED: plain_text(lang.t("segmentation.tasks.unassigned"))})
    shown["due_date"] = [d.isoformat() if isinstance(d, dt.date) else d
                         for d in shown["due_date"]]
    shown = shown.map(neutralise)
    shown.columns = _headers(lang)
    return shown


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(frame.columns)
        writer.writerows(frame.itertuples(index=False))
    partial.replace(path)


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    import openpyxl
    from openpyxl import Workbook
    from openpyxl.styles import Font

    if path.exists():  # another notebook wrote this manager's workbook: add our sheets
        book = openpyxl.load_workbook(path)
    else:
        book = Workbook()
        book.remove(book.active)
    for title, frame in sheets.items():
        if title[:31] in book.sheetnames:
            book.remove(book[title[:31]])
        sheet = book.create_sheet(title[:31])
        sheet.append(list(frame.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:  # text stays text, even if it looks like a formula
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        for column, name in zip(sheet.columns, frame.columns, strict=True):
            width = max([len(str(name))] + [len(str(c.value or "")) for c in column][:200])
            sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
    partial = path.with_name(path.name + ".partial")
    book.save(partial)
    partial.replace(path)


def write_task_lists(lists: dict[str, pd.DataFrame], folder: Path, lang: Lang) -> list[Path]:
    """Write each manager's task lists as CSV files (one per list) and one XLSX workbook.

    A manager's workbook already written by another notebook keeps its sheets; a sheet
    of the same list is replaced.

    Parameters
    ----------
    lists
        ``{list name: tasks}`` with tasks in :data:`TASK_COLUMNS` (e.g. ``calls``,
        ``greetings``, ``penetration``).
    folder
        The run's ``exports/`` folder (created if needed).

    Returns
    -------
    list of Path
        The files written, sorted.
    """
    folder.mkdir(parents=True, exist_ok=True)
    managers = sorted(set().union(*[set(t["manager"]) for t in lists.values()]) or set())
    written = []
    for manager in managers:
        slug = _slug(manager if manager != UNASSIGNED else UNASSIGNED)
        sheets = {}
        for name, tasks in lists.items():
            mine = _display(tasks[tasks["manager"] == manager], lang)
            title = plain_text(lang.t(f"segmentation.tasks.list.{name}"))
            sheets[title] = mine
            path = folder / f"{slug}__{name}.csv"
            _write_csv(mine, path)
            written.append(path)
        xlsx = folder / f"{slug}.xlsx"
        _write_xlsx(sheets, xlsx)
        written.append(xlsx)
    return sorted(written)


def write_segment_list(frame: pd.DataFrame, folder: Path, lang: Lang) -> list[Path]:
    """The segment list (one row per customer) as CSV and XLSX, for mailings by status."""
    folder.mkdir(parents=True, exist_ok=True)
    shown = frame.map(neutralise)
    csv_path, xlsx_path = folder / "segments.csv", folder / "segments.xlsx"
    _write_csv(shown, csv_path)
    _write_xlsx({plain_text(lang.t("segmentation.tasks.list.segments")): shown}, xlsx_path)
    return [csv_path, xlsx_path]
