"""Working lists for the client's managers: who to call, whom to congratulate, whom to ask.

:func:`call_list`, :func:`greetings_list` and :func:`penetration_list` build task tables
(one row per task) from the segmentation tables; :func:`write_task_lists` writes them per
manager as CSV (UTF-8 with BOM, so Excel opens it) and XLSX into the run's ``exports/``,
in files named by :func:`manager_stem` (readable, safe on every system, one per manager).
Contact details live only here, never in the report.

Every text cell is passed through :func:`neutralise`: a value starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so no spreadsheet runs
it as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import unicodedata
from pathlib import Path

import pandas as pd

from playbook.report.i18n import Lang

__all__ = ["TASK_COLUMNS", "neutralise", "people", "last_known", "plain_text", "with_people",
           "call_list", "greetings_list", "penetration_list", "manager_stem",
           "write_task_lists", "write_segment_list", "UNASSIGNED", "MAX_STEM_BYTES"]

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
    (or with a blank one) go to :data:`UNASSIGNED`.
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
    blank = out["manager"].map(lambda v: isinstance(v, str) and not v.strip())
    out["manager"] = out["manager"].mask(blank).fillna(UNASSIGNED)
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


#: The longest file stem in UTF-8 bytes; with ``__<list>.csv`` a file name stays under 100.
MAX_STEM_BYTES = 80
_HASH_CHARS = 8
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
#: Stems Windows keeps for devices (also with an extension), and the exports' own files.
_RESERVED = re.compile(r"(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$"
                       r"|unassigned|segments)", re.IGNORECASE)


def manager_stem(manager) -> str:
    """The file stem of a manager's workbook and CSV files: readable, safe and distinct.

    A plain name (words of letters and digits, one space between them, each word
    capitalised as a name is: ``Лебедев Дмитрий Сергеевич``) gives its words joined by
    ``_``. Any other name gives the readable part (its letters and digits, cut to fit)
    and ``-`` with the first eight hex digits of the SHA-256 of the exact name:
    ``Иванов И. И.`` -> ``Иванов_И_И-0cab8971``, ``a/b`` and ``a:b`` two different stems,
    ``😀`` -> ``manager-f0443a34``. So does a plain name that Windows reserves (``Con``, ``Lpt1``)
    or that the exports use (``Segments``), or one longer than :data:`MAX_STEM_BYTES`.
    The same name always gives the same stem; two names never share one, even where file
    names ignore case (plain stems have no ``-`` and differ in more than case; hashed ones
    differ in the hash). Customers without a manager go to ``unassigned``.
    """
    if manager == UNASSIGNED:
        return UNASSIGNED
    name = str(manager)
    words = _WORD.findall(unicodedata.normalize("NFC", name))
    readable = "_".join(words)
    plain = (bool(words) and name == " ".join(words) and name == name.title()
             and not _RESERVED.fullmatch(readable)
             and len(readable.encode("utf-8")) <= MAX_STEM_BYTES)
    if plain:
        return readable
    digest = _digest(name)[:_HASH_CHARS]
    room = MAX_STEM_BYTES - _HASH_CHARS - 1
    cut = readable.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip("_")
    return f"{cut or 'manager'}-{digest}"


def _digest(name: str) -> str:
    """The SHA-256 of a manager's exact name: in the file name (cut) and the workbook."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def _headers(lang: Lang) -> list[str]:
    return [plain_text(lang.t(f"segmentation.tasks.column.{c}")) for c in TASK_COLUMNS]


def _display(tasks: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    shown = tasks.copy()
    shown["manager"] = shown["manager"].map(str).replace(
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


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, *,
                owner: tuple[str, str] | None = None) -> None:
    r"""Write ``sheets`` into the workbook at ``path``, keeping its other sheets.

    ``owner`` is the manager's exact name and the name to show: the name to show goes into
    the workbook's ``title`` and the header of every printed page, ``sha256:<hex>`` of the
    exact name into its ``identifier`` (XML keeps no control characters, and turns ``\r``
    into ``\n``); a workbook already there that belongs to another manager is an error,
    never overwritten.
    """
    import openpyxl
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def xml_text(value):  # control characters (a vertical tab from 1C) are not allowed
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    identifier = f"sha256:{_digest(owner[0])}" if owner else None
    if path.exists():  # another notebook wrote this manager's workbook: add our sheets
        book = openpyxl.load_workbook(path)
        if owner and book.properties.identifier not in (None, identifier):
            raise RuntimeError(
                f"{path} holds the tasks of manager {book.properties.title!r}, not of "
                f"{owner[0]!r}: two managers' names gave one file name. Nothing was "
                "overwritten; rename one of the managers in the client's data.")
    else:
        book = Workbook()
        book.remove(book.active)
    if owner:
        book.properties.identifier, book.properties.title = identifier, xml_text(owner[1])
    for title, frame in sheets.items():
        if title[:31] in book.sheetnames:
            book.remove(book[title[:31]])
        sheet = book.create_sheet(title[:31])
        if owner:  # printed, every page says whose list it is (Excel takes 255 characters)
            header = f"{xml_text(owner[1])[:100]}: {title}"
            sheet.oddHeader.center.text = header.replace("&", "&&")
        sheet.append([xml_text(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append([xml_text(v) for v in row])
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

    Files are named by :func:`manager_stem` (``<stem>.xlsx``, ``<stem>__<list>.csv``), so
    two managers never share a file and the same manager gets the same files from every
    notebook: a workbook already written by another notebook keeps its sheets, and a sheet
    of the same list is replaced. Managers are told apart by their names as text (a
    manager ``101`` in one file and ``"101"`` in another is one manager). The workbook
    names its manager (properties and printed header) and every row of every file does
    too, so the rows of each list over all the files are exactly the list's tasks.

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

    Raises
    ------
    RuntimeError
        When two managers' names would share a file (two hashes equal: in theory only).
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {name: tasks["manager"].map(str) for name, tasks in lists.items()}
    managers = sorted(set().union(*[set(n) for n in names.values()]))
    stems = {manager: manager_stem(manager) for manager in managers}
    seen: dict[str, str] = {}
    for manager, stem in stems.items():
        other = seen.setdefault(stem.casefold(), manager)
        if other != manager:
            raise RuntimeError(f"Managers {other!r} and {manager!r} would share the file "
                               f"{stem}.xlsx; rename one of them in the client's data.")
    unassigned = plain_text(lang.t("segmentation.tasks.unassigned"))
    written = []
    for manager in managers:
        stem = stems[manager]
        sheets = {}
        for name, tasks in lists.items():
            mine = _display(tasks[names[name] == manager], lang)
            title = plain_text(lang.t(f"segmentation.tasks.list.{name}"))
            sheets[title] = mine
            path = folder / f"{stem}__{name}.csv"
            _write_csv(mine, path)
            written.append(path)
        xlsx = folder / f"{stem}.xlsx"
        shown = unassigned if manager == UNASSIGNED else manager
        _write_xlsx(sheets, xlsx, owner=(manager, shown))
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
