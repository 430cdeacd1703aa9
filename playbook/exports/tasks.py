"""What every file for the client's staff shares: the task lists' keys, columns and statuses
(format version 1 of docs/workbooks.md), their words in the client's language, the
formula guard, contact checks and the managers' file names.

Contact details live only in the exports, never in the report. Every text cell is passed
through :func:`neutralise`: a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe, so no spreadsheet runs it as a formula (a
phone number that validates is the one exception: it is written as text with Excel's
quote prefix instead, so it reads as typed and still never runs).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

from playbook.report.i18n import Lang

__all__ = ["FORMAT", "LISTS", "TASK_COLUMNS", "ALWAYS", "CONTEXT", "FILLED", "STATUSES",
           "UNASSIGNED", "MAX_STEM_BYTES", "neutralise", "plain_text", "label", "list_name",
           "status_name", "phone_link", "email_link", "manager_stem", "digest"]

#: ``keywords`` of every task workbook: the format the reader of filled-in workbooks reads.
FORMAT = "playbook-tasks v1"
#: The task lists, by their stable keys, in the order of a workbook's sheets.
LISTS = ("calls", "retain", "winback", "apology", "greetings", "penetration")
#: The columns of a list sheet, in order (their headers: ``exports.column.<key>``).
TASK_COLUMNS = ("task_id", "list", "customer_id", "customer_name", "contact_person", "phone",
                "email", "segment", "rung", "value_band", "last_purchase", "revenue_12m",
                "usual_category", "drop_share", "p_alive", "share_of_wallet", "value_at_stake",
                "reason", "suggested_action", "given", "due_date", "manager", "status",
                "date_done", "comment")
#: Columns every list sheet has, even when empty.
ALWAYS = ("task_id", "customer_id", "status", "date_done", "comment")
#: What a manager needs on the call, besides who and why (left out of a sheet when empty).
CONTEXT = ("segment", "rung", "value_band", "last_purchase", "revenue_12m", "usual_category",
           "drop_share", "p_alive", "share_of_wallet")
#: The columns the manager fills in.
FILLED = ("status", "date_done", "comment")
#: The statuses of the drop-down (``exports.status.<key>``); ``todo`` is every row's start.
STATUSES = ("todo", "done", "no_answer", "refused", "won_back")
#: The manager of customers without one (its file: ``exports.unassigned_file``).
UNASSIGNED = "unassigned"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value safe for spreadsheets: text starting a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def plain_text(text: str) -> str:
    """Locale sentences are HTML-escaped for the report; exports want them as plain text."""
    return html.unescape(text)


def label(key: str, lang: Lang) -> str:
    """A task column's header in the client's language."""
    return plain_text(lang.t(f"exports.column.{key}"))


def list_name(key: str, lang: Lang) -> str:
    """A task list's name in the client's language (its sheet's title, cut to 31 characters)."""
    return plain_text(lang.t(f"exports.list.{key}"))


def status_name(key: str, lang: Lang) -> str:
    """A status as the drop-down shows it."""
    return plain_text(lang.t(f"exports.status.{key}"))


_PHONE = re.compile(r"^\+?[\d\s()\-.]{6,30}$")
_EMAIL = re.compile(r"^[\w.%+'-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*"
                    r"\.[^\W\d_]{2,}$")


def phone_link(value) -> str | None:
    """``tel:`` link of a phone number, or None when the text is not one.

    A phone number is digits with the usual separators (spaces, brackets, dashes, dots),
    optionally after a ``+``, 10 to 15 digits. A Russian 11-digit number written with a
    leading 8 is dialled as +7; eleven digits starting with 7 get the ``+``.
    """
    if not isinstance(value, str) or not _PHONE.match(value.strip()):
        return None
    text = value.strip()
    digits = re.sub(r"\D", "", text)
    if not 10 <= len(digits) <= 15:
        return None
    if text.startswith("+"):
        return f"tel:+{digits}"
    if len(digits) == 11 and digits[0] in "78":
        return f"tel:+7{digits[1:]}"
    return f"tel:{digits}"


def email_link(value) -> str | None:
    """``mailto:`` link of an e-mail address, or None when the text is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > 254 or not _EMAIL.match(text) or ".." in text:
        return None
    return f"mailto:{text}"


#: The longest file stem in UTF-8 bytes.
MAX_STEM_BYTES = 80
_HASH_CHARS = 8
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
#: Stems Windows keeps for devices (also with an extension), and the exports' own files.
_RESERVED = re.compile(r"(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$"
                       r"|unassigned|без_менеджера|segments|mailings|рассылки)", re.IGNORECASE)


def manager_stem(manager, lang: Lang | None = None) -> str:
    """The file stem of a manager's workbook: readable, safe and distinct.

    A plain name (words of letters and digits, one space between them, each word
    capitalised as a name is: ``Лебедев Дмитрий Сергеевич``) gives its words joined by
    ``_``. Any other name gives the readable part (its letters and digits, cut to fit)
    and ``-`` with the first eight hex digits of the SHA-256 of the exact name:
    ``Иванов И. И.`` -> ``Иванов_И_И-0cab8971``, ``a/b`` and ``a:b`` two different stems,
    ``😀`` -> ``manager-f0443a34``. So does a plain name that Windows reserves (``Con``, ``Lpt1``)
    or that the exports use (``Segments``, ``Рассылки``), or one longer than
    :data:`MAX_STEM_BYTES`. The same name always gives the same stem; two names never share
    one, even where file names ignore case (plain stems have no ``-`` and differ in more
    than case; hashed ones differ in the hash). Customers without a manager go to
    ``Без_менеджера`` / ``unassigned`` (``exports.unassigned_file`` of ``lang``; without a
    language, ``unassigned``).
    """
    if manager == UNASSIGNED:
        return plain_text(lang.t("exports.unassigned_file")) if lang else UNASSIGNED
    name = str(manager)
    words = _WORD.findall(unicodedata.normalize("NFC", name))
    readable = "_".join(words)
    plain = (bool(words) and name == " ".join(words) and name == name.title()
             and not _RESERVED.fullmatch(readable)
             and len(readable.encode("utf-8")) <= MAX_STEM_BYTES)
    if plain:
        return readable
    room = MAX_STEM_BYTES - _HASH_CHARS - 1
    cut = readable.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip("_")
    return f"{cut or 'manager'}-{digest(name)[:_HASH_CHARS]}"


def digest(name: str) -> str:
    """The SHA-256 of a manager's exact name: in the file name (cut) and the workbook."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
