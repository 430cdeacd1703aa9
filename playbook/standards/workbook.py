"""The project lead's checklist workbook: the dated rollout plan, the questions to answer
before the launch (seed 002) and the adopted standards, one sheet each, with empty columns
for owners, answers and ticks.

Written with openpyxl; every text cell is stored as text, so a client value that starts
like a formula (``=``, ``+``, ``-``, ``@``) is never evaluated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from playbook.report.i18n import Lang
from playbook.standards.rollout import QUESTIONS

__all__ = ["write_checklist", "checklist_sheets", "FILE_NAME"]

FILE_NAME = {"ru": "стандарты_чек-лист.xlsx", "en": "standards_checklist.xlsx"}


def _who(wave: int, lang: Lang) -> str:
    if wave == -1:
        return lang.t("standards.plan.everyone")
    if wave == 0:
        return lang.t("standards.plan.pilot")
    return lang.t("standards.plan.wave", n=lang.int(wave))


def checklist_sheets(res, lang: Lang, *, today: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The workbook's sheets as tables: ``{title: frame}`` (dates as dates, texts plain)."""
    import html

    def t(key: str, **values) -> str:  # plain text for a spreadsheet, not HTML
        return html.unescape(lang.t(key, **values))

    due = (res.plan["start"].iloc[0] if not res.plan.empty
           else (today or dt.date.today()) + dt.timedelta(days=14))
    plan = pd.DataFrame({
        t("standards.plan.col_wave"): [html.unescape(_who(w, lang)) for w in res.plan["wave"]],
        t("standards.plan.col_branches"): [", ".join(b) or t("standards.plan.whole_company")
                                           for b in res.plan["branches"]],
        t("standards.plan.col_stage"): [t(f"standards.plan.{s}") for s in res.plan["stage"]],
        t("standards.plan.col_start"): list(res.plan["start"]),
        t("standards.plan.col_end"): list(res.plan["end"]),
        t("standards.workbook.owner"): "",
        t("standards.workbook.done"): "",
    })
    questions = pd.DataFrame({
        t("standards.col.no"): range(1, len(QUESTIONS) + 1),
        t("standards.col.question"): [t(f"standards.question.{q}") for q in QUESTIONS],
        t("standards.workbook.answer"): "",
        t("standards.workbook.owner"): "",
        t("standards.workbook.due"): [due] * len(QUESTIONS),
    })
    cat = res.catalog
    standards = pd.DataFrame({
        t("standards.col.area"): [t(f"standards.area.{a}") for a in cat["area"]],
        t("standards.col.standard"): cat[f"wording_{lang.code}"],
        t("standards.col.how"): cat[f"how_{lang.code}"],
        t("standards.col.target"): cat["target"],
        t("standards.col.weight"): cat["weight"],
    })
    return {t("standards.workbook.plan"): plan, t("standards.workbook.questions"): questions,
            t("standards.workbook.standards"): standards}


def write_checklist(res, lang: Lang, folder: Path, *, today: dt.date | None = None) -> Path:
    """Write the checklist workbook into ``folder`` (created if needed); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for title, frame in checklist_sheets(res, lang, today=today).items():
        sheet = book.create_sheet(title[:31])
        sheet.append(list(frame.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append([v.item() if hasattr(v, "item") else v for v in row])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, even if it looks like a formula
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif isinstance(cell.value, (dt.date, dt.datetime)):
                    cell.number_format = "DD.MM.YYYY" if lang.code == "ru" else "YYYY-MM-DD"
                elif isinstance(cell.value, float) and cell.value <= 1:
                    cell.number_format = "0%"
        for column, name in zip(sheet.columns, frame.columns, strict=True):
            width = max([len(str(name))] + [len(str(c.value or "")) for c in column][:200])
            sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
    path = folder / FILE_NAME[lang.code]
    partial = path.with_name(path.name + ".partial")
    book.save(partial)
    partial.replace(path)
    return path
