"""Last quarter's task workbooks of the demo client, filled in by its managers, with a known
effect of the calls.

At the hand-over (:data:`FOLLOWUP` ``handover``) each manager got a workbook of tasks (calls
to regulars going quiet, valuable customers to retain, lapsed ones to win back), chosen by
simple rules from the purchases up to that day (:func:`plan_tasks`). Each manager carried
out a share of them, at random within the list: the demo's managers do not pick whom to
call, so a stratified comparison is fair on it. A call made raises the probability that
the customer buys again before the end of the data by exactly :data:`FOLLOWUP` ``lift``
among the customers called (:func:`add_call_effect` adds one purchase to that many of
those called who would not have bought otherwise). :func:`write_workbooks` writes the
workbooks as the managers left them (format v1, docs/workbooks.md), with the mess managers
make: dates typed as text, blank statuses, statuses in Russian and English variants, a
re-sorted sheet, a renamed sheet, an extra and a deleted column, a status no one can read
and a customer code with a typo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.demo.settings import CATEGORIES, DEMO_SETTINGS, MANAGERS, N_DAYS

__all__ = ["FOLLOWUP", "plan_tasks", "add_call_effect", "write_workbooks"]

#: The follow-up's settings: the hand-over, each manager's share of tasks carried out,
#: what became of the others, and the calls' true effect.
FOLLOWUP: dict = {
    "handover": "2026-08-03",
    "lift": 0.08,
    "completion": [0.62, 0.55, 0.48, 0.58, 0.40, 0.52],
    "not_done": {"todo": 0.55, "no_answer": 0.30, "refused": 0.15},
    "won_back_share": 0.5,
    "due_days": {"calls": 7, "retain": 14, "winback": 30},
}
_START = dt.date.fromisoformat(DEMO_SETTINGS["start"])
HANDOVER_DAY = (dt.date.fromisoformat(FOLLOWUP["handover"]) - _START).days
#: The lists' sheet names, and the segments' names, as the Russian workbooks write them.
_LIST_NAMES = {"calls": "Звонки", "retain": "Удержать", "winback": "Вернуть"}
_SEGMENTS = {"loyal": "Лояльные", "need_attention": "Требуют внимания",
             "cant_lose": "Крупные, давно не покупали", "at_risk": "Средние, давно не покупали",
             "hibernating": "Спящие", "lost": "Потерянные"}
_REASONS = {"calls": "Покупает реже обычного", "retain": "Ценный клиент, пауза в покупках",
            "winback": "Давно не покупал"}
_ACTIONS = {"calls": "Позвонить, узнать, всё ли в порядке",
            "retain": "Позвонить, предложить условия постоянного клиента",
            "winback": "Позвонить, узнать причину ухода, предложить вернуться"}
_FIXED_TIME = (2026, 8, 3, 9, 0, 0)


def _per_customer(lines: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    """Purchases up to the hand-over day, per customer: documents, last day, first day,
    revenue over the last 12 months and over all time (kopecks).
    """
    frame = pd.DataFrame({k: lines[k] for k in ("customer", "t_weeks", "day", "line",
                                                "amount")})
    before = frame[frame["day"] <= HANDOVER_DAY]
    docs = before[before["line"] == 0]
    out = pd.DataFrame(index=pd.RangeIndex(n, name="customer"))
    out["n_docs"] = docs.groupby("customer").size().reindex(out.index, fill_value=0)
    out["last_day"] = docs.groupby("customer")["day"].max().reindex(out.index)
    year = before[before["day"] > HANDOVER_DAY - 365]
    out["revenue_12m"] = year.groupby("customer")["amount"].sum().reindex(out.index,
                                                                         fill_value=0)
    out["revenue"] = before.groupby("customer")["amount"].sum().reindex(out.index,
                                                                        fill_value=0)
    after = frame[frame["day"] > HANDOVER_DAY]
    out["bought_anyway"] = out.index.isin(after["customer"].unique())
    return out


def _value_bands(revenue: pd.Series) -> pd.Series:
    """ABC by revenue over the last 12 months: 80 / 15 / 5 per cent of it."""
    ranked = revenue[revenue > 0].sort_values(ascending=False, kind="stable")
    share = ranked.cumsum() / ranked.sum()
    bands = pd.Series("C", index=revenue.index)
    bands[share.index] = np.where(share.shift(fill_value=0) < 0.80, "A",
                                  np.where(share.shift(fill_value=0) < 0.95, "B", "C"))
    return bands


def plan_tasks(lines: dict[str, np.ndarray], managers: np.ndarray,
               rng: np.random.Generator) -> pd.DataFrame:
    """The tasks handed over and what the managers did: one row per task (a customer is on
    one list at most), with ``customer, manager, list, segment, value_band, value_at_stake,
    last_day, revenue_12m, treated, status, bought_anyway``.
    """
    stats = _per_customer(lines, len(managers))
    stats["band"] = _value_bands(stats["revenue_12m"])
    stats["gap"] = HANDOVER_DAY - stats["last_day"]
    stats["manager"] = managers[: len(stats)]
    has = (stats["manager"] != "") & (stats["n_docs"] > 0)
    calls = has & (stats["n_docs"] >= 2) & stats["gap"].between(30, 179)
    retain = has & ~calls & (stats["band"] == "A") & stats["gap"].between(21, 44)
    winback = has & ~calls & ~retain & (stats["n_docs"] >= 2) & stats["gap"].between(180, 549)
    listed = np.select([calls, retain, winback], ["calls", "retain", "winback"], "")
    tasks = stats[listed != ""].assign(list=listed[listed != ""]).reset_index()
    gap, band = tasks["gap"], tasks["band"]
    tasks["segment"] = np.select(
        [gap < 45, (gap < 120) & (band == "A"), gap < 120, gap < 240],
        ["loyal", "cant_lose", "at_risk", "hibernating"], "lost")
    tasks.loc[(gap < 45) & (tasks["n_docs"] < 3), "segment"] = "need_attention"
    tasks["value_at_stake"] = np.round(tasks["revenue_12m"] / 100 * 0.5, 2)
    rate = np.array(FOLLOWUP["completion"])[[MANAGERS.index(m) for m in tasks["manager"]]]
    tasks["treated"] = rng.random(len(tasks)) < rate
    kinds = list(FOLLOWUP["not_done"])
    tasks["status"] = np.where(tasks["treated"], "done", rng.choice(
        kinds, size=len(tasks), p=list(FOLLOWUP["not_done"].values())))
    return tasks


def add_call_effect(lines: dict[str, np.ndarray], tasks: pd.DataFrame,
                    rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict]:
    """Lines with one purchase added for ``lift`` x (customers called) of those called who
    would not have bought after the hand-over otherwise, and the effect's truth.

    Marks ``bought`` (after the calls) in ``tasks``, and ``won_back`` for about half of the
    customers called who bought.
    """
    called = tasks[tasks["treated"]]
    n_flip = int(round(FOLLOWUP["lift"] * len(called)))
    idle = called.index[~called["bought_anyway"]]
    flip = np.sort(rng.choice(idle, size=min(n_flip, len(idle)), replace=False))
    who = tasks.loc[flip, "customer"].to_numpy()
    frame = pd.DataFrame({k: lines[k] for k in ("customer", "category", "amount", "line")})
    docs = frame[frame["line"] == 0]
    typical = frame.groupby("customer")["amount"].median()
    usual = frame.groupby("customer")["category"].agg(lambda c: c.value_counts().index[0])
    day = rng.integers(HANDOVER_DAY + 1, N_DAYS, size=len(who))
    amount = np.maximum(np.rint(typical.loc[who].to_numpy() * np.exp(
        rng.normal(0, 0.2, len(who)))), 100).astype(np.int64)
    category = usual.loc[who].to_numpy().astype(np.int8)
    margin = np.array([m for _, m in CATEGORIES])[category]
    added = {
        "customer": who.astype(np.int32), "t_weeks": (day + 0.5) / 7,
        "day": day.astype(np.int16), "line": np.zeros(len(who), np.int8),
        "category": category, "amount": amount,
        "cost": np.rint(amount * (1 - margin)).astype(np.int64),
    }
    out = {k: np.concatenate([lines[k], added[k].astype(lines[k].dtype)]) for k in lines}
    out["added"] = np.arange(len(out["customer"])) >= len(lines["customer"])
    tasks["bought"] = tasks["bought_anyway"] | tasks.index.isin(flip)
    won = tasks["treated"] & tasks["bought"] & (rng.random(len(tasks))
                                                 < FOLLOWUP["won_back_share"])
    tasks.loc[won, "status"] = "won_back"
    base = called["bought_anyway"].mean()
    truth = {"handover": FOLLOWUP["handover"], "lift": FOLLOWUP["lift"],
             "tasks": len(tasks), "called": len(called), "purchases_added": len(who),
             "share_bought_without_calls": float(base),
             "share_bought_with_calls": float(tasks.loc[called.index, "bought"].mean()),
             "realised_lift": float(len(who) / max(len(called), 1)),
             "documents_before": int(len(docs))}
    return out, truth


# --- the workbooks, as the managers left them ---------------------------------------------

_HEADERS = {"task_id": "Номер задачи", "list": "Список", "customer_id": "Код клиента",
            "customer_name": "Клиент", "segment": "Сегмент", "value_band": "Группа по ценности",
            "last_purchase": "Последняя покупка", "revenue_12m": "Выручка за 12 мес.",
            "value_at_stake": "Сумма под угрозой", "reason": "Причина",
            "suggested_action": "Что сделать", "given": "Выдано", "due_date": "Срок",
            "manager": "Менеджер", "status": "Статус", "date_done": "Дата выполнения",
            "comment": "Комментарий"}
#: How each manager's workbook is left (by the manager's number in MANAGERS).
_MESS = {
    0: {"statuses": {"done": "выполнено", "no_answer": "нет ответа", "won_back": "Вернули"},
        "rename": {"calls": "Звонки (август)"}, "dates": "dd.mm.yyyy"},
    1: {"statuses": {"done": "Done", "no_answer": "no reply", "refused": "declined",
                     "won_back": "won back", "todo": "to do"},
        "extra": "Заметки", "dates": "d.m.yy"},
    2: {"resort": "calls", "blank_todo": True},
    3: {"drop": ["reason", "given"], "statuses": {"done": "готово", "refused": "отказался"}},
    4: {"dates": "serial", "unreadable": "перезвонить в сентябре", "typo": "К-99999"},
    5: {"blank_todo": True, "statuses": {"done": " Сделано ", "won_back": "вернулся"}},
}
_WORDS = {"todo": "сделать", "done": "сделано", "no_answer": "не дозвонились",
          "refused": "отказ", "won_back": "вернули"}


def _day(days: int) -> dt.date:
    return _START + dt.timedelta(days=int(days))


def _cell_date(value: dt.date | None, how: str | None):
    if value is None:
        return None
    if how == "dd.mm.yyyy":
        return value.strftime("%d.%m.%Y")
    if how == "d.m.yy":
        return f"{value.day}.{value.month}.{value.strftime('%y')}"
    if how == "serial":
        return (value - dt.date(1899, 12, 30)).days
    return value


def _rows(tasks: pd.DataFrame, codes: np.ndarray, names: np.ndarray, key: str, mess: dict,
          rng: np.random.Generator) -> list[dict]:
    handover = dt.date.fromisoformat(FOLLOWUP["handover"])
    rows = []
    for item in tasks.sort_values("value_at_stake", ascending=False).itertuples():
        done = item.status in ("done", "won_back")
        status = mess.get("statuses", {}).get(item.status, _WORDS[item.status])
        if item.status == "todo" and mess.get("blank_todo") and rng.random() < 0.6:
            status = None
        when = handover + dt.timedelta(days=int(rng.integers(1, 25))) if done else None
        rows.append({
            "task_id": f"{key}-{codes[item.customer]}", "list": _LIST_NAMES[key],
            "customer_id": codes[item.customer], "customer_name": names[item.customer],
            "segment": _SEGMENTS[item.segment], "value_band": item.band,
            "last_purchase": _day(item.last_day), "revenue_12m": round(item.revenue_12m / 100, 2),
            "value_at_stake": item.value_at_stake, "reason": _REASONS[key],
            "suggested_action": _ACTIONS[key], "given": handover,
            "due_date": handover + dt.timedelta(days=FOLLOWUP["due_days"][key]),
            "manager": item.manager, "status": status,
            "date_done": _cell_date(when, mess.get("dates")),
            "comment": "Обещали заказ" if item.status == "won_back" else None,
        })
    return rows


def write_workbooks(tasks: pd.DataFrame, codes: np.ndarray, names: np.ndarray, out_dir: Path,
                    rng: np.random.Generator) -> list[Path]:
    """One workbook per manager in ``out_dir``, as the manager left it (see :data:`_MESS`);
    byte for byte the same on every run.
    """
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.xlsx"):
        old.unlink()
    written = []
    for number, manager in enumerate(MANAGERS):
        mine = tasks[tasks["manager"] == manager]
        if mine.empty:
            continue
        mess = _MESS.get(number, {})
        book = Workbook()
        summary = book.active
        summary.title = "Сводка"
        summary.append(["Задачи менеджера", manager])
        summary.append(["Выдано", dt.date.fromisoformat(FOLLOWUP["handover"])])
        for key in _LIST_NAMES:
            lines = mine[mine["list"] == key]
            if lines.empty:
                continue
            summary.append([_LIST_NAMES[key], len(lines)])
            rows = _rows(lines, codes, names, key, mess, rng)
            if key == "calls" and mess.get("unreadable"):
                idle = [r for r in rows if r["status"] in (_WORDS["todo"], None)]
                if idle:
                    idle[0]["status"] = mess["unreadable"]
            if key == "calls" and mess.get("typo"):
                rows.append(dict(rows[-1], customer_id=mess["typo"],
                                 task_id=f"calls-{mess['typo']}", status="сделано"))
            if mess.get("resort") == key:
                rows.sort(key=lambda r: r["customer_name"])
            columns = [c for c in _HEADERS if c not in mess.get("drop", [])]
            sheet = book.create_sheet(mess.get("rename", {}).get(key, _LIST_NAMES[key]))
            header = [_HEADERS[c] for c in columns]
            if mess.get("extra"):
                header.insert(4, mess["extra"])
            sheet.append(header)
            for row in rows:
                values = [row[c] for c in columns]
                if mess.get("extra"):
                    values.insert(4, "важный" if rng.random() < 0.2 else None)
                sheet.append(values)
            for cells in sheet.iter_rows(min_row=2):
                for cell in cells:
                    if isinstance(cell.value, dt.date):
                        cell.number_format = "DD.MM.YYYY"
            status_col = header.index("Статус") + 1
            letter = sheet.cell(row=1, column=status_col).column_letter
            choice = DataValidation(type="list", formula1='"' + ",".join(_WORDS.values()) + '"',
                                    allow_blank=True)
            choice.add(f"{letter}2:{letter}{len(rows) + 1}")
            sheet.add_data_validation(choice)
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = sheet.dimensions
        book.properties.title = manager
        book.properties.identifier = "sha256:" + hashlib.sha256(manager.encode()).hexdigest()
        book.properties.keywords = "playbook-tasks v1"
        book.properties.subject = FOLLOWUP["handover"]
        book.properties.creator = "playbook"
        book.properties.created = dt.datetime(*_FIXED_TIME)
        path = out_dir / f"{manager.replace(' ', '_')}.xlsx"  # as the writer names them
        book.save(path)
        _freeze(path)
        written.append(path)
    return written


def _freeze(path: Path) -> None:
    """Rewrite a saved workbook with fixed times (openpyxl stamps the moment it saves)."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-10-31T09:00:00Z",
                              data)
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_TIME), data,
                             compress_type=zipfile.ZIP_DEFLATED)
