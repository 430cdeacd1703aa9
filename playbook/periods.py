"""Complete calendar periods: where figures by month, quarter or year must stop.

Data usually ends inside a month (an export made on the 9th). A month that has had 9 of
its days looks like a collapse next to whole months, so every figure by calendar period
(revenue and customers per month, regularity of purchases, cohorts, retention by period,
the forecast check) stops at the last *complete* period; totals and per-customer figures
still use every day up to the analysis date. Imports nothing from the playbook, so every
package may use it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["FREQ", "complete_end", "is_period_end", "last_complete_period"]

#: pandas period codes of the calendar periods the playbook counts in.
FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


def _timestamp(day) -> pd.Timestamp:
    return pd.Timestamp(day).normalize()


def is_period_end(day, period: str = "month") -> bool:
    """Whether ``day`` is the last day of its month (quarter, year)."""
    stamp = _timestamp(day)
    return stamp == stamp.to_period(FREQ[period]).end_time.normalize()


def last_complete_period(day, period: str = "month") -> pd.Period:
    """The last month (quarter, year) that ends on or before ``day``.

    >>> str(last_complete_period("2011-12-09"))
    '2011-11'
    >>> str(last_complete_period("2011-11-30"))
    '2011-11'
    >>> str(last_complete_period("2011-12-09", "quarter"))
    '2011Q3'
    """
    stamp = _timestamp(day)
    current = stamp.to_period(FREQ[period])
    return current if is_period_end(stamp, period) else current - 1


def complete_end(day, period: str = "month") -> dt.date:
    """The last day of :func:`last_complete_period`: ``day`` itself when it ends a period."""
    return last_complete_period(day, period).end_time.date()
