"""The service standards' known effect on the demo's sales: each customer's branch, and
purchases brought forward in the pilot while its standards are in force and the other
branches' are not yet.

The effect is planted by moving purchases, not adding them: a customer of the pilot's base
(a purchase in the 12 months before) who would not have bought in a month of the pilot's
half year buys then, with probability :data:`PULL_FORWARD`, the purchase it would have
made after that half year (before the follow-up's hand-over; never its first or its last
purchase, never onto a day it already buys). So every customer keeps its number of
purchases, its first and last purchase and its spend: the BG/NBD and Gamma-Gamma truths
fitted on all the sales still hold, while the pilot's share of customers buying in a month
rises against the other branches. The truth is measured on the data itself: the pilot's
repeat rate and revenue per customer of its base over the half year, with the moves
against without them.

``customer_branches(managers, rng)``; ``bring_forward(lines, branches, rng, ...) -> (lines,
truth)``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from playbook.demo.standards import BRANCHES, ROLLOUT, in_force_by_branch

__all__ = ["customer_branches", "bring_forward", "PULL_FORWARD"]

#: The probability that a customer of the pilot's base who would not have bought in a month
#: of the pilot's half year buys then (a later purchase brought forward).
PULL_FORWARD = 0.5


def customer_branches(managers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each customer's branch: its manager's (:data:`BRANCHES`); a customer without a
    manager is served by a branch drawn at random.
    """
    names = list(dict.fromkeys(BRANCHES.values()))
    drawn = np.array(names, dtype=object)[rng.integers(0, len(names), size=len(managers))]
    return np.array([BRANCHES.get(m, d) for m, d in zip(managers, drawn, strict=True)],
                    dtype=object)


def _months(day: np.ndarray, start: dt.date) -> np.ndarray:
    """Months since ``start``'s month of each day counted from ``start``."""
    when = pd.Timestamp(start) + pd.to_timedelta(day.astype(np.int64), unit="D")
    return (when.year - start.year) * 12 + (when.month - start.month)


def _pilot_rates(customer, month, amount, in_pilot, months) -> tuple[int, int, float]:
    """Base customer-months, buyers and revenue (kopecks) of the pilot over ``months``."""
    n = int(customer.max()) + 1
    bought = np.zeros((n, int(month.max()) + 1), dtype=bool)
    bought[customer, month] = True
    spend = np.zeros_like(bought, dtype=float)
    np.add.at(spend, (customer, month), amount)
    base = buyers = revenue = 0
    for j in months:
        member = bought[:, j - 12:j].any(axis=1) & in_pilot[:n]
        base += int(member.sum())
        buyers += int((member & bought[:, j]).sum())
        revenue += float(spend[member, j].sum())
    return base, buyers, revenue


def bring_forward(lines: dict[str, np.ndarray], branches: np.ndarray,
                  rng: np.random.Generator, *, start: dt.date,
                  stop: dt.date) -> tuple[dict[str, np.ndarray], dict]:
    """Lines with purchases brought forward into the pilot's half year, and the truth.

    ``lines``: the demo's document lines (``customer, t_weeks, day, line, ...``, a
    document's lines together, ``line`` 0 first; ``day`` counted from ``start``);
    ``branches``: each customer's branch; ``stop``: purchases on or after it are never
    moved (the follow-up's hand-over). The truth: the pilot's half year, its base
    customer-months, the purchases moved, and the true effect on the share of the base
    buying in a month and on revenue per customer of the base (with the moves minus
    without, over the half year).
    """
    force = in_force_by_branch()
    pilot = ROLLOUT["pilot"][0]
    first = pd.Period(force[pilot], "M") + int(force[pilot].day > 1)
    later = min(pd.Period(d, "M") for b, d in force.items() if b not in ROLLOUT["pilot"])
    origin = pd.Period(start, "M")
    window = range((first - origin).n, (later - origin).n)
    source_from = (later.start_time.date() - start).days
    stop_day = (stop - start).days

    doc = np.cumsum(lines["line"] == 0) - 1
    heads = np.flatnonzero(lines["line"] == 0)
    customer, day = lines["customer"][heads].astype(np.int64), lines["day"][heads].astype(np.int64)
    docs = pd.DataFrame({"customer": customer, "day": day})
    span = docs.groupby("customer")["day"].agg(["min", "max"])
    alone = ~docs.duplicated(["customer", "day"], keep=False)
    own = branches[:int(customer.max()) + 1]
    movable = (docs["day"].between(source_from, stop_day - 1) & alone
               & (docs["day"] > docs["customer"].map(span["min"]))
               & (docs["day"] < docs["customer"].map(span["max"]))
               & (own[customer] == pilot))
    # each customer's movable documents, earliest first: a queue it brings forward from
    queue = {c: list(part.index) for c, part in
             docs[movable].sort_values(["customer", "day"]).groupby("customer")}

    n = len(own)
    month = _months(day, start)
    bought = np.zeros((n, int(month.max()) + 1), dtype=bool)
    bought[customer, month] = True
    new_day = day.copy()
    has = np.zeros(n, dtype=bool)
    has[list(queue)] = True
    for j in window:
        eligible = has & bought[:, j - 12:j].any(axis=1) & ~bought[:, j]
        pick = np.flatnonzero(eligible & (rng.random(n) < PULL_FORWARD))
        period = origin + j
        lo = (period.start_time.date() - start).days
        hi = (period.end_time.date() - start).days
        new_day[[queue[c].pop(0) for c in pick]] = rng.integers(lo, hi + 1, size=len(pick))
        bought[pick, j] = True
        has[[c for c in pick if not queue[c]]] = False
    moved = np.flatnonzero(new_day != day)
    out = dict(lines)
    line_day = new_day[doc]
    changed = line_day != lines["day"]
    out["day"] = line_day.astype(lines["day"].dtype)
    out["t_weeks"] = np.where(changed, (line_day + 0.5) / 7, lines["t_weeks"])

    in_pilot = own == pilot
    doc_amount = np.bincount(doc, weights=lines["amount"].astype(float))
    before = _pilot_rates(customer, month, doc_amount, in_pilot, window)
    after = _pilot_rates(customer, _months(new_day, start), doc_amount, in_pilot, window)
    truth = {"pull_forward": PULL_FORWARD, "pilot": pilot, "stop": stop.isoformat(),
             "window": [str(first), str(later - 1)], "purchases_moved": int(len(moved)),
             "pilot_base_customer_months": after[0],
             "repeat_rate_effect": after[1] / after[0] - before[1] / before[0],
             "revenue_per_customer_effect": (after[2] / after[0] - before[2] / before[0]) / 100}
    return out, truth
