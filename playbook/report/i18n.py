"""Client-facing text in Russian and English, and locale formatting of numbers, money and dates.

Every sentence, label and heading a client reads comes from ``playbook/locales/<lang>/``
(one YAML file per section of the report, merged) and is chosen by ``client.language``;
numbers, money and dates are formatted by Babel in the language's locale. Values interpolated
into a sentence are HTML-escaped, so text that comes from client data can never inject markup
into the report.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import numbers
import re
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

__all__ = ["LANGUAGES", "PLURAL_FORMS", "texts", "Lang", "Safe", "Count"]

LANGUAGES = {"ru": "ru_RU", "en": "en_US"}
#: The CLDR plural categories a noun's forms are written in, per language: a locale text
#: writes ``{n} {n:клиент|клиента|клиентов}`` (one, few, many) or ``{n:customer|customers}``.
#: A fraction is CLDR's "other": in Russian it takes the "few" form (1,5 клиента) unless a
#: fourth form is given.
#: English scale letters as a British or American business reader writes them.
_EN_SCALE = {"K": "k", "M": "m", "B": "bn", "T": "tn"}
PLURAL_FORMS = {"ru": ("one", "few", "many", "other"), "en": ("one", "other")}
_LOCALES = Path(__file__).resolve().parents[1] / "locales"


@cache
def texts(lang: str) -> dict:
    """The flattened text catalogue of a language: ``{"report.title": "...", ...}``."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    flat: dict[str, str] = {}

    def walk(prefix: str, node) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(name + ".", value)
            else:
                flat[name] = value
    for path in sorted((_LOCALES / lang).glob("*.yaml")):
        walk("", yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return flat


class Lang:
    """Text and formatting for one report language and currency.

    ``lang.t("intake.overview", customers=lang.int(3000))`` returns the sentence with the
    values filled in; plain strings among the values are escaped for HTML.
    """

    def __init__(self, code: str, currency: str = "RUB"):
        self.code = code
        self.locale = LANGUAGES[code]
        # parsed once: Babel parses a locale given by name on every call, and a large
        # client's workbooks format hundreds of thousands of numbers
        self._babel = Locale.parse(self.locale)
        self.currency = currency
        self._texts = texts(code)
        # whole numbers and amounts as Babel writes them, without Babel's work per number
        self._whole = WholeNumbers(lambda n: babel_numbers.format_decimal(
            n, locale=self._babel))
        self._whole_money = WholeNumbers(lambda n: babel_numbers.format_currency(
            n, currency, format="#,##0\u00a0¤" if code == "ru" else "¤#,##0",
            locale=self._babel, currency_digits=False))

    def t(self, key: str, **values) -> str:
        """The text ``key`` with ``values`` filled in (strings are HTML-escaped)."""
        try:
            template = self._texts[key]
        except KeyError:
            raise KeyError(f"no text {key!r} in playbook/locales/{self.code}/") from None
        safe = {k: (html.escape(v) if isinstance(v, str) and not isinstance(v, Safe) else v)
                for k, v in values.items()}
        return template.format(**safe) if values else template

    def has(self, key: str) -> bool:
        """Whether the catalogue has ``key``."""
        return key in self._texts

    def int(self, value) -> Count:
        """A whole number with the locale's grouping: ``12 345`` / ``12,345``."""
        value = round(value)
        return Count(_minus(self._whole(value)), value, self.code)

    def num(self, value, digits: int = 1) -> Count:
        """A number with ``digits`` decimals."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return Count(_minus(babel_numbers.format_decimal(value, format=pattern,
                                                         locale=self._babel)),
                     round(value, digits) if digits else round(value), self.code)

    def plural(self, value, forms: str) -> str:
        """The form of a noun that agrees with ``value``: ``plural(21, "клиент|клиента|клиентов")``
        gives ``клиент`` (CLDR plural rules, see :data:`PLURAL_FORMS`).
        """
        return format(Count(str(value), value, self.code), forms)

    def money(self, value, digits: int = 0) -> Safe:
        """An amount in the client's currency: ``1 234 567 ₽`` / ``RUB 1,234,567``."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return Safe("—")
        if digits == 0:
            text = self._whole_money(value)
        else:
            text = babel_numbers.format_currency(value, self.currency, locale=self._babel)
        return Safe(_minus(_code_space(text)))

    def money_short(self, value, digits: int = 1) -> Safe:
        """An amount rounded to the scale a reader takes in at a glance, for tiles, summaries
        and prose: ``812,6 млн ₽``, ``45,3 тыс. ₽`` / ``RUB 812.6m``, ``£8.3m``, ``£45.3k``.
        Tables and the appendix keep exact amounts (:meth:`money`).
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return Safe("—")
        if abs(value) < 10_000:
            return self.money(value)
        text = babel_numbers.format_compact_currency(value, self.currency, locale=self._babel,
                                                     fraction_digits=digits)
        if self.code == "en":
            text = re.sub(r"(\d)([KMBT])\b", lambda m: m.group(1) + _EN_SCALE[m.group(2)],
                          text)
        return Safe(_minus(_code_space(text)))

    def pct(self, share, digits: int = 1) -> Safe:
        """A share (0.25) as a percentage: ``25,0 %`` / ``25.0%``."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return Safe(_minus(babel_numbers.format_percent(share, format=pattern,
                                                        locale=self._babel)))

    def date(self, value, style: str = "long") -> Safe:
        """A date: ``31 октября 2026 г.`` / ``October 31, 2026``; ``compact``: ``31.10.2026`` /
        ``Oct 31, 2026``.
        """
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        if isinstance(value, dt.datetime):
            value = value.date()
        if style == "compact":
            style = "dd.MM.yyyy" if self.code == "ru" else "MMM d, yyyy"
        return Safe(babel_dates.format_date(value, format=style, locale=self._babel))

    def month(self, value) -> Safe:
        """A month: ``окт. 2026`` / ``Oct 2026``."""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        return Safe(babel_dates.format_date(value, format="LLL yyyy", locale=self._babel))


class Safe(str):
    """A string already safe for HTML (formatted numbers, escaped text)."""


class Count(Safe):
    """A formatted number that also picks the form of the noun it counts.

    ``"{n} {n:клиент|клиента|клиентов}".format(n=lang.int(21))`` gives ``21 клиент``: the
    format spec lists the noun's forms in the order of the language's CLDR plural
    categories (:data:`PLURAL_FORMS`); an empty spec gives the number itself.
    """

    def __new__(cls, text: str, value, code: str):
        """``text`` as shown, ``value`` the number it shows, ``code`` the language."""
        self = super().__new__(cls, text)
        self.value, self.code = value, code
        return self

    def __reduce__(self):
        return Count, (str(self), self.value, self.code)  # copies and pickles keep the value

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        forms = spec.split("|")
        category = _plural_rule(self.code)(abs(self.value))
        order = PLURAL_FORMS[self.code]
        if category == "other" and len(forms) < len(order) and "few" in order:
            category = "few"  # a fraction takes the genitive singular: 1,5 клиента
        index = order.index(category) if category in order else len(order) - 1
        return forms[min(index, len(forms) - 1)]


class WholeNumbers:
    """A number rounded to a whole one and written as ``babel_format`` writes it, by
    Python's own grouping of digits once the pattern around them is known: Babel parses
    its pattern and rounds through Decimal on every call, tens of microseconds a number,
    and a large client's task lists write a few hundred thousand of them.

    The pattern (what comes before and after the digits, for positive and negative
    numbers, and the grouping mark) is read from Babel's own output, then checked against
    Babel on numbers around every grouping boundary; when anything differs (a locale that
    groups otherwise), every number goes to Babel. Numbers that round to zero, are not
    finite or are too large for a double's whole digits go to Babel too.
    """

    _PROBES = (0, 1, 7, 12, 123, 999, 1000, 1001, 1234, 9999, 10000, 12345, 99999, 100000,
               999999, 1000000, 1234567, 987654321, 10**12 + 1, 10**15 - 1)
    _LIMIT = 2**53  # whole numbers a double holds exactly

    def __init__(self, babel_format):
        self._babel = babel_format
        self._parts = self._learn()

    def _learn(self):
        sample = self._babel(1234567)
        found = re.fullmatch(r"(.*?)1(?P<mark>\D+)234(?P=mark)567(.*)", sample, flags=re.S)
        negative = found and re.fullmatch(
            r"(.*?)1" + re.escape(found[2]) + "234" + re.escape(found[2]) + r"567(.*)",
            self._babel(-1234567), flags=re.S)
        if not negative:
            return None
        self._parts = (found[1], found[3], negative[1], negative[2], found[2])
        probes = [n for p in self._PROBES for n in (p, -p)]
        return self._parts if all(self._fast(n) == self._babel(n) for n in probes) else None

    def _fast(self, number: int) -> str:
        before, after, minus_before, minus_after, mark = self._parts
        digits = f"{abs(number):,}".replace(",", mark)
        return (before + digits + after if number >= 0
                else minus_before + digits + minus_after)

    def __call__(self, value) -> str:
        if self._parts is not None:
            if isinstance(value, numbers.Integral) and abs(value) < self._LIMIT:
                return self._fast(int(value))
            # a double, rounded half to even as Babel rounds it (a double that prints as
            # x.5 is x.5 exactly); one that rounds to zero may keep its sign in Babel
            if isinstance(value, float | np.floating) and 0.5 < abs(value) < self._LIMIT:
                return self._fast(round(float(value)))
        return self._babel(value)


def _minus(text: str) -> str:
    """A typographic minus (U+2212) instead of the hyphen Babel writes: ``−5``, ``−25,0%``."""
    return text.replace("-", "\u2212")


def _code_space(text: str) -> str:
    """A no-break space between an ISO currency code and its number (``RUB 9,016``, not
    ``RUB9,016``); symbols stay attached (``£9,016``).
    """
    return re.sub(r"(?<![A-Za-z])([A-Z]{3})(?=[\d-])", "\\1\u00a0", text)


@cache
def _plural_rule(code: str):
    return Locale.parse(LANGUAGES[code]).plural_form
