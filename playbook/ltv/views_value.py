"""The lifetime-value notebook's second half: what customers are worth, who is still active,
whom to retain, what more retention would bring, and the results it records.

Functions take the :class:`~playbook.ltv.views.LtvAnalysis` and a ``Lang`` and return
sentences and tables in the client's language; :mod:`playbook.ltv.views` re-exports them.
Money is called margin only when the share of revenue the company keeps is known (from
the data or the parameters); otherwise every value here says it is revenue.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import exports
from playbook.ltv import activity
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe

if TYPE_CHECKING:
    from playbook.ltv.views import LtvAnalysis
    from playbook.running.context import RunContext

__all__ = ["period_labels", "clv_sentence", "activity_sentences", "retain_tasks",
           "whatif_sentences", "spend_table", "spend_sentence", "results"]


def period_labels(table: pd.DataFrame, lang: Lang) -> list[str]:
    """"01.01.2026 — 31.03.2026" for each row's period_start and period_end."""
    return [lang.t("intake.period_value", start=lang.date(a, "compact"),
                   end=lang.date(b, "compact"))
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
        return [lang.t("ltv.activity_model", active=lang.int(active), customers=customers)]
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
    """The valuable customers who started to leave: by the model, or by the recency rule."""
    cfg = run.params.ltv
    c = res.customers
    if c.empty:
        return c
    cut = c["clv"].quantile(1 - cfg.retain_top_share)
    if res.activity_rule == "model":
        falling = (c["p_alive_before"] - c["p_alive"]) >= cfg.retain_alive_drop
    else:  # lapsed by the rule within the movement window: active then, lapsed now
        c = c.merge(res.activity[["customer_id", "lapsed", "days_since", "limit"]],
                    on="customer_id", how="left")
        days = run.params.segmentation.movement_days
        falling = c["lapsed"].eq(True) & (c["days_since"] - days <= c["limit"])
    return c[(c["clv"] >= cut) & falling].sort_values("clv", ascending=False)


def clv_sentence(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """The customers' predicted value and its top 20% share, who is active, whom to retain."""
    if res.customers.empty:  # no model
        return [lang.t("ltv.clv_none"), *activity_sentences(res, run, lang)]
    c = res.customers
    cfg = run.params.ltv
    top = c.nlargest(max(1, int(len(c) * 0.2)), "clv")["clv"].sum()
    retain_key = "ltv.retain_so_what" if res.activity_rule == "model" \
        else "ltv.retain_so_what_recency"
    return [lang.t(f"ltv.clv_so_what{_suffix(res)}", months=lang.int(cfg.horizon_months),
                   total=lang.money(c["clv"].sum()), rate=lang.pct(cfg.annual_discount),
                   top_share=lang.pct(top / c["clv"].sum() if c["clv"].sum() else 0)),
            *activity_sentences(res, run, lang),
            lang.t(retain_key, n=lang.int(len(_retain(res, run))),
                   drop=lang.pct(cfg.retain_alive_drop, 0),
                   top=lang.pct(cfg.retain_top_share, 0),
                   days=lang.int(run.params.segmentation.movement_days))]


def _task_reason(item, res: LtvAnalysis, lang: Lang) -> str:
    if res.activity_rule == "model":
        return lang.t("ltv.task_reason", before=lang.pct(item.p_alive_before, 0),
                      now=lang.pct(item.p_alive, 0), clv=lang.money(item.clv))
    return lang.t("ltv.task_reason_recency", days=lang.int(item.days_since),
                  limit=lang.int(item.limit), clv=lang.money(item.clv))


def retain_tasks(res: LtvAnalysis, run: RunContext) -> pd.DataFrame:
    """'Retain' tasks: valuable customers who started to leave (by the rule in use)."""
    lang = run.lang
    picked = _retain(res, run)
    due = res.as_of + dt.timedelta(days=run.params.segmentation.call_due_days)
    rows = [{"customer_id": item.customer_id,
             "reason": exports.plain_text(_task_reason(item, res, lang)),
             "suggested_action": exports.plain_text(lang.t("ltv.task_action")), "due_date": due}
            for item in picked.itertuples(index=False)]
    who = exports.people(run.customers(), run.transactions(), picked["customer_id"]
                         if len(picked) else pd.Series([], dtype=object))
    return exports.with_people(rows, who)


# --- what-if and spend ---------------------------------------------------------------------

def whatif_sentences(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """What +5 points of retention would be worth in this client's money."""
    w = res.whatif
    if w is None:
        return []
    if w["ltv_change"] <= 0:  # retention at the cap: the lifetime cannot grow
        return [lang.t("ltv.whatif_high", annual=lang.pct(w["annual_retention"]))]
    return [lang.t(f"ltv.whatif_so_what{_suffix(res)}", annual=lang.pct(w["annual_retention"]),
                   annual_plus=lang.pct(w["annual_retention_plus"]),
                   ltv_change=lang.money(w["ltv_change"]),
                   ltv_share=lang.pct(w["ltv_change_share"] or 0),
                   profit_change=lang.money(w["profit_change"]),
                   profit_share=lang.pct(w["profit_change_share"] or 0),
                   months=lang.int(w["horizon_months"])),
            lang.t("ltv.whatif_seed")]


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
    total_new = res.spend["acquisition"].sum() / max(res.spend["new"].sum(), 1)
    total_kept = res.spend["retention"].sum() / max(res.spend["kept"].sum(), 1)
    ratio = total_new / total_kept if total_kept else np.nan
    return lang.t("ltv.spend_so_what", cost_new=lang.money(total_new),
                  cost_kept=lang.money(total_kept), ratio=lang.num(ratio, 1))


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
    if res.whatif:
        out["whatif_retention_plus5"] = {
            "ltv_change": res.whatif["ltv_change"], "profit_change": res.whatif["profit_change"],
            "ltv_change_share": res.whatif["ltv_change_share"],
            "profit_change_share": res.whatif["profit_change_share"]}
    if res.spend is not None and not res.spend.empty:
        out["acquisition_vs_retention"] = res.spend.to_dict(orient="records")
    return out


@summary_section("ltv")
def _summary(results_: dict, lang: Lang):
    data = results_["ltv"]
    # Revenue is never called margin: results written before value_basis existed say so
    # through ltv.simple.margin_known.
    basis = data.get("value_basis") or (
        "margin" if data.get("simple", {}).get("margin_known") else "revenue")
    suffix = "" if basis == "margin" else "_revenue"
    figures, advice = [], []
    if "simple" in data:
        figures.append((lang.t(f"ltv.summary.ltv{suffix}"), lang.money(data["simple"]["ltv"])))
    crr = [r for r in data.get("crr", []) if r["crr"] is not None]
    if crr:
        figures.append((lang.t("ltv.summary.crr"), lang.pct(crr[-1]["crr"] / 100)))
    if "clv_total" in data:
        figures.append((lang.t(f"ltv.summary.clv{suffix}"), lang.money(data["clv_total"])))
    whatif = data.get("whatif_retention_plus5")
    if whatif and whatif["ltv_change"] > 0:
        advice.append(lang.t(f"ltv.summary.advice_whatif{suffix}",
                             profit=lang.money(whatif["profit_change"]),
                             ltv=lang.money(whatif["ltv_change"])))
    retain = data.get("retain_tasks")
    if retain:
        advice.append(lang.t("ltv.summary.advice_retain", n=lang.int(retain)))
    return figures, advice
