"""Compliance with the standards: every check as one row, shares with intervals, the
response-time rule, the month's best performer, and the standards to fix first.

The checks table every function shares: ``date, month, branch, employee, item, passed``
(one row per check: an audited item, a call, a request), built from the audits
(:func:`audit_checks`), the call log (:func:`call_checks`) and the request log
(:func:`request_checks`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import stats

from playbook.errors import DataError

__all__ = ["CHECK_COLUMNS", "audit_checks", "unknown_items", "call_checks", "working_hours",
           "response_times", "request_checks", "wilson", "compliance", "overall",
           "best_performers", "fix_first"]

CHECK_COLUMNS = ["date", "month", "branch", "employee", "item", "passed"]


def _checks(frame: pd.DataFrame, date: str, item: str, passed: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"date": pd.to_datetime(frame[date]).to_numpy()}, index=frame.index)
    out["month"] = out["date"].dt.to_period("M").dt.to_timestamp()
    for column in ("branch", "employee"):
        out[column] = (frame[column].astype("string") if column in frame
                       else pd.Series(pd.NA, index=frame.index, dtype="string"))
    out["item"] = item
    out["passed"] = passed.astype(bool)
    return out.reset_index(drop=True)[CHECK_COLUMNS]


def audit_checks(audits: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Mystery-shopping audits as checks of the catalog's standards.

    ``date, [branch, employee], item, passed`` -> ``date, month, branch, employee, item,
    passed``; items the catalog lacks are left out here and listed by :func:`unknown_items`.
    """
    known = audits[audits["item"].isin(catalog["id"])]
    out = _checks(known, "date", "", known["passed"])
    out["item"] = known["item"].to_numpy()
    return out


def unknown_items(audits: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Audit items that are not standards of the catalog: ``item, checks, rows`` (the first
    file rows they are on), so the consultant can map or add them.
    """
    other = audits[~audits["item"].isin(catalog["id"])]
    if other.empty:
        return pd.DataFrame(columns=["item", "checks", "rows"])
    rows = "row" in other
    grouped = other.groupby("item", sort=True)
    return pd.DataFrame({
        "item": list(grouped.groups),
        "checks": grouped.size().to_numpy(),
        "rows": [", ".join(str(r) for r in g["row"].head(5)) if rows else ""
                 for _, g in grouped],
    })


def call_checks(calls: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """The call log as checks of the catalog's call-log standards (by their ``measure``).

    - ``answered_by_ring``: an answered call passes when it rang at most ``rings`` times
      (or, without rings, was answered within ``seconds``);
    - ``hold_or_callback``: a call with a hold time passes when it held at most ``seconds``
      or a call-back was offered;
    - ``missed_returned``: a missed call passes when it was called back.

    ``time, [branch, employee, rings, answer_seconds, missed, hold_seconds, callback]`` ->
    checks. A measure whose columns the log lacks gives no checks.
    """
    parts = []
    missed = calls["missed"].fillna(False).astype(bool) if "missed" in calls \
        else pd.Series(False, index=calls.index)
    callback = calls["callback"].fillna(False).astype(bool) if "callback" in calls \
        else pd.Series(False, index=calls.index)
    for row in catalog[catalog["check"] == "call_log"].itertuples(index=False):
        measure = row.measure or {}
        rule = measure.get("rule")
        if rule == "answered_by_ring":
            if "rings" in calls:
                use = ~missed & calls["rings"].notna()
                passed = calls["rings"] <= measure.get("rings", 3)
            elif "answer_seconds" in calls:
                use = ~missed & calls["answer_seconds"].notna()
                passed = calls["answer_seconds"] <= measure.get("seconds", 15)
            else:
                continue
        elif rule == "hold_or_callback" and "hold_seconds" in calls:
            use = ~missed & calls["hold_seconds"].notna()
            passed = (calls["hold_seconds"] <= measure.get("seconds", 60)) | callback
        elif rule == "missed_returned" and "missed" in calls:
            use, passed = missed, callback
        else:
            continue
        use = use.fillna(False).astype(bool)
        if use.any():
            parts.append(_checks(calls[use], "time", row.id, passed[use].fillna(False)))
    return (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame(columns=CHECK_COLUMNS))


def working_hours(start: pd.Series, end: pd.Series, *, day_start: int = 9, day_end: int = 18,
                  days: tuple[int, ...] = (1, 2, 3, 4, 5)) -> pd.Series:
    """Working hours between each ``start`` and ``end``: only the hours from ``day_start``
    to ``day_end`` on ISO weekdays ``days`` count (a request on Friday evening answered on
    Monday at 10:00 took one working hour with the defaults).
    """
    out = []
    open_days = set(days)
    for s, e in zip(pd.to_datetime(start), pd.to_datetime(end), strict=True):
        if pd.isna(s) or pd.isna(e):
            out.append(np.nan)
            continue
        total = 0.0
        day = s.normalize()
        while day <= e:
            if day.isoweekday() in open_days:
                lo = max(s, day + pd.Timedelta(hours=day_start))
                hi = min(e, day + pd.Timedelta(hours=day_end))
                total += max((hi - lo).total_seconds(), 0) / 3600
            day += pd.Timedelta(days=1)
        out.append(total if e >= s else np.nan)
    return pd.Series(out, index=start.index, dtype="float64")


def response_times(requests: pd.DataFrame, *, limit: float = 10, hours: str = "calendar",
                   as_of: dt.date | None = None, day_start: int = 9, day_end: int = 18,
                   days: tuple[int, ...] = (1, 2, 3, 4, 5)) -> pd.DataFrame:
    """Each request's time to the first answer and whether it met the rule.

    ``received, first_answer, ...`` -> the same with ``hours_to_answer`` (calendar or
    working hours, as ``hours`` says) and ``within`` (True, False, or missing for a request
    still unanswered whose time is not yet up). A request with no answer whose time ran out
    before ``as_of`` counts as late. An answer before the request is an error.
    """
    if hours not in ("calendar", "working"):
        raise DataError(f"hours must be 'calendar' or 'working', not {hours!r}")
    out = requests.copy()
    answer = out["first_answer"] if "first_answer" in out else pd.Series(pd.NaT, index=out.index)
    early = (answer < out["received"]).fillna(False)
    if early.any():
        rows = out["row"][early].head(5).tolist() if "row" in out else []
        raise DataError(f"{int(early.sum())} requests were answered before they were received "
                        f"(rows {', '.join(map(str, rows))}): check the first-answer column.")
    horizon = pd.Timestamp(as_of) + pd.Timedelta(days=1) if as_of else answer.max()
    end = answer.fillna(horizon)
    if hours == "calendar":
        spent = (end - out["received"]).dt.total_seconds() / 3600
    else:
        spent = working_hours(out["received"], end, day_start=day_start, day_end=day_end,
                              days=days)
    out["hours_to_answer"] = spent.where(answer.notna())
    within = pd.Series(pd.NA, index=out.index, dtype="boolean")
    within[answer.notna()] = spent[answer.notna()] <= limit
    within[answer.isna() & (spent > limit)] = False
    out["within"] = within
    return out


def request_checks(times: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Requests judged by :func:`response_times` as checks of the request-log standards."""
    ids = catalog.loc[catalog["check"] == "request_log", "id"]
    judged = times[times["within"].notna()]
    parts = [_checks(judged, "received", sid, judged["within"]) for sid in ids]
    return (pd.concat(parts, ignore_index=True) if parts and len(judged)
            else pd.DataFrame(columns=CHECK_COLUMNS))


def wilson(passed, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share ``passed / n`` (arrays or numbers)."""
    passed, n = np.asarray(passed, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = passed / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def compliance(checks: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share of checks passed per group, with a 95% Wilson interval.

    checks -> ``*by, n, passed, share, ci_low, ci_high``.
    """
    grouped = checks.groupby(by, dropna=False, sort=True)["passed"]
    out = grouped.agg(n="size", passed="sum").reset_index()
    out["passed"] = out["passed"].astype(int)
    out["share"] = out["passed"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson(out["passed"], out["n"])
    return out


def overall(by_standard: pd.DataFrame, catalog: pd.DataFrame) -> float | None:
    """Overall compliance: the standards' shares averaged with their weights.

    ``item, share`` (from :func:`compliance` by item) and the catalog -> a share, or None
    without checks.
    """
    if by_standard.empty:
        return None
    weights = by_standard["item"].map(catalog.set_index("id")["weight"]).astype(float)
    return float(np.average(by_standard["share"], weights=weights))


def best_performers(checks: pd.DataFrame, *, min_checks: int = 5,
                    shrink: float = 10) -> pd.DataFrame:
    """The best performer of each month, chosen fairly.

    An employee's share is pulled toward the month's share as if it had ``shrink`` more
    checks at that share: ``(passed + shrink * p_month) / (n + shrink)``, so one lucky
    visit does not beat a long record; only employees with at least ``min_checks`` checks
    in the month can win. checks -> ``month, employee, n, passed, share, score, month_share``
    (one row per month with a winner; ties go to more checks, then to the name).
    """
    named = checks.dropna(subset=["employee"])
    if named.empty:
        return pd.DataFrame(columns=["month", "employee", "n", "passed", "share", "score",
                                     "month_share"])
    per = compliance(named, ["month", "employee"])
    month = named.groupby("month")["passed"].mean().rename("month_share")
    per = per.join(month, on="month")
    per["score"] = (per["passed"] + shrink * per["month_share"]) / (per["n"] + shrink)
    per = per[per["n"] >= min_checks]
    per = per.sort_values(["month", "score", "n", "employee"],
                          ascending=[True, False, False, True], kind="stable")
    return per.groupby("month", sort=True).head(1)[
        ["month", "employee", "n", "passed", "share", "score", "month_share"]
    ].reset_index(drop=True)


def fix_first(by_standard: pd.DataFrame, catalog: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """The standards to fix first: those below target, by the shortfall times the weight.

    ``item, n, share, ci_low, ci_high`` and the catalog -> the same with ``target, weight,
    gap, priority``, at most ``top`` rows, the largest priority first. A standard whose
    interval reaches its target is left out: it may be met already.
    """
    cat = catalog.set_index("id")
    out = by_standard.copy()
    out["target"] = out["item"].map(cat["target"])
    out["weight"] = out["item"].map(cat["weight"])
    out["gap"] = out["target"] - out["share"]
    out["priority"] = out["gap"] * out["weight"]
    out = out[(out["gap"] > 0) & (out["ci_high"] < out["target"])]
    return out.sort_values(["priority", "n"], ascending=[False, False],
                           kind="stable").head(top).reset_index(drop=True)
