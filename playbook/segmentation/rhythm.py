"""Who is overdue against their own rhythm of buying, who is lost, and what is at stake.

Looking back, RFM's "at risk" segment mixes customers who paused last month with customers
gone for two years. Looking forward, the question is different: which valuable customers
are late against *their own* rhythm yet probably still buying from us (a call can keep
them), and which are gone (a win-back, not a reminder). The rule is one anyone can check:

- a customer's *usual gap* is the time between its purchase days: the days from the first
  to the last purchase day over the repeat purchase days (``recency / frequency`` of the
  intake summary); a one-time buyer has no rhythm of its own and is measured against the
  repeat customers' median gap;
- *lost*: no purchase for ``lost_days`` (a year) or more, or for more than ``lost_gaps``
  (3) times the usual gap;
- *at risk*: valuable (ABC class A or B by default) and not lost, but with no purchase for
  more than ``overdue_gaps`` (1.5) times the usual gap;
- *overdue*: the same lateness among the less valuable customers (no call: a mailing);
- *active*: everyone else, buying on their rhythm.

What is at stake for an at-risk customer is its expected value over the next 12 months:
its pace over the last 12 months (value per month since it became a customer, at most 12
months, times 12) times a *realisation factor*, the share of that pace that customers in
the same position one year earlier actually brought in the following year (the client's
own history; an assumed 50% when the data is shorter than two years). Value is margin
when the data has it, revenue otherwise.

Tables in, tables out; no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.intake.summary import customer_summary
from playbook.keys import customer_codes, group_key, with_ids

__all__ = ["STATUSES", "ASSUMED_FACTOR", "Rhythm", "usual_gaps", "rhythm", "annual_pace",
           "abc_classes", "realisation", "forward_groups", "newly_lost"]

#: Each customer's state, from buying on rhythm to gone.
STATUSES = ("active", "overdue", "at_risk", "lost")
#: The realisation factor assumed when the history is too short to measure it.
ASSUMED_FACTOR = 0.5


@dataclass
class Rhythm:
    """The forward-looking groups: who is at risk, who is lost, and the money at stake."""

    #: customer_id, days_since, usual_gap, gap_basis, ratio, status, pace, at_stake,
    #: past_revenue
    customers: pd.DataFrame
    #: the share of their pace that at-risk customers brought in the following year
    factor: float
    #: "history" (measured one year earlier) or "assumed" (:data:`ASSUMED_FACTOR`)
    factor_basis: str
    #: customers at risk one year earlier, on whom the factor was measured
    backtest_customers: int
    #: "margin" or "revenue": what ``pace`` and ``at_stake`` are
    value_basis: str
    #: the repeat customers' median gap between purchases (days; None without repeats)
    median_gap: float | None
    overdue_gaps: float
    lost_gaps: float
    lost_days: int

    def group(self, status: str) -> pd.DataFrame:
        """The customers in one status."""
        return self.customers[self.customers["status"] == status]


def usual_gaps(summary: pd.DataFrame, *, frequency: str = "frequency",
               recency: str = "recency") -> pd.Series:
    """Customer summary -> each customer's usual gap between purchase days (NaN: one purchase)."""
    freq = summary[frequency].astype(float)
    return (summary[recency].astype(float) / freq.where(freq > 0)).rename("usual_gap")


def rhythm(summary: pd.DataFrame, as_of: dt.date, *, valuable=None,
           overdue_gaps: float = 1.5, lost_gaps: float = 3.0, lost_days: int = 365,
           customer_id: str = "customer_id", last_purchase: str = "last_purchase",
           ) -> pd.DataFrame:
    """Customer summary -> customer_id, days_since, usual_gap, gap_basis, ratio, status.

    ``days_since`` is the days from the last purchase day to ``as_of``; ``usual_gap`` the
    customer's own gap (``gap_basis`` ``own``) or, for a one-time buyer, the repeat
    customers' median gap (``median``); ``ratio`` = days_since / usual_gap. ``status`` is
    one of :data:`STATUSES` (see the module's rules). ``valuable`` is a boolean array
    aligned with ``summary`` (None: every customer is valuable).
    """
    own = usual_gaps(summary).to_numpy()
    repeat = ~np.isnan(own)
    median = float(np.median(own[repeat])) if repeat.any() else np.nan
    gap = np.where(repeat, own, median)
    days = (pd.Timestamp(as_of) - pd.to_datetime(summary[last_purchase])).dt.days.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(gap > 0, days / np.where(gap > 0, gap, 1), np.nan)
    valuable = (np.ones(len(summary), bool) if valuable is None
                else np.asarray(valuable, dtype=bool))
    lost = (days >= lost_days) | (repeat & (ratio > lost_gaps))
    late = ~lost & (ratio > overdue_gaps)
    status = np.where(lost, "lost", np.where(late & valuable, "at_risk",
                                             np.where(late, "overdue", "active")))
    return pd.DataFrame({
        "customer_id": summary[customer_id].to_numpy(),
        "days_since": days.astype("int64"),
        "usual_gap": gap,
        "gap_basis": np.where(repeat, "own", "median"),
        "ratio": ratio,
        "status": status,
    })


def annual_pace(transactions: pd.DataFrame, first_purchase: pd.Series, as_of: dt.date, *,
                months: int = 12, value: str = "amount", customer_id: str = "customer_id",
                date: str = "date") -> pd.Series:
    """Each customer's value per year at its pace over the last ``months`` months.

    The value (``value``: net amount or margin) bought in the ``months`` months ending on
    ``as_of``, over the months of that window it was a customer (at least one, at most
    ``months``), times 12. ``first_purchase`` is indexed by customer id; the result too.
    """
    end = pd.Timestamp(as_of)
    start = end - pd.DateOffset(months=months)
    inside = ((transactions[date] > start) & (transactions[date] <= end)).to_numpy()
    # grouped by a number per customer (keys): the same sums as by the ids
    code, ids = customer_codes(transactions, customer_id)
    bought = with_ids(transactions[value][inside].groupby(group_key(code[inside])).sum()
                      .clip(lower=0), ids, customer_id)
    first = pd.to_datetime(first_purchase)
    share = (end - first.clip(lower=start)).dt.days / (end - start).days
    tenure = (share * months).clip(lower=1, upper=months)
    return (bought.reindex(first.index).fillna(0.0) / tenure * 12).rename("pace")


def abc_classes(values: pd.Series, cutoffs: tuple[float, float] = (0.80, 0.95)) -> pd.Series:
    """Values per customer -> "A", "B" or "C" (the rule of ABC analysis, same index)."""
    ordered = values.fillna(0).sort_values(ascending=False, kind="mergesort")
    positive = ordered.clip(lower=0)
    total = positive.sum()
    share = positive / total if total > 0 else positive * 0
    before = share.cumsum() - share
    classes = pd.Series(np.where(before < cutoffs[0], "A",
                                 np.where(before < cutoffs[1], "B", "C")), index=ordered.index)
    classes[ordered <= 0] = "C"
    return classes.reindex(values.index)


def _value_column(transactions: pd.DataFrame) -> str:
    has_margin = "margin" in transactions and transactions["margin"].notna().any()
    return "margin" if has_margin else "amount"


def realisation(transactions: pd.DataFrame, as_of: dt.date, *, classes=("A", "B"),
                by: str = "revenue", cutoffs: tuple[float, float] = (0.80, 0.95),
                months: int = 12, **rules) -> tuple[float, int] | None:
    """The share of their pace that at-risk customers brought over the following year.

    Replays the rule ``months`` months before ``as_of`` on the data known then; returns
    (factor, customers at risk then), or None when the data does not reach back two
    windows or no one was at risk then.
    """
    then = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
    if transactions.empty or transactions["date"].min() > pd.Timestamp(then) - pd.DateOffset(
            months=months):
        return None
    # the summary and the pace take the lines up to ``then`` themselves: no copy of them
    summary = customer_summary(transactions, then)
    if summary.empty:
        return None
    column = "total_margin" if by == "margin" and summary["total_margin"].notna().any() \
        else "total_spend"
    valuable = abc_classes(summary[column], cutoffs).isin(classes).to_numpy()
    groups = rhythm(summary, then, valuable=valuable, **rules)
    ids = groups.loc[groups["status"] == "at_risk", "customer_id"]
    if ids.empty:
        return None
    value = _value_column(transactions)
    first = summary.set_index("customer_id")["first_purchase"].reindex(ids)
    pace = annual_pace(transactions, first, then, months=12, value=value).sum()
    later = transactions[(transactions["date"] > pd.Timestamp(then))
                         & (transactions["date"] <= pd.Timestamp(as_of))
                         & transactions["customer_id"].isin(set(ids))]
    brought = max(0.0, float(later[value].sum())) * 12 / months
    if pace <= 0:
        return None
    return min(1.0, brought / pace), len(ids)


def forward_groups(summary: pd.DataFrame, transactions: pd.DataFrame, as_of: dt.date,
                   abc: pd.DataFrame, *, classes=("A", "B"), by: str = "revenue",
                   cutoffs: tuple[float, float] = (0.80, 0.95), overdue_gaps: float = 1.5,
                   lost_gaps: float = 3.0, lost_days: int = 365,
                   factor: float | None = None) -> Rhythm:
    """Summary, transactions, ABC classes -> :class:`Rhythm` (statuses and money at stake).

    ``abc`` is :func:`playbook.segmentation.analysis.abc_xyz`'s table (customer_id, abc);
    customers of ``classes`` are valuable. ``factor`` fixes the realisation factor (None:
    measured on the client's history by :func:`realisation`, else :data:`ASSUMED_FACTOR`).
    """
    rules = {"overdue_gaps": overdue_gaps, "lost_gaps": lost_gaps, "lost_days": lost_days}
    cls = summary["customer_id"].map(abc.set_index("customer_id")["abc"])
    frame = rhythm(summary, as_of, valuable=cls.isin(classes).to_numpy(), **rules)
    value = _value_column(transactions)
    first = summary.set_index("customer_id")["first_purchase"]
    pace = annual_pace(transactions, first, as_of, value=value)
    # the pace is in the summary's order already (the usual case): no lookup by id needed
    aligned = pace.index.equals(pd.Index(frame["customer_id"]))
    frame["pace"] = (pace if aligned else frame["customer_id"].map(pace)).fillna(0.0).to_numpy()
    basis = "given"
    measured = None
    if factor is None:
        measured = realisation(transactions, as_of, classes=classes, by=by, cutoffs=cutoffs,
                               **rules)
        factor, basis = (measured[0], "history") if measured else (ASSUMED_FACTOR, "assumed")
    frame["at_stake"] = np.where(frame["status"] == "at_risk", frame["pace"] * factor, 0.0)
    frame["past_revenue"] = summary["total_spend"].to_numpy(dtype=float)
    gaps = usual_gaps(summary).dropna()
    return Rhythm(customers=frame, factor=float(factor), factor_basis=basis,
                  backtest_customers=measured[1] if measured else 0,
                  value_basis="margin" if value == "margin" else "revenue",
                  median_gap=float(gaps.median()) if len(gaps) else None,
                  overdue_gaps=overdue_gaps, lost_gaps=lost_gaps, lost_days=lost_days)


def newly_lost(customers: pd.DataFrame, *, days: int, lost_gaps: float = 3.0,
               lost_days: int = 365) -> pd.Series:
    """Which lost customers became lost within the last ``days`` days (bool, same index).

    ``customers`` is :func:`rhythm`'s table (days_since, usual_gap, gap_basis, status).
    ``days`` earlier a customer had ``days`` fewer days without a purchase; it is newly
    lost when by the same rule it was not lost then. A win-back list made each period
    takes these, so every lapse is on one period's list, while it is still fresh.
    """
    then = customers["days_since"] - days
    own = customers["gap_basis"] == "own"
    with np.errstate(divide="ignore", invalid="ignore"):
        late = own & (then / customers["usual_gap"] > lost_gaps)
    return (customers["status"] == "lost") & ~((then >= lost_days) | late)
