"""Did the standards pay off: difference-in-differences of the pilot against the branches
that had not started yet, on a branch x month panel built from the transactions (and the
request log's complaints), and an event study to check that the trends ran parallel
before. Short data gets a plain verdict instead of a number to trust.

The interval: with at least :data:`MIN_CLUSTERS` branches on each side, errors clustered
by branch. With fewer, clustered errors are unreliable (with 3 branches a 95% interval
covers the truth about 80% of the time in simulation), so the errors are Newey-West within
each branch over the months (``hac-panel``, :data:`HAC_LAGS` lags): they rely on many
months rather than many branches, allow a branch's months to be correlated, and assume
that after the month effects one branch's shocks are independent of another's. In
simulation with 3 branches they cover the truth 95-99% of the time (conservative).

``branch_panel(...) -> panel``: ``branch, month, base, buyers, revenue, retained,
repeat_rate, revenue_per_customer, crr``; ``did(panel, ...) -> Effect``;
``event_study(panel, ...) -> table``; ``pilot_effect(...)`` every outcome of
:data:`OUTCOMES` the data allows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

__all__ = ["Effect", "PilotEffect", "pilot_effect", "branch_panel", "customer_branches", "did",
           "event_study", "segmented", "complaints_panel", "MIN_PERIODS_ITS", "MIN_PERIODS",
           "MIN_BRANCHES", "MIN_CLUSTERS", "HAC_LAGS", "OUTCOMES"]

#: Fewer complete months before or after the change than this: too short to tell.
MIN_PERIODS = 3
#: Fewer branches on either side than this: no comparison at all.
MIN_BRANCHES = 1
#: Errors clustered by branch need at least this many branches on each side; with fewer,
#: Newey-West errors within each branch (see the module's docstring).
MIN_CLUSTERS = 5
#: Months of autocorrelation the Newey-West errors allow for.
HAC_LAGS = 3
#: The outcomes judged, in the report's order: the share of the base buying in a month,
#: revenue per customer of the base, CRR at the month's end (the base still active: bought
#: in the 12 months to its end) and complaints per 1,000 customers of the base.
OUTCOMES = ("repeat_rate", "revenue_per_customer", "crr", "complaints")
#: The base of a month: customers with a purchase in this many months before it.
BASE_MONTHS = 12


@dataclass
class Effect:
    """The estimated effect of the standards on one outcome, and whether to trust it.

    ``verdict``: ``estimated``, ``too_short`` (too few months before or after, or no
    branch on one side), ``no_branch`` (the transactions carry no branch), ``no_plan``,
    ``no_data`` (the outcome's data was not given, e.g. complaints without a request log).
    ``errors``: how the interval was computed: ``cluster`` (by branch), ``hac`` (Newey-West
    within branch: too few branches to cluster) or ``hac_time`` (a segmented time series).
    """

    outcome: str
    verdict: str
    method: str = "difference-in-differences"
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n_branches: int = 0
    n_treated: int = 0
    periods_before: int = 0
    periods_after: int = 0
    pretrend_p: float | None = None
    baseline: float | None = None
    errors: str | None = None
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        """As results.json records it (``standards.effect``)."""
        return {k: (float(v) if isinstance(v, (np.floating, float)) else v)
                for k, v in self.__dict__.items()}


def customer_branches(transactions: pd.DataFrame, staff: pd.DataFrame | None) -> pd.Series:
    """Each transaction's branch: its own ``branch`` column, else its manager's branch as
    the standards logs tell it (``employee, branch`` pairs; an employee in several
    branches is left out).
    """
    if "branch" in transactions and transactions["branch"].notna().any():
        return transactions["branch"].astype("string")
    if staff is None or "manager" not in transactions or not {"employee", "branch"} <= set(staff):
        return pd.Series(pd.NA, index=transactions.index, dtype="string")
    pairs = staff.dropna(subset=["employee", "branch"]).drop_duplicates(["employee", "branch"])
    single = pairs[~pairs["employee"].duplicated(keep=False)].set_index("employee")["branch"]
    return transactions["manager"].map(single).astype("string")


def branch_panel(transactions: pd.DataFrame, branch: pd.Series, end: dt.date) -> pd.DataFrame:
    """A branch x month panel of repeat buying, from purchases (positive amounts).

    ``customer_id, date, amount`` and each row's branch -> ``branch, month, base, buyers,
    revenue, retained, repeat_rate, revenue_per_customer, crr``: ``base`` the branch's
    customers with a purchase in the 12 months before the month, ``buyers`` how many of them
    bought in it, ``revenue`` their revenue in it, ``retained`` how many of them bought in
    the 12 months to the month's end (still active: CRR's E - N, without customers coming
    back from outside the base); ``repeat_rate`` = buyers / base, ``revenue_per_customer`` =
    revenue / base, ``crr`` = retained / base. Months run to the last complete one
    (``end``); the first 12 are left out (no base yet).
    """
    tx = transactions.assign(branch=branch.to_numpy())
    tx = tx[(tx["amount"] > 0) & tx["branch"].notna() & (tx["date"] <= pd.Timestamp(end))]
    tx = tx.assign(month=tx["date"].dt.to_period("M"))
    seen = tx.groupby(["branch", "customer_id", "month"], observed=True)["amount"].sum() \
        .reset_index()
    months = pd.period_range(seen["month"].min(), pd.Period(end, "M"), freq="M") \
        if len(seen) else []
    rows = []
    for name, part in seen.groupby("branch", sort=True):
        for month in months[BASE_MONTHS:]:
            window = part[(part["month"] < month) & (part["month"] >= month - BASE_MONTHS)]
            base = set(window["customer_id"])
            now = part[(part["month"] == month) & part["customer_id"].isin(base)]
            kept = window[window["month"] > month - BASE_MONTHS]["customer_id"]
            retained = len(set(kept) | set(now["customer_id"]))
            rows.append({"branch": name, "month": month.to_timestamp(), "base": len(base),
                         "buyers": now["customer_id"].nunique(), "revenue": now["amount"].sum(),
                         "retained": retained})
    panel = pd.DataFrame(rows, columns=["branch", "month", "base", "buyers", "revenue",
                                        "retained"])
    panel = panel[panel["base"] > 0].reset_index(drop=True)
    panel["repeat_rate"] = panel["buyers"] / panel["base"]
    panel["revenue_per_customer"] = panel["revenue"] / panel["base"]
    panel["crr"] = panel["retained"] / panel["base"]
    return panel


def complaints_panel(panel: pd.DataFrame, requests: pd.DataFrame | None) -> pd.DataFrame:
    """The panel with ``complaints``: complaints per 1,000 customers of the branch's base in
    the month, from the request log's ``received, branch, category`` (a complaint: the
    category names one, as :data:`playbook.standards.signs.COMPLAINT_WORDS`). Without such a
    log (or without branches in it) the column is missing.
    """
    from playbook.standards.signs import COMPLAINT_WORDS

    if requests is None or not {"received", "branch", "category"} <= set(requests) \
            or panel.empty:
        return panel
    words = requests["category"].astype("string").str.lower().fillna("")
    hit = requests[words.str.contains("|".join(COMPLAINT_WORDS), regex=True)
                   & requests["branch"].notna() & requests["received"].notna()]
    if hit.empty:
        return panel
    counts = hit.groupby([hit["branch"].astype("string"),
                          hit["received"].dt.to_period("M").dt.to_timestamp()]).size()
    counts.index.names = ["branch", "month"]
    n = panel.join(counts.rename("n"), on=["branch", "month"])["n"].fillna(0)
    return panel.assign(complaints=1000 * n.to_numpy() / panel["base"].to_numpy())


def _window(panel: pd.DataFrame, treated: list[str], start: dt.date,
            stop: dt.date | None) -> pd.DataFrame:
    """The panel up to ``stop`` (when the others start), with treated and post flags; the
    month the change falls in is left out (half before, half after).
    """
    data = panel.copy()
    data["treated"] = data["branch"].isin(treated).astype(int)
    change = pd.Timestamp(start).to_period("M").to_timestamp()
    data = data[data["month"] != change] if pd.Timestamp(start).day > 1 else data
    data["post"] = (data["month"] >= pd.Timestamp(start)).astype(int)
    if stop is not None:
        data = data[data["month"] < pd.Timestamp(stop).to_period("M").to_timestamp()]
    # sorted by branch then month: the Newey-West errors within branch need that order
    return data.sort_values(["branch", "month"]).reset_index(drop=True)


def _errors(data: pd.DataFrame) -> tuple[str, dict]:
    """How to compute the interval on ``data`` (a window with ``treated``): clustered by
    branch with enough branches on each side, else Newey-West within each branch.
    """
    treated = data.loc[data["treated"] == 1, "branch"].nunique()
    others = data["branch"].nunique() - treated
    groups = data["branch"].astype("category").cat.codes.to_numpy()
    if min(treated, others) >= MIN_CLUSTERS:
        return "cluster", {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    return "hac", {"cov_type": "hac-panel", "cov_kwds": {"groups": groups,
                                                         "maxlags": HAC_LAGS}}


def _fit(formula: str, data: pd.DataFrame):
    """WLS on the branch-month base with the errors :func:`_errors` chooses."""
    _, errors = _errors(data)
    return smf.wls(formula, data=data, weights=data["base"]).fit(use_t=True, **errors)


def did(panel: pd.DataFrame, *, treated: list[str], start: dt.date, stop: dt.date | None = None,
        outcome: str = "repeat_rate", confidence: float = 0.95) -> Effect:
    """Difference-in-differences of ``outcome`` for the ``treated`` branches from ``start``
    against the other branches, up to ``stop`` (when the others began; None: the end).

    OLS of the outcome on branch and month fixed effects and ``treated x post``, weights:
    the branch-month base; errors as :func:`_errors` (``Effect.errors``).
    """
    data = _window(panel, treated, start, stop)
    months_before = data.loc[data["post"] == 0, "month"].nunique()
    months_after = data.loc[data["post"] == 1, "month"].nunique()
    n_treated = data.loc[data["treated"] == 1, "branch"].nunique()
    n_branches = data["branch"].nunique()
    effect = Effect(outcome=outcome, verdict="estimated", n_branches=int(n_branches),
                    n_treated=int(n_treated), periods_before=int(months_before),
                    periods_after=int(months_after))
    if months_before < MIN_PERIODS or months_after < MIN_PERIODS \
            or n_treated < MIN_BRANCHES or n_branches - n_treated < MIN_BRANCHES:
        effect.verdict = "too_short"
        return effect
    if outcome not in data or data[outcome].isna().all():
        effect.verdict = "no_data"
        return effect
    base = data[(data["treated"] == 1) & (data["post"] == 0)]
    effect.baseline = float(np.average(base[outcome], weights=base["base"]))
    effect.errors = _errors(data)[0]
    fit = _fit(f"{outcome} ~ treated:post + C(branch) + C(month)", data)
    low, high = fit.conf_int(alpha=1 - confidence).loc["treated:post"]
    effect.estimate, effect.ci_low, effect.ci_high = (float(fit.params["treated:post"]),
                                                      float(low), float(high))
    effect.p_value = float(fit.pvalues["treated:post"])
    return effect


def event_study(panel: pd.DataFrame, *, treated: list[str], start: dt.date,
                stop: dt.date | None = None, outcome: str = "repeat_rate",
                confidence: float = 0.95, window: int = 12) -> tuple[pd.DataFrame, float | None]:
    """Event-study coefficients: the treated branches' gap to the others by month relative
    to the change (the month before it is the reference, 0), with intervals; and the
    p-value of the parallel-trends check (:func:`_pretrend`; None when it cannot be run).

    -> ``(relative_month, estimate, ci_low, ci_high)``, months ``-window .. window``.
    """
    data = _window(panel, treated, start, stop)
    change = pd.Timestamp(start).to_period("M")  # a mid-month change's own month is left out
    data["rel"] = [(pd.Period(m, "M") - change).n for m in data["month"]]
    data = data[data["rel"].between(-window, window)]
    terms = []
    for k in sorted(data["rel"].unique()):
        if k == -1:
            continue
        name = f"d_m{-k}" if k < 0 else f"d_p{k}"
        data[name] = ((data["rel"] == k) & (data["treated"] == 1)).astype(int)
        terms.append((k, name))
    columns = ["relative_month", "estimate", "ci_low", "ci_high"]
    n_treated = data.loc[data["treated"] == 1, "branch"].nunique()
    if not terms or n_treated < MIN_BRANCHES or data["branch"].nunique() - n_treated \
            < MIN_BRANCHES:
        return pd.DataFrame(columns=columns), None
    formula = f"{outcome} ~ {' + '.join(n for _, n in terms)} + C(branch) + C(month)"
    fit = _fit(formula, data.reset_index(drop=True))
    ci = fit.conf_int(alpha=1 - confidence)
    rows = [{"relative_month": -1, "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    rows += [{"relative_month": int(k), "estimate": float(fit.params[n]),
              "ci_low": float(ci.loc[n, 0]), "ci_high": float(ci.loc[n, 1])} for k, n in terms]
    table = pd.DataFrame(rows, columns=columns).sort_values("relative_month") \
        .reset_index(drop=True)
    return table, _pretrend(data, outcome)


def _pretrend(data: pd.DataFrame, outcome: str) -> float | None:
    """The p-value of a linear gap trend before the change: the treated branches' slope
    against the others' on the months before it, with branch and month fixed effects and
    clustered errors. One coefficient, so the test holds its size with few clusters (a
    joint test of every pre-period month does not).
    """
    pre = data[data["rel"] < 0].copy()
    if pre["rel"].nunique() < MIN_PERIODS:
        return None
    pre["gap_trend"] = pre["rel"] * pre["treated"]
    fit = _fit(f"{outcome} ~ gap_trend + C(branch) + C(month)", pre.reset_index(drop=True))
    return float(fit.pvalues["gap_trend"])


#: A segmented time series needs at least this many months on each side of the change.
MIN_PERIODS_ITS = 6


def segmented(series: pd.DataFrame, *, start: dt.date, outcome: str = "repeat_rate",
              confidence: float = 0.95) -> Effect:
    """Without a control group: a segmented (interrupted) time series of the whole company.

    ``month, <outcome>, base`` -> :class:`Effect` whose estimate is the level change at the
    change (``post``) in ``outcome ~ t + post + t_after``, with Newey-West errors (lag 3)
    for the months' autocorrelation. Too few months on either side: ``too_short``.
    """
    data = series.sort_values("month").reset_index(drop=True).copy()
    change = pd.Timestamp(start).to_period("M").to_timestamp()
    if pd.Timestamp(start).day > 1:
        data = data[data["month"] != change].reset_index(drop=True)
    data["post"] = (data["month"] >= pd.Timestamp(start)).astype(int)
    data["t"] = np.arange(len(data), dtype=float)
    first = data.loc[data["post"] == 1, "t"].min() if data["post"].any() else 0.0
    data["t_after"] = np.where(data["post"] == 1, data["t"] - first, 0.0)
    before, after = int((data["post"] == 0).sum()), int((data["post"] == 1).sum())
    effect = Effect(outcome=outcome, verdict="estimated", method="segmented time series",
                    n_branches=1, n_treated=1, periods_before=before, periods_after=after,
                    errors="hac_time")
    if outcome not in data:
        effect.verdict = "no_data"
        return effect
    if before < MIN_PERIODS_ITS or after < MIN_PERIODS_ITS:
        effect.verdict = "too_short"
        return effect
    effect.baseline = float(data.loc[data["post"] == 0, outcome].mean())
    fit = smf.ols(f"{outcome} ~ t + post + t_after", data=data).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3}, use_t=True)
    low, high = fit.conf_int(alpha=1 - confidence).loc["post"]
    effect.estimate, effect.ci_low, effect.ci_high = (float(fit.params["post"]), float(low),
                                                      float(high))
    effect.p_value = float(fit.pvalues["post"])
    return effect


@dataclass
class PilotEffect:
    """The rollout's effect: on repeat buying (``effect``, the headline) and on every outcome
    of :data:`OUTCOMES` (``outcomes``), with the repeat rate's event study.
    """

    effect: Effect
    events: pd.DataFrame
    panel: pd.DataFrame
    outcomes: dict[str, Effect] = field(default_factory=dict)

    def as_json(self) -> dict:
        """``standards.effect``: the headline's keys and ``outcomes`` {outcome: ...}."""
        out = self.effect.as_json()
        out["outcomes"] = {name: {k: v for k, v in e.as_json().items() if k != "detail"}
                           for name, e in self.outcomes.items()}
        return out


def _every(effect: Effect) -> dict[str, Effect]:
    """The same verdict for every outcome (no plan, no branch)."""
    return {name: Effect(name, effect.verdict, method=effect.method) for name in OUTCOMES}


def pilot_effect(transactions: pd.DataFrame, staff: pd.DataFrame | None, settings,
                 end: dt.date, requests: pd.DataFrame | None = None) -> PilotEffect:
    """The pilot against the branches not yet started, on each outcome of :data:`OUTCOMES`.

    ``transactions`` (with ``branch``, or ``manager`` and ``staff`` pairs of ``employee,
    branch`` from the standards logs), the ``standards:`` settings (the plan gives the pilot
    and when each wave started), the last complete month's end and the request log
    (complaints; None: not given). A plan without branches is judged by a segmented time
    series of the whole company (:func:`segmented`). Without a plan, or sales without
    branches, the verdict says which is missing (``no_plan``, ``no_branch``).
    """
    from playbook.standards.measure import branch_in_force
    from playbook.standards.rollout import in_force, waves

    empty = pd.DataFrame(columns=["relative_month", "estimate", "ci_low", "ci_high"])
    starts = branch_in_force(settings)
    if not starts:  # no branches in the plan: the whole company before and after
        start = in_force(settings.rollout)
        if start is None:
            effect = Effect("repeat_rate", "no_plan")
            return PilotEffect(effect, empty, pd.DataFrame(), _every(effect))
        whole = pd.Series("all", index=transactions.index, dtype="string")
        panel = branch_panel(transactions, whole, end)
        if requests is not None:
            panel = complaints_panel(panel, requests.assign(branch="all"))
        outcomes = {name: segmented(panel, start=start, outcome=name) for name in OUTCOMES}
        for effect in outcomes.values():
            effect.detail = {"start": start.isoformat(), "stop": None, "pilot": []}
        return PilotEffect(outcomes["repeat_rate"], empty, panel, outcomes)
    branch = customer_branches(transactions, staff)
    if branch.isna().all():
        effect = Effect("repeat_rate", "no_branch")
        return PilotEffect(effect, empty, pd.DataFrame(), _every(effect))
    pilot = waves(settings.rollout)[0]
    start = starts[pilot[0]]
    later = [d for b, d in starts.items() if b not in pilot and d > start]
    stop = min(later) if later else None
    panel = branch_panel(transactions, branch, end)
    panel = complaints_panel(panel[panel["branch"].isin(starts)].reset_index(drop=True),
                             requests)
    detail = {"start": start.isoformat(), "stop": stop.isoformat() if stop else None,
              "pilot": list(pilot)}
    outcomes = {}
    for name in OUTCOMES:
        outcomes[name] = did(panel, treated=pilot, start=start, stop=stop, outcome=name)
        outcomes[name].detail = dict(detail)
    effect = outcomes["repeat_rate"]
    events, pretrend = event_study(panel, treated=pilot, start=start, stop=stop)
    effect.pretrend_p = pretrend
    if effect.verdict != "estimated":
        events = events.iloc[0:0]
    return PilotEffect(effect, events, panel, outcomes)
