"""The managers' task lists as tables: who, why, by when, and what the manager needs on the
call.

Builders (:func:`call_list`, :func:`greetings_list`, :func:`penetration_list`,
:func:`winback_lists`) return task rows ``customer_id, reason, suggested_action, due_date,
value_at_stake``; :func:`finish` turns them into a list in the columns of
:data:`playbook.exports.tasks.TASK_COLUMNS`, joining each customer's contacts
(:func:`people`) and context (:func:`context`), most at stake first. Tables in, tables
out; no I/O.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from playbook.exports.tasks import (
    TASK_COLUMNS,
    UNASSIGNED,
    list_name,
    plain_text,
    status_name,
)
from playbook.keys import KEY, customer_codes, pair_sums
from playbook.report.i18n import Lang

__all__ = ["ROW_COLUMNS", "HIGH_RISK_SEGMENTS", "CONTEXT_COLUMNS",
           "VALUE_COLUMNS", "people", "last_known", "last_lines", "last_of_each", "context",
           "value_column", "yearly_value", "call_list", "greetings_list", "occasions",
           "penetration_list", "winback_lists", "finish"]

#: The columns of a builder's task rows.
ROW_COLUMNS = ["customer_id", "reason", "suggested_action", "due_date", "value_at_stake"]
HIGH_RISK_SEGMENTS = ("at_risk", "cant_lose")
_PEOPLE = ("manager", "name", "contact_person", "phone", "email", "consent")
#: The transactions' columns :func:`context` and :func:`yearly_value` (with
#: :func:`value_column`) read: a caller reads no other (``RunContext.transactions``).
CONTEXT_COLUMNS = ("customer_id", "date", "amount", "category", KEY)
VALUE_COLUMNS = ("customer_id", "date", "amount", "margin", KEY)


def people(customers: pd.DataFrame | None, ids: pd.Series, *,
           managers: pd.Series | None = None, names: pd.Series | None = None) -> pd.DataFrame:
    """customer_id -> manager, customer_name, contact_person, phone, email (and consent
    when the customers file has it).

    The customers file is the source; where it says nothing (or is not given), ``managers``
    and ``names`` fill in: customer_id -> the last manager and customer name seen in the
    transactions (:func:`last_known`; None: no line names one). Customers without a manager
    (or with a blank one) go to :data:`UNASSIGNED`.
    """
    out = pd.DataFrame({"customer_id": pd.Series(ids).drop_duplicates().to_numpy()})
    info = (customers.drop_duplicates("customer_id").set_index("customer_id")
            if customers is not None else pd.DataFrame())
    for col in _PEOPLE:
        out[col] = out["customer_id"].map(info[col]).astype(object) if col in info else None
    if managers is not None:
        out["manager"] = out["manager"].fillna(out["customer_id"].map(managers))
    if names is not None:
        out["name"] = out["name"].fillna(out["customer_id"].map(names))
    blank = out["manager"].map(lambda v: isinstance(v, str) and not v.strip())
    out["manager"] = out["manager"].mask(blank).fillna(UNASSIGNED)
    out["customer_name"] = out["name"].fillna(out["customer_id"])
    for col in ("contact_person", "phone", "email"):
        out[col] = [v.strip() if isinstance(v, str) and v.strip() else None for v in out[col]]
    for col in ("manager", "customer_name"):  # never missing: text only, held compactly
        if pd.api.types.infer_dtype(out[col], skipna=False) == "string":
            out[col] = out[col].astype("str")  # (a large client: 90 MB -> 35 MB each)
    keep = ["customer_id", "manager", "customer_name", "contact_person", "phone", "email"]
    return out[keep + (["consent"] if "consent" in info else [])]


def last_known(transactions: pd.DataFrame, column: str, *,
               customers: tuple[np.ndarray, pd.Index] | None = None) -> pd.Series:
    """customer_id -> the last non-empty value of ``column`` (e.g. manager, customer_name):
    of the customer's lines sorted by date (``sort_values``), the last that has one.

    ``customers``: ``pd.factorize(transactions["customer_id"], sort=True)``, when the
    caller asks for several columns.
    """
    if column not in transactions:
        return pd.Series(dtype="object")
    values = transactions[column]
    known = values.notna().to_numpy()
    if pd.isna(transactions["date"].to_numpy()[known]).any():
        known_lines = transactions[["customer_id", "date", column]].dropna(subset=[column])
        return known_lines.sort_values("date").groupby("customer_id")[column].last()
    lines, ids = last_lines(transactions, known, customers=customers)
    out = values.take(lines)
    out.index = pd.Index(ids, name="customer_id")
    return out


def last_lines(transactions: pd.DataFrame, known: np.ndarray, *,
               customers: tuple[np.ndarray, pd.Index] | None = None
               ) -> tuple[np.ndarray, pd.Index]:
    """The line :func:`last_known` takes each customer's value from, and those customers.

    ``transactions (customer_id, date)``, with a date on every ``known`` line (True: the
    line has a value) -> the lines' positions and their customers, in the order of
    ``pd.factorize(customer_id, sort=True)``.

    The order ``sort_values("date")`` gives the known lines (the same numpy sort of the
    same dates; which line wins between two of one day depends on it), then each
    customer's last line in it, found on numbers: the caller copies only the winning lines'
    text (10M lines, the managers and the names: seconds less, and never held whole).
    """
    dates = transactions["date"].to_numpy()
    if known.all():  # (every line: no copy of their dates and places, 160 MB at 10M lines)
        order = np.argsort(dates, kind="quicksort")
    else:
        at = np.flatnonzero(known)
        order = at[np.argsort(dates[at], kind="quicksort")]
    code, ids = customers or customer_codes(transactions)
    last = last_of_each(code[order], len(ids))
    has = np.flatnonzero(last >= 0)
    return order[last[has]], pd.Index(ids).take(has)


def last_of_each(groups: np.ndarray, count: int) -> np.ndarray:
    """For each group ``0 .. count - 1``, the position of its last element in ``groups``
    (each element's group; -1: none), -1 for a group without any.
    """
    last = np.full(count, -1, dtype=np.int64)
    mine = np.flatnonzero(groups >= 0)
    np.maximum.at(last, groups[mine], mine)
    return last


def value_column(transactions: pd.DataFrame) -> str:
    """``margin`` when the data has it, else ``amount``: what value at stake is counted in."""
    has_margin = "margin" in transactions and transactions["margin"].notna().any()
    return "margin" if has_margin else "amount"


def yearly_value(transactions: pd.DataFrame, *, value: str = "amount") -> pd.Series:
    """customer_id -> the value bought in the 12 months up to the customer's last purchase:
    what a customer who has lapsed used to bring a year.
    """
    if transactions.empty:
        return pd.Series(dtype=float)
    # grouped by a number per customer (in the ids' order), not by the text of the id:
    # pandas' own sums over the same lines in the same order, seconds less at 10M lines
    code, known = customer_codes(transactions)
    day = transactions["date"]
    last = day.groupby(code).transform("max")
    window = ((day > last - pd.DateOffset(months=12)) & (code >= 0)).to_numpy()
    sums = transactions[value][window].groupby(code[window]).sum().clip(lower=0)
    sums.index = pd.Index(known.take(sums.index), name="customer_id")
    return sums


def context(summary: pd.DataFrame, transactions: pd.DataFrame, as_of: dt.date, *,
            segment: pd.Series | None = None, rung: pd.Series | None = None,
            value_band: pd.Series | None = None, p_alive: pd.Series | None = None,
            share_of_wallet: pd.Series | None = None) -> pd.DataFrame:
    """What a manager needs on the call, one row per customer of ``summary``.

    ``summary (customer_id, last_purchase), transactions (customer_id, date, amount[,
    category]) -> customer_id, last_purchase, revenue_12m, usual_category, drop_share,
    segment, rung, value_band, p_alive, share_of_wallet``

    ``revenue_12m`` is the net revenue of the 12 months ending on ``as_of``;
    ``drop_share`` how far it fell against the 12 months before (0 when it did not fall;
    missing when the customer bought nothing in those 12 months before); ``usual_category``
    the category the customer spent most on (missing without a category column). The other
    columns are the given series (by customer_id; missing where not given).
    """
    ids = summary["customer_id"]
    out = pd.DataFrame({"customer_id": ids.to_numpy(),
                        "last_purchase": pd.to_datetime(summary["last_purchase"]).dt.date
                        .to_numpy()})
    end = pd.Timestamp(as_of)
    mid, start = end - pd.DateOffset(months=12), end - pd.DateOffset(months=24)
    # each line's customer as a number, and each customer of ``ids`` as the same number: a
    # large client's 10M lines are grouped by number, never copied or grouped by the text
    # of their id (the sums are pandas' own, over the same lines in the same order, and the
    # same choice of category: the same figures)
    code, known = customer_codes(transactions)
    at = known.get_indexer(ids)
    day = transactions["date"].to_numpy()
    seen = (code >= 0) & (day <= end.to_datetime64())
    out["revenue_12m"], out["drop_share"] = _revenue(
        transactions["amount"].to_numpy(), code, day, seen, at,
        mid=mid.to_datetime64(), start=start.to_datetime64())
    out["usual_category"] = (_usual_category(transactions, code, seen, at)
                             if "category" in transactions else None)
    del code, day, seen  # (each a line's worth: hundreds of megabytes at 10M lines)
    given = {"segment": segment, "rung": rung, "value_band": value_band, "p_alive": p_alive,
             "share_of_wallet": share_of_wallet}
    for name, series in given.items():
        out[name] = ids.map(series).to_numpy() if series is not None else None
    return out


def _revenue(amount: np.ndarray, code: np.ndarray, day: np.ndarray, seen: np.ndarray,
             at: np.ndarray, *, mid: np.datetime64, start: np.datetime64
             ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`context`'s revenue of the last 12 months and its drop against the 12 before,
    per customer at ``at`` (its number; -1: none), from the lines ``seen``. Made apart so
    that its masks and copies of the lines are given back before the next column.
    """
    late = seen & (day > mid)
    early = seen & ~late & (day > start)
    # the values alone (no index: a copy of a line's worth less), summed as pandas sums them
    last12 = pd.Series(amount[late]).groupby(code[late]).sum()
    prev12 = pd.Series(amount[early]).groupby(code[early]).sum()
    revenue = last12.reindex(at).fillna(0.0).to_numpy(dtype=float)
    before = prev12.reindex(at).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(before > 0, np.clip(1 - revenue / before, 0, 1), np.nan)
    return revenue, drop


def _usual_category(transactions: pd.DataFrame, code: np.ndarray, seen: np.ndarray,
                    at: np.ndarray) -> np.ndarray | None:
    """:func:`context`'s category each customer spent most on (ties: the first by name;
    missing: none named), per customer at ``at``, from the lines ``seen``; None when no line
    names one.

    Grouped by number: a categorical's codes, else the text's. Each (customer, category)
    sum is pandas' own; the winner of each customer is found by sorting numbers (customer,
    then amount from the largest, then the name's rank), not millions of names.
    """
    category = transactions["category"]
    named = seen & category.notna().to_numpy()
    if not named.any():
        return None
    kind, names = ((category.cat.codes.to_numpy(), category.cat.categories)
                   if isinstance(category.dtype, pd.CategoricalDtype)
                   else pd.factorize(category))
    names = pd.Index(names)
    per, customer, kinds = pair_sums(pd.Series(transactions["amount"].to_numpy()[named]),
                                     code[named], kind[named], len(names))
    rank = np.empty(len(names), dtype=np.int64)
    rank[names.argsort()] = np.arange(len(names))  # each name's place in their order
    order = np.lexsort((rank[kinds], -per.to_numpy(), customer))
    customer, kinds = customer[order], kinds[order]
    first = np.ones(len(customer), dtype=bool)
    first[1:] = customer[1:] != customer[:-1]
    usual = np.full(int(customer.max()) + 1, np.nan, dtype=object)
    usual[customer[first]] = names.take(kinds[first]).to_numpy(dtype=object)
    out = np.full(len(at), np.nan, dtype=object)
    found = (at >= 0) & (at < len(usual))
    out[found] = usual[at[found]]
    return out


def _rows(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def fallen(moves: pd.DataFrame, rungs: pd.DataFrame, abc: pd.DataFrame) -> pd.DataFrame:
    """The moves of the customers :func:`call_list` calls: regular or high-value (ABC class
    A) customers who moved down a rung or into at-risk / can't-lose-them.
    """
    frame = moves.merge(rungs[["customer_id", "rung"]], on="customer_id")
    frame = frame.merge(abc[["customer_id", "abc"]], on="customer_id")
    regular = ["regular", "adherent", "advocate", "unknown"]
    important = frame["rung"].isin(regular) | frame["rung_before"].isin(regular) | \
        (frame["abc"] == "A")
    fell = frame["moved_down"] | (frame["segment_now"].isin(HIGH_RISK_SEGMENTS)
                                  & (frame["segment_before"] != frame["segment_now"]))
    return frame[important & fell]


def call_list(moves: pd.DataFrame, rungs: pd.DataFrame, abc: pd.DataFrame, lang: Lang, *,
              due: dt.date, value: pd.Series) -> pd.DataFrame:
    """Regular and high-value (ABC class A) customers who moved down a rung or into
    at-risk / can't-lose-them: one call task each (task rows; ``value`` by customer_id).
    """
    rows = []
    for item in fallen(moves, rungs, abc).itertuples(index=False):
        if item.segment_now in HIGH_RISK_SEGMENTS and item.segment_before != item.segment_now:
            reason = lang.t("segmentation.tasks.reason_segment",
                            segment=lang.t(f"segmentation.segment.{item.segment_now}"))
        else:
            reason = lang.t("segmentation.tasks.reason_rung",
                            before=lang.t(f"segmentation.rung.{item.rung_before}"),
                            now=lang.t(f"segmentation.rung.{item.rung_now}"))
        rows.append({"customer_id": item.customer_id, "reason": plain_text(reason),
                     "suggested_action": plain_text(lang.t("segmentation.tasks.action_call")),
                     "due_date": due, "value_at_stake": value.get(item.customer_id, 0.0)})
    return _rows(rows)


def occasions(customers: pd.DataFrame | None, *, start: dt.date, days: int) -> pd.DataFrame:
    """Contact persons' birthdays and first-deal anniversaries in [start, start + days].

    ``customers (customer_id[, birthday][, first_deal]) -> customer_id, kind, date, years``
    (kind ``birthday`` or ``anniversary``; ``years`` of working together; a first deal less
    than a year before is no anniversary yet; 29 February is greeted on 28 February).
    """
    rows = []
    for column, kind in (("birthday", "birthday"), ("first_deal", "anniversary")):
        if customers is None or column not in customers:
            continue
        for cid, when in customers[["customer_id", column]].dropna().itertuples(index=False):
            when = pd.Timestamp(when).date()
            upcoming = _next_occurrence(when, start)
            if upcoming is None or (upcoming - start).days > days:
                continue
            years = upcoming.year - when.year
            if kind == "anniversary" and years < 1:
                continue
            rows.append({"customer_id": cid, "kind": kind, "date": upcoming, "years": years})
    return pd.DataFrame(rows, columns=["customer_id", "kind", "date", "years"])


def greetings_list(customers: pd.DataFrame | None, lang: Lang, *, start: dt.date, days: int,
                   value: pd.Series) -> pd.DataFrame:
    """Birthdays and first-deal anniversaries in [start, start + days]: one task per customer
    (two occasions in the window make one call, due on the first of them).
    """
    found = occasions(customers, start=start, days=days).sort_values(["customer_id", "date"])
    rows = []
    for cid, group in found.groupby("customer_id", sort=True):
        reasons, actions = [], []
        for item in group.itertuples(index=False):
            if item.kind == "anniversary":
                reasons.append(lang.t("segmentation.tasks.reason_anniversary", years=item.years,
                                      date=lang.date(item.date, "compact")))
            else:
                reasons.append(lang.t("segmentation.tasks.reason_birthday",
                                      date=lang.date(item.date, "compact")))
            actions.append(lang.t(f"segmentation.tasks.action_{item.kind}"))
        rows.append({"customer_id": cid, "reason": plain_text("; ".join(reasons)),
                     "suggested_action": plain_text("; ".join(actions)),
                     "due_date": group["date"].min(), "value_at_stake": value.get(cid, 0.0)})
    return _rows(rows)


def _next_occurrence(when: dt.date, start: dt.date) -> dt.date | None:
    for year in (start.year, start.year + 1):
        try:
            candidate = when.replace(year=year)
        except ValueError:  # 29 February in a common year: greet on 28 February
            candidate = dt.date(year, 2, 28)
        if candidate >= start:
            return candidate
    return None


def penetration_list(rungs: pd.DataFrame, lang: Lang, *, due: dt.date,
                     value: pd.Series) -> pd.DataFrame:
    """Regular customers to ask the penetration question (share of wallet)."""
    regulars = rungs[rungs["rung"].isin(["regular", "unknown"])]
    reason = plain_text(lang.t("segmentation.tasks.reason_regular"))
    action = plain_text(lang.t("segmentation.tasks.action_penetration"))
    return _rows([{"customer_id": cid, "reason": reason, "suggested_action": action,
                   "due_date": due, "value_at_stake": value.get(cid, 0.0)}
                  for cid in regulars["customer_id"]])


def winback_lists(lost: pd.DataFrame, exits: pd.DataFrame | None, lang: Lang, *,
                  due: dt.date, value: pd.Series, last_purchase: pd.Series,
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The win-back list and the director's apology calls (task rows each).

    ``lost (customer_id, days_since)``: valuable customers who lapsed;
    ``exits (customer_id, date, cause, text)``: exit questionnaires coded by
    :func:`playbook.survey.exits.exit_causes`. A respondent who left over offence gets an
    apology call (and is no win-back task); one who left over terms a win-back call, as
    does every valuable lapsed customer. A respondent who bought again after answering is
    back already: no task. ``value`` is what each customer brings a year (while it bought),
    ``last_purchase`` its last purchase day, both by customer_id.
    """
    apology, terms = [], {}
    if exits is not None and len(exits):
        latest = exits.sort_values("date").drop_duplicates("customer_id", keep="last")
        for item in latest.itertuples(index=False):
            bought = last_purchase.get(item.customer_id)
            if bought is not None and pd.notna(bought) and pd.notna(item.date) \
                    and pd.Timestamp(bought) > pd.Timestamp(item.date):
                continue
            if item.cause not in ("offence", "terms"):
                continue
            text = " ".join(str(item.text).split())
            text = text if len(text) <= 200 else text[:199].rstrip() + "…"
            when = lang.date(item.date, "compact") if pd.notna(item.date) else "—"
            reason = plain_text(lang.t(f"exports.reason.exit_{item.cause}", date=when,
                                       text=text))
            if item.cause == "offence":
                apology.append({"customer_id": item.customer_id, "reason": reason,
                                "suggested_action": plain_text(lang.t("exports.action.apology")),
                                "due_date": due,
                                "value_at_stake": value.get(item.customer_id, 0.0)})
            else:
                terms[item.customer_id] = reason
    sorry = {r["customer_id"] for r in apology}
    action = plain_text(lang.t("exports.action.winback"))
    rows = []
    for item in lost.itertuples(index=False):
        if item.customer_id in sorry:
            continue
        reason = plain_text(lang.t("exports.reason.lost", days=lang.int(item.days_since),
                                   value=lang.money(value.get(item.customer_id, 0.0))))
        if item.customer_id in terms:
            reason = f"{terms.pop(item.customer_id)}; {reason}"
        rows.append({"customer_id": item.customer_id, "reason": reason,
                     "suggested_action": action, "due_date": due,
                     "value_at_stake": value.get(item.customer_id, 0.0)})
    rows += [{"customer_id": cid, "reason": reason, "suggested_action": action,
              "due_date": due, "value_at_stake": value.get(cid, 0.0)}
             for cid, reason in terms.items()]
    return _rows(rows), _rows(apology)


def finish(rows: pd.DataFrame, key: str, lang: Lang, *, people: pd.DataFrame,
           context: pd.DataFrame | None, start: dt.date) -> pd.DataFrame:
    """Task rows -> the list ``key`` in :data:`~playbook.exports.tasks.TASK_COLUMNS`.

    Joins each customer's contacts and context, sets ``task_id`` (``<key>-<customer_id>``),
    the localised list name, the hand-over date ``given`` (= ``start``) and the status
    "to do", and sorts by value at stake (largest first, then customer id). A due date
    before the hand-over is moved to it. ``manager`` stays as in the data
    (:data:`~playbook.exports.tasks.UNASSIGNED` for none): the writer shows its name.
    """
    rows = rows.drop_duplicates("customer_id")
    frame = rows.merge(people, on="customer_id", how="left")
    if context is not None:
        frame = frame.merge(context, on="customer_id", how="left")
    frame["manager"] = frame["manager"].fillna(UNASSIGNED)
    frame["customer_name"] = frame["customer_name"].fillna(frame["customer_id"])
    frame["task_id"] = [f"{key}-{cid}" for cid in frame["customer_id"]]
    frame["list"] = list_name(key, lang)
    frame["given"] = start
    frame["due_date"] = [max(d, start) if isinstance(d, dt.date) else start
                         for d in frame["due_date"]]
    frame["status"] = status_name("todo", lang)
    frame["date_done"] = None
    frame["comment"] = None
    frame["value_at_stake"] = pd.to_numeric(frame["value_at_stake"]).fillna(0.0).astype(float) \
        .round(2)
    for column in TASK_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame = frame.sort_values(["value_at_stake", "customer_id"], ascending=[False, True],
                              kind="mergesort")
    return frame[list(TASK_COLUMNS)].reset_index(drop=True)
