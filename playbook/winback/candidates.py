"""Who to win back, on what evidence, why they left and what they are worth.

Four signals, each a test anyone can check:

- **buying fell**: over the last ``months`` months a valuable customer made at most
  ``drop_share`` of the purchases BG/NBD expected of it, the model fitted on the data before
  those months (:func:`expected_vs_actual`, :func:`flag_drops`), when at least
  ``min_expected`` purchases were expected;
- **lost**: valuable and far beyond its own rhythm (the segmentation's "lost" group,
  :func:`playbook.segmentation.rhythm.rhythm`), its last purchase recent enough to matter;
- **the annual survey**: its share of wallet fell between two waves, or it names another
  supplier (:func:`survey_signals`);
- **the exit questionnaire**: its answers, coded by
  :func:`playbook.survey.exits.code_exit_reasons` (:func:`exit_signals`).

:func:`candidates` joins them, one row per customer: the reason class (``terms``: left over
price or terms, an offer can win it back; ``offence``: rudeness or neglect, an apology call
by the director, not an offer; ``unknown``: a call to find out), the value at stake (margin
over its last twelve months of normal buying, :func:`yearly_volume`), the value if won back
and a priority (value x the assumed chance of winning back). Tables in, tables out; no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from playbook.errors import DataError
from playbook.keys import KEY
from playbook.ltv import bgnbd
from playbook.survey.exits import code_exit_reasons

__all__ = ["REASONS", "ACTIONS", "expected_vs_actual", "flag_drops", "yearly_volume",
           "latest_lines", "survey_signals", "exit_signals", "match_competitor", "candidates"]

#: Why a customer left, from most to least winnable.
REASONS = ("terms", "unknown", "offence")
#: What to do about each reason.
ACTIONS = {"terms": "offer", "offence": "apology_call", "unknown": "call_to_find_out"}


def expected_vs_actual(transactions: pd.DataFrame, as_of: dt.date, *, months: int = 6,
                       time_unit: str = "week") -> pd.DataFrame:
    """Transactions -> customer_id, expected, actual: purchases over the last ``months``.

    BG/NBD is fitted on the purchase days up to ``as_of - months``; ``expected`` is the
    repeat purchase days it predicts for each customer over the ``months`` to ``as_of``
    given its history then, ``actual`` the purchase days it made. Customers whose first
    purchase falls in the window are left out (there was no rhythm to fall below).

    Raises
    ------
    DataError
        When the history before the window is too short or has too few repeat customers
        to fit the model.
    """
    start = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
    # the three columns the summary reads, before filtering: a filter takes every column,
    # and a large client's text columns (names, managers, documents) cost seconds each
    # (and the run's key of the customers when it has it: the summary groups by it)
    tx = transactions[[c for c in ("customer_id", "date", "amount", KEY) if c in transactions]]
    keep = tx["date"] <= pd.Timestamp(as_of)
    if not keep.all():  # a run's transactions end at as_of already: nothing to take then
        tx = tx[keep]
    summary = bgnbd.rfm_summary(tx, calibration_end=start, observation_end=as_of,
                                time_unit=time_unit)
    fit = bgnbd.fit_bgnbd(summary, time_unit=time_unit)
    expected = bgnbd.expected_purchases(fit, summary["duration_holdout"], summary)
    return pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(),
                         "expected": expected.to_numpy(dtype=float),
                         "actual": summary["frequency_holdout"].to_numpy(dtype=float)})


def flag_drops(frame: pd.DataFrame, *, drop_share: float = 0.5, min_expected: float = 2.0,
               valuable=None) -> pd.DataFrame:
    """customer_id, expected, actual -> the same with ``ratio`` and ``dropped``.

    ``ratio`` = actual / expected; ``dropped``: ``expected >= min_expected`` and
    ``actual <= drop_share * expected``, and valuable (``valuable``: a boolean array aligned
    with ``frame``, None: everyone).
    """
    out = frame.copy()
    expected = out["expected"].astype(float)
    out["ratio"] = out["actual"].astype(float) / expected.where(expected > 0)
    keep = np.ones(len(out), bool) if valuable is None else np.asarray(valuable, bool)
    out["dropped"] = ((expected >= min_expected) & (out["actual"] <= drop_share * expected)
                      & keep)
    return out


def yearly_volume(transactions: pd.DataFrame, ends: pd.Series, *,
                  customer_id: str = "customer_id", date: str = "date",
                  amount: str = "amount", margin: str = "margin",
                  order_id: str | None = "order_id") -> pd.DataFrame:
    """Each customer's last twelve months of buying up to its own end date.

    ``ends``: an end date per customer (indexed by customer id). ->
    customer_id, spend, margin, orders, avg_order over the 365 days ending there: spend
    and margin summed (margin is NaN when the data has none), orders counted as distinct
    documents (or purchase days without ``order_id``), avg_order = spend / orders.
    """
    columns = [customer_id, "spend", "margin", "orders", "avg_order"]
    if ends.empty:
        return pd.DataFrame(columns=columns)
    ends = pd.to_datetime(ends)
    # each row's customer as a position in ``ends`` (-1: not asked for), found once: the
    # rows are then filtered and grouped by that number, never by the text of the id, and
    # only the columns summed are taken
    at = _positions(transactions[customer_id], ends.index)
    asked = at >= 0
    end = ends.to_numpy()[np.where(asked, at, 0)]
    day = transactions[date].to_numpy()
    keep = asked & (day <= end) & (day > end - np.timedelta64(365, "D"))
    cols = [c for c in dict.fromkeys((amount, margin, order_id, date)) if c and c in transactions]
    tx = transactions[cols][keep]
    has_margin = margin in tx and tx[margin].notna().any()
    key = order_id if order_id and order_id in tx and tx[order_id].notna().all() else date
    grouped = tx.groupby(at[keep])
    out = pd.DataFrame({
        "spend": grouped[amount].sum(),
        "margin": grouped[margin].sum() if has_margin else np.nan,
        "orders": grouped[key].nunique(),
    }).reindex(np.arange(len(ends)))
    out.index = ends.index.rename(customer_id)
    out["spend"] = out["spend"].fillna(0.0).clip(lower=0)
    out["orders"] = out["orders"].fillna(0).astype("int64")
    out["avg_order"] = out["spend"] / out["orders"].where(out["orders"] > 0)
    return out.reset_index()[columns]


def latest_lines(transactions: pd.DataFrame, ids, *, customer_id: str = "customer_id",
                 date: str = "date") -> np.ndarray:
    """The positions of the latest transaction of each of the customers ``ids`` that bought,
    in the transactions' order: the rows that a stable sort by date (a missing date last)
    and each customer's last row give, found by numbers instead (sorting and grouping every
    transaction reorders every text column, seconds each on a large client; the caller
    reads the text of these lines only). Of one customer's rows on its latest date, the
    last one.
    """
    at = _positions(transactions[customer_id], pd.Index(pd.unique(np.asarray(ids, object))))
    rows = np.flatnonzero(at >= 0)
    day = transactions[date].to_numpy()[rows]
    when = day.view("int64").copy()
    when[np.isnat(day)] = np.iinfo(np.int64).max  # sort_values puts a missing date last
    order = np.lexsort((rows, when, at[rows]))  # by customer, then date, then position
    who = at[rows][order]
    last = np.r_[who[1:] != who[:-1], True] if len(who) else np.zeros(0, bool)
    return np.sort(rows[order][last])


def _positions(values: pd.Series, ids: pd.Index) -> np.ndarray:
    """Each value's position in ``ids`` (unique), -1 where it is not there: what
    ``ids.get_indexer(values)`` gives. For arrow-backed text, pyarrow's hash lookup: pandas
    turns the values into Python strings first (10M customer ids: 5 s against 0.6 s).
    """
    dtype = values.dtype
    arrow_text = ((isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")
                  or (isinstance(dtype, pd.ArrowDtype)
                      and (pa.types.is_string(dtype.pyarrow_dtype)
                           or pa.types.is_large_string(dtype.pyarrow_dtype))))
    if not (arrow_text and ids.is_unique and pd.api.types.infer_dtype(ids, skipna=False)
            in ("string", "empty")):
        return ids.get_indexer(values)
    text = values.array.__arrow_array__()
    found = pc.index_in(text, value_set=pa.array(ids.tolist(), type=text.type))
    return np.asarray(pc.fill_null(found, -1).to_numpy(), dtype=np.intp)


_LEGAL = re.compile(r"\b(ооо|оао|зао|пао|ао|ип|llc|ltd|inc|gmbh)\b")


def _plain(name: str) -> str:
    text = str(name).casefold().replace("ё", "е")
    text = re.sub(r"[^\w]+", " ", text)  # quotes, brackets, hyphens, stops: word breaks
    return " ".join(_LEGAL.sub(" ", text).split())


def match_competitor(text, competitors: Sequence[Mapping]) -> str | None:
    """The profile's competitor that ``text`` (a survey answer) names, or None.

    Names and aliases are compared without case, punctuation (quotes, brackets, hyphens) or
    legal forms (ООО, ИП, LLC...), as whole words anywhere in the answer.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or pd.isna(text):
        return None
    plain = f" {_plain(text)} "
    for comp in competitors:
        for name in [comp["name"], *comp.get("aliases", [])]:
            key = _plain(name)
            if key and f" {key} " in plain:
                return comp["name"]
    return None


def survey_signals(annual: pd.DataFrame, *, wallet_drop: float = 0.10,
                   competitors: Sequence[Mapping] = (), customer_id: str = "customer_id",
                   wave: str = "wave", share: str = "share_of_wallet",
                   named: str = "main_competitor") -> pd.DataFrame:
    """Annual survey answers -> customer_id, wallet_before, wallet_now, wallet_fell,
    names_other, competitor.

    Per customer, its latest answer; ``wallet_fell`` when its share of wallet (per cent)
    fell by at least ``wallet_drop`` (a share: 0.10 = 10 points) since its previous wave's
    answer; ``names_other`` when it names another supplier; ``competitor`` the profile's
    competitor it names (:func:`match_competitor`), else the name as written. Customers
    neither signal flags are left out.
    """
    if annual is None or annual.empty or customer_id not in annual:
        return pd.DataFrame(columns=[customer_id, "wallet_before", "wallet_now",
                                     "wallet_fell", "names_other", "competitor"])
    frame = annual[annual[customer_id].notna()].copy()
    order = [wave, "date"] if "date" in frame else [wave]
    frame = frame.sort_values([c for c in order if c in frame], kind="mergesort")
    grouped = frame.groupby(customer_id, sort=False)
    latest = grouped.tail(1).set_index(customer_id)
    out = pd.DataFrame(index=latest.index)
    if share in frame:
        previous = grouped[share].apply(lambda s: s.iloc[-2] if len(s) > 1 else np.nan)
        out["wallet_before"] = previous.reindex(out.index).astype(float)
        out["wallet_now"] = latest[share].astype(float)
        out["wallet_fell"] = (out["wallet_before"] - out["wallet_now"]) >= wallet_drop * 100
    else:
        out["wallet_before"] = out["wallet_now"] = np.nan
        out["wallet_fell"] = False
    text = latest[named].astype("string") if named in latest else pd.Series(
        pd.NA, index=latest.index, dtype="string")
    text = text.str.strip()
    out["names_other"] = text.fillna("").str.len() > 0
    out["competitor"] = [match_competitor(t, competitors) or (t if isinstance(t, str) and t
                                                              else None) for t in text]
    out = out[out["wallet_fell"] | out["names_other"]]
    return out.reset_index()


def exit_signals(answers: pd.DataFrame | None, keywords: Mapping, *,
                 text_cols: Sequence[str] = ("product_issue", "staff_issue", "sale_issue"),
                 customer_id: str = "customer_id") -> pd.DataFrame:
    """Exit questionnaires -> customer_id, exit_cause, exit_text (answered ones, the latest
    per customer). ``exit_cause`` is ``terms``, ``offence`` or ``unclear``.
    """
    columns = [customer_id, "exit_cause", "exit_text"]
    if answers is None or answers.empty:
        return pd.DataFrame(columns=columns)
    cols = [c for c in text_cols if c in answers]
    if not cols or customer_id not in answers:
        raise DataError("The exit questionnaires have no customer id or no open answers "
                        f"({', '.join(text_cols)}): the win-back section cannot read them.")
    rows = answers[answers[customer_id].notna()]
    if "date" in rows:
        rows = rows.sort_values("date", kind="mergesort")
    coded = code_exit_reasons(rows, text_cols=cols, keywords=keywords, id_col=customer_id)
    coded = coded[coded["answered"]].groupby(customer_id, sort=False).tail(1)
    return pd.DataFrame({customer_id: coded[customer_id].to_numpy(),
                         "exit_cause": coded["cause"].to_numpy(),
                         "exit_text": coded["text"].to_numpy()})


def _flags(column: pd.Series) -> np.ndarray:
    """A column of yes/no answers (missing: no), as booleans."""
    return (column.notna() & column.fillna(False).astype(bool)).to_numpy(dtype=bool)


def _reasons(table: pd.DataFrame) -> np.ndarray:
    """Each row's reason: ``offence`` when the exit questionnaire says so; else ``terms``
    when it says terms, the customer names another supplier or its share of wallet fell;
    else ``unknown``. Decided column by column (a Python call per row was seconds at 10M).
    """
    cause = table["exit_cause"]
    terms = (cause.isin(["terms"]).to_numpy(dtype=bool) | _flags(table["names_other"])
             | _flags(table["wallet_fell"]))
    return np.where(cause.isin(["offence"]).to_numpy(dtype=bool), "offence",
                    np.where(terms, "terms", "unknown")).astype(object)


def candidates(drops: pd.DataFrame, lost: pd.DataFrame, survey: pd.DataFrame,
               exits: pd.DataFrame, volume: pd.DataFrame, *,
               win_odds: Mapping[str, float], won_back_months: int = 24,
               customer_id: str = "customer_id") -> pd.DataFrame:
    """The signals joined, one row per candidate, best first.

    A candidate is a customer whose buying dropped, who is lost, who answered an exit
    questionnaire, or whose share of wallet fell; an annual answer naming another supplier
    is evidence (the competitor, the reason) for a candidate, not a candidate by itself.

    ``drops``: :func:`flag_drops` rows that dropped (customer_id, expected, actual);
    ``lost``: customer_id, days_since; ``survey``: :func:`survey_signals`; ``exits``:
    :func:`exit_signals`; ``volume``: :func:`yearly_volume` (customer_id, spend, margin,
    orders, avg_order) for these customers. ->

    customer_id, signals (``drop``, ``lost``, ``survey``, ``exit`` joined by commas),
    expected, actual, days_since, wallet_before, wallet_now, competitor, exit_cause,
    exit_text, reason, action, spend, margin, orders, avg_order, value_at_stake (margin,
    or spend without margin data), value_if_won (value_at_stake x won_back_months / 12),
    chance (``win_odds`` of the reason), expected_value (value_if_won x chance), priority
    (1 = first).
    """
    parts = {"drop": drops[[customer_id, "expected", "actual"]],
             "lost": lost[[customer_id, "days_since"]],
             "survey": survey[[customer_id, "wallet_before", "wallet_now", "wallet_fell",
                               "names_other", "competitor"]],
             "exit": exits[[customer_id, "exit_cause", "exit_text"]]}
    # naming another supplier alone is common (many customers buy from several): it is
    # evidence for a customer another signal names, a candidate of its own when wallet fell
    named = [p[customer_id] for n, p in parts.items() if n != "survey"]
    named.append(survey.loc[survey["wallet_fell"].astype(bool), customer_id])
    ids = pd.unique(pd.concat(named, ignore_index=True))
    out = pd.DataFrame({customer_id: ids})
    out["signals"] = ""
    # which signals name each customer, as bits (drop 1, lost 2, survey 4, exit 8), then
    # each of the 16 combinations written once
    bits = np.zeros(len(out), dtype=np.int64)
    for bit, (name, part) in enumerate(parts.items()):
        part = part.drop_duplicates(customer_id, keep="last")
        counted = part if name != "survey" else part[part["wallet_fell"].astype(bool)
                                                     | part["names_other"].astype(bool)]
        hit = out[customer_id].isin(set(counted[customer_id])).to_numpy(dtype=bool)
        bits |= hit.astype(np.int64) << bit
        out = out.merge(part, on=customer_id, how="left")
    words = np.array([",".join(n for bit, n in enumerate(parts) if code >> bit & 1)
                      for code in range(1 << len(parts))], dtype=object)
    out.loc[bits > 0, "signals"] = words[bits[bits > 0]]
    if out.empty:
        out["reason"] = out["action"] = pd.Series(dtype="object")
    else:
        out["reason"] = _reasons(out)
        out["action"] = out["reason"].map(ACTIONS)
    out = out.merge(volume, on=customer_id, how="left")
    value = out["margin"].where(out["margin"].notna(), out["spend"])
    out["value_at_stake"] = value.fillna(0.0).clip(lower=0).astype(float)
    out["value_if_won"] = out["value_at_stake"] * won_back_months / 12
    out["chance"] = out["reason"].map(dict(win_odds)).astype(float)
    out["expected_value"] = out["value_if_won"] * out["chance"]
    out = out.drop(columns=["wallet_fell", "names_other"])
    out = out.sort_values(["expected_value", customer_id], ascending=[False, True],
                          kind="mergesort").reset_index(drop=True)
    out["priority"] = np.arange(1, len(out) + 1)
    return out
