"""Segmentation: who are the client's customers, which of them matter, who is slipping.

Every function takes tables and returns a table; column names are keyword arguments;
nothing here reads files or prints. The inputs are intake's tables: the per-customer
summary (:mod:`playbook.intake.summary`) and the normalised transactions.

- :func:`rfm` - recency, frequency and monetary scores 1-5 and the named segment;
- :func:`abc_xyz` - ABC by revenue or margin, XYZ by the regularity of monthly or quarterly
  purchases (:func:`choose_xyz` picks the period and cut-offs that tell customers apart);
- :func:`pareto` - the cumulative revenue curve and the share of the top 20%;
- :func:`ladder` - the five rungs of the loyalty ladder;
- :func:`movement` - each customer's rung and RFM segment now and one period earlier;
- :func:`base_health` - active, new and returning customers per month, and referrals.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from playbook.intake.summary import customer_summary
from playbook.keys import customer_codes, group_key, pair_sums, with_ids
from playbook.periods import complete_end, last_complete_period

#: The transactions' columns this module's analyses read (``RunContext.transactions``).
TRANSACTION_COLUMNS = ("customer_id", "date", "amount", "margin")

__all__ = [
    "TRANSACTION_COLUMNS",
    "RFM_SEGMENTS",
    "SEGMENT_ORDER",
    "RUNGS",
    "rfm",
    "rfm_segment_map",
    "abc_xyz",
    "ABC_XYZ_CELLS",
    "CLASSIC_XYZ",
    "CUSTOMER_XYZ",
    "INFORMATIVE",
    "choose_xyz",
    "pareto",
    "ladder",
    "ladder_counts",
    "movement",
    "transition_matrix",
    "base_health",
    "referral_trend",
]

#: The usual RFM segment map over the recency score R and the combined frequency-monetary
#: score FM = round((F + M) / 2): ``{segment: ((R low, R high), (FM low, FM high))}``; the
#: first matching row wins and the rows cover all 25 cells. Overridable in the parameters.
RFM_SEGMENTS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "champions": ((5, 5), (4, 5)),
    "loyal": ((3, 4), (4, 5)),
    "potential_loyalists": ((4, 5), (2, 3)),
    "new": ((5, 5), (1, 1)),
    "promising": ((4, 4), (1, 1)),
    "need_attention": ((3, 3), (3, 3)),
    "about_to_sleep": ((3, 3), (1, 2)),
    "cant_lose": ((1, 2), (5, 5)),
    "at_risk": ((1, 2), (3, 4)),
    "hibernating": ((1, 2), (1, 2)),
    "lost": ((1, 1), (1, 1)),
}
#: Segments from the most to the least valuable state (used to tell "moved down").
SEGMENT_ORDER = ["champions", "loyal", "potential_loyalists", "new", "promising",
                 "need_attention", "about_to_sleep", "cant_lose", "at_risk", "hibernating",
                 "lost"]
#: Loyalty-ladder rungs, bottom to top; ``unknown`` is "regular or higher, exact rung not
#: known without survey data".
RUNGS = ["buyer", "client", "regular", "adherent", "advocate"]
ABC_XYZ_CELLS = [a + x for a in "ABC" for x in "XYZ"]
#: The classic XYZ cut-offs of the coefficient of variation (made for the demand for goods).
CLASSIC_XYZ = (0.10, 0.25)
#: Cut-offs for customers' purchases, which swing more than a product's demand: X varies by
#: at most half its average from period to period, Y at most by its average.
CUSTOMER_XYZ = (0.5, 1.0)
#: XYZ tells customers apart when no letter holds more than this share of those judged.
INFORMATIVE = 0.7


def _score(values: pd.Series, bins: int = 5) -> pd.Series:
    """Scores 1..bins by quantile of ``values`` (higher value, higher score).

    Ties share a score: a value's score is set by the share of customers with a value at
    most as large (``ceil(bins * rank_max / n)``), so every customer gets a score even when
    many share a value, and equal values never get different scores.
    """
    if values.empty:
        return pd.Series([], index=values.index, dtype="int64")
    ranks = values.rank(method="max", pct=True)
    return np.ceil(ranks * bins).clip(1, bins).astype("int64")


def rfm_segment_map(overrides: dict | None = None) -> dict[str, tuple]:
    """The segment map, with parameter overrides, checked to cover every (R, FM) cell.

    Raises
    ------
    ValueError
        When some (R, FM) cell has no segment, naming the uncovered cells.
    """
    segments = dict(RFM_SEGMENTS)
    if overrides:
        segments = {name: (tuple(rule["r"]), tuple(rule["fm"]))
                    for name, rule in overrides.items()}
    uncovered = [(r, fm) for r in range(1, 6) for fm in range(1, 6)
                 if not any(lo <= r <= hi and flo <= fm <= fhi
                            for (lo, hi), (flo, fhi) in segments.values())]
    if uncovered:
        cells = ", ".join(f"R{r}FM{fm}" for r, fm in uncovered)
        raise ValueError(f"the RFM segment map in the parameters leaves cells without a "
                         f"segment: {cells}. Widen the r/fm ranges so every cell is covered.")
    return segments


def rfm(summary: pd.DataFrame, as_of: dt.date, *, segments: dict | None = None,
        customer_id: str = "customer_id", last_purchase: str = "last_purchase",
        purchases: str = "purchase_days", monetary: str = "total_spend") -> pd.DataFrame:
    """Customer summary -> customer_id, recency_days, frequency, monetary, R, F, M, FM, segment.

    Recency is days from the last purchase to ``as_of`` (fewer is better); frequency the
    number of purchase days; monetary the net spend. Scores are quintiles 1-5 (see
    :func:`_score` for ties); ``FM`` rounds the mean of F and M half up; ``segment`` comes
    from the segment map (:data:`RFM_SEGMENTS` unless ``segments`` overrides it).
    """
    seg_map = segments or RFM_SEGMENTS
    recency = (pd.Timestamp(as_of) - pd.to_datetime(summary[last_purchase])).dt.days
    out = pd.DataFrame({
        "customer_id": summary[customer_id].to_numpy(),
        "recency_days": recency.to_numpy(),
        "frequency": summary[purchases].to_numpy(),
        "monetary": summary[monetary].to_numpy(dtype=float),
    })
    out["R"] = _score(-out["recency_days"])
    out["F"] = _score(out["frequency"])
    out["M"] = _score(out["monetary"])
    out["FM"] = np.floor((out["F"] + out["M"]) / 2 + 0.5).astype("int64")
    out["segment"] = pd.Series(pd.NA, index=out.index, dtype="string")
    for name, ((lo, hi), (flo, fhi)) in seg_map.items():
        hit = out["segment"].isna() & out["R"].between(lo, hi) & out["FM"].between(flo, fhi)
        out.loc[hit, "segment"] = name
    return out


def abc_xyz(summary: pd.DataFrame, transactions: pd.DataFrame, as_of: dt.date, *,
            by: str = "revenue", cutoffs: tuple[float, float] = (0.80, 0.95),
            period: str = "month", window_months: int = 12, min_periods: int = 3,
            xyz_cutoffs: tuple[float, float] = (0.10, 0.25),
            customer_id: str = "customer_id", date: str = "date", amount: str = "amount",
            xyz_stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers, transactions -> customer_id, value, share, cum_share, abc, periods, cv, xyz, cell.

    ABC ranks customers by ``value`` (net revenue, or margin with ``by="margin"``): A holds
    the customers who make the first 80% of the total (the customer crossing 80% included),
    B the next 15%, C the rest and anyone with no positive value.

    XYZ measures regularity: the coefficient of variation (population standard deviation
    over mean) of the customer's net purchases per ``period`` (month or quarter) over the
    ``window_months`` that end with the last complete period on or before ``as_of``
    (:func:`playbook.periods.last_complete_period`: a month that has had only some of its
    days would look like a slump), counting periods with no purchase as zero and starting
    no earlier than the customer's first purchase. X: CV up to ``xyz_cutoffs[0]``, Y: up to
    ``xyz_cutoffs[1]``, Z: above (:func:`choose_xyz` picks the period and cut-offs).
    Customers with fewer than ``min_periods`` periods of history in the window, or without
    purchases in it, cannot be called regular: they are Z (counted in ``short_history``).
    ``xyz_stats``: the per-period figures :func:`choose_xyz` already made for ``period``
    (its ``keep``), so a large client's transactions are not gone through again.
    """
    value_col = "total_spend" if by == "revenue" else "total_margin"
    if value_col not in summary or summary[value_col].isna().all():
        raise ValueError("ABC by margin needs a margin or cost column in the transactions; "
                         "map one in the parameters or set segmentation.abc.by: revenue.")
    out = pd.DataFrame({"customer_id": summary[customer_id].to_numpy(),
                        "value": summary[value_col].fillna(0).to_numpy(dtype=float)})
    out = out.sort_values(["value", "customer_id"], ascending=[False, True],
                          kind="mergesort").reset_index(drop=True)
    positive = out["value"].clip(lower=0)
    total = positive.sum()
    out["share"] = positive / total if total > 0 else 0.0
    out["cum_share"] = out["share"].cumsum()
    before = out["cum_share"] - out["share"]
    out["abc"] = np.where(before < cutoffs[0], "A", np.where(before < cutoffs[1], "B", "C"))
    out.loc[out["value"] <= 0, "abc"] = "C"

    stats = xyz_stats if xyz_stats is not None else _xyz_stats(
        transactions, as_of, period=period, window_months=window_months,
        customer_id=customer_id, date=date, amount=amount)
    out = out.merge(stats[["periods", "cv"]], left_on="customer_id", right_index=True,
                    how="left")
    out["short_history"] = (out["periods"].fillna(0) < min_periods) | out["cv"].isna()
    out["xyz"] = _letters(out["cv"], out["short_history"], xyz_cutoffs)
    out["cell"] = out["abc"] + out["xyz"]
    return out


def _ordinals(dates: pd.Series, months_per: int) -> pd.Series:
    """Each date's month (``months_per`` 1) or quarter (3) as pandas numbers the period
    (``Period.ordinal``): whole numbers, fast to group and compare, unlike periods.
    """
    values = dates.to_numpy()
    if values.dtype.kind == "M" and not np.isnat(values).any():
        # months since 1970 straight from the datetimes: no year and month fields made
        months = values.astype("datetime64[M]").astype("int64")
        return pd.Series(months // months_per, index=dates.index, name=dates.name)
    return ((dates.dt.year.astype("int64") - 1970) * (12 // months_per)
            + (dates.dt.month.astype("int64") - 1) // months_per)


def _up_to(day: dt.date, dates: pd.Series, *columns) -> tuple:
    """``dates`` and the ``columns`` (aligned arrays or series) on the rows dated on or
    before ``day``: themselves when that is all of them (a large client's lines are not
    copied for nothing).
    """
    keep = (dates <= pd.Timestamp(day)).to_numpy()
    return (dates, *columns) if keep.all() else tuple(c[keep] for c in (dates, *columns))


def _xyz_stats(transactions: pd.DataFrame, as_of: dt.date, *, period: str, window_months: int,
               customer_id: str, date: str, amount: str) -> pd.DataFrame:
    """Transactions -> per customer (index): periods of history in the window, cv."""
    months_per = {"month": 1, "quarter": 3}[period]
    end = last_complete_period(as_of, period)
    start = end - max(1, window_months // months_per)
    end_at, start_at = end.ordinal, start.ordinal
    # grouped by a number per customer (keys: the same groups, sums and order as by id)
    code, ids = customer_codes(transactions, customer_id)
    dates, code, values = _up_to(as_of, transactions[date], code, transactions[amount])
    p = _ordinals(dates, months_per).to_numpy()
    first = pd.Series(p).groupby(group_key(code)).min()
    # each customer's sum per period of the window
    inside = (p > start_at) & (p <= end_at)
    per, owner, _ = pair_sums(values[inside], code[inside], p[inside] - start_at - 1,
                              end_at - start_at)
    per = per.clip(lower=0)
    sums = per.groupby(owner).sum()
    squares = (per ** 2).groupby(owner).sum()
    stats = with_ids(pd.DataFrame({"first": first.to_numpy()}, index=first.index), ids)
    stats["periods"] = np.maximum(
        0, end_at - np.maximum(stats["first"].to_numpy(), start_at + 1) + 1)
    stats["sum"] = sums.reindex(first.index).fillna(0.0).to_numpy()
    stats["sq"] = squares.reindex(first.index).fillna(0.0).to_numpy()
    n = stats["periods"].clip(lower=1)
    mean = stats["sum"] / n
    variance = (stats["sq"] / n - mean ** 2).clip(lower=0)
    stats["cv"] = np.where(mean > 0, np.sqrt(variance) / mean.where(mean > 0, 1), np.nan)
    return stats


def _letters(cv: pd.Series, short: pd.Series, cutoffs: tuple[float, float]) -> np.ndarray:
    letters = np.where(cv <= cutoffs[0], "X", np.where(cv <= cutoffs[1], "Y", "Z"))
    return np.where(short, "Z", letters)


def choose_xyz(transactions: pd.DataFrame, as_of: dt.date, *, period: str = "auto",
               cutoffs="auto", window_months: int = 12, min_periods: int = 3,
               customer_id: str = "customer_id", date: str = "date", amount: str = "amount",
               keep: dict | None = None) -> dict:
    """The period and cut-offs of XYZ: given, or the first that tells customers apart.

    With ``period="auto"`` month and quarter are tried, with ``cutoffs="auto"`` the
    classic cut-offs :data:`CLASSIC_XYZ` and then :data:`CUSTOMER_XYZ`, in that order
    (classic month first, customer quarter last). The first pair that puts at most
    :data:`INFORMATIVE` of the customers it can judge (enough history, purchases in the
    window) into one letter is taken; when none does, the pair whose largest letter is the
    smallest. ``keep``: a dict that gets each tried period's figures, for
    :func:`abc_xyz` (``xyz_stats``).

    Returns
    -------
    dict
        ``period``, ``cutoffs``, ``auto`` (whether anything was chosen) and ``tried``: one
        dict per pair tried, in order (period, cutoffs, judged customers, share of the
        judged in the largest letter, that letter).
    """
    periods = ["month", "quarter"] if period == "auto" else [period]
    cut_options = [CLASSIC_XYZ, CUSTOMER_XYZ] if cutoffs == "auto" else [tuple(cutoffs)]
    tried, judged_by = [], {}
    for cuts in cut_options:
        for name in periods:
            if name not in judged_by:
                stats = _xyz_stats(transactions, as_of, period=name,
                                   window_months=window_months, customer_id=customer_id,
                                   date=date, amount=amount)
                if keep is not None:
                    keep[name] = stats
                judged_by[name] = stats[(stats["periods"] >= min_periods)
                                        & stats["cv"].notna()]
            judged = judged_by[name]
            letters = pd.Series(_letters(judged["cv"], False, cuts)).value_counts()
            top = letters.idxmax() if len(letters) else "Z"
            share = float(letters.max() / len(judged)) if len(judged) else 1.0
            tried.append({"period": name, "cutoffs": tuple(float(c) for c in cuts),
                          "judged": len(judged), "largest_share": share, "largest": top})
            if share <= INFORMATIVE:
                break
        if tried[-1]["largest_share"] <= INFORMATIVE:
            break
    informative = [t for t in tried if t["largest_share"] <= INFORMATIVE]
    pick = informative[0] if informative else min(tried, key=lambda t: t["largest_share"])
    return {"period": pick["period"], "cutoffs": pick["cutoffs"], "tried": tried,
            "auto": period == "auto" or cutoffs == "auto"}


def pareto(summary: pd.DataFrame, *, top: float = 0.2, revenue: str = "total_spend",
           margin: str = "total_margin") -> dict:
    """Share of revenue (and of margin, when known) made by the top ``top`` of customers.

    Returns
    -------
    dict
        ``top_share`` (the customers' share used), ``top_customers``, ``top20_revenue_share``,
        ``top20_margin_share`` (None without margin), ``customers_80_share`` (the smallest
        share of customers, best first, that makes 80% of revenue; None without revenue) and
        ``curve``: a DataFrame of customer_share, revenue_share for the cumulative curve
        (customers by revenue, desc).
    """
    values = summary[revenue].fillna(0).clip(lower=0).sort_values(ascending=False)
    n = len(values)
    k = max(1, math.ceil(top * n)) if n else 0
    total = values.sum()
    revenue_share = float(values.iloc[:k].sum() / total) if total > 0 else None
    margin_share = None
    if margin in summary and summary[margin].notna().any():
        by_revenue = summary.loc[values.index, margin].fillna(0)
        margin_total = by_revenue.sum()
        if margin_total > 0:
            margin_share = float(by_revenue.iloc[:k].sum() / margin_total)
    curve = pd.DataFrame({
        "customer_share": np.arange(1, n + 1) / n if n else [],
        "revenue_share": (values.cumsum() / total).to_numpy() if total > 0 else np.zeros(n),
    })
    reaching = curve.loc[curve["revenue_share"] >= 0.8 - 1e-12, "customer_share"]
    return {"top_share": top, "top_customers": k, "top20_revenue_share": revenue_share,
            "top20_margin_share": margin_share,
            "customers_80_share": float(reaching.iloc[0]) if total > 0 and len(reaching)
            else None, "curve": curve}


def _active_months(transactions: pd.DataFrame, as_of: dt.date, window_months: int,
                   customer_id: str, date: str, amount: str) -> pd.Series:
    """How many of the last ``window_months`` calendar months each customer bought in."""
    end = pd.Timestamp(as_of).to_period("M").ordinal
    code, ids = customer_codes(transactions, customer_id)
    month = _ordinals(transactions[date], 1).to_numpy()
    inside = (transactions[date] <= pd.Timestamp(as_of)).to_numpy() \
        & (month > end - window_months)
    monthly, owner, _ = pair_sums(transactions[amount][inside], code[inside],
                                  month[inside] - (end - window_months + 1), window_months)
    return with_ids((monthly > 0).groupby(owner).sum(), ids, customer_id)


def ladder(summary: pd.DataFrame, transactions: pd.DataFrame, as_of: dt.date, *,
           min_months: int = 6, window_months: int = 12, evidence: pd.DataFrame | None = None,
           adherent_share: float = 0.8, customer_id: str = "customer_id",
           date: str = "date", amount: str = "amount") -> pd.DataFrame:
    """Customers -> customer_id, active_months, rung (one of :data:`RUNGS` or ``unknown``).

    Rungs 1-3 come from transactions: a *buyer* made one purchase (day), a *client* more;
    a *regular* bought in at least ``min_months`` of the last ``window_months`` months.
    Whether a regular buys only from the client (*adherent*: share of wallet at least
    ``adherent_share``) and also recommends it (*advocate*: would-recommend 9-10, or referred
    another customer) needs survey or referral data, given as ``evidence`` (customer_id,
    share_of_wallet, recommend_score, referred_someone; any may be missing). A regular with
    no evidence is ``unknown``: rung 3, 4 or 5, not known which; with evidence below the
    bar, ``regular``.
    """
    months = _active_months(transactions, as_of, window_months, customer_id, date, amount)
    out = pd.DataFrame({"customer_id": summary[customer_id].to_numpy()})
    out["active_months"] = out["customer_id"].map(months).fillna(0).astype("int64")
    purchases = summary[["purchase_days"]].to_numpy().ravel()
    rung = np.where(purchases >= 2, "client", "buyer").astype(object)
    regular = out["active_months"].to_numpy() >= min_months
    rung[regular] = "unknown"
    out["rung"] = rung
    if evidence is not None and len(evidence):
        ev = evidence.set_index("customer_id").reindex(out["customer_id"])
        share = ev.get("share_of_wallet", pd.Series(np.nan, index=ev.index)).to_numpy(float)
        score = ev.get("recommend_score", pd.Series(np.nan, index=ev.index)).to_numpy(float)
        referred = ev.get("referred_someone", pd.Series(np.nan, index=ev.index))
        referred = referred.astype("boolean").fillna(False).to_numpy(bool)
        known = ~np.isnan(share) | ~np.isnan(score) | referred
        adherent = share >= adherent_share
        recommends = (score >= 9) | referred
        evidence_rung = np.where(adherent & recommends, "advocate",
                                 np.where(adherent, "adherent", "regular"))
        # Without a share-of-wallet answer, recommending alone does not prove rung 4.
        evidence_rung = np.where(np.isnan(share) & ~adherent, "unknown", evidence_rung)
        promote = regular & known
        out.loc[promote, "rung"] = evidence_rung[promote]
    return out


def ladder_counts(rungs: pd.DataFrame, *, has_evidence: bool) -> dict:
    """{buyer, client, regular, adherent, advocate, unknown}: counts of :func:`ladder`.

    Without any survey or referral evidence the split of regulars into rungs 3-5 is not
    known: ``regular``, ``adherent`` and ``advocate`` are None and ``unknown`` holds them all.
    """
    counts = rungs["rung"].value_counts()
    out = {rung: int(counts.get(rung, 0)) for rung in [*RUNGS, "unknown"]}
    if not has_evidence:
        for rung in ("regular", "adherent", "advocate"):
            out[rung] = None
    return out


def movement(transactions: pd.DataFrame, as_of: dt.date, *, days: int = 90,
             ladder_options: dict | None = None, segments: dict | None = None,
             evidence: pd.DataFrame | None = None,
             now: pd.DataFrame | None = None) -> pd.DataFrame:
    """Transactions -> customer_id, rung_before, rung_now, segment_before, segment_now, moved_down.

    Both states are computed from the transactions known at each date (``as_of`` and
    ``as_of - days``), so the earlier state is what the client would have seen then.
    Customers who had not bought yet at the earlier date have ``rung_before`` and
    ``segment_before`` = ``none``. ``moved_down`` is true for a lower rung, or for a move
    into a less valuable RFM segment among at-risk, can't-lose, about-to-sleep,
    hibernating and lost.

    ``now``: the state as of ``as_of`` when it is made already (customer_id, rung, segment:
    :func:`ladder` and :func:`rfm` of the same transactions, options and evidence, as the
    segmentation makes them); None: made here.
    """
    options = ladder_options or {}
    before_date = as_of - dt.timedelta(days=days)
    states = {}
    if now is not None:
        states["now"] = pd.DataFrame({"customer_id": now["customer_id"].to_numpy(),
                                      "rung_now": now["rung"].to_numpy(),
                                      "segment_now": now["segment"].to_numpy()})
    for label, when in (("before", before_date), ("now", as_of)):
        if label in states:
            continue
        # the summary and the ladder take the lines up to ``when`` themselves: no copy
        summary = customer_summary(transactions, when)
        rungs = ladder(summary, transactions, when, evidence=evidence, **options)
        scores = rfm(summary, when, segments=segments)
        states[label] = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(),
                                      f"rung_{label}": rungs["rung"].to_numpy(),
                                      f"segment_{label}": scores["segment"].to_numpy()})
    out = states["now"].merge(states["before"], on="customer_id", how="left")
    out = out.fillna({"rung_before": "none", "segment_before": "none"})
    order = {r: i for i, r in enumerate(["none", *RUNGS])}
    order["unknown"] = order["regular"]
    rung_down = out["rung_now"].map(order) < out["rung_before"].map(order)
    seg_rank = {s: i for i, s in enumerate(SEGMENT_ORDER)}
    slipping = {"about_to_sleep", "cant_lose", "at_risk", "hibernating", "lost"}
    seg_down = (out["segment_now"].isin(slipping) & (out["segment_before"] != "none")
                & (out["segment_now"].map(seg_rank).astype(float)
                   > out["segment_before"].map(seg_rank).astype(float)))
    out["moved_down"] = (rung_down | seg_down).to_numpy()
    return out[["customer_id", "rung_before", "rung_now", "segment_before", "segment_now",
                "moved_down"]]


def transition_matrix(moves: pd.DataFrame, *, before: str = "rung_before",
                      now: str = "rung_now", order: list[str] | None = None) -> pd.DataFrame:
    """Moves -> a before x now table of customer counts (rows: before, columns: now)."""
    table = pd.crosstab(moves[before], moves[now])
    if order:
        rows = [r for r in order if r in table.index]
        cols = [c for c in order if c in table.columns]
        table = table.reindex(index=rows, columns=cols, fill_value=0)
    return table


def base_health(transactions: pd.DataFrame, customers: pd.DataFrame | None = None, *,
                as_of: dt.date | None = None, customer_id: str = "customer_id",
                date: str = "date", amount: str = "amount") -> pd.DataFrame:
    """Transactions -> month, active, new, returning, new_referral, referral_share.

    ``active`` customers bought (net positive) in the month; ``new`` made their first
    purchase then; ``returning`` = active - new. With a customers file that says how a
    customer found the client (``referral``), ``new_referral`` counts the new customers who
    came by recommendation and ``referral_share`` is their share of the new (else NaN).
    With ``as_of``, the months run to the last complete one on or before it
    (:func:`playbook.periods.complete_end`): the days of a month the data ends inside are
    left out, so the last row is never a slump that is only a short month.
    """
    # grouped by a number per customer and whole months (keys; Period.ordinal): the same
    # groups and sums as by the ids and the months, without hashing either
    code, ids = customer_codes(transactions, customer_id)
    dates, values = transactions[date], transactions[amount]
    if as_of is not None:
        dates, code, values = _up_to(complete_end(as_of), dates, code, values)
    month = _ordinals(dates, 1).to_numpy()
    low = int(month.min()) if len(month) else 0
    span = int(month.max()) - low + 1 if len(month) else 1
    monthly, owner, bought = pair_sums(values, code, month - low, span)
    positive = (monthly > 0).to_numpy()
    owner, bought = owner[positive], bought[positive]  # customers in order, their months
    first = pd.Series(bought).groupby(owner).min()
    is_first = bought == first.reindex(owner).to_numpy()
    seen = np.flatnonzero(np.bincount(bought, minlength=span))
    out = pd.DataFrame({"active": np.bincount(bought, minlength=span)[seen],
                        "new": np.bincount(bought[is_first], minlength=span)[seen]},
                       index=pd.PeriodIndex.from_ordinals(seen + low, freq="M"))
    out = out.astype("int64")
    out["returning"] = out["active"] - out["new"]
    out["new_referral"] = np.nan
    out["referral_share"] = np.nan
    if len(first) and customers is not None and "referral" in customers \
            and customers["referral"].notna().any():  # (none: no month to count them in)
        ref = customers.set_index("customer_id")["referral"]
        first = with_ids(pd.Series(pd.PeriodIndex.from_ordinals(first.to_numpy() + low,
                                                                freq="M"),
                                   index=first.index, name="first_month"), ids)
        news = first.reset_index()
        news["referral"] = news["customer_id"].map(ref)
        known = news[news["referral"].notna()]
        by_month = known.groupby("first_month")["referral"].agg(["sum", "size"])
        out["new_referral"] = by_month["sum"].reindex(out.index).astype(float)
        out["referral_share"] = (by_month["sum"] / by_month["size"]).reindex(out.index)
    if len(out):
        full = pd.period_range(out.index.min(), out.index.max(), freq="M")
        out = out.reindex(full)
        out[["active", "new", "returning"]] = out[["active", "new", "returning"]].fillna(0)
    out.index.name = "month"
    out = out.reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out.astype({"active": "int64", "new": "int64", "returning": "int64"})


def referral_trend(health: pd.DataFrame) -> dict | None:
    """Referral share of new customers: last 12 months against the 12 before (None if unknown)."""
    known = health.dropna(subset=["referral_share"])
    if len(known) < 24 or known["new"].iloc[-24:].sum() == 0:
        return None
    last, prev = known.iloc[-12:], known.iloc[-24:-12]
    share = lambda part: part["new_referral"].sum() / part["new"].sum() if part["new"].sum() \
        else None  # noqa: E731
    return {"last_12m": share(last), "prev_12m": share(prev)}
