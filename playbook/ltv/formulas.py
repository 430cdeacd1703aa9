"""Lifetime value and retention by the seed formulas: LTV = S x C x P x T and CRR.

Tables in, tables (or small dicts) out; no I/O. Time is in calendar months here; the
probabilistic models (BG/NBD, Gamma-Gamma) live in :mod:`playbook.ltv.bgnbd` and
:mod:`playbook.ltv.gammagamma`.

Definitions used throughout:

- a customer is *active* at a date when it made a purchase (a day with a net amount that
  is not negative) within the ``window_months`` before it (B2B: typically 12 months);
- **S** - the average check: net revenue per purchase day over the last ``window_months``;
- **C** - purchases per month: purchase days per active customer per month, same window;
- **P** - the margin share of revenue (from the margin or cost column, else a parameter);
- **T** - the expected lifetime in months, ``1 / (1 - r)`` for the average monthly
  retention ``r`` (the mean monthly CRR over the last ``window_months``): with a constant
  chance ``1 - r`` of leaving each month, lifetimes are geometric with that mean;
- **CRR** = ((E - N) / S) x 100: S customers active at the start of a period, E at its
  end, N new customers (first purchase) during it. Churn is 100 - CRR.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from playbook.keys import customer_codes
from playbook.ltv.rfm import customer_day_groups
from playbook.periods import complete_end, last_complete_period

__all__ = ["LtvFactors", "purchase_days", "crr_table", "monthly_retention", "ltv_factors",
           "ltv_by_segment", "cohort_table", "cohort_curve", "whatif_retention",
           "acquisition_vs_retention", "MAX_LIFETIME_MONTHS"]

#: Lifetimes are capped here (10 years): with retention near 100% 1/(1-r) explodes.
MAX_LIFETIME_MONTHS = 120.0


def purchase_days(transactions: pd.DataFrame, *, customer_id: str = "customer_id",
                  date: str = "date", amount: str = "amount",
                  margin: str | None = "margin") -> pd.DataFrame:
    """Transactions -> customer_id, date, amount, margin: one row per purchase day.

    Lines of one customer on one day are summed (several documents on a day are one
    purchase); days whose net amount is negative (returns) are dropped, as in
    :mod:`playbook.intake.summary`.
    """
    has_margin = margin is not None and margin in transactions
    margins = transactions[margin].to_numpy() if has_margin \
        else np.full(len(transactions), np.nan)
    # Ids and days coded once, sorted (code order is id and date order), and grouped by
    # the integer codes; rows where either is missing are left out, as groupby does. Ids
    # in an object column get the dtype groupby would give them (str, int64, ...).
    ids, id_values = customer_codes(transactions, customer_id)  # the run's, when given
    id_values = id_values.infer_objects()
    dates = pd.to_datetime(transactions[date]).dt.normalize()
    day, day_values = pd.factorize(dates, sort=True)
    codes, day_codes, groups = customer_day_groups(
        ids, day, {"amount": transactions[amount].array, "margin": margins})
    del ids, dates, day, margins  # (a line's worth each: not held while the sums run)
    # Cython sums, no Python call per group: a day's margin is NaN only when none of its
    # lines has one (min_count=1).
    days = pd.DataFrame({
        "customer_id": id_values.take(codes), "date": day_values.take(day_codes),
        "amount": groups["amount"].sum().array,
        "margin": groups["margin"].sum(min_count=1).to_numpy(),
    })
    return days[days["amount"] >= 0].reset_index(drop=True)


def _active_counts(dates: pd.Series, codes: np.ndarray, edges: list[pd.Timestamp],
                   window_months: int) -> list[int]:
    """How many customers bought in the window to each of ``edges`` (ascending), counted on
    integer codes (``codes``: one per customer, -1 for a missing id: one more value), not
    by building sets of ids.

    Purchase days sorted by customer and date (as :func:`purchase_days` gives them) are
    counted in one pass: a day is in the windows of a run of edges, from the first edge on
    or after it to the last whose window starts before it; a customer's runs, merged, are
    the edges it is active at. Other input is counted edge by edge.
    """
    starts = [edge - pd.DateOffset(months=window_months) for edge in edges]
    ordered = dates.dtype.kind == "M" and isinstance(dates.dtype, np.dtype) and len(edges) > 0
    if ordered:
        day = dates.to_numpy().view(np.int64)
        same = codes[1:] == codes[:-1]
        ordered = bool((codes[1:] >= codes[:-1]).all() and (day[1:][same] >= day[:-1][same]).all())
    if not ordered:
        return [_active_count(dates, codes, start, edge)
                for start, edge in zip(starts, edges, strict=True)]
    unit = np.datetime_data(dates.dtype)[0]
    first = np.searchsorted(_in_unit(edges, unit), day, side="left")
    last = np.searchsorted(_in_unit(starts, unit), day, side="left") - 1
    inside = first <= last
    if not inside.any():
        return [0] * len(edges)
    code, first, last = codes[inside], first[inside], last[inside]
    # With days in order a customer's runs come in order, so a run that does not overlap
    # or touch the one before it (of the same customer) begins a new merged run.
    begins = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (first[1:] > last[:-1] + 1)])
    ends = np.r_[begins[1:], len(code)] - 1
    change = np.bincount(first[begins], minlength=len(edges) + 1) \
        - np.bincount(last[ends] + 1, minlength=len(edges) + 1)
    return np.cumsum(change)[:len(edges)].tolist()


def _in_unit(stamps: list[pd.Timestamp], unit: str) -> np.ndarray:
    """Timestamps as int64 in a datetime64 unit, to compare with dates of that unit."""
    return np.array([np.datetime64(t, unit) for t in stamps]).view(np.int64)


def _active_count(dates: pd.Series, codes: np.ndarray, start: pd.Timestamp,
                  when: pd.Timestamp) -> int:
    """How many customers bought in (``start``, ``when``]: distinct ``codes``."""
    seen = ((dates > start) & (dates <= when)).to_numpy()
    return int(pd.unique(codes[seen]).size)


def _period_edges(start: pd.Timestamp, end: pd.Timestamp, period: str) -> list[pd.Timestamp]:
    """Period boundaries (period ends) from the first full period after ``start`` to ``end``."""
    freq = {"month": "ME", "quarter": "QE", "year": "YE"}[period]
    edges = list(pd.date_range(start, end, freq=freq))
    return [e.normalize() for e in edges]


def crr_table(days: pd.DataFrame, as_of: dt.date, *, period: str = "quarter",
              window_months: int = 12) -> pd.DataFrame:
    """Purchase days -> period_start, period_end, S, E, N, crr, churn (percent), per period.

    Periods are complete calendar months, quarters or years, ending on or before ``as_of``
    (a period the data ends inside is left out); the first is the first whole period after
    a full activity window of data, so S is not understated at the start of the data.
    ``period_start`` is the day before the period's first day (the end of the previous
    period), the date S is measured at.
    """
    as_of = pd.Timestamp(as_of)
    first = days["date"].min()
    if pd.isna(first):
        return pd.DataFrame(columns=["period_start", "period_end", "S", "E", "N", "crr", "churn"])
    earliest = first + pd.DateOffset(months=window_months) - pd.Timedelta(days=1)
    edges = [e for e in _period_edges(earliest, as_of, period) if e >= earliest]
    # Customers factorized once, then grouped and counted by integer code; a missing id
    # (code -1) is no customer for groupby, but one more value to count as active.
    codes = pd.factorize(days["customer_id"])[0]
    known = codes >= 0
    first_purchase = days["date"][known].groupby(codes[known]).min()
    counts = _active_counts(days["date"], codes, edges, window_months)
    active = dict(zip(edges, counts, strict=True))
    rows = []
    for start, end in zip(edges[:-1], edges[1:], strict=True):
        s, e = active[start], active[end]
        n = int(((first_purchase > start) & (first_purchase <= end)).sum())
        crr = (e - n) / s * 100 if s else np.nan
        rows.append({"period_start": start.date(), "period_end": end.date(), "S": s, "E": e,
                     "N": n, "crr": crr, "churn": 100 - crr if s else np.nan})
    return pd.DataFrame(rows, columns=["period_start", "period_end", "S", "E", "N", "crr",
                                       "churn"])


def monthly_retention(days: pd.DataFrame, as_of: dt.date, *, window_months: int = 12) -> float:
    """The mean monthly CRR (as a share) over the last ``window_months`` months."""
    table = crr_table(days, as_of, period="month", window_months=window_months)
    recent = table.dropna(subset=["crr"]).tail(window_months)
    if recent.empty:
        raise ValueError("the data is too short to measure retention: it needs more than "
                         f"{window_months} months of purchases (the activity window). Lower "
                         "ltv.active_window_months in the parameters for a shorter history.")
    return float(recent["crr"].mean() / 100)


@dataclass
class LtvFactors:
    """The seed formula's factors: S (money), C (per month), P (share), T (months)."""

    S: float
    C: float
    P: float
    T: float
    customers: int
    margin_known: bool
    retention: float
    #: where P comes from: "data" (margin or cost column), "parameters" (ltv.margin) or
    #: None (not known: P is 1 and every value is revenue)
    p_source: str | None = None

    @property
    def ltv(self) -> float:
        """LTV = S x C x P x T."""
        return self.S * self.C * self.P * self.T

    def as_dict(self) -> dict:
        """The inputs and the LTV, for results.json."""
        out = asdict(self)
        out["ltv"] = self.ltv
        return out


def _lifetime(retention: float) -> float:
    return float(min(MAX_LIFETIME_MONTHS, 1 / (1 - retention))) if retention < 1 \
        else MAX_LIFETIME_MONTHS


def ltv_factors(days: pd.DataFrame, as_of: dt.date, *, window_months: int = 12,
                margin_share: float | None = None, retention: float | None = None,
                ) -> LtvFactors:
    """S, C, P and T over the last ``window_months`` (see the module docstring).

    ``margin_share`` is used when the data has no margin; without either, P is 1 and the
    result is lifetime *revenue* (``margin_known`` is False, ``p_source`` None).
    """
    as_of = pd.Timestamp(as_of)
    recent = days[(days["date"] > as_of - pd.DateOffset(months=window_months))
                  & (days["date"] <= as_of)]
    customers = recent["customer_id"].nunique()
    if customers == 0:
        raise ValueError(f"no purchases in the {window_months} months before as_of; LTV "
                         f"cannot be estimated. Check as_of in the parameters.")
    revenue = recent["amount"].sum()
    s = revenue / len(recent)
    c = len(recent) / customers / window_months
    margin_known = recent["margin"].notna().any()
    if margin_known:
        p, source = recent["margin"].sum() / revenue, "data"
    elif margin_share is not None:
        p, source = margin_share, "parameters"
    else:
        p, source = 1.0, None
    r = monthly_retention(days, as_of.date(), window_months=window_months) \
        if retention is None else retention
    return LtvFactors(S=float(s), C=float(c), P=float(p), T=_lifetime(r), customers=customers,
                      margin_known=source is not None, retention=float(r), p_source=source)


def _segment_parts(days: pd.DataFrame, segments: pd.DataFrame, segment: str):
    """(segment, its purchase days) for each segment, as
    ``days.merge(segments, on="customer_id").groupby(segment)`` gives them: the days of a
    segment's customers in their order in ``days``, segments in groupby's order.

    With one row per customer in ``segments`` and no missing ids, the merge is done on
    integer codes (merging and splitting millions of string ids costs seconds); the parts'
    ``customer_id`` is then the customer's code, which counts customers alike. Otherwise
    (duplicated or missing ids, where the merge repeats or pairs rows) it is the merge.
    """
    ids = segments["customer_id"]
    codes, id_values = pd.factorize(days["customer_id"])
    if ids.isna().any() or ids.duplicated().any() or (codes < 0).any():
        yield from days.merge(segments, on="customer_id").groupby(segment)
        return
    where = id_values.get_indexer(ids)  # each segments row's customer code, -1: no days
    found = segments[where >= 0].assign(_code=where[where >= 0])
    columns = {c: days[c].to_numpy() for c in ("date", "amount", "margin") if c in days}
    for name, members in found.groupby(segment):
        chosen = np.zeros(len(id_values), dtype=bool)
        chosen[members["_code"].to_numpy()] = True
        rows = chosen[codes]
        yield name, pd.DataFrame({"customer_id": codes[rows]}
                                 | {c: values[rows] for c, values in columns.items()})


def ltv_by_segment(days: pd.DataFrame, segments: pd.DataFrame, overall: LtvFactors,
                   as_of: dt.date, *, window_months: int = 12, segment: str = "segment",
                   margin_share: float | None = None) -> pd.DataFrame:
    """LTV per segment: the segment's own S, C and P, with the client's overall T.

    A segment's retention over a short window is too noisy to give a lifetime of its own,
    so T is shared; S, C and P show how segments differ in value per month.
    """
    rows = []
    for name, part in _segment_parts(days, segments[["customer_id", segment]], segment):
        try:
            f = ltv_factors(part, as_of, window_months=window_months,
                            margin_share=margin_share, retention=overall.retention)
        except ValueError:  # no purchase of the segment in the window
            continue
        rows.append({"segment": name, "customers": f.customers, "S": f.S, "C": f.C, "P": f.P,
                     "T": f.T, "ltv": f.ltv})
    return pd.DataFrame(rows).sort_values("ltv", ascending=False).reset_index(drop=True)


def cohort_table(days: pd.DataFrame, as_of: dt.date, *, months: int = 24) -> pd.DataFrame:
    """Purchase days -> a cohort x months-since-first-purchase table of retention shares.

    Rows are acquisition months (the month of the first purchase) of the last ``months``
    cohorts; column k is the share of the cohort buying in its k-th month after the first
    (column 0 is 1 by definition). Only complete months count: a month the data ends
    inside (``as_of`` before its last day) is left out, as a cohort and as a column, since
    its few days would look like customers falling away. Cells not yet observed by the
    last complete month are NaN.
    """
    frame = days[(days["date"] <= pd.Timestamp(complete_end(as_of)))
                 & days["customer_id"].notna()]  # purchase_days leaves no missing id
    if frame.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="cohort"),
                            columns=pd.Index([], name="months_since_first"), dtype=float)
    # Months as integers (Period ordinals) and customers as integer codes: subtracting
    # Periods makes a Python object per row, grouping by the ids hashes their strings.
    customer = pd.factorize(frame["customer_id"])[0]
    month = frame["date"].dt.to_period("M").array.asi8
    first = np.full(customer.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, customer, month)
    k = month - first[customer]
    span = int(k.max()) + 1
    # Each (customer, k) once: neighbours already when the days come sorted by customer
    # and date, as purchase_days gives them.
    pair = customer.astype(np.int64) * span + k
    if not (pair[1:] >= pair[:-1]).all():
        pair = np.sort(pair)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]
    pair_customer, pair_k = pair // span, pair % span
    cohorts, cohort_of = np.unique(first, return_inverse=True)
    cells = np.bincount(cohort_of[pair_customer] * span + pair_k,
                        minlength=len(cohorts) * span).reshape(len(cohorts), span)
    ks = np.flatnonzero(cells.any(axis=0))
    counts = pd.DataFrame(
        cells[:, ks], columns=pd.Index(ks, name="k"),
        index=pd.PeriodIndex.from_ordinals(cohorts, freq="M", name="cohort"))
    size = pd.Series(np.bincount(cohort_of), index=counts.index, name="count")
    table = counts.div(size.reindex(counts.index), axis=0)
    last = last_complete_period(as_of)
    for c in table.index:
        observed = (last - c).n
        table.loc[c, table.columns > observed] = np.nan
    table = table.tail(months)
    table.index = table.index.to_timestamp()
    table.index.name = "cohort"
    table.columns.name = "months_since_first"
    return table


def cohort_curve(table: pd.DataFrame, days: pd.DataFrame) -> pd.Series:
    """The average retention curve: each month's share weighted by cohort size."""
    sizes = days.groupby("customer_id")["date"].min().dt.to_period("M").dt.to_timestamp() \
        .value_counts().reindex(table.index).fillna(0)
    weights = table.notna().mul(sizes, axis=0)
    return (table.fillna(0).mul(sizes, axis=0).sum() / weights.sum()).where(weights.sum() > 0)


def whatif_retention(factors: LtvFactors, active_customers: int, *, points: float = 0.05,
                     horizon_months: int = 12) -> dict:
    """What a few more points of annual retention are worth.

    Annual retention ``R = r^12`` rises by ``points`` (capped below 1); the monthly rate
    and lifetime follow. ``ltv_change`` is the change in LTV per customer; ``profit_change``
    the change in margin from today's ``active_customers`` over ``horizon_months``, with
    no new customers: sum over months k = 1..H of customers x r^k x S x C x P.
    """
    r = factors.retention
    annual = r ** 12
    better_annual = min(annual + points, 0.999)
    better = better_annual ** (1 / 12)
    per_month = factors.S * factors.C * factors.P
    profit = lambda rate: active_customers * per_month * sum(  # noqa: E731
        rate ** k for k in range(1, horizon_months + 1))
    ltv_now = factors.ltv
    ltv_better = per_month * _lifetime(better)
    base, improved = profit(r), profit(better)
    return {
        "annual_retention": annual, "annual_retention_plus": better_annual,
        "ltv": ltv_now, "ltv_plus": ltv_better, "ltv_change": ltv_better - ltv_now,
        "ltv_change_share": (ltv_better - ltv_now) / ltv_now if ltv_now else None,
        "profit": base, "profit_plus": improved, "profit_change": improved - base,
        "profit_change_share": (improved - base) / base if base else None,
        "horizon_months": horizon_months,
    }


def acquisition_vs_retention(spend: pd.DataFrame, crr: pd.DataFrame) -> pd.DataFrame:
    """Marketing spend per period -> the cost of winning a customer against keeping one.

    ``spend`` has period_start, period_end, acquisition, retention (money). Each spend
    period is matched to the CRR periods inside it: new customers N and kept customers
    E - N are summed there. Returns the spend table with new, kept, cost_new, cost_kept
    and ratio (cost of a new customer over the cost of keeping one).
    """
    rows = []
    for item in spend.itertuples(index=False):
        start, end = pd.Timestamp(item.period_start), pd.Timestamp(item.period_end)
        inside = crr[(pd.to_datetime(crr["period_end"]) > start)
                     & (pd.to_datetime(crr["period_end"]) <= end)]
        new = int(inside["N"].sum())
        kept = int((inside["E"] - inside["N"]).clip(lower=0).sum())
        cost_new = item.acquisition / new if new else np.nan
        cost_kept = item.retention / kept if kept else np.nan
        rows.append({"period_start": start.date(), "period_end": end.date(),
                     "acquisition": item.acquisition, "retention": item.retention, "new": new,
                     "kept": kept, "cost_new": cost_new, "cost_kept": cost_kept,
                     "ratio": cost_new / cost_kept if cost_kept else np.nan})
    return pd.DataFrame(rows)
