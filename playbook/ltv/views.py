"""The lifetime-value notebook's tables, charts and sentences, in the client's language.

:func:`analyse` runs the seed formulas (:mod:`playbook.ltv.formulas`) and the probabilistic models
(:mod:`playbook.ltv.bgnbd`, :mod:`playbook.ltv.gammagamma`) with the client's parameters; the other
functions turn the results into what the report shows. When the data cannot support a
model (too short a history, too few repeat customers) the section says so in plain words
instead of failing the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook import exports
from playbook.errors import DataError
from playbook.ltv import bgnbd, gammagamma
from playbook.ltv import formulas as ltv
from playbook.report.document import summary_section
from playbook.report.i18n import Lang
from playbook.report.render import PALETTE, new_figure
from playbook.running.context import RunContext
from playbook.segmentation import analysis as sg

__all__ = ["LtvAnalysis", "analyse", "factors_table", "factors_sentences", "segment_table",
           "crr_display", "crr_chart", "crr_sentence", "cohort_heatmap", "cohort_sentence",
           "model_table", "model_sentences", "holdout_chart", "holdout_sentence",
           "clv_sentence", "retain_tasks", "whatif_sentences", "spend_table", "spend_sentence",
           "results"]


@dataclass
class LtvAnalysis:
    """Everything the lifetime-value notebook shows, computed once."""

    as_of: dt.date
    window_months: int
    window_reduced: bool
    factors: ltv.LtvFactors | None
    by_segment: pd.DataFrame
    crr: pd.DataFrame
    cohorts: pd.DataFrame
    curve: pd.Series
    whatif: dict | None
    bg: bgnbd.BGNBDFit | None = None
    gg: gammagamma.GammaGammaFit | None = None
    model_error: str | None = None
    spend_error: str | None = None
    calibration_end: dt.date | None = None
    holdout: dict | None = None
    holdout_table: pd.DataFrame | None = None
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    spend: pd.DataFrame | None = None


def _window(days: pd.DataFrame, as_of: dt.date, wanted: int) -> tuple[int, bool]:
    """The activity window: as set, or shorter when the data is too short for it."""
    months = (pd.Timestamp(as_of).to_period("M") - days["date"].min().to_period("M")).n
    if months > wanted:
        return wanted, False
    return max(1, months // 2), True


def analyse(run: RunContext) -> LtvAnalysis:
    """Run the seed formulas, CRR, cohorts, BG/NBD + Gamma-Gamma and the what-if."""
    cfg = run.params.ltv
    as_of = run.as_of
    tx = run.transactions()
    days = ltv.purchase_days(tx)
    window, reduced = _window(days, as_of, cfg.active_window_months)
    try:
        factors = ltv.ltv_factors(days, as_of, window_months=window, margin_share=cfg.margin)
    except ValueError:
        factors = None
    summary = run.summary()
    segments = sg.rfm(summary, as_of)
    by_segment = (ltv.ltv_by_segment(days, segments, factors, as_of, window_months=window,
                                     margin_share=cfg.margin) if factors else pd.DataFrame())
    crr = ltv.crr_table(days, as_of, period=cfg.crr_period, window_months=window)
    cohorts = ltv.cohort_table(days, as_of)
    result = LtvAnalysis(
        as_of=as_of, window_months=window, window_reduced=reduced, factors=factors,
        by_segment=by_segment, crr=crr, cohorts=cohorts, curve=ltv.cohort_curve(cohorts, days),
        whatif=(ltv.whatif_retention(factors, factors.customers,
                                     horizon_months=cfg.horizon_months) if factors else None))
    _fit_models(run, result, factors)
    if cfg.marketing:
        spend = pd.DataFrame([m.model_dump() for m in cfg.marketing])
        result.spend = ltv.acquisition_vs_retention(spend, crr)
    return result


def _fit_models(run: RunContext, result: LtvAnalysis, factors: ltv.LtvFactors | None) -> None:
    cfg = run.params.ltv
    unit = cfg.time_unit
    everything = run.transactions(after_as_of=True)
    last = everything["date"].max().date()
    calibration_end = cfg.calibration_end or result.as_of
    result.calibration_end = calibration_end
    try:
        calibration = bgnbd.rfm_summary(everything, calibration_end=calibration_end,
                                        observation_end=max(last, calibration_end),
                                        time_unit=unit)
        result.bg = bgnbd.fit_bgnbd(calibration, time_unit=unit)
        repeat = calibration[(calibration["frequency"] > 0)
                             & (calibration["monetary_value"] > 0)]
        result.gg = gammagamma.fit_gamma_gamma(repeat)
    except DataError as exc:  # either model: without both there is no CLV to report
        result.bg = result.gg = None
        result.model_error = str(exc)
        return
    if last > calibration_end:
        result.holdout = bgnbd.holdout_check(result.bg, calibration)
        result.holdout_table = bgnbd.holdout_by_frequency(result.bg, calibration)
    now = everything[everything["date"] <= pd.Timestamp(result.as_of)]
    current = bgnbd.rfm_summary(now, calibration_end=result.as_of, time_unit=unit)
    before_date = result.as_of - dt.timedelta(days=run.params.segmentation.movement_days)
    earlier = now[now["date"] <= pd.Timestamp(before_date)]
    margin = factors.P if factors else (cfg.margin or 1.0)
    customers = current[["customer_id"]].copy()
    customers["p_alive"] = bgnbd.prob_alive(result.bg, current).to_numpy()
    horizon = cfg.horizon_months * bgnbd.DAYS_PER_MONTH / bgnbd.TIME_UNITS[unit]
    customers["expected_purchases"] = bgnbd.expected_purchases(result.bg, horizon,
                                                               current).to_numpy()
    customers["clv"] = gammagamma.clv(result.bg, result.gg, current,
                                      months=cfg.horizon_months,
                                      annual_discount=cfg.annual_discount,
                                      margin=margin).to_numpy()
    if not earlier.empty:
        previous = bgnbd.rfm_summary(earlier, calibration_end=before_date, time_unit=unit)
        p_before = bgnbd.prob_alive(result.bg, previous)
        customers["p_alive_before"] = customers["customer_id"].map(
            pd.Series(p_before.to_numpy(), index=previous["customer_id"]))
    else:
        customers["p_alive_before"] = np.nan
    spent = run.summary().set_index("customer_id")["total_spend"]
    customers["total_spend"] = customers["customer_id"].map(spent).fillna(0.0)
    result.customers = customers


# --- the seed formula ---------------------------------------------------------------------

def factors_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """S, C, P, T and LTV with what each means, in the client's money."""
    f = res.factors
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    rows = [
        ("S", lang.t("ltv.factor.S"), lang.money(f.S)),
        ("C", lang.t("ltv.factor.C"), lang.num(f.C, 2)),
        ("P", lang.t("ltv.factor.P") if f.margin_known else lang.t("ltv.factor.P_unknown"),
         lang.pct(f.P)),
        ("T", lang.t("ltv.factor.T"), lang.num(f.T, 1)),
        ("LTV", lang.t("ltv.factor.LTV"), lang.money(f.ltv)),
    ]
    return pd.DataFrame(rows, columns=[col("factor"), col("meaning"), col("value")])


def factors_sentences(res: LtvAnalysis, lang: Lang) -> list[str]:
    """What S, C, P and T are for this client, and the levers that raise LTV."""
    f = res.factors
    if f is None:
        return [lang.t("ltv.no_factors")]
    in_revenue = not f.margin_known and f.P == 1  # no margin in the data or the parameters
    values = dict(ltv=lang.money(f.ltv), S=lang.money(f.S), C=lang.num(f.C, 2),
                  T=lang.num(f.T, 0), retention=lang.pct(f.retention),
                  window=lang.int(res.window_months))
    out = [lang.t("ltv.factors_so_what_revenue", **values) if in_revenue
           else lang.t("ltv.factors_so_what", P=lang.pct(f.P), **values)]
    if res.window_reduced:
        out.append(lang.t("ltv.window_reduced", window=lang.int(res.window_months)))
    if not f.margin_known:
        out.append(lang.t("ltv.margin_unknown"))
    out.append(lang.t("ltv.levers"))
    return out


def segment_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """LTV and its factors per RFM segment (T shared)."""
    from playbook.segmentation.views import _segment_name

    table = res.by_segment
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    return pd.DataFrame({
        lang.t("segmentation.column.segment"): [_segment_name(s, lang) for s in table["segment"]],
        col("active"): [lang.int(v) for v in table["customers"]],
        "S": [lang.money(v) for v in table["S"]],
        "C": [lang.num(v, 2) for v in table["C"]],
        "P": [lang.pct(v) for v in table["P"]],
        col("ltv"): [lang.money(v) for v in table["ltv"]],
    })


# --- CRR ----------------------------------------------------------------------------------

def _periods(table: pd.DataFrame, lang: Lang) -> list[str]:
    """"01.01.2026 — 31.03.2026" for each row's period_start and period_end."""
    return [lang.t("intake.period_value", start=lang.date(a, "compact"),
                   end=lang.date(b, "compact"))
            for a, b in zip(table["period_start"], table["period_end"], strict=True)]


def crr_display(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """CRR per period with S, E and N."""
    crr = res.crr
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    return pd.DataFrame({
        col("period"): _periods(crr, lang),
        "S": [lang.int(v) for v in crr["S"]],
        "E": [lang.int(v) for v in crr["E"]],
        "N": [lang.int(v) for v in crr["N"]],
        "CRR": [lang.pct(v / 100) if pd.notna(v) else "" for v in crr["crr"]],
        col("churn"): [lang.pct(v / 100) if pd.notna(v) else "" for v in crr["churn"]],
    })


def crr_chart(res: LtvAnalysis, lang: Lang):
    """Customer retention rate (CRR) per period, as a line."""
    crr = res.crr.dropna(subset=["crr"])
    fig, ax = new_figure(8, 3.4)
    ends = pd.to_datetime(crr["period_end"])
    ax.plot(ends, crr["crr"] / 100, marker="o", color=PALETTE[0], linewidth=2, label="CRR")
    ax.plot(ends, crr["churn"] / 100, marker="o", color=PALETTE[3], linewidth=2,
            label=lang.t("ltv.column.churn"))
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=10))
    ax.xaxis.set_major_formatter(lambda v, _: lang.month(mdates.num2date(v).date()))
    ax.legend(frameon=False, loc="center left", fontsize=9)
    return fig


def crr_sentence(res: LtvAnalysis, run: RunContext, lang: Lang) -> str:
    """The latest and the average CRR in words, or why it cannot be computed."""
    crr = res.crr.dropna(subset=["crr"])
    if crr.empty:
        return lang.t("ltv.crr_none", window=lang.int(res.window_months))
    last = crr.iloc[-1]
    return lang.t("ltv.crr_so_what", window=lang.int(res.window_months),
                  period=lang.t(f"ltv.period.{run.params.ltv.crr_period}"),
                  crr=lang.pct(last["crr"] / 100), S=lang.int(last["S"]), E=lang.int(last["E"]),
                  N=lang.int(last["N"]), mean=lang.pct(crr["crr"].mean() / 100))


# --- cohorts ------------------------------------------------------------------------------

def cohort_heatmap(res: LtvAnalysis, lang: Lang):
    """Share of each first-purchase cohort still buying, month by month."""
    table = res.cohorts.iloc[:, 1:13]
    fig, ax = new_figure(8, max(3.0, 0.22 * len(table) + 1))
    ax.grid(False)
    image = ax.imshow(table.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1,
                      aspect="auto")
    ax.set_yticks(range(len(table)), [lang.month(d.date()) for d in table.index], fontsize=7)
    ax.set_xticks(range(table.shape[1]), [str(k) for k in table.columns], fontsize=8)
    ax.set_xlabel(lang.t("ltv.axis_months_since"))
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.formatter = lambda v, _: lang.pct(v, 0)
    colorbar.set_label(lang.t("ltv.axis_buying_share"))
    return fig


def cohort_sentence(res: LtvAnalysis, lang: Lang) -> str:
    """The share of a cohort still buying after 1, 6 and 12 months, as far as history goes."""
    curve = res.curve
    pick = lambda k: curve.get(k, np.nan)  # noqa: E731
    if len(curve) < 2 or pd.isna(pick(1)):
        return lang.t("ltv.cohort_short")
    if pd.isna(pick(6)):
        return lang.t("ltv.cohort_so_what_m1", m1=lang.pct(pick(1)))
    if pd.isna(pick(12)):
        return lang.t("ltv.cohort_so_what_m6", m1=lang.pct(pick(1)), m6=lang.pct(pick(6)))
    return lang.t("ltv.cohort_so_what", m1=lang.pct(pick(1)), m6=lang.pct(pick(6)),
                  m12=lang.pct(pick(12)))


# --- BG/NBD and Gamma-Gamma -----------------------------------------------------------------

def model_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """The fitted parameters with standard errors."""
    rows = []
    for name, fit in (("BG/NBD", res.bg), ("Gamma-Gamma", res.gg)):
        for key, value in fit.params.items():
            rows.append((name, key, lang.num(value, 3), lang.num(fit.se.get(key, np.nan), 3)))
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    return pd.DataFrame(rows, columns=[col("model"), col("parameter"), col("estimate"),
                                       col("se")])


def model_sentences(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """What the purchase model says: purchase rate, dropout chance and average spend."""
    if res.bg is None:
        # The reason, in the consultant's terms, is in results.json (ltv.model_error).
        return [lang.t("ltv.model_failed")]
    bg, gg = res.bg, res.gg
    unit = lang.t(f"ltv.unit.{bg.time_unit}")
    mean_rate = bg.r / bg.alpha
    dropout = bg.a / (bg.a + bg.b)
    spend = gg.p * gg.gamma / (gg.q - 1) if gg.q > 1 else np.nan
    return [lang.t("ltv.model_intro", cal=lang.date(res.calibration_end),
                   customers=lang.int(bg.n_customers)),
            lang.t("ltv.model_so_what", rate=lang.num(mean_rate, 3), unit=unit,
                   dropout=lang.pct(dropout), spend=lang.money(spend))]


def holdout_chart(res: LtvAnalysis, lang: Lang):
    """Forecast against actual purchases in the held-out period."""
    table = res.holdout_table
    fig, ax = new_figure(7, 3.6)
    ax.plot(table["label"].astype(str), table["actual"], marker="o", color=PALETTE[0],
            linewidth=2, label=lang.t("ltv.legend_actual"))
    ax.plot(table["label"].astype(str), table["predicted"], marker="s", color=PALETTE[1],
            linewidth=2, linestyle="--", label=lang.t("ltv.legend_predicted"))
    ax.set_xlabel(lang.t("ltv.axis_calibration_purchases"))
    ax.set_ylabel(lang.t("ltv.axis_holdout_purchases"))
    ax.legend(frameon=False, fontsize=9)
    return fig


def holdout_sentence(res: LtvAnalysis, lang: Lang) -> str:
    """How far the model's forecast of the held-out period was from the truth."""
    h = res.holdout
    error = (h["total_predicted"] - h["total_actual"]) / h["total_actual"] \
        if h["total_actual"] else np.nan
    return lang.t("ltv.holdout_so_what", actual=lang.int(h["total_actual"]),
                  predicted=lang.int(h["total_predicted"]), error=lang.pct(error),
                  corr=lang.num(h["corr"], 2), mae=lang.num(h["mae"], 2))


def _retain(res: LtvAnalysis, run: RunContext) -> pd.DataFrame:
    cfg = run.params.ltv
    c = res.customers
    if c.empty:
        return c
    cut = c["clv"].quantile(1 - cfg.retain_top_share)
    falling = (c["p_alive_before"] - c["p_alive"]) >= cfg.retain_alive_drop
    return c[(c["clv"] >= cut) & falling].sort_values("clv", ascending=False)


def clv_sentence(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """The customers' predicted value, its top 20% share, and how many to retain."""
    if res.customers.empty:  # no model
        return [lang.t("ltv.clv_none")]
    c = res.customers
    cfg = run.params.ltv
    top = c.nlargest(max(1, int(len(c) * 0.2)), "clv")["clv"].sum()
    return [lang.t("ltv.clv_so_what", months=lang.int(cfg.horizon_months),
                   total=lang.money(c["clv"].sum()), rate=lang.pct(cfg.annual_discount),
                   top_share=lang.pct(top / c["clv"].sum() if c["clv"].sum() else 0),
                   alive=lang.int(int((c["p_alive"] >= 0.5).sum())),
                   customers=lang.int(len(c))),
            lang.t("ltv.retain_so_what", n=lang.int(len(_retain(res, run))),
                   drop=lang.pct(cfg.retain_alive_drop, 0),
                   top=lang.pct(cfg.retain_top_share, 0))]


def retain_tasks(res: LtvAnalysis, run: RunContext) -> pd.DataFrame:
    """'Retain' tasks: valuable customers whose probability of being alive is falling."""
    lang = run.lang
    picked = _retain(res, run)
    due = res.as_of + dt.timedelta(days=run.params.segmentation.call_due_days)
    rows = [{"customer_id": item.customer_id,
             "reason": exports.plain_text(lang.t("ltv.task_reason", before=lang.pct(
                 item.p_alive_before, 0), now=lang.pct(item.p_alive, 0),
                 clv=lang.money(item.clv))),
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
    return [lang.t("ltv.whatif_so_what", annual=lang.pct(w["annual_retention"]),
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
        col("period"): _periods(s, lang),
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


def results(res: LtvAnalysis) -> dict:
    """The ltv keys of results.json."""
    out: dict = {"window_months": res.window_months}
    if res.factors:
        f = res.factors
        out["simple"] = {"S": f.S, "C": f.C, "P": f.P, "T": f.T, "ltv": f.ltv,
                         "margin_known": f.margin_known, "monthly_retention": f.retention}
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
        out["holdout"] = {k: res.holdout[k] for k in ("mae", "rmse", "corr", "total_actual",
                                                      "total_predicted")}
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
    figures, advice = [], []
    if "simple" in data:
        figures.append((lang.t("ltv.summary.ltv"), lang.money(data["simple"]["ltv"])))
    crr = [r for r in data.get("crr", []) if r["crr"] is not None]
    if crr:
        figures.append((lang.t("ltv.summary.crr"), lang.pct(crr[-1]["crr"] / 100)))
    if "clv_total" in data:
        figures.append((lang.t("ltv.summary.clv"), lang.money(data["clv_total"])))
    whatif = data.get("whatif_retention_plus5")
    if whatif and whatif["ltv_change"] > 0:
        advice.append(lang.t("ltv.summary.advice_whatif",
                             profit=lang.money(whatif["profit_change"]),
                             ltv=lang.money(whatif["ltv_change"])))
    retain = data.get("retain_tasks")
    if retain:
        advice.append(lang.t("ltv.summary.advice_retain", n=lang.int(retain)))
    return figures, advice
