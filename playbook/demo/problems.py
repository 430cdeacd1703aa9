"""The data-quality problems planted on purpose in the demo's transactions file.

:func:`return_lines` gives sold lines back in full a few days later, as ``ВК-`` documents;
:func:`plant_problems` spoils disjoint sets of sale rows with exact duplicates, blank
customer codes, dates typed in the future and amounts with a space or a no-break space as
thousands separator. ``data_samples/README.md`` documents them; the counts are in
:data:`playbook.demo.settings.DEMO_SETTINGS` (``"problems"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.demo.settings import DEMO_SETTINGS, N_DAYS

__all__ = ["return_lines", "plant_problems"]


def return_lines(lines: pd.DataFrame, n_returns: int, rng: np.random.Generator) -> pd.DataFrame:
    """Return lines: a sold line given back in full 3-30 days later, as a ``ВК-`` document."""
    eligible = np.flatnonzero(lines["day"].to_numpy() <= N_DAYS - 36)
    chosen = np.sort(rng.choice(eligible, size=n_returns, replace=False))
    back = lines.iloc[chosen].copy()
    back["day"] = back["day"].to_numpy() + rng.integers(3, 31, size=n_returns)
    back["amount"] = -back["amount"]
    back["cost"] = -back["cost"]
    back["line"] = 0
    back = back.sort_values(["day", "doc"], kind="stable").reset_index(drop=True)
    back["doc"] = np.arange(1, n_returns + 1)
    return back


def plant_problems(
    text: pd.DataFrame, is_sale: np.ndarray, amount: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Plant the documented data-quality problems on disjoint sets of sale rows."""
    planned = DEMO_SETTINGS["problems"]
    text = text.copy()
    pool = rng.permutation(np.flatnonzero(is_sale))
    taken = np.zeros(len(text), dtype=bool)

    def take(count: int, allowed: np.ndarray) -> np.ndarray:
        rows = pool[allowed[pool] & ~taken[pool]][:count]
        taken[rows] = True
        return np.sort(rows)

    everywhere = np.ones(len(text), dtype=bool)
    # a document's date and customer are the document's: spoil them on one-line documents
    single = (text.groupby("Документ")["Документ"].transform("size") == 1).to_numpy()
    in_2026 = single & text["Дата"].str.endswith(".2026").to_numpy()
    big = amount >= 100_000  # from 1 000 RUB, so a thousands separator shows

    duplicated = take(planned["duplicates"], everywhere)
    blank = take(planned["blank_customer_code"], single)
    future = take(planned["future_dates"], in_2026)
    spaced = take(planned["thousands_space"], big)
    nbsp = take(planned["thousands_nbsp"], big)

    text.loc[blank, "Код клиента"] = ""
    text.loc[future, "Дата"] = text.loc[future, "Дата"].str.replace(".2026", ".2062")
    for rows, separator in ((spaced, " "), (nbsp, "\u00a0")):
        for column in ("Сумма", "Себестоимость"):
            values = text.loc[rows, column]
            text.loc[rows, column] = [_group_thousands(v, separator) for v in values]
    # the duplicates sit right after their originals, as a double export does
    order = np.sort(np.concatenate((np.arange(len(text)), duplicated)), kind="stable")
    text = text.iloc[order].reset_index(drop=True)
    counts = {
        "duplicates": len(duplicated),
        "blank_customer_code": len(blank),
        "future_dates": len(future),
        "thousands_space": len(spaced),
        "thousands_nbsp": len(nbsp),
    }
    return text, counts


def _group_thousands(text: str, separator: str) -> str:
    """``'-1234567,89' -> '-1 234 567,89'`` with the given separator."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, cents = body.split(",")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + separator.join([whole, *groups]) + "," + cents

