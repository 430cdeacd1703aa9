"""One client's compliance measured end to end: the checks from every log, compliance now
and before the standards took effect, by standard, branch and employee, the control charts
and their signals, the response rule, the month's best performers and what to fix first.

``measure(...) -> Measured``; every table is computed by :mod:`~playbook.standards.compliance`
and :mod:`~playbook.standards.control`. Months stop at the last complete one on or before
``as_of``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from playbook.periods import complete_end
from playbook.standards import compliance as co
from playbook.standards import control as ctl
from playbook.standards.rollout import in_force, plan
from playbook.standards.settings import Standards

__all__ = ["Measured", "measure", "RECENT_MONTHS", "branch_in_force", "employee_charts",
           "EMPLOYEE_MIN_CHECKS", "EMPLOYEE_MIN_MONTHS"]

#: "Now" is the last this many complete months.
RECENT_MONTHS = 3
#: An employee gets a control chart of its own with at least this many checks in a typical
#: month (the median month) and this many months: with fewer, the limits of a p-chart are so
#: wide that nothing can be told from noise.
EMPLOYEE_MIN_CHECKS = 20
EMPLOYEE_MIN_MONTHS = 6


@dataclass
class Measured:
    """What the logs say about compliance (empty tables when no log was given)."""

    checks: pd.DataFrame
    logs: dict[str, bool]
    in_force: dt.date | None
    recent: tuple[dt.date, dt.date] | None = None
    by_standard: pd.DataFrame = field(default_factory=pd.DataFrame)
    before: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_branch: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_employee: pd.DataFrame = field(default_factory=pd.DataFrame)
    overall: float | None = None
    overall_before: float | None = None
    p_chart: pd.DataFrame = field(default_factory=pd.DataFrame)
    branch_charts: dict[str, pd.DataFrame] = field(default_factory=dict)
    employee_charts: dict[str, pd.DataFrame] = field(default_factory=dict)
    response: pd.DataFrame | None = None
    response_chart: pd.DataFrame = field(default_factory=pd.DataFrame)
    within: float | None = None
    median_hours: float | None = None
    judged: int = 0
    signals: list[dict] = field(default_factory=list)
    best: pd.DataFrame = field(default_factory=pd.DataFrame)
    fix: pd.DataFrame = field(default_factory=pd.DataFrame)
    unknown: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_checks(self) -> bool:
        """Whether any log gave a check of an adopted standard."""
        return len(self.checks) > 0


def branch_in_force(settings: Standards) -> dict[str, dt.date]:
    """When the standards took effect in each branch of the plan (its control start)."""
    stages = plan(settings.rollout)
    control = stages[stages["stage"] == "control"]
    return {b: row.start for row in control.itertuples() for b in row.branches}


def employee_charts(checks: pd.DataFrame, starts: dict[str, dt.date],
                    default: dt.date | None) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """A p-chart of each employee's monthly pass share, for the employees with enough
    checks (:data:`EMPLOYEE_MIN_CHECKS` in the median month, :data:`EMPLOYEE_MIN_MONTHS`
    months), limits reset when the standards took effect in the employee's branch (the
    branch most of its checks name; ``default`` without one), and their signals (``series``
    ``employee:<name>``, ``employee``).

    ``checks`` (``employee, branch, month, passed``) -> ``({employee: chart}, signals)``.
    """
    charts, found = {}, []
    named = checks.dropna(subset=["employee"])
    for employee, mine in named.groupby("employee", sort=True):
        monthly = co.compliance(mine, ["month"])
        if len(monthly) < EMPLOYEE_MIN_MONTHS or monthly["n"].median() < EMPLOYEE_MIN_CHECKS:
            continue
        branches = mine["branch"].dropna()
        home = branches.mode().iloc[0] if len(branches) else None
        chart = ctl.p_chart(monthly, reset=starts.get(home, default))
        charts[str(employee)] = chart
        found += [s | {"employee": str(employee)}
                  for s in ctl.signals(f"employee:{employee}", chart)]
    return charts, found


def measure(catalog: pd.DataFrame, settings: Standards, as_of: dt.date, *,
            audits: pd.DataFrame | None = None, calls: pd.DataFrame | None = None,
            requests: pd.DataFrame | None = None) -> Measured:
    """Measure compliance from the logs given (None: not given).

    Parameters
    ----------
    catalog
        The adopted standards (:func:`playbook.standards.catalog.catalog`).
    settings
        The parameters' ``standards:`` section (response rule, best-performer rules, plan).
    as_of
        The analysis date; months after the last complete one are left out.
    audits, calls, requests
        The logs as intake wrote them (:mod:`playbook.intake.logs`).
    """
    end = pd.Timestamp(complete_end(as_of))
    parts, logs = [], {"audits": audits is not None, "calls": calls is not None,
                       "requests": requests is not None}
    unknown = pd.DataFrame(columns=["item", "checks", "rows"])
    if audits is not None:
        parts.append(co.audit_checks(audits, catalog))
        unknown = co.unknown_items(audits, catalog)
    if calls is not None:
        parts.append(co.call_checks(calls, catalog))
    times = None
    if requests is not None:
        wh = settings.working_hours
        times = co.response_times(requests, limit=settings.response_hours,
                                  hours=settings.hours, as_of=as_of, day_start=wh.start,
                                  day_end=wh.end, days=tuple(wh.days))
        parts.append(co.request_checks(times, catalog))
    parts = [p for p in parts if len(p)]
    checks = (pd.concat(parts, ignore_index=True) if parts
              else pd.DataFrame(columns=co.CHECK_COLUMNS))
    checks = checks[checks["date"] <= end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)]
    force = in_force(settings.rollout)
    out = Measured(checks=checks.reset_index(drop=True), logs=logs, in_force=force,
                   unknown=unknown, response=times)
    if times is not None:
        judged = times[times["within"].notna() & (times["received"] < end + pd.Timedelta(days=1))]
        if len(judged):
            monthly = judged.assign(month=judged["received"].dt.to_period("M").dt.to_timestamp())
            series = monthly.groupby("month")["hours_to_answer"].median().reset_index()
            out.response_chart = ctl.xmr_chart(series, reset=force, value="hours_to_answer")
            out.signals += ctl.signals("response_hours", out.response_chart,
                                       higher_is_better=False)
            last = sorted(monthly["month"].unique())[-RECENT_MONTHS:]
            now = monthly[monthly["month"].isin(last)]
            out.judged = len(now)
            out.within = float(now["within"].astype(bool).mean())
            out.median_hours = float(now["hours_to_answer"].median())
    if not out.has_checks:
        return out
    checks = out.checks
    months = sorted(checks["month"].unique())
    recent = months[-RECENT_MONTHS:]
    out.recent = (pd.Timestamp(recent[0]).date(),
                  (pd.Timestamp(recent[-1]) + pd.offsets.MonthEnd(0)).date())
    now = checks[checks["month"].isin(recent)]
    out.by_standard = co.compliance(now, ["item"])
    out.by_branch = co.compliance(now.dropna(subset=["branch"]), ["branch"]) \
        if now["branch"].notna().any() else pd.DataFrame()
    out.by_employee = co.compliance(now.dropna(subset=["employee"]), ["employee"]) \
        if now["employee"].notna().any() else pd.DataFrame()
    out.overall = co.overall(out.by_standard, catalog)
    if force is not None:
        earlier = checks[checks["date"] < pd.Timestamp(force)]
        if len(earlier):
            out.before = co.compliance(earlier, ["item"])
            out.overall_before = co.overall(out.before, catalog)
    monthly = co.compliance(checks, ["month"])
    resets = sorted(set(branch_in_force(settings).values())) or force
    out.p_chart = ctl.p_chart(monthly, reset=resets)
    out.signals = ctl.signals("compliance", out.p_chart) + out.signals
    for branch, start in branch_in_force(settings).items():
        mine = checks[checks["branch"] == branch]
        if len(mine):
            chart = ctl.p_chart(co.compliance(mine, ["month"]), reset=start)
            out.branch_charts[branch] = chart
            out.signals += [s | {"branch": branch}
                            for s in ctl.signals(f"compliance:{branch}", chart)]
    out.employee_charts, found = employee_charts(checks, branch_in_force(settings), force)
    out.signals += found
    out.best = co.best_performers(checks, min_checks=settings.min_checks,
                                  shrink=settings.shrink_checks)
    out.fix = co.fix_first(out.by_standard, catalog)
    return out
