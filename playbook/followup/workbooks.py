"""Reading last period's task workbooks back, as the managers filled them in.

:func:`read_returned` takes ``data.tasks_done`` (folders and workbooks), reads every sheet
of every workbook safely (the archive is checked against zip bombs and a workbook is read
in a child process with memory and time limits, as intake reads a client's workbook, see
:mod:`playbook.intake.workbooks`; a sheet may span at most :data:`MAX_CELLS` cells; formulas
are never evaluated, only their saved results read) and returns one row per task. Intake
calls it, so a file it cannot use at all stops the run with a message naming the file, the
sheet and what to do (exit code 2); a row it cannot use is counted and reported.

The contract the workbooks follow is :mod:`playbook.followup.contract`: sheets are found by
their header (a customer-id and a status column), never by their names, and files by their
content, never by their names.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from playbook.errors import DataError, shorten
from playbook.followup.contract import (
    COLUMNS,
    REQUIRED,
    column_key,
    list_key,
    parse_date,
    parse_status,
)
from playbook.intake.workbooks import _check_archive, _isolated

__all__ = ["TASK_FIELDS", "MAX_CELLS", "MAX_FILES", "workbook_files", "read_workbook",
           "sheet_tasks", "read_returned"]

#: The most cells (rows x columns, A1 to the last cell used) a sheet of a task workbook may
#: span: fifty thousand tasks of twenty columns. A far-out stray cell makes a sheet bigger.
MAX_CELLS = 1_000_000
#: The most workbooks a folder of returned tasks may hold.
MAX_FILES = 500
#: Rows searched for a sheet's header.
HEADER_ROWS = 10
#: The bytes of the workbook's properties part read at most.
MAX_PROPERTIES = 1 << 16
SUFFIXES = (".xlsx", ".xlsm")
#: One row per task: where it was read, and what it says.
TASK_FIELDS = ("file", "sheet", "row", "manager", "list", "task_id", "customer_id", "segment",
               "value_band", "value_at_stake", "given", "due_date", "status", "date_done")


def workbook_files(paths: list[Path]) -> list[Path]:
    """The workbooks ``data.tasks_done`` names: each file as given, and each folder's
    ``.xlsx`` files (Excel's ``~$`` lock files and hidden files left out), in name order.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES
                            and not p.name.startswith(("~$", ".")) and p.is_file())
            if not inside:
                raise DataError(f"{path}: 'data.tasks_done' names this folder, and it holds no "
                                f"Excel workbook (.xlsx). Put the managers' filled-in task "
                                f"workbooks there, or point 'data.tasks_done' at them, and run "
                                f"again.")
            found += inside
        elif path.exists():
            found.append(path)
        else:
            near = sorted(p.name for p in path.parent.glob("*"))[:10] \
                if path.parent.is_dir() else []
            listing = f" The folder holds: {', '.join(near)}." if near else ""
            raise DataError(f"{path}: 'data.tasks_done' names this, and there is no such file "
                            f"or folder.{listing} Fix the path in the parameters and run again.")
    if len(found) > MAX_FILES:
        raise DataError(f"{paths[0]}: 'data.tasks_done' holds {len(found):,} workbooks, more "
                        f"than the {MAX_FILES} one period's tasks take. Point it at one "
                        f"period's workbooks and run again.")
    return list(dict.fromkeys(found))


def _properties(path: Path) -> dict[str, str]:
    """The workbook's title, subject and keywords (``docProps/core.xml``), where given."""
    names = {"title", "subject", "keywords"}
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > MAX_PROPERTIES:
                return {}
            root = ElementTree.fromstring(archive.read(info))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return {}
    found = {}
    for element in root:
        name = element.tag.rsplit("}", 1)[-1]
        if name in names and element.text and element.text.strip():
            found[name] = element.text.strip()[:200]
    return found


def _not_a_workbook(path: Path, why: str) -> DataError:
    return DataError(f"{path}: is not an Excel workbook ({why}), so the tasks in it cannot be "
                     f"read back. 'data.tasks_done' takes the task workbooks the playbook "
                     f"wrote (exports/<manager>.xlsx) as the managers filled them in: open "
                     f"this file in Excel and save it as .xlsx, or move it out of the folder, "
                     f"and run again.")


def read_workbook(path: Path, work_dir: Path) -> dict:
    """Every sheet of workbook ``path`` as rows of cells, and its properties:
    ``{"properties": {...}, "sheets": [{"name", "rows": [[row number, [cells]]]}]}``.

    Cells are text, numbers, booleans or ISO dates (``"2026-03-05"``); a formula is read as
    the result Excel saved with it (empty when it was never calculated), never evaluated.
    """
    if not zipfile.is_zipfile(path):
        raise _not_a_workbook(path, "its content is not a spreadsheet's")
    _check_archive(path)
    work_dir.mkdir(parents=True, exist_ok=True)
    sheets = _isolated(lambda: _sheets(path), path, work_dir / "_tasks_done.log")
    return {"properties": _properties(path), "sheets": sheets}


def _sheets(path: Path) -> list[dict]:
    """Run by :func:`_isolated` in a child process: every sheet's filled rows."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own errors for a damaged file
        raise _not_a_workbook(path, shorten(str(exc).splitlines()[0] if str(exc) else
                                            type(exc).__name__, 120)) from None
    sheets = []
    with book:
        for name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(name)
                end = sheet.end
                if end is not None and (end[0] + 1) * (end[1] + 1) > MAX_CELLS:
                    raise DataError(
                        f"{path}: sheet {name!r} spans {end[0] + 1:,} rows and {end[1] + 1:,} "
                        f"columns, more than the {MAX_CELLS:,} cells a task workbook holds. A "
                        f"stray cell far below or right of the table makes a sheet that big: "
                        f"delete the rows and columns around the table in Excel (or copy the "
                        f"table to a new workbook), save it, and run again.")
                pad = [None] * (sheet.start[1] if end is not None else 0)
                rows = []
                # iter_rows starts at row 1 but at the first column used: pad to column A
                for number, row in enumerate(sheet.iter_rows() if end is not None else [],
                                             start=1):
                    cells = [_plain(v) for v in pad + list(row)]
                    if any(c not in (None, "") for c in cells):
                        rows.append([number, cells])
            except DataError:
                raise
            except Exception as exc:  # calamine's own errors for a damaged sheet
                raise DataError(f"{path}: sheet {name!r} cannot be read ({shorten(exc, 120)}). "
                                f"Open the file in Excel, save it again as .xlsx, and run "
                                f"again.") from None
            sheets.append({"name": name, "rows": rows})
    return sheets


def _plain(value):
    """A cell as JSON: dates as ISO text, whole floats as integers, the rest as it is."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _header(rows: list) -> tuple[int, dict[int, str]] | None:
    """(index in ``rows``, {column index: key}) of a sheet's header: the first of its first
    rows naming a customer-id column, else None.
    """
    for i, (_, cells) in enumerate(rows[:HEADER_ROWS]):
        keys = {}
        for j, cell in enumerate(cells):
            key = column_key(cell) if isinstance(cell, str) else None
            if key and key not in keys.values():
                keys[j] = key
        if "customer_id" in keys.values():
            return i, keys
    return None


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def sheet_tasks(rows: list, keys: dict[int, str], *, where: dict,
                defaults: dict) -> tuple[list[dict], list[dict]]:
    """The tasks of a list sheet's data rows, and the rows it cannot use.

    Parameters
    ----------
    rows
        ``[row number, cells]`` below the header.
    keys
        {column index: column key} of the header.
    where
        ``file`` and ``sheet``, copied into every task and problem.
    defaults
        ``manager``, ``given`` and ``list``: what a row without its own says.

    Returns
    -------
    (tasks, problems)
        A task has the :data:`TASK_FIELDS`; a problem ``file``, ``sheet``, ``row``,
        ``problem`` (``no_customer_id``, ``unknown_status``, ``bad_date``) and ``value``.
    """
    tasks, problems = [], []
    for number, cells in rows:
        cell = {key: cells[j] if j < len(cells) else None for j, key in keys.items()}
        if all(_text(v) is None for v in cell.values()):
            continue
        customer = _text(cell.get("customer_id"))
        if customer is None:
            problems.append({**where, "row": number, "problem": "no_customer_id", "value": ""})
            continue
        status = parse_status(cell.get("status"))
        if status is None:
            problems.append({**where, "row": number, "problem": "unknown_status",
                             "value": shorten(cell.get("status"), 40)})
            continue
        dates = {}
        for key in ("given", "due_date", "date_done"):
            dates[key] = parse_date(cell.get(key))
            if dates[key] is None and _text(cell.get(key)) is not None:
                problems.append({**where, "row": number, "problem": "bad_date",
                                 "value": shorten(cell.get(key), 40)})
        listed = list_key(cell.get("list")) or defaults["list"]
        task_id = _text(cell.get("task_id"))
        if listed is None and task_id and "-" in task_id:
            listed = list_key(task_id.split("-", 1)[0])
        value = cell.get("value_at_stake")
        tasks.append({
            **where, "row": number,
            "manager": _text(cell.get("manager")) or defaults["manager"],
            "list": listed or "unknown", "task_id": task_id, "customer_id": customer,
            "segment": _text(cell.get("segment")), "value_band": _text(cell.get("value_band")),
            "value_at_stake": float(value) if isinstance(value, (int, float))
            and not isinstance(value, bool) else None,
            "given": dates["given"] or defaults["given"], "due_date": dates["due_date"],
            "status": status, "date_done": dates["date_done"],
        })
    return tasks, problems


def _workbook_tasks(path: Path, book: dict) -> tuple[list[dict], list[dict], dict]:
    """The tasks and problem rows of one workbook read by :func:`read_workbook`, and what
    was read from it (its sheets and their tasks, the sheets skipped and why).
    """
    props = book["properties"]
    defaults = {"manager": props.get("title") or path.stem,
                "given": parse_date(props.get("subject"))}
    tasks, problems, read, skipped = [], [], {}, {}
    for sheet in book["sheets"]:
        found = _header(sheet["rows"])
        if found is None:
            continue  # the summary sheet, a manager's notes: no customer-id column
        at, keys = found
        missing = [k for k in REQUIRED if k not in keys.values()]
        if missing:
            skipped[sheet["name"]] = {"row": sheet["rows"][at][0], "missing": missing}
            continue
        where = {"file": path.name, "sheet": sheet["name"]}
        more, bad = sheet_tasks(sheet["rows"][at + 1:], keys, where=where,
                                defaults=defaults | {"list": list_key(sheet["name"])})
        tasks += more
        problems += bad
        read[sheet["name"]] = len(more)
    if not read:
        raise _unusable(path, book, skipped)
    return tasks, problems, {"file": path.name, "manager": defaults["manager"],
                             "given": defaults["given"], "sheets": read,
                             "skipped_sheets": skipped}


def _unusable(path: Path, book: dict, skipped: dict) -> DataError:
    """The error for a workbook with no sheet of tasks in it, naming what is missing where."""
    labels = {k: f"'{COLUMNS[k][0]}' / '{COLUMNS[k][1]}'" for k in REQUIRED}
    names = ", ".join(repr(s["name"]) for s in book["sheets"][:10]) or "none"
    if skipped:
        sheet, info = next(iter(skipped.items()))
        lacking = " and ".join(labels[k] for k in info["missing"])
        what = (f"sheet {sheet!r} has a customer-id column but its header (row {info['row']}) "
                f"has no column {lacking}")
    else:
        what = (f"no sheet has a header with a customer-id column {labels['customer_id']} "
                f"(the sheets: {names})")
    return DataError(f"{path}: this is not a task workbook the tasks can be read back from: "
                     f"{what}. Each list sheet needs its header row with the columns "
                     f"{labels['customer_id']} and {labels['status']} as the playbook wrote "
                     f"them. Put the column back (or copy the rows into a fresh workbook from "
                     f"the last run's exports/), or move this file out of 'data.tasks_done', "
                     f"and run again.")


def read_returned(paths: list[Path], work_dir: Path) -> tuple[pd.DataFrame, dict]:
    """One row per task of the workbooks ``paths`` name (see :func:`workbook_files`), and a
    report of the reading: ``{"files": [...], "problems": [...], "rows": n}``.

    Raises
    ------
    DataError
        A path is missing, a folder holds no workbook, a file is not a workbook or is too
        big, or a workbook has no sheet with a customer-id and a status column.
    """
    tasks, problems, files = [], [], []
    for path in workbook_files(paths):
        more, bad, about = _workbook_tasks(path, read_workbook(path, work_dir))
        tasks += more
        problems += bad
        files.append(about)
    frame = pd.DataFrame(tasks, columns=list(TASK_FIELDS))
    for column in ("given", "due_date", "date_done"):
        frame[column] = pd.to_datetime(frame[column])
    frame["value_at_stake"] = frame["value_at_stake"].astype(float)
    frame["row"] = frame["row"].astype("int64")
    return frame, {"files": files, "problems": problems, "rows": len(frame)}
