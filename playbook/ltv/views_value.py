"""The lifetime-value notebook's second half: what customers are worth, who is still active,
whom to retain, what more retention would bring, and the results it records.

Functions take the :class:`~playbook.ltv.views.LtvAnalysis` and a ``Lang`` and return
sentences and tables in the client's language; :mod:`playbook.ltv.views` re-exports them.
Money is called margin only when the share of revenue the company keeps is known (from
the data or the parameters); otherwise every value here says it is revenue. Money in
sentences and the summary is rounded for people (``Lang.money_short``); tables and the
managers' task lists keep exact amounts. The seeds' rules of thumb (5-7 times cheaper to
keep a customer; +5% retention, +25-95% profit) are set against the client's own figures.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from babel import dates as babel_dates

from playbook import exports
from playbook.ltv import activity
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe

if TYPE_CHECKING:
    from playbook.ltv.views import LtvAnalysis
    from playbook.running.context import RunContext

__all__ = ["period_name", "period_labels", "clv_sentence", "activity_sentences", "retain_tasks",
           "whatif_sentences", "spend_table", "spend_sentence", "cost_ratio", "results"]


def period_name(start, end, lang: Lang) -> str:
    """A period as the report names it everywhere: a calendar quarter ``3-й кв. 2026`` /
    ``Q3 2026``, a calendar month ``июль 2026`` / ``Jul 2026``, a calendar year ``2026``,
    else its first and last days ``01.11.2025 — 31.10.2026``.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    whole = start.day == 1 and end == end + pd.offsets.MonthEnd(0)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if whole and months == 3 and start.month % 3 == 1:  # one line in a narrow column
        text = babel_dates.format_date(start.date(), "QQQ yyyy", locale=lang.locale)
        return Safe(text.replace(" ", "\u00a0").replace("-", "\u2011"))
    if whole and months == 1:
        return lang.month(start.date())
    if whole and months == 12 and start.month == 1:
        return Safe(str(start.year))
    return lang.t("intake.period_value", start=lang.date(start, "compact"),
                  end=lang.date(end, "compact"))


def period_labels(table: pd.DataFrame, lang: Lang) -> list[str]:
    """Each row's period (period_start to period_end) named by :func:`period_name`."""
    return [period_name(a, b, lang)
            for a, b in zip(table["period_start"], table["period_end"], strict=True)]


def _suffix(res: LtvAnalysis) -> str:
    """"" for money in margin, "_revenue" for the keys of the same text in revenue."""
    return "" if res.value_basis == "margin" else "_revenue"


# --- who is active ----------------------------------------------------------------------------

def _counts(res: LtvAnalysis) -> tuple[int, int]:
    active = int(res.activity["active"].sum())
    return active, len(res.activity) - active


def activity_sentences(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """How many customers are active, and by which rule.

    With the model able to tell: those with a probability of being active of 50% or more.
    Otherwise: why the data cannot tell yet, the recency rule used instead (stated with
    its limits in days) and the counts it gives.
    """
    if res.activity.empty:
        return []
    active, lapsed = _counts(res)
    customers = lang.int(len(res.activity))
    if res.activity_rule == "model":
        out = [lang.t("ltv.activity_model", active=lang.int(active), customers=customers)]
        window_active = res.factors.customers if res.factors else None
        if window_active is not None and window_active != active:
            key = "fewer" if window_active > active else "more"
            out.append(lang.t(f"ltv.activity_vs_window.{key}",
                              window=lang.int(res.window_months),
                              window_active=lang.int(window_active)))
        return out
    out = []
    reason = res.activity_reason
    if reason != "no_model":
        bg = res.bg
        dropout = bg.a / (bg.a + bg.b)
        share = float((res.customers["p_alive"] >= activity.CERTAIN).mean())
        why = lang.t(f"ltv.activity_why.{reason}",
                     dropout=lang.pct(dropout, 2 if dropout < 0.01 else 1),
                     share=lang.pct(share),
                     history=lang.int(res.model_history_days or 0),
                     gap=lang.int(res.median_gap_days or 0))
        out.append(lang.t("ltv.activity_cannot_tell", why=Safe(why)))
    typical, gaps = res.rule_gap_days, res.lapse_gaps
    if typical is None:  # no repeat customer: no rhythm to judge by
        return out
    out.append(lang.t("ltv.activity_rule", gaps=lang.num(gaps, 0 if gaps == int(gaps) else 1),
                      one_time=lang.int(gaps * typical), gap=lang.int(typical),
                      active=lang.int(active), lapsed=lang.int(lapsed), customers=customers))
    if reason in ("dropout_near_zero", "nearly_all_alive"):
        out.append(lang.t("ltv.activity_upper_bound"))
    elif reason == "short_history":
        out.append(lang.t("ltv.activity_short_caveat"))
    return out


# --- value and whom to retain -------------------------------------------------------------------

def _retain(res: LtvAnalysis, run: RunContext) -> pd.DataFrame:
    """The valuable customers who started to leave: by the model, or by the recency rule.

    Customers the segmentation's rhythm rule already counts as lost are left out (they go
    to the win-back), and, with the model, so are those already overdue against their own
    rhythm (the segmentation's "at risk" call lists hold them): what remains is the early
    warning, customers still buying at their pace whose buying the model sees thin out.
    """
    return _retain_split(res, run)[0]


def _rhythm_status(run: RunContext) -> pd.Series | None:
    """Each customer's status by the segmentation's rhythm rule (active, overdue, at_risk,
    lost; every customer counted as valuable), by customer_id; None when the segmentation
    has no such rule.
    """
    try:
        from playbook.segmentation import rhythm
    except ImportError:  # the segmentation without its forward look
        return None
    rules = getattr(run.params.segmentation, "at_risk", None)
    frame = rhythm.rhythm(run.summary(), run.as_of,
                          overdue_gaps=getattr(rules, "overdue_gaps", 1.5),
                          lost_gaps=getattr(rules, "lost_gaps", 3.0),
                          lost_days=getattr(rules, "lost_days", 365))
    return frame.set_index("customer_id")["status"]


def _retain_split(res: LtvAnalysis, run: RunContext) -> tuple[pd.DataFrame, dict | None]:
    """The "retain" customers, and how many valuable, falling customers were left out as
    already late or lost ({late, lost}; None without the segmentation's rule).
    """
    cfg = run.params.ltv
    c = res.customers
    if c.empty:
        return c, None
    cut = c["clv"].quantile(1 - cfg.retain_top_share)
    if res.activity_rule == "model":
        falling = (c["p_alive_before"] - c["p_alive"]) >= cfg.retain_alive_drop
    else:  # lapsed by the rule within the movement window: active then, lapsed now
        c = c.merge(res.activity[["customer_id", "lapsed", "days_since", "limit"]],
                    on="customer_id", how="left")
        days = run.params.segmentation.movement_days
        falling = c["lapsed"].eq(True) & (c["days_since"] - days <= c["limit"])
    picked = c[(c["clv"] >= cut) & falling]
    status = _rhythm_status(run)
    if status is None:
        return picked.sort_values("clv", ascending=False), None
    state = status.reindex(picked["customer_id"]).to_numpy()
    lost = state == "lost"
    late = np.isin(state, ["at_risk", "overdue"]) & (res.activity_rule == "model")
    left_out = {"late": int(late.sum()), "lost": int(lost.sum())}
    return picked[~(lost | late)].sort_values("clv", ascending=False), left_out


def clv_sentence(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """The customers' predicted value and its top 20% share, who is active, whom to retain."""
    if res.customers.empty:  # no model
        return [lang.t("ltv.clv_none"), *activity_sentences(res, run, lang)]
    c = res.customers
    cfg = run.params.ltv
    top = c.nlargest(max(1, int(len(c) * 0.2)), "clv")["clv"].sum()
    retain_key = "ltv.retain_so_what" if res.activity_rule == "model" \
        else "ltv.retain_so_what_recency"
    picked, left_out = _retain_split(res, run)
    out = [lang.t(f"ltv.clv_so_what{_suffix(res)}", months=lang.int(cfg.horizon_months),
                  total=lang.money_short(c["clv"].sum()), rate=lang.pct(cfg.annual_discount),
                  top_share=lang.pct(top / c["clv"].sum() if c["clv"].sum() else 0)),
           *activity_sentences(res, run, lang),
           lang.t(retain_key, n=lang.int(len(picked)),
                  drop=lang.num(cfg.retain_alive_drop * 100, 0),
                  top=lang.pct(cfg.retain_top_share, 0),
                  days=lang.int(run.params.segmentation.movement_days))]
    if left_out and (left_out["late"] or left_out["lost"]):
        key = "ltv.retain_left_out" if res.activity_rule == "model" \
            else "ltv.retain_left_out_lost"
        out.append(lang.t(key, late=lang.int(left_out["late"]),
                          lost=lang.int(left_out["lost"])))
    return out


def _task_reason(item, res: LtvAnalysis, lang: Lang) -> str:
    if res.activity_rule == "model":
        return lang.t("ltv.task_reason", before=lang.pct(item.p_alive_before, 0),
                      now=lang.pct(item.p_alive, 0), clv=lang.money(item.clv))
    return lang.t("ltv.task_reason_recency", days=lang.int(item.days_since),
                  limit=lang.int(item.limit), clv=lang.money(item.clv))


def retain_tasks(res: LtvAnalysis, run: RunContext) -> pd.DataFrame:
    """'Retain' tasks: valuable customers who started to leave (by the rule in use), in
    :data:`playbook.exports.TASK_COLUMNS`, the value at stake being each one's forecast
    value (:attr:`LtvAnalysis.customers` ``clv``), due ``segmentation.call_due_days`` after
    the hand-over; the context (segment, rung, probability still active when the model can
    tell...) as on the segmentation's lists.
    """
    from playbook.segmentation import views as seg_views
    from playbook.segmentation import views_tasks

    lang = run.lang
    picked = _retain(res, run)
    due = run.handover + dt.timedelta(days=run.params.segmentation.call_due_days)
    rows = pd.DataFrame(
        [{"customer_id": item.customer_id,
          "reason": exports.plain_text(_task_reason(item, res, lang)),
          "suggested_action": exports.plain_text(lang.t("ltv.task_action")), "due_date": due,
          "value_at_stake": item.clv} for item in picked.itertuples(index=False)],
        columns=exports.lists.ROW_COLUMNS)
    seg = seg_views.analyse(run)
    alive = (res.customers.set_index("customer_id")["p_alive"]
             if res.activity_rule == "model" and not res.customers.empty else None)
    context = _context(seg, run, alive)
    return exports.finish(rows, "retain", lang, people=views_tasks.who(seg, run),
                          context=context, start=run.handover)


def _context(seg, run: RunContext, alive: pd.Series | None) -> pd.DataFrame:
    """The tasks' context with ``alive``: the one the segmentation's lists made for the run
    when it holds the same probabilities (743k customers at 10M: seconds), else made here.
    """
    from playbook.segmentation import views_tasks

    if run.reuse:
        context, made_with = views_tasks.task_inputs(seg, run)
        if (made_with is None and alive is None) or (
                made_with is not None and alive is not None and made_with.equals(alive)):
            return context
    return views_tasks.task_context(seg, run, alive=alive)


# --- what-if and spend ---------------------------------------------------------------------

def whatif_sentences(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """What +5 points of retention would be worth in this client's money."""
    w = res.whatif
    if w is None:
        return []
    if w["ltv_change"] <= 0:  # retention at the cap: the lifetime cannot grow
        return [lang.t("ltv.whatif_high", annual=lang.pct(w["annual_retention"]))]
    share = w["ltv_change_share"] or 0
    return [lang.t(f"ltv.whatif_so_what{_suffix(res)}", annual=lang.pct(w["annual_retention"]),
                   annual_plus=lang.pct(w["annual_retention_plus"]),
                   ltv_change=lang.money_short(w["ltv_change"]),
                   ltv_share=lang.pct(share),
                   profit_change=lang.money_short(w["profit_change"]),
                   profit_share=lang.pct(w["profit_change_share"] or 0),
                   months=lang.int(w["horizon_months"])),
            lang.t(f"ltv.whatif_bain.{_against(share, *BAIN_PROFIT)}", share=lang.pct(share),
                   near=lang.pct(w["profit_change_share"] or 0),
                   months=lang.int(w["horizon_months"]))]


#: Bain & Company's range: 5% more retention, 25-95% more profit (a share).
BAIN_PROFIT = (0.25, 0.95)
#: The seeds' rule of thumb: winning a customer costs 5-7 times more than keeping one.
SEED_COST_RATIO = (5.0, 7.0)


def _against(value: float, low: float, high: float) -> str:
    """Where the client's own figure falls against a rule of thumb's range."""
    return "below" if value < low else "above" if value > high else "within"


def spend_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """Acquisition and retention spending per period, and the cost per customer of each."""
    s = res.spend
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    return pd.DataFrame({
        col("period"): period_labels(s, lang),
        col("acquisition"): [lang.money(v) for v in s["acquisition"]],
        col("new"): [lang.int(v) for v in s["new"]],
        col("cost_new"): [lang.money(v) for v in s["cost_new"]],
        col("retention"): [lang.money(v) for v in s["retention"]],
        col("kept"): [lang.int(v) for v in s["kept"]],
        col("cost_kept"): [lang.money(v) for v in s["cost_kept"]],
        col("ratio"): [lang.num(v, 1) if pd.notna(v) else "" for v in s["ratio"]],
    })


def spend_sentence(res: LtvAnalysis, lang: Lang) -> str:
    """The cost of winning a customer against the cost of keeping one."""
    if res.spend is None or res.spend.empty:
        return lang.t("ltv.spend_missing")
    ratio = cost_ratio(res.spend.to_dict(orient="records"))
    if ratio is None:  # the periods' spend on nobody won or kept: no cost per customer
        return lang.t("ltv.spend_uncovered")
    total_new = res.spend["acquisition"].sum() / res.spend["new"].sum()
    total_kept = res.spend["retention"].sum() / res.spend["kept"].sum()
    text = lang.t("ltv.spend_so_what", cost_new=lang.money_short(total_new),
                  cost_kept=lang.money_short(total_kept), ratio=lang.num(ratio, 1))
    return text + " " + lang.t(f"ltv.spend_seed.{_against(ratio, *SEED_COST_RATIO)}")


def cost_ratio(records: list[dict]) -> float | None:
    """How many times more a new customer costs than a kept one, over all the spend
    periods (total acquisition spend per new customer over total retention spend per kept
    customer); None when nobody was won or kept.
    """
    frame = pd.DataFrame(records)
    if frame.empty or not frame["new"].sum() or not frame["kept"].sum():
        return None
    cost_new = frame["acquisition"].sum() / frame["new"].sum()
    cost_kept = frame["retention"].sum() / frame["kept"].sum()
    return float(cost_new / cost_kept) if cost_kept else None


# --- results.json and the executive summary ------------------------------------------------

HOLDOUT_KEYS = ("judged", "reason", "start", "end", "days", "min_days", "median_gap_days",
                "mae", "rmse", "corr", "total_actual", "total_predicted")


def _activity_results(res: LtvAnalysis) -> dict | None:
    if res.activity.empty:
        return None
    active, lapsed = _counts(res)
    out = {"active": active, "lapsed": lapsed, "customers": len(res.activity),
           "reason": res.activity_reason}
    if res.activity_rule == "recency":
        typical, gaps = res.rule_gap_days, res.lapse_gaps
        out |= {"lapse_gaps": gaps, "median_gap_days": typical,
                "one_time_limit_days": None if typical is None else gaps * typical}
    return out


def results(res: LtvAnalysis) -> dict:
    """The ltv keys of results.json."""
    out: dict = {"window_months": res.window_months, "value_basis": res.value_basis,
                 "complete_through": res.complete_through.isoformat()
                 if res.complete_through else None}
    if res.factors:
        f = res.factors
        out["simple"] = {"S": f.S, "C": f.C, "P": f.P if f.margin_known else None, "T": f.T,
                         "ltv": f.ltv, "margin_known": f.margin_known,
                         "monthly_retention": f.retention}
    out["crr"] = [{"period_start": r.period_start.isoformat(),
                   "period_end": r.period_end.isoformat(), "S": int(r.S), "E": int(r.E),
                   "N": int(r.N), "crr": None if pd.isna(r.crr) else float(r.crr)}
                  for r in res.crr.itertuples(index=False)]
    if res.bg is not None:
        out["bgnbd"] = {"r": res.bg.r, "alpha": res.bg.alpha, "a": res.bg.a, "b": res.bg.b,
                        "loglik": res.bg.loglik, "n_customers": res.bg.n_customers,
                        "time_unit": res.bg.time_unit,
                        "calibration_end": res.calibration_end.isoformat(),
                        "se": dict(res.bg.se)}
        out["gamma_gamma"] = {"p": res.gg.p, "q": res.gg.q, "gamma": res.gg.gamma,
                              "n_customers": res.gg.n_customers, "se": dict(res.gg.se)}
    else:
        out["model_error"] = res.model_error
    if res.holdout is not None:
        out["holdout"] = {k: res.holdout[k] for k in HOLDOUT_KEYS if k in res.holdout}
    out["activity_rule"] = res.activity_rule
    counts = _activity_results(res)
    if counts:
        out["activity"] = counts
    if not res.customers.empty:
        out["clv_total"] = float(res.customers["clv"].sum())
        out["horizon_months"] = res.horizon_months
    retention = _retention_results(res)
    if retention:
        out["retention"] = retention
    if res.whatif:
        w = res.whatif
        out["whatif_retention_plus5"] = {
            "ltv_change": w["ltv_change"], "profit_change": w["profit_change"],
            "ltv_change_share": w["ltv_change_share"],
            "profit_change_share": w["profit_change_share"],
            "annual_retention": w["annual_retention"],
            "annual_retention_plus": w["annual_retention_plus"],
            "horizon_months": w["horizon_months"]}
    if res.spend is not None and not res.spend.empty:
        out["acquisition_vs_retention"] = res.spend.to_dict(orient="records")
        out["cost_ratio"] = cost_ratio(out["acquisition_vs_retention"])
    return out


def _retention_results(res: LtvAnalysis) -> dict | None:
    """Retention per month, per CRR period and per year (see ``retention_figures``)."""
    from playbook.ltv.views import retention_figures

    fig = retention_figures(res, res.crr_period)
    if fig is None:
        return None
    return {"period": res.crr_period, "monthly": fig["monthly"],
            "compounded": fig["compounded"], "recent": fig["recent"], "annual": fig["annual"]}


def _crr_period(data: dict, last: dict) -> str:
    """The CRR period of the results: as recorded, or read from the last period's length."""
    if "retention" in data:
        return data["retention"]["period"]
    days = (dt.date.fromisoformat(last["period_end"])
            - dt.date.fromisoformat(last["period_start"])).days
    return "year" if days > 300 else "quarter" if days > 80 else "month"


@summary_section("ltv")
def _summary(results_: dict, lang: Lang):
    """Key figures and recommendations of the section, money rounded for people."""
    data = results_["ltv"]
    # Revenue is never called margin: results written before value_basis existed say so
    # through ltv.simple.margin_known.
    basis = data.get("value_basis") or (
        "margin" if data.get("simple", {}).get("margin_known") else "revenue")
    suffix = "" if basis == "margin" else "_revenue"
    figures, advice = [], []
    if "simple" in data:
        figures.append((lang.t(f"ltv.summary.ltv{suffix}"),
                        lang.money_short(data["simple"]["ltv"])))
    crr = [r for r in data.get("crr", []) if r["crr"] is not None]
    if crr:
        period = lang.t(f"ltv.period.{_crr_period(data, crr[-1])}")
        figures.append((lang.t("ltv.summary.crr", period=period),
                        lang.pct(crr[-1]["crr"] / 100)))
    if "clv_total" in data:
        months = data.get("horizon_months") or 12
        reason = (data.get("activity") or {}).get("reason")
        caveat = {"dropout_near_zero": "_upper", "nearly_all_alive": "_upper",
                  "short_history": "_short"}.get(reason, "") \
            if data.get("activity_rule") == "recency" else ""
        value = lang.money_short(data["clv_total"])
        figures.append((lang.t(f"ltv.summary.clv{suffix}", months=lang.int(months)),
                        lang.t(f"ltv.summary.clv_value{caveat}", value=value)))
    if data.get("cost_ratio"):
        figures.append((lang.t("ltv.summary.cost_ratio"),
                        lang.t("ltv.summary.cost_ratio_value",
                               ratio=lang.num(data["cost_ratio"], 1))))
    whatif = data.get("whatif_retention_plus5")
    if whatif and whatif["ltv_change"] > 0:
        advice.append(lang.t(f"ltv.summary.advice_whatif{suffix}",
                             profit=lang.money_short(whatif["profit_change"]),
                             ltv=lang.money_short(whatif["ltv_change"]),
                             share=lang.pct(whatif["ltv_change_share"] or 0),
                             months=lang.int(whatif.get("horizon_months")
                                             or data.get("horizon_months") or 12)))
    retain = data.get("retain_tasks")
    if retain:
        advice.append(lang.t("ltv.summary.advice_retain", n=lang.int(retain)))
    return figures, advice
