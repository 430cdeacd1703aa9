"""Last period's tasks, read back: matched to customers, per manager, and their outcomes.

Pure functions on the tasks table :func:`playbook.followup.workbooks.read_returned` makes
(one row per task: ``manager, list, customer_id, segment, value_band, given, due_date,
status, date_done`` and where it was read): :func:`match_customers` marks the tasks whose
customer the current data knows, :func:`manager_table` counts each manager's tasks, what
became of them and what is overdue, and :func:`customer_outcomes` gives one row per customer
with whether its call was made and whether it bought again after the hand-over (the input
of :func:`playbook.followup.effect.stratified_effect`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from playbook.followup.contract import DONE, LISTS, STATUSES

__all__ = ["OPEN", "match_customers", "manager_table", "manager_results", "customer_outcomes",
           "problem_counts"]

#: Statuses of a task still to be carried out: overdue once its due date has passed.
OPEN = ("todo", "no_answer")


def match_customers(tasks: pd.DataFrame, known: pd.Series) -> pd.DataFrame:
    """``tasks`` with ``known``: whether the current data has its customer.

    A customer id is compared as written, trimmed; ids that Excel turned into numbers
    (``00042`` -> ``42``) match a known id of the same digits.

    Parameters
    ----------
    tasks
        One row per task, ``customer_id`` as text.
    known
        The customer ids of the current data.
    """
    ids = pd.Index(known.astype(str).str.strip().unique())
    out = tasks.copy()
    given = out["customer_id"].astype(str).str.strip()
    digits = pd.Series(ids, index=ids)
    digits = digits[digits.str.fullmatch(r"\d+")]
    by_number = pd.Series(digits.to_numpy(), index=digits.str.lstrip("0")) \
        .groupby(level=0).first()
    fixed = given.where(given.isin(ids), given.str.lstrip("0").map(by_number))
    out["customer_id"] = fixed.fillna(given)
    out["known"] = out["customer_id"].isin(ids)
    return out


def manager_table(tasks: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per manager: tasks given, done, each status's count and how many are overdue.

    ``tasks`` (one row per task) -> ``manager, given, done, done_share, overdue,
    n_<status>...`` (one count per status of :data:`playbook.followup.contract.STATUSES`:
    ``n_todo, n_done, n_no_answer, n_refused, n_won_back``), the managers by
    tasks given, most first. Done: ``done`` or ``won_back``; overdue: still to do
    (:data:`OPEN`) with a due date before ``as_of``.
    """
    statuses = [f"n_{s}" for s in STATUSES]
    if tasks.empty:
        return pd.DataFrame(columns=["manager", "given", "done", "done_share", "overdue",
                                     *statuses])
    frame = tasks.assign(
        done=tasks["status"].isin(DONE),
        overdue=tasks["status"].isin(OPEN)
        & (pd.to_datetime(tasks["due_date"]) < pd.Timestamp(as_of)),
    )
    table = frame.groupby("manager").agg(given=("status", "size"), done=("done", "sum"),
                                         overdue=("overdue", "sum"))
    counts = pd.crosstab(frame["manager"], frame["status"]).reindex(columns=list(STATUSES),
                                                                      fill_value=0)
    counts.columns = statuses
    table = table.join(counts).reset_index()
    table["done_share"] = table["done"] / table["given"]
    table = table.sort_values(["given", "manager"], ascending=[False, True])
    return table[["manager", "given", "done", "done_share", "overdue", *statuses]] \
        .reset_index(drop=True)


def manager_results(table: pd.DataFrame) -> dict:
    """``tasks.done``: {manager: {given, done, overdue, outcomes: {status: n}}}."""
    return {row["manager"]: {"given": int(row["given"]), "done": int(row["done"]),
                             "overdue": int(row["overdue"]),
                             "outcomes": {s: int(row[f"n_{s}"]) for s in STATUSES}}
            for row in table.to_dict("records")}


def customer_outcomes(tasks: pd.DataFrame, transactions: pd.DataFrame,
                      as_of: dt.date) -> pd.DataFrame:
    """One row per customer with a task: whether its call was made, and whether it bought
    again between the hand-over and ``as_of``.

    ``tasks`` (known customers, with ``given``) and ``transactions`` (``customer_id, date,
    amount``) -> ``customer_id, list, segment, value_band, given, treated, bought``.

    A customer with several tasks counts once: called if any of them was done; its list,
    segment and value band are those of its first task in the lists' order (calls, retain,
    ...), and its hand-over the earliest. Bought again: a purchase (a positive amount) after
    the hand-over date, up to ``as_of``. Tasks without a hand-over date are left out.
    """
    columns = ["customer_id", "list", "segment", "value_band", "given", "treated", "bought"]
    usable = tasks[tasks["given"].notna()]
    if usable.empty:
        return pd.DataFrame(columns=columns)
    order = {key: i for i, key in enumerate(LISTS)}
    usable = usable.assign(_order=usable["list"].map(order).fillna(len(order)),
                           treated=usable["status"].isin(DONE),
                           given=pd.to_datetime(usable["given"]))
    usable = usable.sort_values(["customer_id", "_order", "given", "file", "sheet", "row"])
    first = usable.groupby("customer_id", sort=True).agg(
        list=("list", "first"), segment=("segment", "first"),
        value_band=("value_band", "first"), given=("given", "min"), treated=("treated", "any"))
    buys = transactions[(transactions["amount"] > 0)
                        & (pd.to_datetime(transactions["date"]) <= pd.Timestamp(as_of))]
    buys = buys[buys["customer_id"].isin(first.index)]
    after = buys.merge(first["given"].rename("_given"), left_on="customer_id",
                       right_index=True)
    bought = after[pd.to_datetime(after["date"]) > after["_given"]]["customer_id"].unique()
    first["bought"] = first.index.isin(bought)
    return first.reset_index()[columns]


def problem_counts(problems: list[dict]) -> dict[str, int]:
    """{problem: rows} of the rows a reading could not use (or only in part)."""
    counts: dict[str, int] = {}
    for item in problems:
        counts[item["problem"]] = counts.get(item["problem"], 0) + 1
    return counts
