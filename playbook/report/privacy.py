"""Contacts out of the report: e-mail addresses and phone numbers in free text are masked.

The report quotes what customers wrote (survey answers, exit reasons, wishes); a customer
who left a phone number or an address in an answer must not find it in a document that
circulates at the client. :func:`mask_contacts` replaces them with ``[телефон скрыт]`` /
``[phone hidden]`` and ``[e-mail скрыт]`` / ``[e-mail hidden]``. Contacts belong to the
managers' exports (:mod:`playbook.exports`), never to the report.

What counts as a phone: a run of digits and the separators people write between them
(spaces, non-breaking spaces, dashes of any kind, dots, slashes, brackets) that has

- a Russian prefix (``+7``, ``7`` or ``8``) and ten more digits;
- an international prefix (``+``, ``00`` or Russia's ``8 10``) and a country code, then
  seven to fifteen more digits;
- ten digits and no prefix, when they start with a mobile code (``9xx``; written ``9 xxx``
  it is a sum of money), an area code in brackets (``(495)``, ``(3452)``, ``(34522)``) or
  the grouping is ``xxx xxx xx xx``;
- seven digits grouped ``xxx-xx-xx`` (a local number; dashes, dots or spaces).

Dates (``12.03.2024``), sums of money (``1 200 руб.``, ``1 500 000``), years, percentages,
five- and six-digit order numbers and 12-digit tax numbers do not look like that and are
left alone. The rules err towards masking: a 10-digit number that starts with 9 (a tax
number of some regions, say) is masked too. Known gaps: a sum of tens of billions written
in thousands (``75 000 000 000``) is masked as a phone, and a six-digit local number
without its area code (``12-34-56``) is not.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["mask_contacts", "MASKS"]

#: The masks per language: (e-mail, phone).
MASKS = {"ru": ("[e-mail скрыт]", "[телефон скрыт]"), "en": ("[e-mail hidden]", "[phone hidden]")}

# One to three separators between two digits of a phone: whitespace (including the
# non-breaking kinds), hyphens and dashes, the minus sign, dots, slashes, brackets.
_SEP_CHARS = r"\s\-\u2010-\u2015\u2212./()\[\]"
# A long dash with spaces on both sides ("№70000 — 2000-01-01") is a pause in a sentence;
# inside a phone number people write a hyphen ("8 - 912 - 345-67-89" stays a phone).
_NOT_A_PAUSE = r"(?!\s[\u2013\u2014\u2015\u2212]\s)"
_SEP = rf"{_NOT_A_PAUSE}[{_SEP_CHARS}]{{0,3}}"
_SEP1 = rf"{_NOT_A_PAUSE}[{_SEP_CHARS}]{{1,3}}"
# Not inside a word or a longer number, and not at a date (8.03.2024 12.03.2024 is two dates).
_START = r"(?<![\w+])(?!\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d(?!\d))"
_END = r"(?!\d)"

_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*"
    r"\.(?:[^\W\d_]{2,}|xn--[\w\-]+)(?![\w\-])")

_PHONES = [
    # international from Russia or elsewhere: 8 10 or 00, a country code and 7-15 digits
    re.compile(_START + r"(?:8[\s\-]?10|00)\s?[1-9]" + rf"(?:{_SEP}\d){{7,15}}" + _END),
    # Russian: +7, 7 or 8 and ten digits in any grouping: +7 (912) 345-67-89, 8.912.345.67.89
    re.compile(_START + r"(?:\+\s?7|8|7)" + rf"(?:{_SEP}\d){{10}}" + _END),
    # international: + and a country code, then 7-15 digits
    re.compile(_START + r"\+\s?[1-9]" + rf"(?:{_SEP}\d){{7,15}}" + _END),
    # ten digits without a prefix: a mobile code, an area code in brackets, 3-3-2-2
    re.compile(_START + r"(?:\(9\d\d\)" + rf"(?:{_SEP}\d){{7}}|9\d(?:{_SEP}\d){{8}})" + _END),
    re.compile(_START + r"(?:\(\d{3}\)" + rf"(?:{_SEP}\d){{7}}" + r"|\(\d{4}\)"
               + rf"(?:{_SEP}\d){{6}}" + r"|\(\d{5}\)" + rf"(?:{_SEP}\d){{5}})" + _END),
    re.compile(_START + rf"\d{{3}}{_SEP1}\d{{3}}{_SEP1}\d{{2}}{_SEP1}\d{{2}}" + _END),
    # a local number: 345-67-89, 345.67.89, 345 67 89 (the same separator twice)
    re.compile(r"(?<![\w+\-.])\d{3}([\-.\s])\d{2}\1\d{2}(?![\w\-]|\.\d)"),
]


def mask_contacts(text: str | None, *, lang: str = "ru") -> str:
    """Mask e-mail addresses and phone numbers in a free-text answer, for display.

    E-mail: any address with a domain and a top-level domain of letters (``почта@пример.рф``,
    ``a.b+tag@mail.sub.example.com``) or in punycode (``xn--p1ai``). Phones: see the
    module's docstring (Russian and international numbers in any usual grouping, with or
    without the prefix).

    Parameters
    ----------
    text
        The answer; ``None`` or a missing value gives ``""``.
    lang
        Language of the masks (``[телефон скрыт]`` / ``[phone hidden]``); other codes get
        the Russian ones.

    Returns
    -------
    str
        The text with every contact replaced by a mask; plain text, not escaped.
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    email_mask, phone_mask = MASKS[lang if lang in MASKS else "ru"]
    out = _EMAIL.sub(email_mask, str(text))
    for pattern in _PHONES:
        out = pattern.sub(phone_mask, out)
    return out
