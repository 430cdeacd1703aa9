"""What last period's win-back calls achieved, read back from the managers' workbooks.

From the tasks :mod:`playbook.followup.workbooks` reads back (``data.tasks_done``), the
"Win back" list's: :func:`winback_outcomes` gives, per customer on it, whether the call was
made (status done or won back), when (the date done, else the hand-over), whether the
customer bought again after it up to ``as_of`` (a positive amount), what it bought then
(the revenue recovered, and the margin when the data has costs), and its two lifetimes: the
first (from its first purchase to its last before the call) and the second (from its first
purchase after the call to ``as_of``), each as purchases and revenue per month (Thomas,
Blattberg & Fox 2004 and Kumar, Bhagwat & Zhang 2015 compare the second lifetime of
won-back customers with the first). :func:`summarise` adds them up. A second lifetime
shorter than :data:`MIN_MONTHS` months, or fewer than :data:`MIN_RETURNED` customers back,
is too early to compare; the figures are stated with their n all the same.

The share of those *not* called who bought again over the same time is the reference: the
calls' effect proper (comparable customers, an interval) is the follow-up section's
(:mod:`playbook.followup.effect`). Tables in, tables out; no I/O.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from playbook.followup.contract import DONE

__all__ = ["LIST", "MIN_MONTHS", "MIN_RETURNED", "MONTH_DAYS", "winback_outcomes",
           "summarise"]

#: The list whose tasks are win-back calls.
LIST = "winback"
#: A second lifetime observed for fewer months than this is too short to compare.
MIN_MONTHS = 6
#: Fewer customers back than this and the lifetimes are not compared.
MIN_RETURNED = 10
#: Days in an average month.
MONTH_DAYS = 365.25 / 12

COLUMNS = ["customer_id", "called", "call_date", "returned", "revenue_after", "margin_after",
           "orders_after", "first_months", "first_orders", "first_revenue", "second_months"]


def winback_outcomes(tasks: pd.DataFrame, transactions: pd.DataFrame,
                     as_of: dt.date) -> pd.DataFrame:
    """One row per customer on the win-back list (known to the data): the call and after.

    ``tasks``: the tasks read back, matched (``customer_id, list, status, given, date_done,
    known``); ``transactions``: ``customer_id, date, amount`` (``margin``, ``order_id``
    when the data has them). ->

    customer_id; called (a task done or won back); call_date (its date done, else the
    hand-over; for those not called the hand-over); returned (bought after call_date, up to
    ``as_of``); revenue_after, margin_after (NaN without costs), orders_after (documents,
    else purchase days) after call_date; first_months, first_orders, first_revenue (first
    purchase to the last one before call_date, at least one month); second_months (the
    first purchase after call_date to ``as_of``, for those who returned).
    """
    rows = tasks[(tasks["list"] == LIST) & tasks.get("known", True)]
    rows = rows[rows["given"].notna()] if "given" in rows else rows.iloc[0:0]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = rows.assign(called=rows["status"].isin(DONE),
                       given=pd.to_datetime(rows["given"]),
                       done=pd.to_datetime(rows.get("date_done"), errors="coerce"))
    rows["call_date"] = rows["done"].where(rows["called"] & rows["done"].notna(), rows["given"])
    # a customer on the list twice (two managers' books) counts once: called if any was done
    rows = rows.sort_values(["customer_id", "called", "call_date"],
                            ascending=[True, False, True], kind="mergesort")
    per = rows.groupby("customer_id", sort=True).first()[["called", "call_date"]]
    end = pd.Timestamp(as_of)
    tx = transactions[transactions["customer_id"].isin(per.index)
                      & (pd.to_datetime(transactions["date"]) <= end)].copy()
    tx["date"] = pd.to_datetime(tx["date"])
    tx = tx[tx["amount"] > 0]
    key = "order_id" if "order_id" in tx and tx["order_id"].notna().all() else "date"
    tx["_call"] = tx["customer_id"].map(per["call_date"])
    after, before = tx[tx["date"] > tx["_call"]], tx[tx["date"] <= tx["_call"]]
    has_margin = "margin" in tx and tx["margin"].notna().any()
    out = per.copy()
    a = after.groupby("customer_id")
    out["revenue_after"] = a["amount"].sum().reindex(out.index).fillna(0.0)
    out["margin_after"] = (a["margin"].sum().reindex(out.index).fillna(0.0) if has_margin
                           else np.nan)
    out["orders_after"] = a[key].nunique().reindex(out.index).fillna(0).astype(int)
    out["returned"] = out["orders_after"] > 0
    b = before.groupby("customer_id")
    span = (b["date"].max() - b["date"].min()).dt.days / MONTH_DAYS
    out["first_months"] = span.clip(lower=1.0).reindex(out.index)
    out["first_orders"] = b[key].nunique().reindex(out.index).fillna(0).astype(int)
    out["first_revenue"] = b["amount"].sum().reindex(out.index).fillna(0.0)
    back = (end - a["date"].min()).dt.days / MONTH_DAYS
    out["second_months"] = back.reindex(out.index)
    return out.reset_index()[COLUMNS]


def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


def summarise(table: pd.DataFrame, as_of: dt.date) -> dict:
    """The outcomes in figures: what ``winback.outcomes`` records (docs/results.md).

    Keys: listed, called, returned, rate (returned / called), not_called, not_called_returned,
    not_called_rate (the reference), revenue_recovered and margin_recovered (what the
    returned called customers bought after their call; margin None without costs),
    months_since_call (median, of those called), and ``lifetimes``: n (called and returned),
    first and second per month (orders and revenue, medians over those customers; a
    lifetime counts as one month at least),
    second_months (median), too_early (fewer than :data:`MIN_RETURNED` back or a second
    lifetime under :data:`MIN_MONTHS` months).
    """
    if table.empty:
        return {"listed": 0, "called": 0, "returned": 0, "rate": None}
    called = table[table["called"]]
    back = called[called["returned"]]
    rest = table[~table["called"]]
    since = (pd.Timestamp(as_of) - pd.to_datetime(called["call_date"])).dt.days / MONTH_DAYS
    margin = None if back["margin_after"].isna().all() else round(
        float(back["margin_after"].sum()), 2)

    def med(values) -> float | None:
        values = pd.Series(values, dtype=float).dropna()
        return round(float(values.median()), 3) if len(values) else None

    second = back["second_months"].clip(lower=1.0)
    lifetimes = {
        "n": len(back),
        "first_orders_per_month": med(back["first_orders"] / back["first_months"]),
        "second_orders_per_month": med(back["orders_after"] / second),
        "first_revenue_per_month": med(back["first_revenue"] / back["first_months"]),
        "second_revenue_per_month": med(back["revenue_after"] / second),
        "first_months": med(back["first_months"]),
        "second_months": med(back["second_months"]),
    }
    lifetimes["too_early"] = bool(len(back) < MIN_RETURNED or lifetimes["second_months"] is None
                                  or lifetimes["second_months"] < MIN_MONTHS)
    return {
        "listed": len(table), "called": len(called), "returned": len(back),
        "rate": _rate(len(back), len(called)),
        "not_called": len(rest), "not_called_returned": int(rest["returned"].sum()),
        "not_called_rate": _rate(int(rest["returned"].sum()), len(rest)),
        "revenue_recovered": round(float(back["revenue_after"].sum()), 2),
        "margin_recovered": margin,
        "months_since_call": med(since),
        "lifetimes": lifetimes,
    }
