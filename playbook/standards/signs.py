"""Warning signs that service has slipped (seed 003), from whatever data the client gave.

Each sign is a :class:`Sign`: its value (and the value a period before), the rule that
judges it, a status (``alert``, ``warning``, ``ok``, or ``unknown`` when the data cannot
tell) and, when unknown, what data would complete it. The signs: complaints (their trend,
and the dissatisfied behind them: only about 6% complain), fewer new customers and fewer
referrals, a shrinking base, lost trust (rising returns, broken promises such as requests
answered late), and the rule of thumb that when only one customer in four stays satisfied
the policy must change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Sign", "STATUSES", "RULES", "base_sign", "new_customers_sign", "referrals_sign",
           "returns_sign", "complaints_sign", "satisfied_sign", "promises_sign",
           "warning_signs", "signs_json", "complaints_from_requests"]

STATUSES = ("alert", "warning", "ok", "unknown")
#: Each sign's rule, as results.json states it (the report words it from the locale files).
RULES = {
    "base": "active customers (a purchase in the window) now vs a window earlier: alert at "
            "-10% or worse, warning at -3% or worse",
    "new_customers": "customers with a first purchase in the window vs the window before: "
                     "alert at -30% or worse, warning at -15% or worse",
    "referrals": "new customers who came by recommendation in the window vs the window "
                 "before: alert at -40% or worse, warning at -20% or worse",
    "returns": "returns as a share of gross sales in the window vs the window before: "
               "warning when it rises by a quarter and at least 0.5 points",
    "complaints": "complaints in the last period vs the mean of the earlier ones: warning "
                  "when up by a fifth and at least 2, or when none are recorded; each "
                  "complaint stands for about 1/complain_share dissatisfied customers",
    "satisfied": "share of surveyed customers satisfied (the two best marks of the overall "
                 "satisfaction question, as the survey's CSAT): alert at one in four or "
                 "fewer (25% included), warning under one in two",
    "promises": "share of requests answered within the promised time: alert under 80%, "
                "warning under the standard's target",
}


@dataclass
class Sign:
    """One warning sign, judged."""

    sign: str
    status: str
    value: float | None = None
    previous: float | None = None
    needs: str | None = None
    detail: dict = field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The rule that judges it (English, as recorded)."""
        return RULES[self.sign]

    @property
    def change(self) -> float | None:
        """The relative change from ``previous`` to ``value``."""
        if self.value is None or not self.previous:
            return None
        return self.value / self.previous - 1


def _window(history_months: float) -> int | None:
    """The comparison window: 12 months with two years of history, else 6 with one."""
    if history_months >= 24:
        return 12
    if history_months >= 12:
        return 6
    return None


def _months(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return (end - start).days / 30.4375


def _by_change(change: float | None, alert: float, warning: float) -> str:
    if change is None:
        return "unknown"
    return "alert" if change <= alert else "warning" if change <= warning else "ok"


def base_sign(transactions: pd.DataFrame, as_of: dt.date, *, customer: str = "customer_id",
              date: str = "date", amount: str = "amount") -> Sign:
    """A shrinking base: customers with a purchase in the last window vs the window before.

    ``customer_id, date, amount`` (purchases are positive amounts) -> :class:`Sign` with
    ``value`` the active customers now, ``previous`` a window earlier, ``detail.window``
    in months.
    """
    tx = transactions[transactions[amount] > 0]
    end = pd.Timestamp(as_of)
    window = _window(_months(tx[date].min(), end)) if len(tx) else None
    if window is None:
        return Sign("base", "unknown", needs="history")
    now = tx[tx[date] > end - pd.DateOffset(months=window)][customer].nunique()
    before_end = end - pd.DateOffset(months=window)
    before = tx[(tx[date] <= before_end)
                & (tx[date] > before_end - pd.DateOffset(months=window))][customer].nunique()
    sign = Sign("base", "unknown", float(now), float(before), detail={"window": window})
    sign.status = _by_change(sign.change, -0.10, -0.03)
    return sign


def new_customers_sign(transactions: pd.DataFrame, as_of: dt.date, *,
                       customer: str = "customer_id", date: str = "date",
                       amount: str = "amount") -> Sign:
    """Fewer new customers: first purchases in the last window vs the window before.

    ``customer_id, date, amount`` -> :class:`Sign` (``value``: new customers now). The
    first window of the history is not compared (everyone is new there).
    """
    tx = transactions[transactions[amount] > 0]
    end = pd.Timestamp(as_of)
    start = tx[date].min() if len(tx) else end
    window = _window(_months(start, end))
    # the window before must start after the history's first month, or all look new
    if window is None or end - pd.DateOffset(months=2 * window) < start + pd.DateOffset(months=1):
        return Sign("new_customers", "unknown", needs="history")
    first = tx.groupby(customer)[date].min()
    cut = end - pd.DateOffset(months=window)
    now = int(((first > cut) & (first <= end)).sum())
    before = int(((first > cut - pd.DateOffset(months=window)) & (first <= cut)).sum())
    sign = Sign("new_customers", "unknown", float(now), float(before), detail={"window": window})
    sign.status = _by_change(sign.change, -0.30, -0.15)
    return sign


def referrals_sign(customers: pd.DataFrame | None, transactions: pd.DataFrame,
                   as_of: dt.date, *, customer: str = "customer_id", date: str = "date",
                   referral: str = "referral") -> Sign:
    """Fewer referrals: new customers who came by recommendation, last window vs before.

    ``customers`` has ``customer_id`` and a boolean ``referral`` (intake reads it from a
    referral or a source column); a customer's start is its first purchase.
    """
    if customers is None or referral not in customers or customers[referral].isna().all():
        return Sign("referrals", "unknown", needs="referral")
    base = new_customers_sign(transactions, as_of, customer=customer, date=date)
    if base.status == "unknown":
        return Sign("referrals", "unknown", needs="history")
    window = base.detail["window"]
    first = transactions[transactions["amount"] > 0].groupby(customer)[date].min()
    came = customers.dropna(subset=[referral]).set_index(customer)[referral].astype(bool)
    came = came[came]
    first = first[first.index.isin(came.index)]
    end = pd.Timestamp(as_of)
    cut = end - pd.DateOffset(months=window)
    now = int(((first > cut) & (first <= end)).sum())
    before = int(((first > cut - pd.DateOffset(months=window)) & (first <= cut)).sum())
    sign = Sign("referrals", "unknown", float(now), float(before), detail={"window": window})
    sign.status = _by_change(sign.change, -0.40, -0.20) if before else "unknown"
    if before == 0:
        sign.needs = "referral"
    return sign


def returns_sign(transactions: pd.DataFrame, as_of: dt.date, *, date: str = "date",
                 amount: str = "amount") -> Sign:
    """Lost trust, seen in returns: returns as a share of gross sales, last window vs before.

    ``date, amount`` (returns are negative amounts) -> :class:`Sign` with shares. Without
    any return in the data the sign is unknown: the export may leave returns out.
    """
    end = pd.Timestamp(as_of)
    tx = transactions[transactions[date] <= end]
    window = _window(_months(tx[date].min(), end)) if len(tx) else None
    if not (tx[amount] < 0).any():
        return Sign("returns", "unknown", needs="returns")
    if window is None:
        return Sign("returns", "unknown", needs="history")
    cut = end - pd.DateOffset(months=window)

    def share(part: pd.DataFrame) -> float | None:
        gross = part.loc[part[amount] > 0, amount].sum()
        return float(-part.loc[part[amount] < 0, amount].sum() / gross) if gross > 0 else None

    now = share(tx[tx[date] > cut])
    before = share(tx[(tx[date] <= cut) & (tx[date] > cut - pd.DateOffset(months=window))])
    sign = Sign("returns", "unknown", now, before, detail={"window": window})
    if now is not None and before is not None:
        rising = now >= before * 1.25 and now - before >= 0.005
        sign.status = "warning" if rising else "ok"
    return sign


def complaints_sign(complaints: pd.DataFrame | None, *, complain_share: float = 0.06,
                    period: str = "period", count: str = "complaints",
                    base: str = "customers") -> Sign:
    """Complaints: the last period's count against the earlier periods' mean, and the
    dissatisfied customers they stand for (count / ``complain_share``).

    ``period, complaints[, customers]`` (one row per period, in order) -> :class:`Sign`
    with ``detail``: ``period``, ``dissatisfied`` and, with a base, ``dissatisfied_share``.
    """
    if complaints is None or count not in complaints or complaints[count].isna().all():
        return Sign("complaints", "unknown", needs="complaints")
    rows = complaints.dropna(subset=[count]).reset_index(drop=True)
    last = float(rows[count].iloc[-1])
    earlier = float(rows[count].iloc[:-1].mean()) if len(rows) > 1 else None
    detail = {"period": str(rows[period].iloc[-1]) if period in rows else "",
              "dissatisfied": last / complain_share, "complain_share": complain_share}
    if base in rows and pd.notna(rows[base].iloc[-1]) and rows[base].iloc[-1] > 0:
        detail["dissatisfied_share"] = min(detail["dissatisfied"] / float(rows[base].iloc[-1]),
                                           1.0)
    sign = Sign("complaints", "ok", last, earlier, detail=detail)
    if last == 0:
        sign.status = "warning"  # "no complaints? something is wrong": nobody is listening
    elif earlier is not None and last >= earlier * 1.2 and last - earlier >= 2:
        sign.status = "warning"
    if detail.get("dissatisfied_share", 0) >= 0.25:
        sign.status = "alert"
    return sign


COMPLAINT_WORDS = ("жалоб", "претенз", "рекламац", "complain", "claim")


def complaints_from_requests(requests: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame | None:
    """Complaints per complete quarter from the request log, when its ``category`` says
    which requests were complaints (жалоба, претензия, рекламация, complaint, claim).

    ``received, category`` -> ``period (2026-Q1), complaints``; None without such a log.
    """
    if requests is None or "category" not in requests:
        return None
    words = requests["category"].astype("string").str.lower().fillna("")
    is_complaint = words.str.contains("|".join(COMPLAINT_WORDS), regex=True)
    if not is_complaint.any():
        return None
    quarters = requests["received"].dt.to_period("Q")
    last = pd.Period(pd.Timestamp(as_of) + pd.Timedelta(days=1), "Q") - 1  # complete ones
    counts = is_complaint.groupby(quarters).sum()
    every = pd.period_range(quarters.min(), last, freq="Q")
    counts = counts.reindex(every, fill_value=0)
    return pd.DataFrame({"period": [str(q).replace("Q", "-Q") for q in counts.index],
                         "complaints": counts.to_numpy().astype(int)})


def satisfied_sign(responses: pd.DataFrame | None, column: str | None,
                   scale: tuple[int, int] | None, *, wave: str = "wave") -> Sign:
    """One in four: the share of the latest wave's respondents who are satisfied (the top
    two answers of the overall satisfaction question, as the survey section's CSAT).

    ``responses`` with ``column`` (answers on ``scale``) and an optional ``wave`` ->
    :class:`Sign` (``value``: the share; ``detail``: ``n``, ``wave``, ``marks``: the two
    answers that count as satisfied, ``scale``). Satisfied is the survey section's
    definition (CSAT, :func:`playbook.survey.scores.csat`): one of the two best marks, so the
    two sections never disagree; on a 1-10 scale that is 9 or 10. Seed 003's rule: when
    only one customer in four (or fewer) stays satisfied, the policy must change (alert);
    under one in two: warning.
    """
    if responses is None or column is None or scale is None or column not in responses:
        return Sign("satisfied", "unknown", needs="survey")
    rows = responses
    shown_wave = None
    if wave in rows and rows[wave].notna().any():
        shown_wave = str(rows[wave].dropna().astype(str).sort_values().iloc[-1])
        rows = rows[rows[wave].astype(str) == shown_wave]
    answers = pd.to_numeric(rows[column], errors="coerce").dropna()
    if answers.empty:
        return Sign("satisfied", "unknown", needs="survey")
    marks = [int(scale[1]) - 1, int(scale[1])]
    share = float((answers >= marks[0]).mean())
    status = "alert" if share <= 0.25 else "warning" if share < 0.5 else "ok"
    return Sign("satisfied", status, share, detail={"n": int(len(answers)), "wave": shown_wave,
                                                    "marks": marks,
                                                    "scale": [int(scale[0]), int(scale[1])]})


def promises_sign(within: float | None, n: int, *, target: float = 0.95) -> Sign:
    """Broken promises: the share of requests answered within the promised time (from
    :func:`playbook.standards.compliance.response_times`); unknown without a request log.
    """
    if within is None or n == 0:
        return Sign("promises", "unknown", needs="requests")
    status = "alert" if within < 0.8 else "warning" if within < target else "ok"
    return Sign("promises", status, within, detail={"n": n, "target": target})


def warning_signs(transactions: pd.DataFrame, as_of: dt.date, *,
                  customers: pd.DataFrame | None = None,
                  complaints: pd.DataFrame | None = None, complain_share: float = 0.06,
                  responses: pd.DataFrame | None = None, satisfaction: str | None = None,
                  scale: tuple[int, int] | None = None, within: float | None = None,
                  requests: int = 0, target: float = 0.95) -> list[Sign]:
    """Every warning sign, in the seed's order, from the data given (None: not given)."""
    return [complaints_sign(complaints, complain_share=complain_share),
            satisfied_sign(responses, satisfaction, scale),
            referrals_sign(customers, transactions, as_of),
            new_customers_sign(transactions, as_of),
            base_sign(transactions, as_of),
            returns_sign(transactions, as_of),
            promises_sign(within, requests, target=target)]


def _plain(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def signs_json(signs: list[Sign]) -> list[dict]:
    """The signs as results.json records them: ``{sign, status, value, previous, rule,
    needs, detail}``.
    """
    out = []
    for s in signs:
        record = asdict(s)
        record["rule"] = s.rule
        record["detail"] = {k: _plain(v) for k, v in s.detail.items()}
        out.append({k: _plain(v) for k, v in record.items()})
    return out
