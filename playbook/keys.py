"""Customers as whole numbers: a large client's lines grouped by a number per customer.

Grouping ten million lines by the text of their customer id hashes every id again each
time: about a second a grouping. Grouping them by a number that follows the sorted ids
takes a fifth of that, and gives the same groups in the same order, each summed over the
same lines in the same order: the same figures, to the last bit.

A notebook's run codes its customers once (``RunContext.transactions(columns=[..., KEY])``
adds :data:`KEY`, a categorical column whose categories are the sorted ids); an analysis
handed a plain table, by a test or another caller, codes them itself. Imports nothing from
the playbook, so every package may use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["KEY", "coded", "customer_codes", "group_key", "pair_sums", "with_ids"]

#: The column of each line's customer as a categorical: codes in the order of the sorted
#: ids (``pd.factorize(customer_id, sort=True)``), the ids as its categories.
KEY = "customer_key"


def coded(ids: pd.Series) -> pd.Series:
    """The :data:`KEY` column of lines whose customers are ``ids``."""
    code, uniques = pd.factorize(ids, sort=True)
    return pd.Series(pd.Categorical.from_codes(code, categories=pd.Index(uniques)),
                     name=KEY, copy=False)


def customer_codes(frame: pd.DataFrame, customer_id: str = "customer_id"
                   ) -> tuple[np.ndarray, pd.Index]:
    """Each row's customer as a number, and the ids the numbers stand for.

    The same as ``pd.factorize(frame[customer_id], sort=True)``: int64 numbers that follow
    the sorted ids, -1 for a row without one. Read from the frame's :data:`KEY` column when it
    has one (coded once for the run), else worked out here.
    """
    if customer_id == "customer_id" and KEY in frame:
        key = frame[KEY]  # int64, as factorize gives: the callers compute with them
        return key.cat.codes.to_numpy().astype(np.int64), key.cat.categories
    code, ids = pd.factorize(frame[customer_id], sort=True)
    return code, pd.Index(ids)


def group_key(code: np.ndarray) -> np.ndarray:
    """``code`` as pandas should group by it: a row without a customer (-1) in no group,
    as ``groupby`` leaves out a missing id.
    """
    if len(code) and code.min() < 0:
        return np.where(code >= 0, code, np.nan)
    return code


def with_ids(result: pd.Series | pd.DataFrame, ids: pd.Index, name: str = "customer_id"):
    """``result``, grouped by :func:`customer_codes`' numbers, indexed by the ids instead:
    what grouping by the ids themselves gives.
    """
    result.index = ids.take(result.index.to_numpy(dtype=np.int64)).rename(name)
    return result


#: Lines :func:`pair_sums` groups at once at most: a larger table is grouped by ranges of
#: customers, as pandas' grouping of ten million lines holds about half a gigabyte
#: beside them (its table of pairs, codes and order) and kernels run side by side.
PAIR_LINES = 2_000_000


def pair_sums(values: pd.Series, code: np.ndarray, other: np.ndarray, span: int
              ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """``values`` summed per (customer, other) pair: ``groupby([customer, other]).sum()``'s
    groups, order and sums, as one number per pair (customer first) instead of hashing pairs.

    ``code``: :func:`customer_codes`' numbers; ``other``: whole numbers in ``0 .. span - 1``
    (a month, a period, a category). Returns the sums and each sum's customer and other.

    More than :data:`PAIR_LINES` lines (numbers, not in the pairs' order) are grouped a range
    of customers at a time: each pair's lines are all in one range, in their order, and the
    ranges follow each other in the customers' order. Pandas sums lines in the pairs' order
    one way (``ufunc.reduceat``) and others another (compensated, skipping NaN): each range
    leads with a line of its own that is out of order (dropped after), so that every range
    is summed the way the whole table would be, to the last bit.
    """
    span = max(span, 1)
    lines = values.to_numpy() if isinstance(values.dtype, np.dtype) else None
    if len(code) <= PAIR_LINES or lines is None or _in_order(code, other, span):
        sums = values.groupby(group_key(code) * span + other).sum()
    else:
        parts = []
        for low, high in _customer_ranges(code, PAIR_LINES):
            mine = (code >= low) & (code < high)
            part = pd.Series(np.concatenate([np.zeros(1, dtype=lines.dtype), lines[mine]]),
                             name=values.name) \
                .groupby(np.concatenate([[high * span], code[mine] * span + other[mine]])).sum()
            parts.append(part.iloc[:-1])  # (the range's own first line: its last pair)
        sums = pd.concat(parts)
    pairs = sums.index.to_numpy().astype(np.int64)
    return sums, pairs // span, pairs % span


def _in_order(code: np.ndarray, other: np.ndarray, span: int) -> bool:
    """Whether every line's pair is at or after the one before, the lines without a customer
    first: pandas sums each pair's run of such lines at once.
    """
    if not (code[1:] >= code[:-1]).all():  # (a line's customers first: no copy of them)
        return False
    pair = np.where(code >= 0, code * span + other, -1)
    return bool((pair[1:] >= pair[:-1]).all())


def _customer_ranges(code: np.ndarray, lines: int) -> list[tuple[int, int]]:
    """Consecutive ranges ``[low, high)`` of the customers' numbers that together hold every
    line with a customer, each about ``lines`` lines (one customer's lines never split).
    """
    counts = np.bincount(code[code >= 0])
    if not len(counts):
        return []
    ends = np.searchsorted(np.cumsum(counts), np.arange(lines, counts.sum(), lines)) + 1
    edges = np.unique(np.concatenate([[0], ends, [len(counts)]]))
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))
