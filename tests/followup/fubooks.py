"""Task workbooks written by hand with openpyxl, following the contract (docs/workbooks.md),
and filled in as a manager would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

from playbook.followup.contract import COLUMNS

HANDOVER = dt.date(2026, 8, 3)
#: The columns a list sheet has, in the writer's order.
SHEET_COLUMNS = ["task_id", "list", "customer_id", "customer_name", "segment", "value_band",
                 "value_at_stake", "given", "due_date", "manager", "status", "date_done",
                 "comment"]


def task_rows(ids, *, statuses, manager="Иванова Анна", list_name="Звонки", key="calls",
              given=HANDOVER, due=HANDOVER + dt.timedelta(days=7), done=None) -> list[dict]:
    """One task per customer id, with the status (as typed) given per row."""
    rows = []
    for i, (cid, status) in enumerate(zip(ids, statuses, strict=True)):
        rows.append({"task_id": f"{key}-{cid}", "list": list_name, "customer_id": cid,
                     "customer_name": f"ООО «Клиент {i}»", "segment": "Спящие",
                     "value_band": "A", "value_at_stake": 1000.0 * (len(ids) - i),
                     "given": given, "due_date": due, "manager": manager, "status": status,
                     "date_done": (done[i] if done else None), "comment": None})
    return rows


def write_book(path: Path, sheets: dict[str, list[dict]], *, lang: str = "ru",
               columns: list[str] | None = None, title: str = "Иванова Анна",
               subject: str | None = HANDOVER.isoformat(), extra: str | None = None,
               summary: bool = True) -> Path:
    """A task workbook: a summary sheet, then one sheet per list (title -> rows)."""
    book = Workbook()
    first = book.active
    if summary:
        first.title = "Сводка" if lang == "ru" else "Summary"
        first.append(["Задачи менеджера" if lang == "ru" else "Manager's tasks", title])
    columns = columns or SHEET_COLUMNS
    for number, (name, rows) in enumerate(sheets.items()):
        sheet = book.create_sheet(name) if summary or number else first
        if not summary and number == 0:
            sheet.title = name
        header = [COLUMNS[c][0 if lang == "ru" else 1] for c in columns]
        if extra:
            header.append(extra)
        sheet.append(header)
        for row in rows:
            values = [row.get(c) for c in columns]
            if extra:
                values.append("заметка")
            sheet.append(values)
    book.properties.title = title
    book.properties.keywords = "playbook-tasks v1"
    if subject:
        book.properties.subject = subject
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
