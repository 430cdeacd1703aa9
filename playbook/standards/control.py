"""Statistical process control as the NHS "Making Data Count" method uses it: a p-chart for
shares (limits that widen when a month has fewer checks), an XmR chart for times, limits
computed separately before and after the standards took effect, and the run rules that
tell a signal from noise.

The rules (:data:`RULES`): a point outside the limits; a shift, :data:`SHIFT` or more
points in a row on one side of the centre line; a trend, :data:`TREND` or more points in a
row each higher (or each lower) than the one before; two of three points in a row beyond
two sigma on the same side (close to a limit).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["RULES", "SHIFT", "TREND", "p_chart", "xmr_chart", "run_rules", "signals",
           "against_baseline", "merge"]

SHIFT, TREND = 7, 6
RULES = ("outside", "shift", "trend", "two_of_three")
#: The XmR chart's constant: the limits are the mean +- 2.66 times the mean moving range.
XMR_SCALE = 2.66
_CHART_COLUMNS = ["period", "value", "centre", "lcl", "ucl", "sigma", "segment"]


Resets = dt.date | list[dt.date] | None
#: Where a period's middle is, for the reset: 14 days after a month's start.
HALF_PERIOD_DAYS = 14


def _segments(periods: pd.Series, reset: Resets) -> pd.Series:
    """Each period's segment: how many reset dates fall on or before its middle (a month
    whose first half is before the change belongs to the segment before it).
    """
    dates = [] if reset is None else [reset] if isinstance(reset, dt.date) else list(reset)
    when = pd.to_datetime(periods) + pd.Timedelta(days=HALF_PERIOD_DAYS)
    out = pd.Series(0, index=periods.index)
    for date in sorted(set(dates)):
        out += (when >= pd.Timestamp(date)).astype(int)
    return out


def p_chart(series: pd.DataFrame, *, reset: Resets = None, period: str = "month",
            n: str = "n", passed: str = "passed") -> pd.DataFrame:
    """A p-chart of a share checked ``n`` times a period.

    ``period, n, passed`` -> ``period, value (share), n, centre, lcl, ucl, sigma, segment``:
    the centre is the segment's pooled share (all passes / all checks), sigma
    ``sqrt(p (1 - p) / n)`` for each period's own ``n``, the limits the centre +- 3 sigma
    within 0..1. With ``reset`` (a date or several), the periods from each date on are a
    new segment with their own centre and limits.
    """
    out = series[[period, n, passed]].rename(columns={period: "period"}).copy()
    out = out[out[n] > 0].sort_values("period").reset_index(drop=True)
    out["value"] = out[passed] / out[n]
    out["segment"] = _segments(out["period"], reset)
    centre = out.groupby("segment")[passed].transform("sum") / \
        out.groupby("segment")[n].transform("sum")
    out["centre"] = centre
    out["sigma"] = np.sqrt(centre * (1 - centre) / out[n])
    out["lcl"] = (centre - 3 * out["sigma"]).clip(lower=0)
    out["ucl"] = (centre + 3 * out["sigma"]).clip(upper=1)
    return out[_CHART_COLUMNS + [n]]


def xmr_chart(series: pd.DataFrame, *, reset: Resets = None, period: str = "month",
              value: str = "value") -> pd.DataFrame:
    """An XmR (individuals) chart of a measure, one value a period.

    ``period, value`` -> ``period, value, centre, lcl, ucl, sigma, segment``: per segment
    the centre is the mean, sigma the mean moving range / 1.128, the limits the mean +-
    2.66 mean moving ranges (a lower limit below zero is kept at zero for times).
    """
    out = series[[period, value]].rename(columns={period: "period", value: "value"}).copy()
    out = out.dropna().sort_values("period").reset_index(drop=True)
    out["segment"] = _segments(out["period"], reset)
    parts = []
    for _, part in out.groupby("segment", sort=True):
        part = part.copy()
        moving = part["value"].diff().abs()
        mr = moving.mean() if moving.notna().any() else 0.0
        part["centre"] = part["value"].mean()
        part["sigma"] = mr / 1.128
        part["lcl"] = (part["centre"] - XMR_SCALE * mr).clip(lower=0)
        part["ucl"] = part["centre"] + XMR_SCALE * mr
        parts.append(part)
    return (pd.concat(parts, ignore_index=True)[_CHART_COLUMNS] if parts
            else pd.DataFrame(columns=_CHART_COLUMNS))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Start and end (inclusive) of each run of True."""
    runs, start = [], None
    for i, flag in enumerate(list(flags) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def run_rules(chart: pd.DataFrame) -> list[dict]:
    """Every run rule a chart breaks, within each segment.

    A chart from :func:`p_chart` or :func:`xmr_chart` -> a list of ``{rule, start, end,
    direction}`` (``start``/``end``: the periods the signal spans; ``direction``: ``up`` or
    ``down``), in the order of their start.
    """
    found = []
    for _, seg in chart.groupby("segment", sort=True):
        seg = seg.reset_index(drop=True)
        v, c = seg["value"].to_numpy(float), seg["centre"].to_numpy(float)
        periods = seg["period"].tolist()

        def add(rule, i, j, up, periods=periods):
            found.append({"rule": rule, "start": periods[i], "end": periods[j],
                          "direction": "up" if up else "down"})
        for i in np.flatnonzero(v > seg["ucl"].to_numpy(float)):
            add("outside", i, i, True)
        for i in np.flatnonzero(v < seg["lcl"].to_numpy(float)):
            add("outside", i, i, False)
        for up, side in ((True, v > c), (False, v < c)):
            for i, j in _runs(side):
                if j - i + 1 >= SHIFT:
                    add("shift", i, j, up)
        steps = np.diff(v)
        for up, moving in ((True, steps > 0), (False, steps < 0)):
            for i, j in _runs(moving):
                if j - i + 2 >= TREND:  # j - i + 1 steps join j - i + 2 points
                    add("trend", i, j + 1, up)
        sigma = seg["sigma"].to_numpy(float)
        for up, near in ((True, v > c + 2 * sigma), (False, v < c - 2 * sigma)):
            i = 0
            while i + 2 < len(v):
                if near[i:i + 3].sum() >= 2:
                    add("two_of_three", i, i + 2, up)
                    i += 3
                else:
                    i += 1
    return sorted(found, key=lambda s: (s["start"], RULES.index(s["rule"])))


def against_baseline(chart: pd.DataFrame, *, n: str | None = "n") -> pd.DataFrame:
    """The chart with every point judged against the first segment's centre and limits
    (the baseline before the change, extended forward): how Making Data Count tells whether
    a change made a difference before the limits are recalculated. A p-chart's sigma is
    recomputed for each period's own ``n``; an XmR chart keeps the baseline's sigma.
    """
    base = chart[chart["segment"] == 0]
    if base.empty:
        return chart.iloc[0:0]
    out = chart.copy()
    centre = float(base["centre"].iloc[0])
    out["centre"] = centre
    if n and n in out:
        out["sigma"] = np.sqrt(centre * (1 - centre) / out[n])
        out["lcl"] = (centre - 3 * out["sigma"]).clip(lower=0)
        out["ucl"] = (centre + 3 * out["sigma"]).clip(upper=1)
    else:
        sigma = float(base["sigma"].iloc[0])
        out["sigma"] = sigma
        out["lcl"] = max(centre - 3 * sigma, 0)
        out["ucl"] = centre + 3 * sigma
    out["segment"] = 0
    return out


def merge(found: list[dict], *, gap_days: int = 32) -> list[dict]:
    """Signals in the same direction whose periods overlap or follow each other (within
    ``gap_days``) as one: its start is the first one's, its end the last one's, its
    ``rules`` every rule that fired (in :data:`RULES` order), its ``rule`` the first of them.
    """
    out: list[dict] = []
    for s in sorted(found, key=lambda s: (s["direction"], s["start"], s["end"])):
        last = out[-1] if out else None
        if (last is not None and last["direction"] == s["direction"]
                and pd.Timestamp(s["start"]) <= pd.Timestamp(last["end"])
                + pd.Timedelta(days=gap_days)):
            last["end"] = max(last["end"], s["end"])
            last["rules"] = sorted(set(last["rules"]) | {s["rule"]}, key=RULES.index)
            last["rule"] = last["rules"][0]
        else:
            out.append(s | {"rules": [s["rule"]]})
    return sorted(out, key=lambda s: (s["start"], RULES.index(s["rule"])))


def _judged(name: str, found: list[dict], higher_is_better: bool, basis: str) -> list[dict]:
    out = []
    for s in merge(found):
        good = (s["direction"] == "up") == higher_is_better
        out.append({"series": name, "rule": s["rule"], "rules": s["rules"], "basis": basis,
                    "date": pd.Timestamp(s["end"]).date().isoformat(),
                    "start": pd.Timestamp(s["start"]).date().isoformat(),
                    "direction": s["direction"],
                    "meaning": "improvement" if good else "concern"})
    return out


def signals(name: str, chart: pd.DataFrame, *, higher_is_better: bool = True) -> list[dict]:
    """The run rules' signals of one series, merged (:func:`merge`) and judged: ``{series,
    rule, rules, basis, date (the signal's last period, ISO), start, direction, meaning}``.

    ``basis`` is ``baseline`` for a signal of the periods after the first reset against
    the limits before it (did the change make a difference?), ``own`` for a signal within
    a segment against its own limits (is the process stable?); ``meaning`` is
    ``improvement`` or ``concern``.
    """
    out = []
    if chart["segment"].max() > 0 if len(chart) else False:
        first_after = chart.loc[chart["segment"] > 0, "period"].min()
        extended = against_baseline(chart)
        found = [s for s in run_rules(extended) if s["end"] >= first_after]
        for s in found:  # a run that began before the change is told from the change on
            s["start"] = max(s["start"], first_after)
        out += _judged(name, found, higher_is_better, "baseline")
    out += _judged(name, run_rules(chart), higher_is_better, "own")
    return out
