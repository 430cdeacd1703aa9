"""The managers' task workbooks, format version 1, as the reader understands them.

The writer (:mod:`playbook.exports`) and this reader share one contract (docs/workbooks.md):
one workbook per manager, a summary sheet, then one sheet per list with a header row.
Managers re-sort rows, delete or add columns, rename sheets and type dates and statuses by
hand, in Russian or English; the functions here read what they leave:
:func:`column_key` (a header -> its column key), :func:`parse_status` (a status as typed ->
its key), :func:`parse_date` (a date as typed or stored -> a date) and :func:`list_key`
(a sheet title or a list's name -> the list's key). Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["FORMAT_KEYWORDS", "COLUMNS", "LISTS", "STATUSES", "DONE", "REQUIRED",
           "normalise", "column_key", "parse_status", "parse_date", "list_key"]

#: The ``keywords`` property of a task workbook of format version 1.
FORMAT_KEYWORDS = "playbook-tasks v1"

#: Column key -> (ru header, en header).
COLUMNS: dict[str, tuple[str, str]] = {
    "task_id": ("Номер задачи", "Task no."),
    "list": ("Список", "List"),
    "customer_id": ("Код клиента", "Customer ID"),
    "customer_name": ("Клиент", "Customer"),
    "contact_person": ("Контактное лицо", "Contact person"),
    "phone": ("Телефон", "Phone"),
    "email": ("Эл. почта", "E-mail"),
    "segment": ("Сегмент", "Segment"),
    "rung": ("Ступень лояльности", "Loyalty rung"),
    "value_band": ("Группа по ценности", "Value band"),
    "last_purchase": ("Последняя покупка", "Last purchase"),
    "revenue_12m": ("Выручка за 12 мес.", "Revenue, last 12 months"),
    "usual_category": ("Обычная категория", "Usual category"),
    "drop_share": ("Падение покупок", "Drop in purchases"),
    "p_alive": ("Вероятность, что покупает", "Probability still active"),
    "share_of_wallet": ("Доля закупок у нас", "Share of wallet"),
    "value_at_stake": ("Сумма под угрозой", "Value at stake"),
    "reason": ("Причина", "Reason"),
    "suggested_action": ("Что сделать", "What to do"),
    "given": ("Выдано", "Given on"),
    "due_date": ("Срок", "Due"),
    "manager": ("Менеджер", "Manager"),
    "status": ("Статус", "Status"),
    "date_done": ("Дата выполнения", "Date done"),
    "comment": ("Комментарий", "Comment"),
}
#: The columns a list sheet cannot do without: whose task, and what became of it.
REQUIRED = ("customer_id", "status")

#: List key -> (ru name, en name).
LISTS: dict[str, tuple[str, str]] = {
    "calls": ("Звонки", "Calls"),
    "retain": ("Удержать", "Retain"),
    "greetings": ("Поздравления", "Greetings"),
    "penetration": ("Вопрос о доле закупок", "Share-of-wallet question"),
    "winback": ("Вернуть", "Win back"),
    "apology": ("Звонок с извинением", "Apology call"),
}

#: Status key -> the words a manager may type for it (the drop-down's ru and en first).
STATUSES: dict[str, tuple[str, ...]] = {
    "todo": ("сделать", "to do", "todo"),
    "done": ("сделано", "done", "выполнено", "готово", "да", "completed", "complete", "yes"),
    "no_answer": ("не дозвонились", "no answer", "не отвечает", "нет ответа", "no reply"),
    "refused": ("отказ", "refused", "отказался", "отказались", "declined"),
    "won_back": ("вернули", "won back", "вернулся", "вернулись", "returned"),
}
#: The statuses of a task carried out: the customer was reached and the call made.
DONE = ("done", "won_back")

_SPACES = re.compile(r"\s+")


def normalise(text: object) -> str:
    """Text as headers and statuses are compared: trimmed, lower case, ё as е, one space
    between words, no trailing full stop or colon.
    """
    text = _SPACES.sub(" ", str(text).replace("\u00a0", " ")).strip().lower()
    return text.replace("ё", "е").rstrip(".:").strip()


_HEADERS = {normalise(label): key for key, labels in COLUMNS.items()
            for label in (*labels, key)}
_STATUS_WORDS = {normalise(word): key for key, words in STATUSES.items()
                 for word in (*words, key)}
_LIST_NAMES = {normalise(name): key for key, names in LISTS.items() for name in (*names, key)}


def column_key(header: object) -> str | None:
    """The column key of a header as written in either language (or the key itself), else
    None: ``"  статус "`` -> ``"status"``, ``"Customer ID"`` -> ``"customer_id"``.
    """
    return _HEADERS.get(normalise(header)) if header is not None else None


def parse_status(value: object) -> str | None:
    """The status key of a cell: blank is ``todo``; a word the contract does not know is
    None (the row is reported, not guessed).
    """
    if value is None or not str(value).strip():
        return "todo"
    return _STATUS_WORDS.get(normalise(value))


def list_key(name: object) -> str | None:
    """The list key of a sheet title or a list's localised name, else None."""
    return _LIST_NAMES.get(normalise(name)) if name is not None else None


#: Excel's day 0 (serial numbers count days from it, with 1900's phantom 29 February).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serial numbers read as dates: 1 January 1990 to 31 December 2099.
_SERIALS = (32874, 73415)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})")


def parse_date(value: object) -> dt.date | None:
    """A date as stored or typed, else None.

    Real dates; text in ISO ``2026-03-05`` (a time after it is ignored), ``05.03.2026``,
    ``5.3.26`` or ``05/03/2026`` (day first, as in Russia; ``03/25/2026``, where only month
    first makes sense, is read so); Excel serial numbers (``46086``).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return _serial(value)
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:[.,]0+)?", text):
        return _serial(float(text.replace(",", ".")))
    try:
        if found := _ISO.fullmatch(text):
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
        if found := _DMY.fullmatch(text):
            first, second, year = int(found[1]), int(found[2]), int(found[3])
            year += 2000 if year < 100 else 0
            if second > 12 and first <= 12 and "/" in text:
                first, second = second, first  # 03/25/2026: only month first makes sense
            return dt.date(year, second, first)
    except ValueError:
        return None
    return None


def _serial(number: float) -> dt.date | None:
    if not _SERIALS[0] <= number <= _SERIALS[1] or number != int(number):
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))
