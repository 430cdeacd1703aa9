"""The executive summary as a story: situation, complication, resolution, roadmap.

Where the business stands (the base, revenue, its trend), what is leaking and what it costs
(customers at risk, lost customers, retention, dissatisfaction), and what to do: five to
seven initiatives, each with the money at stake and how it was computed, an owner, a first
step, a KPI and a date, then a roadmap by quarter.

Pure functions of the run's results (``results.json``), a :class:`~playbook.report.i18n.Lang`
and the report date: a count on a tile and in the story comes from the same key, so they
agree. Money is rounded for people; periods are written one way (:func:`period`). The
initiatives are recorded under ``summary.initiatives`` (:func:`initiatives_json`).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

import pandas as pd
from babel.dates import format_date
from babel.lists import format_list

from playbook.report.i18n import Lang, Safe
from playbook.report.results import get
from playbook.report.rules import lost_rule

__all__ = ["Initiative", "period", "quarter", "situation", "complication", "initiatives",
           "roadmap", "story", "initiatives_json", "per_customer_year", "WIN_BACK_RATE",
           "WALLET_UPLIFT", "MAX_INITIATIVES"]

#: Planning assumptions, stated in the initiatives' basis: the share of lost customers a
#: win-back brings back, and the extra purchases asked of regular customers.
WIN_BACK_RATE, WALLET_UPLIFT = 0.10, 0.10
#: The plan's length: initiatives past it are cut (the lowest money at stake first). Where
#: the data cannot price a lever, the plan names the data to start collecting instead.
MAX_INITIATIVES = 7
#: Days to each initiative's first step.
FIRST_STEP_DAYS = 14
#: A quarter ending sooner than this is too close for a result: the next quarter's end.
MIN_DAYS_TO_RESULT = 42
#: Quarters the roadmap shows, starting with the report date's.
ROADMAP_QUARTERS = 4
#: Who owns an initiative: a role, in the report's words (``report.owner.<role>``).
OWNERS = {"at_risk": "account_managers", "winback": "sales_director",
          "service": "service_manager", "wallet": "account_managers",
          "retention": "marketing", "referrals": "marketing", "survey_start": "service_manager",
          "margin_data": "finance", "referral_data": "marketing",
          "standards": "service_manager"}
#: When each initiative's result is checked: quarters after the report date's quarter
#: (0: the end of this quarter, or of the next when this one ends within six weeks).
DUE_QUARTERS = {"at_risk": 0, "winback": 1, "service": 1, "wallet": 2, "retention": 2,
                "referrals": 2, "survey_start": 1, "margin_data": 0, "referral_data": 0,
                "standards": 1}


@dataclass
class Initiative:
    """One line of the plan, with its texts in the report's language (HTML-safe)."""

    id: str
    title: str
    value: float | None
    basis: str
    owner: str
    first_step: str
    first_step_due: dt.date
    kpi: str
    due: dt.date
    value_text: str = ""
    plan: dict[int, str] = field(default_factory=dict)


# --- formatting shared by the whole summary ---------------------------------------------------


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def period(lang: Lang, start, end) -> Safe:
    """A period as the summary writes every period: ``нояб. 2023 – окт. 2026`` /
    ``Nov 2023 – Oct 2026`` (one month: just the month).
    """
    first, last = lang.month(_date(start)), lang.month(_date(end))
    return Safe(first if first == last else f"{first} – {last}")


def quarter(lang: Lang, day) -> Safe:
    """The calendar quarter of ``day``: ``4-й кв. 2026`` / ``Q4 2026``."""
    return Safe(format_date(_date(day), "QQQ yyyy", locale=lang.locale))


def _quarter_label(lang: Lang, label: str) -> str:
    """A period written ``2026-Q3`` in the data as the summary writes quarters."""
    found = re.fullmatch(r"(\d{4})-?Q([1-4])", str(label).strip())
    if not found:
        return html.escape(str(label))
    return quarter(lang, dt.date(int(found[1]), 3 * int(found[2]), 1))


def _crr_kind(row: dict) -> str:
    """Whether a CRR row covers a month, a quarter or a year."""
    days = (_date(row["period_end"]) - _date(row["period_start"])).days
    return "month" if days <= 31 else "quarter" if days <= 92 else "year"


def _crr_period(lang: Lang, row: dict) -> str:
    """The period of a CRR row: a month, a quarter or a year, as the summary writes them."""
    end = _date(row["period_end"])
    kind = _crr_kind(row)
    if kind == "month":
        return lang.month(end)
    if kind == "quarter":
        return quarter(lang, end)
    return period(lang, _date(row["period_start"]) + dt.timedelta(days=1), end)


def _quarter_end(day: dt.date, ahead: int = 0) -> dt.date:
    return (pd.Timestamp(day).to_period("Q") + ahead).end_time.date()


def _due(today: dt.date, quarters_after: int) -> dt.date:
    """The end of this quarter plus ``quarters_after`` (this one only when it is not too
    close: :data:`MIN_DAYS_TO_RESULT`).
    """
    shift = 1 if (_quarter_end(today) - today).days < MIN_DAYS_TO_RESULT else 0
    return _quarter_end(today, shift + quarters_after)


def per_customer_year(results: dict) -> tuple[float | None, str]:
    """What an average active customer brings in a year, and whether it is margin or revenue.

    From the LTV factors (S average check x C purchases per month x 12, times the margin
    share P when known); without them, the period's revenue per customer per year.
    """
    simple = get(results, "ltv.simple") or {}
    if simple.get("S") and simple.get("C"):
        yearly = simple["S"] * simple["C"] * 12
        if simple.get("margin_known") and simple.get("P"):
            return yearly * simple["P"], "margin"
        return yearly, "revenue"
    intake = results.get("intake") or {}
    customers = intake.get("customers_with_purchase") or intake.get("customers")
    span = intake.get("period") or {}
    if not (customers and intake.get("revenue") and span.get("start") and span.get("end")):
        return None, "revenue"
    years = max(((_date(span["end"]) - _date(span["start"])).days + 1) / 365.25, 1 / 12)
    return intake["revenue"] / customers / years, "revenue"


def _value_basis(results: dict) -> str:
    basis = get(results, "ltv.value_basis")
    if basis in ("margin", "revenue"):
        return basis
    return "margin" if get(results, "ltv.simple.margin_known") else "revenue"


def _at_risk_basis(results: dict) -> str:
    """Whether the at-risk money is margin or revenue (segmentation says so when it can)."""
    for key in ("segmentation.at_risk.value_basis", "segmentation.rfm.at_risk_value_basis",
                "segmentation.value_basis"):
        if get(results, key) in ("margin", "revenue"):
            return get(results, key)
    return _value_basis(results)


def _dissatisfied(results: dict) -> dict:
    """The last period's complaints and the dissatisfied behind them, as the survey section
    gives them: ``{period, complaints, dissatisfied, people_low, people_high}`` or empty.
    """
    word = get(results, "survey.word_of_mouth") or {}
    if word.get("dissatisfied") and word.get("complaints") is not None:
        return word
    last = get(results, "survey.iceberg.last") or {}
    estimate = last.get("dissatisfied_estimate")
    if not estimate or last.get("complaints") is None:
        return {}
    return {"period": last.get("period"), "complaints": last["complaints"],
            "dissatisfied": estimate, "people_low": estimate * 8, "people_high": estimate * 10}


def _annual_retention(results: dict) -> float | None:
    """The share of customers kept over a year, as the LTV section gives it."""
    return get(results, "ltv.retention.annual") or get(
        results, "ltv.whatif_retention_plus5.annual_retention")


def _regulars(results: dict) -> int | None:
    """Regular customers as the segmentation tile counts them: rung 3 and above."""
    counts = get(results, "segmentation.ladder.counts")
    if not counts:
        return None
    return sum(counts.get(r) or 0 for r in ("regular", "adherent", "advocate", "unknown"))


def _cap(text: str) -> str:
    """A text with its first letter capitalised (locale texts that continue a label)."""
    return text[:1].upper() + text[1:]


def _what(lang: Lang, basis: str) -> str:
    return lang.t(f"report.story.what_{basis}")


# --- situation and complication ---------------------------------------------------------------


def situation(results: dict, lang: Lang) -> list[str]:
    """Where the business stands: the base and revenue over the period, the trend, the base's
    health and how concentrated revenue is.
    """
    out = []
    intake = results.get("intake") or {}
    span = intake.get("period") or {}
    customers = intake.get("customers_with_purchase") or intake.get("customers")
    if customers and span.get("start") and span.get("end"):
        out.append(lang.t("report.story.base", period=period(lang, span["start"], span["end"]),
                          n=lang.int(customers), revenue=lang.money_short(intake["revenue"])))
    trend = get(results, "summary.trend")
    if trend and trend.get("change") is not None:
        change = trend["change"]
        key = "flat" if abs(change) < 0.03 else ("up" if change > 0 else "down")
        end = _date(trend["end"])
        start = (pd.Timestamp(end) - pd.DateOffset(months=11)).date()
        out.append(lang.t(f"report.story.trend_{key}", period=period(lang, start, end),
                          last=lang.money_short(trend["last_12m"]),
                          change=lang.pct(abs(change))))
    health = get(results, "segmentation.base_health") or {}
    if health.get("month") and health.get("active_last_month") is not None:
        out.append(lang.t("report.story.health", month=lang.month(health["month"]),
                          active=lang.int(health["active_last_month"]),
                          new=lang.int(health.get("new_last_12m") or 0)))
    top20 = get(results, "segmentation.pareto.top20_revenue_share")
    if top20 is not None:
        key = "close" if top20 >= 0.75 else ("less" if top20 >= 0.5 else "spread")
        out.append(lang.t(f"report.story.pareto_{key}", share=lang.pct(top20, 0)))
    return out


def _cost_ratio(results: dict) -> float | None:
    """What a new customer costs against a kept one: the LTV section's recorded figure
    (``ltv.cost_ratio``, which its tile shows too), or None without spend data.
    """
    return get(results, "ltv.cost_ratio") or None


def complication(results: dict, lang: Lang) -> list[str]:
    """What is leaking and what it costs, one sentence per leak."""
    out = []
    risk_n = get(results, "segmentation.rfm.at_risk_customers")
    if risk_n:
        out.append(lang.t("report.story.at_risk", n=lang.int(risk_n),
                          money=lang.money_short(get(results, "segmentation.rfm.at_risk_revenue")),
                          what=_what(lang, _at_risk_basis(results))))
    lost = get(results, "segmentation.lost") or {}
    if lost.get("customers"):
        out.append(lang.t("report.story.lost", n=lang.int(lost["customers"]),
                          past=lang.money_short(lost.get("past_revenue")),
                          rule=lost_rule(lost["lost_days"], lost["lost_gaps"], lang)))
    crr = [r for r in get(results, "ltv.crr") or [] if r.get("crr") is not None]
    if crr:
        last = crr[-1]
        text = lang.t("report.story.retention", crr=lang.pct(last["crr"] / 100),
                      period=_crr_period(lang, last))
        annual = _annual_retention(results)
        if annual is not None and _crr_kind(last) != "year":
            text += " " + lang.t("report.story.retention_annual", annual=lang.pct(annual, 0))
        ratio = _cost_ratio(results)
        if ratio and ratio > 1:
            text += " " + lang.t("report.story.cost_ratio", ratio=lang.num(ratio, 1))
        out.append(text)
    health = get(results, "segmentation.base_health") or {}
    last, prev = health.get("referral_share_last_12m"), health.get("referral_share_prev_12m")
    if last is not None and prev is not None and last < prev - 0.01:
        out.append(lang.t("report.story.referrals", prev=lang.pct(prev, 0),
                          last=lang.pct(last, 0)))
    weighted = get(results, "survey.nps_weighted.value")
    nps = weighted if weighted is not None else get(results, "survey.nps.value")
    word = _dissatisfied(results)
    said = []
    if nps is not None:  # the figure the survey's tile shows: the whole base's when weighted
        said.append(lang.t("report.story.nps_weighted" if weighted is not None
                           else "report.story.nps", nps=lang.num(nps, 0)))
    if word:
        share = get(results, "survey.iceberg.complain_share") or 0.06
        said.append(lang.t("report.story.dissatisfied", estimate=lang.int(word["dissatisfied"]),
                           complaints=lang.int(word["complaints"]),
                           period=_quarter_label(lang, word.get("period") or ""),
                           share=lang.pct(share, 0), low=lang.int(word["people_low"]),
                           high=lang.int(word["people_high"])))
    if said:
        out.append(" ".join(said))
    return out


# --- the initiatives ----------------------------------------------------------------------------


def _labels_list(lang: Lang, labels: list[str]) -> Safe:
    """The labels quoted and listed ("“A”, “B”, and “C”"): each escaped once, by ``lang.t``,
    so the list is safe as it is (a sentence it goes into must not escape it again, or the
    client reads ``Manager&#x27;s``).
    """
    quoted = [lang.t("report.story.quoted", label=label) for label in labels]
    return Safe(format_list(quoted, locale=lang.locale))


@dataclass
class _Ground:
    """What every initiative's money is built on: the results, the language, and what an
    average customer brings in a year (``per``, margin or revenue: ``what``).
    """

    results: dict
    lang: Lang
    labels: dict[str, str]
    horizon_months: int
    per: float | None = None
    per_text: str = ""
    what: str = ""

    def get(self, key: str, default=None):
        return get(self.results, key, default)


def _at_risk(g: _Ground) -> list[dict]:
    """Keep the valuable customers at risk: their expected value over 12 months."""
    n = g.get("segmentation.rfm.at_risk_customers")
    if not n:
        return []
    factor = g.get("segmentation.at_risk.factor")
    key = {"history": "basis_history", "assumed": "basis_assumed"}.get(
        g.get("segmentation.at_risk.factor_basis"), "basis") if factor else "basis"
    return [{"id": "at_risk", "value": g.get("segmentation.rfm.at_risk_revenue"),
             "basis_key": key,
             "basis": {"n": g.lang.int(n), "what": _what(g.lang, _at_risk_basis(g.results)),
                       "factor": g.lang.pct(factor or 0, 0)}}]


def _winback(g: _Ground) -> list[dict]:
    """Win back the lost: the win-back section's candidates, a year of what each brought
    before leaving times the chance of winning it back (``winback.candidates``); without
    that section, :data:`WIN_BACK_RATE` of those who left over terms (the exit
    questionnaires' share), buying like an average customer.
    """
    lang = g.lang
    found = g.get("winback.candidates") or {}
    if found.get("n") and found.get("expected_value_12m"):
        # the win-back section's own candidates: a year of their old value x the chance
        return [{"id": "winback", "value": found["expected_value_12m"],
                 "basis_key": "basis_candidates",
                 "basis": {"n": lang.int(found["n"]),
                           "what": _what(lang, g.get("winback.value_basis") or "revenue"),
                           "terms": lang.int(found["by_reason"]["terms"]["n"])}}]
    lost = (g.get("segmentation.lost") or {}).get("customers") or 0
    exits = g.get("survey.exit") or {}
    share = exits["winnable"] / exits["answered"] if exits.get("answered") else None
    if not (lost or exits.get("winnable")) or not g.per:
        return []
    if lost and share is not None:
        n, key = lost * share, "basis_terms"
    else:
        n, key = (lost, "basis") if lost else (exits["winnable"], "basis_exits")
    return [{"id": "winback", "value": n * WIN_BACK_RATE * g.per, "basis_key": key,
             "basis": {"n": lang.int(n), "share": lang.pct(share or 0, 0),
                       "rate": lang.pct(WIN_BACK_RATE, 0), "per": g.per_text,
                       "what": g.what}}]


def _service(g: _Ground) -> list[dict]:
    """Fix the weak spots customers care about: the dissatisfied behind the complaints,
    each bringing what an average customer brings; the KPI is CSAT with its scale.
    """
    lang = g.lang
    fix = g.get("survey.fix_first") or []
    word = _dissatisfied(g.results)
    if not (fix or word):
        return []
    names = [g.labels[a] for a in fix if a in g.labels][:3]
    estimate = word.get("dissatisfied")
    priced = bool(estimate and g.per)
    item = {"id": "service", "title_key": "title" if names else "title_general",
            "title": {"areas": _labels_list(lang, names)},
            "value": estimate * g.per if priced else None,
            "basis_key": "basis" if priced else "basis_none",
            "basis": {"estimate": lang.int(estimate or 0),
                      "complaints": lang.int(word.get("complaints") or 0),
                      "period": _quarter_label(lang, word.get("period") or ""),
                      "share": lang.pct(g.get("survey.iceberg.complain_share") or 0.06, 0),
                      "per": g.per_text, "what": g.what},
            "kpi_key": "kpi_general"}
    csat = g.get("survey.csat_detail") or {}
    if csat.get("value") is not None and csat.get("top_boxes") and csat.get("scale"):
        boxes = csat["top_boxes"]
        item["kpi_key"] = "kpi"
        item["kpi"] = {"low": lang.int(min(boxes)), "high": lang.int(max(boxes)),
                       "top": lang.int(csat["scale"][1]), "now": lang.pct(csat["value"])}
    return [item]


def _wallet(g: _Ground) -> list[dict]:
    """A larger share of the regulars' purchases: :data:`WALLET_UPLIFT` more from each; the
    first step asks those who may also buy elsewhere (the managers' penetration list).
    """
    lang = g.lang
    regulars = _regulars(g.results)
    if not regulars or not g.per:
        return []
    ask = g.get("segmentation.tasks.penetration")
    ask = regulars if ask is None else ask
    sow = g.get("survey.annual.share_of_wallet")
    return [{"id": "wallet", "value": regulars * g.per * WALLET_UPLIFT,
             "basis_key": "basis_sow" if sow is not None else "basis",
             "basis": {"n": lang.int(regulars), "uplift": lang.pct(WALLET_UPLIFT, 0),
                       "per": g.per_text, "what": g.what, "sow": lang.pct(sow or 0, 0)},
             "first_key": "first_step_rest" if 0 < ask < regulars else "first_step",
             "first": {"ask": lang.int(ask), "rest": lang.int(regulars - ask)},
             "kpi_key": "kpi_now" if sow is not None else "kpi",
             "kpi": {"now": lang.pct(sow or 0, 0)}}]


def _retention(g: _Ground) -> list[dict]:
    """Five more points of annual retention: the LTV section's what-if, with the annual and
    the quarterly retention side by side (they differ: quarterly losses add up over a year).
    """
    lang = g.lang
    whatif = g.get("ltv.whatif_retention_plus5") or {}
    if not (whatif.get("profit_change") or 0) > 0:
        return []
    crr = [r for r in g.get("ltv.crr") or [] if r.get("crr") is not None]
    greetings = g.get("segmentation.tasks.greetings")
    annual = _annual_retention(g.results)
    quarterly = lang.pct(crr[-1]["crr"] / 100) if crr else ""
    return [{"id": "retention", "value": whatif["profit_change"],
             "basis_key": "basis_annual" if annual is not None and crr else "basis",
             "basis": {"what": _what(lang, _value_basis(g.results)),
                       "months": lang.int(g.get("ltv.horizon_months") or g.horizon_months),
                       "ltv": lang.pct(whatif.get("ltv_change_share") or 0),
                       "annual": lang.pct(annual or 0, 0), "quarterly": quarterly,
                       "period": _crr_period(lang, crr[-1]) if crr else ""},
             "first_key": "first_step_greetings" if greetings else "first_step",
             "first": {"greetings": lang.int(greetings or 0)},
             "kpi_key": "kpi_annual" if annual is not None else ("kpi_now" if crr else "kpi"),
             "kpi": {"now": quarterly, "annual": lang.pct(annual or 0, 0),
                     "target": lang.pct(min((annual or 0) + 0.05, 1), 0)}}]


def _referrals(g: _Ground) -> list[dict]:
    """Bring back referrals: the new customers a fallen referral share no longer brings;
    without the source of new customers, start recording it.
    """
    lang = g.lang
    health = g.get("segmentation.base_health") or {}
    last, prev = health.get("referral_share_last_12m"), health.get("referral_share_prev_12m")
    if last is None or prev is None:
        return [{"id": "referral_data", "value": None}] if health else []
    if last >= prev - 0.01 or not g.per:
        return []
    n = (prev - last) * (health.get("new_last_12m") or 0)
    return [{"id": "referrals", "value": n * g.per,
             "basis": {"prev": lang.pct(prev, 0), "last": lang.pct(last, 0), "n": lang.int(n),
                       "per": g.per_text, "what": g.what},
             "kpi": {"now": lang.pct(last, 0)}}]


def _standards(g: _Ground) -> list[dict]:
    """Bring the service standards up to target, when compliance is short of it (standards
    below target beyond their interval) or requests are answered late (under the response
    standard's target). Not priced: what compliance is worth is the pilot's effect, which
    the standards section reports with its interval.
    """
    lang = g.lang
    comp = g.get("standards.compliance") or {}
    resp = g.get("standards.response") or {}
    below = comp.get("below_target") or []
    within, target = resp.get("share_within_target"), resp.get("target")
    late = within is not None and target is not None and within < target
    if not (below or late):
        return []
    return [{"id": "standards", "value": None,
             "basis_key": "basis" if comp.get("overall") is not None else "basis_response",
             "basis": {"overall": lang.pct(comp.get("overall") or 0, 0),
                       "n": lang.int(len(below)), "within": lang.pct(within or 0, 0),
                       "target": lang.pct(target or 0, 0),
                       "hours": lang.int(resp.get("limit_hours") or 10)},
             "kpi": {"within": lang.pct(within or 0, 0), "target": lang.pct(target or 0, 0),
                     "hours": lang.int(resp.get("limit_hours") or 10),
                     "overall": lang.pct(comp.get("overall") or 0, 0)}}]


def _data_to_collect(g: _Ground) -> list[dict]:
    """Where the data cannot price a lever: start asking customers, record the margin."""
    out = []
    if not g.get("survey.n") and not g.get("survey.fix_first"):
        out.append({"id": "survey_start", "value": None})
    if g.results.get("ltv") and _value_basis(g.results) == "revenue":
        out.append({"id": "margin_data", "value": None})
    return out


#: Every lever the plan may hold, each a function of the results.
LEVERS = (_at_risk, _winback, _service, _wallet, _retention, _referrals, _standards,
          _data_to_collect)


def _candidates(results: dict, lang: Lang, labels: dict[str, str],
                horizon_months: int) -> list[dict]:
    """Every initiative the results support: its id, the values of its texts and the money
    at stake (None when the data cannot price it).
    """
    per, basis = per_customer_year(results)
    ground = _Ground(results, lang, labels, horizon_months, per,
                     lang.money_short(per) if per else Safe("—"), _what(lang, basis))
    return [item for lever in LEVERS for item in lever(ground)]


def initiatives(results: dict, lang: Lang, today: dt.date, *, kind: str | None = None,
                labels: dict[str, str] | None = None,
                horizon_months: int = 12) -> list[Initiative]:
    """Five to seven initiatives, the largest money at stake first (those whose money cannot
    be estimated last).

    Parameters
    ----------
    results
        The run's results; every section present feeds the plan.
    lang
        The report's language.
    today
        The report date: first steps are due :data:`FIRST_STEP_DAYS` after it, results at the
        end of a quarter (:data:`DUE_QUARTERS`).
    kind
        ``b2b`` or ``b2c``: the owners' roles are named for the business (default b2b).
    labels
        Survey attributes' labels in the report's language ({attribute id: label}).
    horizon_months
        The forecast horizon of the retention what-if.
    """
    labels = labels or {}
    found = _candidates(results, lang, labels, horizon_months)
    priced = sorted((c for c in found if c.get("value")), key=lambda c: -c["value"])
    unpriced = [c for c in found if not c.get("value")]
    chosen = (priced + unpriced)[:MAX_INITIATIVES]
    first_due = today + dt.timedelta(days=FIRST_STEP_DAYS)
    out = []
    for c in chosen:
        key = f"report.init.{c['id']}"
        role = _for_kind(lang, f"report.owner.{OWNERS[c['id']]}", kind)
        due = _due(today, DUE_QUARTERS[c["id"]])
        value = c.get("value")
        item = Initiative(
            id=c["id"],
            title=lang.t(f"{key}.{c.get('title_key', 'title')}", **c.get("title", {})),
            value=float(value) if value else None,
            value_text=lang.money_short(value) if value else lang.t("report.story.no_value"),
            basis=_cap(lang.t(f"{key}.{c.get('basis_key', 'basis')}", **c.get("basis", {}))),
            owner=lang.t(role),
            first_step=_cap(lang.t(_for_kind(lang, f"{key}.{c.get('first_key', 'first_step')}",
                                             kind), **c.get("first", {}))),
            first_step_due=first_due,
            kpi=_cap(lang.t(f"{key}.{c.get('kpi_key', 'kpi')}", **c.get("kpi", {}))),
            due=due)
        item.plan = _plan(lang, key, today, due)
        out.append(item)
    return out


def _for_kind(lang: Lang, key: str, kind: str | None) -> str:
    """A text's variant for a business selling to people (``<key>_b2c``), when it has one."""
    return f"{key}_b2c" if kind == "b2c" and lang.has(f"{key}_b2c") else key


def _plan(lang: Lang, key: str, today: dt.date, due: dt.date) -> dict[int, str]:
    """The initiative's milestones by quarter (0: the report date's quarter); the quarter
    whose end is the initiative's due date checks its result.
    """
    def index(day: dt.date) -> int:
        now, then = pd.Timestamp(today).to_period("Q"), pd.Timestamp(day).to_period("Q")
        return (then - now).n

    check = index(due)
    plan = {0: lang.t(f"{key}.start")}
    for q in range(1, check):
        plan[q] = lang.t(f"{key}.run")
    plan[check] = (plan[check] + "; " if check in plan else "") + lang.t("report.roadmap.check")
    for q in range(check + 1, ROADMAP_QUARTERS):
        plan[q] = lang.t("report.roadmap.keep")
    return plan


def roadmap(items: list[Initiative], lang: Lang, today: dt.date) -> dict:
    """The plan by quarter: ``{"quarters": [label, ...], "rows": [{title, owner, cells}]}``,
    a cell being ``{text, check}`` (``check``: the quarter the initiative's result is due).
    """
    ends = [_quarter_end(today, q) for q in range(ROADMAP_QUARTERS)]
    rows = []
    for item in items:
        cells = [{"text": _cap(item.plan.get(q, "")), "check": item.due == end}
                 for q, end in enumerate(ends)]
        rows.append({"title": item.title, "owner": item.owner, "cells": cells})
    return {"quarters": [quarter(lang, day) for day in ends], "rows": rows}


def story(results: dict, lang: Lang, today: dt.date, **options) -> dict:
    """The whole summary story for the report's template: ``situation`` and
    ``complication`` (sentences), ``lead`` (one sentence), ``initiatives`` and ``roadmap``.
    ``options`` go to :func:`initiatives`.
    """
    items = initiatives(results, lang, today, **options)
    priced = any(item.value for item in items)
    lead = ""
    if items:
        lead = lang.t("report.story.lead" if priced else "report.story.lead_unpriced",
                      n=lang.int(len(items)), first=lang.date(items[0].first_step_due))
    note = lang.t(f"report.story.value_note_{_value_basis(results)}") if priced else ""
    return {"situation": situation(results, lang), "complication": complication(results, lang),
            "lead": lead, "initiatives": items, "roadmap": roadmap(items, lang, today),
            "value_note": note}


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def initiatives_json(items: list[Initiative]) -> list[dict]:
    """The initiatives for ``results.json`` (``summary.initiatives``): plain text, money as a
    number (null when not estimated), dates ISO.
    """
    return [{"id": i.id, "title": _plain(i.title), "value": i.value, "basis": _plain(i.basis),
             "owner": _plain(i.owner), "first_step": _plain(i.first_step),
             "first_step_due": i.first_step_due.isoformat(), "kpi": _plain(i.kpi),
             "due": i.due.isoformat()} for i in items]
