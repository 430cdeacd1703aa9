"""From purchases to 1C document lines, and the lines as the 1C export's text.

:func:`sales_lines` simulates the demo client's customers (first purchases, then the
BG/NBD purchases and Gamma-Gamma values of :mod:`playbook.demo.purchases`) and splits each
purchase into a sales document of one to three lines of distinct product groups, with the
cost from each group's margin. :func:`number_documents` orders and numbers the documents,
:func:`transaction_text` formats lines as the export's columns (``dd.mm.yyyy`` dates,
decimal commas) and :func:`write_csv` writes them the way 1C does (``;``, CRLF).
"""

from __future__ import annotations

from typing import TextIO

import numpy as np
import pandas as pd

from playbook.demo.purchases import simulate_bgnbd, simulate_spend
from playbook.demo.settings import (
    CATEGORIES,
    CATEGORY_POPULARITY,
    DATES,
    DEMO_SETTINGS,
    HORIZON_WEEKS,
    TRUE_PARAMS,
)

__all__ = ["sales_lines", "number_documents", "transaction_text", "write_csv"]


def _births(n: int, rng: np.random.Generator) -> np.ndarray:
    """First-purchase times in weeks, sorted: more in the first quarter, then spread evenly."""
    early = rng.random(n) < DEMO_SETTINGS["early_share"]
    weeks = np.where(
        early,
        rng.uniform(0.0, DEMO_SETTINGS["early_weeks"], size=n),
        rng.uniform(0.0, HORIZON_WEEKS - 1.0, size=n),
    )
    return np.sort(weeks)


def sales_lines(n_customers: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Document lines of ``n_customers`` customers, not yet numbered nor sorted.

    Returns columns ``customer, t_weeks, day, line, category, amount, cost`` (compact
    dtypes) with ``day`` in days since the start, ``line`` 0.. within a document and money
    in kopecks.
    """
    purchases = simulate_bgnbd(
        n_customers, **TRUE_PARAMS["bgnbd"], birth_weeks=_births(n_customers, rng),
        horizon_weeks=HORIZON_WEEKS, rng=rng,
    )
    value = simulate_spend(
        purchases["customer"].to_numpy(), **TRUE_PARAMS["gamma_gamma"], rng=rng,
        n_customers=n_customers,
    )
    doc_amount = np.maximum(np.rint(value * 100).astype(np.int64), 100)
    n_docs = len(purchases)
    day = np.floor(purchases["t_weeks"].to_numpy() * 7).astype(np.int64)

    shares = DEMO_SETTINGS["lines_per_document"]
    n_lines = rng.choice(
        np.array([1, 2, 3]), size=n_docs, p=[shares["1"], shares["2"], shares["3"]]
    )
    # each customer has its own product mix; a document's groups are distinct, drawn from
    # that mix (Gumbel top-k: the k largest of log-weight + Gumbel noise)
    mix = rng.dirichlet(CATEGORY_POPULARITY * 4.0, size=n_customers)
    gumbel = rng.gumbel(size=(n_docs, len(CATEGORIES)))
    keys = np.log(mix[purchases["customer"].to_numpy()]) + gumbel
    ranked = np.argsort(-keys, axis=1)

    doc = np.repeat(np.arange(n_docs), n_lines)
    line = np.arange(doc.size) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    category = ranked[doc, line]
    # split the document's amount: random shares, kopecks rounded down, the rest on the last line
    weight = rng.gamma(2.0, size=doc.size) + 0.3
    weight_total = np.bincount(doc, weights=weight)
    amount = np.floor(doc_amount[doc] * weight / weight_total[doc]).astype(np.int64)
    last = line == n_lines[doc] - 1
    amount[last] += doc_amount - np.bincount(doc, weights=amount).astype(np.int64)

    margin = np.array([m for _, m in CATEGORIES])[category]
    noise = np.exp(rng.normal(0.0, DEMO_SETTINGS["cost_noise_sd"], size=doc.size))
    cost = np.rint(amount * (1.0 - margin) * noise).astype(np.int64)
    return {
        "customer": purchases["customer"].to_numpy().astype(np.int32)[doc],
        "t_weeks": purchases["t_weeks"].to_numpy()[doc],
        "day": day.astype(np.int16)[doc],
        "line": line.astype(np.int8),
        "category": category.astype(np.int8),
        "amount": amount,
        "cost": cost,
    }


def number_documents(lines: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Sort lines by date then purchase and number the documents 1.. in that order.

    Sorts the columns in place, one at a time, so that a large table is never held twice.
    """
    # the day is floor(7 * t_weeks), so sorting by time sorts by date
    order = np.lexsort((lines["line"], lines["customer"], lines["t_weeks"]))
    for column in lines:
        lines[column] = lines[column][order]
    lines["doc"] = np.cumsum(lines["line"] == 0, dtype=np.int64)
    return lines


def _money(kopecks: np.ndarray) -> pd.Series:
    """``1234550 -> '12345,50'``, ``-700 -> '-7,00'`` (object strings)."""
    kopecks = np.asarray(kopecks, dtype=np.int64)
    absolute = np.abs(kopecks)
    rubles = pd.Series(absolute // 100).astype(str)
    cents = pd.Series(absolute % 100).astype(str).str.zfill(2)
    sign = pd.Series(np.where(kopecks < 0, "-", ""))
    return (sign + rubles + "," + cents).astype(object)


def transaction_text(
    lines: pd.DataFrame,
    codes: np.ndarray,
    names: np.ndarray,
    managers: np.ndarray,
    *,
    prefix: str,
    width: int,
) -> pd.DataFrame:
    """Format numbered lines as the 1C export's text columns (``width``: digits of ``doc``)."""
    customer = lines["customer"].to_numpy()
    return pd.DataFrame({
        "Дата": DATES[lines["day"].to_numpy()],
        "Документ": [f"{prefix}{d:0{width}d}" for d in lines["doc"].tolist()],
        "Код клиента": codes[customer],
        "Контрагент": names[customer],
        "Номенклатурная группа": np.array([c for c, _ in CATEGORIES], dtype=object)[
            lines["category"].to_numpy()
        ],
        "Сумма": _money(lines["amount"].to_numpy()).to_numpy(),
        "Себестоимость": _money(lines["cost"].to_numpy()).to_numpy(),
        "Менеджер": managers[customer],
    })


def write_csv(frame: pd.DataFrame, handle: TextIO, *, header: bool) -> None:
    """Append a text frame to an open cp1251 handle, the way 1C exports it."""
    frame.to_csv(handle, sep=";", index=False, header=header, lineterminator="\r\n")
