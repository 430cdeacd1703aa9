"""Who is still a customer: the model's verdict when it can tell, a stated rule when not.

The BG/NBD model (:mod:`playbook.ltv.bgnbd`) says how likely each customer is to be still
active. Sometimes it cannot tell: when the fitted chance of leaving after a purchase is
near zero (every customer then looks active, however long ago it bought), when nearly
every customer gets a probability of 95% or more, or when the history is short against the
customers' rhythm of buying (fewer than three usual gaps between purchases: too few
chances to see anyone stop). Then activity is judged by a recency rule anyone can check:
a customer has *lapsed* when it has not bought for more than ``gaps`` times its own usual
gap between purchases; a one-time buyer, who has no rhythm of its own, when it has not
bought for more than ``gaps`` times the repeat customers' median gap.

Tables in, tables out; no I/O.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["NEAR_ZERO_DROPOUT", "CERTAIN", "NEARLY_ALL", "MIN_HISTORY_GAPS", "usual_gaps",
           "median_gap", "model_verdict", "recency_rule"]

#: A mean chance of leaving after a purchase, a / (a + b), below this is "near zero": a
#: customer would have to buy about a hundred times before the model expects it to leave.
NEAR_ZERO_DROPOUT = 0.01
#: A probability of being active at or above this is "certain"...
CERTAIN = 0.95
#: ...and when this share of customers is certain, the model tells no one apart.
NEARLY_ALL = 0.95
#: A history shorter than this many usual gaps between purchases shows too few chances
#: to stop buying for the model to learn who stops.
MIN_HISTORY_GAPS = 3


def usual_gaps(summary: pd.DataFrame, *, frequency: str = "frequency",
               recency: str = "recency") -> pd.Series:
    """Customer summary -> each customer's usual gap between purchases (NaN: one purchase).

    ``recency / frequency``: the time from the first to the last purchase day over the
    repeat purchase days, in the unit of ``recency`` (days in the intake summary).
    """
    freq = summary[frequency].astype(float)
    return (summary[recency].astype(float) / freq.where(freq > 0)).rename("usual_gap")


def median_gap(summary: pd.DataFrame, *, frequency: str = "frequency",
               recency: str = "recency") -> float | None:
    """The repeat customers' median usual gap (None without a repeat customer)."""
    gaps = usual_gaps(summary, frequency=frequency, recency=recency).dropna()
    return float(gaps.median()) if len(gaps) else None


def model_verdict(dropout: float, p_alive: pd.Series, *, history: float,
                  gap: float | None) -> str | None:
    """Why the fitted model cannot tell who has left, or None when it can.

    Parameters
    ----------
    dropout
        The fitted mean chance of leaving after a purchase, a / (a + b).
    p_alive
        Each customer's probability of being active.
    history, gap
        The length of the history the model was fitted on and the repeat customers'
        median gap between purchases, in one unit (None: no repeat customer).

    Returns
    -------
    str or None
        ``"dropout_near_zero"`` (below :data:`NEAR_ZERO_DROPOUT`), ``"nearly_all_alive"``
        (at least :data:`NEARLY_ALL` of the customers at :data:`CERTAIN` or above),
        ``"short_history"`` (``history`` under :data:`MIN_HISTORY_GAPS` gaps), or None.
    """
    if dropout < NEAR_ZERO_DROPOUT:
        return "dropout_near_zero"
    if len(p_alive) and float((p_alive >= CERTAIN).mean()) >= NEARLY_ALL:
        return "nearly_all_alive"
    if gap is not None and history < MIN_HISTORY_GAPS * gap:
        return "short_history"
    return None


def recency_rule(summary: pd.DataFrame, as_of: dt.date, *, gaps: float = 2.0,
                 customer_id: str = "customer_id", last_purchase: str = "last_purchase",
                 frequency: str = "frequency", recency: str = "recency") -> pd.DataFrame:
    """Customer summary (recency in days) -> customer_id, days_since, usual_gap, limit, lapsed.

    ``days_since`` counts the days from the last purchase to ``as_of``; ``usual_gap`` is
    :func:`usual_gaps` (NaN for one-time buyers); ``limit`` is ``gaps`` times the usual
    gap, or for one-time buyers ``gaps`` times the repeat customers' median gap (with no
    repeat customer at all, nobody is judged: the limit is infinite); ``lapsed`` is
    ``days_since > limit``.
    """
    days_since = (pd.Timestamp(as_of) - pd.to_datetime(summary[last_purchase])).dt.days
    own = usual_gaps(summary, frequency=frequency, recency=recency)
    typical = median_gap(summary, frequency=frequency, recency=recency)
    limit = gaps * own.fillna(typical if typical is not None else np.inf)
    return pd.DataFrame({
        "customer_id": summary[customer_id].to_numpy(),
        "days_since": days_since.to_numpy(),
        "usual_gap": own.to_numpy(),
        "limit": limit.to_numpy(dtype=float),
        "lapsed": (days_since.to_numpy() > limit.to_numpy(dtype=float)),
    })
