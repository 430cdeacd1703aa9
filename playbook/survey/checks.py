"""Small helpers the survey modules share: checking their inputs and splitting tables.

:func:`require` checks that a table has the columns an analysis needs, :func:`numeric`
that a column holds numbers in range, :func:`check_lang` that the labels are written in the
language asked for and :func:`z_quantile` that a confidence level is one. :func:`by_list`
turns a ``by`` argument into a list of columns and :func:`each_group` splits a table by
them. :func:`float_or_none` turns a figure into what results.json keeps (``None`` for a
missing value). The messages name the column and what it was needed for, so that a
consultant can correct the client's file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from playbook.errors import DataError

__all__ = [
    "GroupBy",
    "by_list",
    "require",
    "numeric",
    "z_quantile",
    "check_lang",
    "each_group",
    "float_or_none",
]

#: A ``by`` argument: one column, several, or ``None`` for the whole table.
GroupBy = str | Sequence[str] | None


def by_list(by: GroupBy) -> list[str]:
    """The columns of a ``by`` argument as a list (empty for ``None``)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a survey table that lacks any of ``columns``, naming ``what`` needs them.

    Raises
    ------
    playbook.errors.DataError
        When a column is missing; the message lists the table's columns.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(repr, list(frame.columns)[:12]))
        raise DataError(
            f"The survey table has no column {', '.join(map(repr, missing))}, needed for {what}. "
            f"Its columns are {have}. Pass the right column name, or rename the export's "
            "headers to question ids with playbook.survey.questionnaire.prepare_responses.")


def numeric(frame: pd.DataFrame, column: str, what: str, *, low: float | None = None,
            high: float | None = None) -> pd.Series:
    """Return the column as floats (missing stays missing), checking it holds numbers in range.

    Raises
    ------
    playbook.errors.DataError
        When an answer is not a number, or is below ``low`` or above ``high``.
    """
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    text = frame[column].astype("string").str.strip().fillna("")
    bad = (values.isna() & (text != "")).to_numpy(dtype=bool)
    if bad.any():
        example = frame.loc[bad, column].iloc[0]
        raise DataError(f"Column {column!r} ({what}) holds {int(bad.sum())} answers that are not "
                        f"numbers, e.g. {example!r}. Correct them or leave the cells blank.")
    below = (values < low).to_numpy() if low is not None else np.zeros(len(values), bool)
    above = (values > high).to_numpy() if high is not None else np.zeros(len(values), bool)
    off = below | above
    if off.any():
        example = values[off].iloc[0]
        where = (f"outside {low:g}-{high:g}" if low is not None and high is not None
                 else f"below {low:g}" if low is not None else f"above {high:g}")
        raise DataError(f"Column {column!r} ({what}) holds {int(off.sum())} answers {where}, "
                        f"e.g. {example:g}. Correct them or leave them blank.")
    return values


def z_quantile(confidence: float) -> float:
    """The normal quantile of a two-sided interval at ``confidence`` (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    from scipy import stats  # on first use: importing scipy.stats costs intake most of a second

    return float(stats.norm.ppf(0.5 + confidence / 2))


def check_lang(lang: str) -> str:
    """Return ``lang``, refusing a language the labels are not written in (``ru``, ``en``)."""
    if lang not in ("ru", "en"):
        raise ValueError(f"unsupported language {lang!r}; use 'ru' or 'en'")
    return lang


def each_group(frame: pd.DataFrame, by: list[str]) -> Iterator[tuple[dict, pd.DataFrame]]:
    """Yield ``(key_dict, subframe)`` per group (one group when ``by`` is empty), sorted."""
    if not by:
        yield {}, frame
        return
    for key, part in frame.groupby(by, sort=True, dropna=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(by, key, strict=True)), part


def float_or_none(value) -> float | None:
    """A figure as a float, or ``None`` when it is missing (as results.json keeps it)."""
    return None if value is None or pd.isna(value) else float(value)
