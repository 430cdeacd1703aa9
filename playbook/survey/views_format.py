"""Formatting shared by the survey section's tables and sentences.

Numbers, intervals, margins and p-values in the client's language (a missing value shows
as "—"), the wording of a question by its id, column titles and lists of names from the
locale, and a table of display strings built from rows. Used by :mod:`playbook.survey.views`
and the modules of its parts; nothing here computes a statistic.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pandas as pd
from babel import dates as babel_dates

from playbook.report.i18n import Lang, Safe

if TYPE_CHECKING:
    from playbook.survey.analysis import SurveyAnalysis

__all__ = ["question_label", "one_decimal", "whole", "interval", "or_dash", "rows_table",
           "margin_pp", "p_text", "yes_no", "column_title", "join_and", "quoted_list",
           "period_label", "scale_marks", "Markdown"]

_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[QqКк]([1-4])\s*$")


def question_label(an: SurveyAnalysis, qid: str, lang: Lang, template=None) -> str:
    """A question's column header in ``lang`` (the id when the template lacks it).

    The question is looked up in ``template``, by default the regular questionnaire's.
    """
    tpl = template or an.template
    try:
        return tpl.question(qid).column.get(lang.code)
    except (KeyError, AttributeError):
        return qid


def one_decimal(lang: Lang, value) -> Safe:
    """A number with one decimal (an NPS, a difference in points), or "—" when missing."""
    return Safe("—") if value is None or pd.isna(value) else lang.num(value, 1)


def whole(lang: Lang, value) -> Safe:
    """A whole number (an NPS in the body: ``−2``), or "—" when missing."""
    return Safe("—") if value is None or pd.isna(value) else lang.num(value, 0)


def period_label(lang: Lang, value) -> str:
    """A wave or period as the reader writes it: ``2025-Q4`` -> ``4-й кв. 2025`` / ``Q4 2025``.

    Labels that are not a quarter (``2026``, ``весна``) stay as in the client's data.
    """
    text = str(value)
    match = _QUARTER.match(text)
    if not match:
        return text
    year, quarter = int(match.group(1)), int(match.group(2))
    return babel_dates.format_date(dt.date(year, 3 * quarter - 2, 1), format="QQQ yyyy",
                                   locale=lang.locale)


def scale_marks(lang: Lang, marks, high) -> Safe:
    """The answers that count, on their scale: ``9–10 of 10`` / ``9–10 из 10``."""
    low_mark, high_mark = marks
    span = (f"{lang.int(low_mark)}" if low_mark == high_mark
            else f"{lang.int(low_mark)}–{lang.int(high_mark)}")
    return Safe(lang.t("survey.marks", marks=Safe(span), high=lang.int(high)))


def interval(lang: Lang, low, high, digits: int = 1, *, pct: bool = False) -> Safe:
    """An interval ``low … high`` with ``digits`` decimals, or as percentages with ``pct``.

    "—" when either end is missing.
    """
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return Safe("—")
    if pct:
        return Safe(f"{lang.pct(low)} … {lang.pct(high)}")
    return Safe(f"{lang.num(low, digits)} … {lang.num(high, digits)}")


def or_dash(fmt, value) -> str:
    """``fmt(value)``, e.g. ``lang.pct(share)``, or "—" for a missing value."""
    return "—" if value is None or pd.isna(value) else fmt(value)


def rows_table(headings: list[str], rows: list[tuple]) -> pd.DataFrame:
    """A table of display strings from rows of cells, one cell per heading."""
    return pd.DataFrame({h: [r[i] for r in rows] for i, h in enumerate(headings)})


def margin_pp(lang: Lang, share) -> Safe:
    """A margin of error given as a share, in percentage points: ``±4.9 pp``, or "—"."""
    if share is None or pd.isna(share):
        return Safe("—")
    return Safe(lang.t("survey.pp", value=lang.num(share * 100, 1)))


def p_text(lang: Lang, p) -> str:
    """A p-value as plain text (``< 0.001`` is escaped where it is shown)."""
    if p is None or pd.isna(p):
        return "—"
    return f"<\u00a0{lang.num(0.001, 3)}" if p < 0.001 else str(lang.num(p, 3))


def yes_no(lang: Lang, flag) -> str:
    """The word for yes or no in ``lang``, as ``flag`` is true or false."""
    return lang.t("survey.yes") if bool(flag) else lang.t("survey.no")


def column_title(lang: Lang, key: str) -> str:
    """The title of a table column, ``survey.column.<key>`` in the locale."""
    return lang.t(f"survey.column.{key}")


def join_and(lang: Lang, items: list[str]) -> str:
    """Join plain strings into "a, b and c" (escaped by :meth:`Lang.t` as values)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {lang.t('survey.and')} {items[-1]}"


def quoted_list(lang: Lang, items: list[str]) -> str:
    """Names in the language's quotation marks, joined into "«a», «b» and «c»"."""
    return join_and(lang, [lang.t("survey.quote_marks", text=i) for i in items])


class Markdown:
    """A heading and intro from the locale (never client data), shown as Markdown."""

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}, {}
