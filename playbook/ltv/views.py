"""The lifetime-value notebook's tables, charts and sentences, in the client's language.

:func:`analyse` runs the seed formulas (:mod:`playbook.ltv.formulas`) and the probabilistic models
(:mod:`playbook.ltv.bgnbd`, :mod:`playbook.ltv.gammagamma`) with the client's parameters; the other
functions turn the results into what the report shows. When the data cannot support a
model (too short a history, too few repeat customers) the section says so in plain words
instead of failing the run; when the model cannot tell who has left, who is active follows
a stated recency rule (:mod:`playbook.ltv.activity`). Figures by period stop at the last
complete month (:mod:`playbook.periods`), and a holdout too short to judge is not scored.
The forecast's sentences for the body and its statistics for the technical appendix live in
:mod:`playbook.ltv.views_model`, the second half of the section (value, activity, retain
tasks, what-if, spend, results) in :mod:`playbook.ltv.views_value`, the consultant's notes
in :mod:`playbook.ltv.views_notes`; all are re-exported here. Money in sentences is
rounded for people (``Lang.money_short``), tables keep exact amounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.errors import DataError
from playbook.keys import KEY
from playbook.ltv import activity, bgnbd, gammagamma
from playbook.ltv import formulas as ltv
from playbook.ltv.views_model import (
    holdout_appendix_sentences,
    holdout_chart,
    holdout_chart_note,
    holdout_sentences,
    holdout_verdict,
    model_appendix_sentences,
    model_sentences,
    model_table,
)
from playbook.ltv.views_notes import consultant_notes
from playbook.ltv.views_value import (
    activity_sentences,
    clv_sentence,
    period_labels,
    results,
    retain_tasks,
    spend_sentence,
    spend_table,
    whatif_sentences,
)
from playbook.periods import complete_end, is_period_end
from playbook.report.i18n import Lang
from playbook.report.render import PALETTE, new_figure
from playbook.running.context import RunContext
from playbook.segmentation import analysis as sg

__all__ = ["LtvAnalysis", "analyse", "factors_table", "factors_sentences", "segment_table",
           "crr_display", "crr_chart", "crr_sentences", "retention_figures",
           "retention_sentence", "cohort_heatmap", "cohort_sentence", "partial_sentences",
           "model_table", "model_sentences",
           "model_appendix_sentences", "holdout_chart", "holdout_chart_note",
           "holdout_sentences", "holdout_verdict", "holdout_appendix_sentences", "clv_sentence",
           "activity_sentences", "retain_tasks", "whatif_sentences", "spend_table",
           "spend_sentence", "consultant_notes", "results"]


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
    #: the model's own cause of ``model_error`` (:meth:`playbook.errors.DataError.cause`)
    model_cause: dict | None = None
    calibration_end: dt.date | None = None
    #: the forecast check: its period and whether it is long enough to judge
    #: (:func:`playbook.ltv.bgnbd.holdout_length`), with the errors when it is
    holdout: dict | None = None
    holdout_table: pd.DataFrame | None = None
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    spend: pd.DataFrame | None = None
    #: the last day of the last complete month: figures by period stop there
    complete_through: dt.date | None = None
    #: what the money values are: "margin" (P known) or "revenue" (no cost data)
    value_basis: str = "revenue"
    #: who is active: "model" (BG/NBD's probability) or "recency" (the stated rule), why
    #: the model could not tell (:func:`playbook.ltv.activity.model_verdict`, or
    #: "no_model"), and per customer: customer_id, active, days_since, usual_gap, limit
    activity_rule: str = "recency"
    activity_reason: str | None = None
    activity: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the repeat customers' median gap between purchases, in days: of the fitting period
    #: (the holdout's minimum, the model's verdict) and up to as_of (the recency rule)
    median_gap_days: float | None = None
    rule_gap_days: float | None = None
    #: the recency rule: lapsed after this many usual gaps without a purchase
    lapse_gaps: float = 2.0
    #: days from the first purchase to the calibration end (the history the model saw)
    model_history_days: float | None = None
    #: the CRR period (month, quarter or year) and the forecast horizon in months
    crr_period: str = "quarter"
    horizon_months: int = 12

    @property
    def holdout_judged(self) -> bool:
        """Whether there is a holdout long enough to judge the forecast on."""
        return bool(self.holdout and self.holdout["judged"])


def _window(days: pd.DataFrame, as_of: dt.date, wanted: int) -> tuple[int, bool]:
    """The activity window: as set, or shorter when the data is too short for it."""
    months = (pd.Timestamp(as_of).to_period("M") - days["date"].min().to_period("M")).n
    if months > wanted:
        return wanted, False
    return max(1, months // 2), True


#: The transactions' columns the purchase days are made of, and those the models read
#: (``RunContext.transactions``: a large client's other columns are most of its memory).
_DAYS = ("customer_id", "date", "amount", "margin", KEY)
_MODELLED = ("customer_id", "date", "amount")


def analyse(run: RunContext) -> LtvAnalysis:
    """Run the seed formulas, CRR, cohorts, BG/NBD + Gamma-Gamma and the what-if (made once
    per run: segmentation's lists need it before the LTV notebook runs, win-back after).
    """
    return run.cached("ltv", lambda: _analyse(run))


def _analyse(run: RunContext) -> LtvAnalysis:
    cfg = run.params.ltv
    as_of = run.as_of
    days = ltv.purchase_days(run.transactions(columns=_DAYS))
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
                                     horizon_months=cfg.horizon_months) if factors else None),
        complete_through=complete_end(as_of), crr_period=cfg.crr_period,
        horizon_months=cfg.horizon_months,
        value_basis="margin" if (factors.margin_known if factors else cfg.margin) else "revenue")
    _fit_models(run, result, factors, days)
    _judge_activity(run, result)
    if cfg.marketing:
        spend = pd.DataFrame([m.model_dump() for m in cfg.marketing])
        result.spend = ltv.acquisition_vs_retention(spend, crr)
    return result


def _fit_models(run: RunContext, result: LtvAnalysis, factors: ltv.LtvFactors | None,
                days: pd.DataFrame) -> None:
    """BG/NBD and Gamma-Gamma on the calibration period, the holdout check, CLV per customer.

    The holdout runs from the calibration end to the end of the last complete month of the
    data (rows after as_of included), and its errors are reported only when it is long
    enough to judge (:func:`playbook.ltv.bgnbd.holdout_length`). The models' summaries are
    made from the purchase days (``days``: those up to as_of, :func:`ltv.purchase_days`):
    each day's lines summed once, as the summary sums them, rather than three times over
    every line (a large client's 10M lines).
    """
    cfg = run.params.ltv
    unit = cfg.time_unit
    everything, data_end = days, result.as_of  # no line after as_of: the days up to it
    if run.lines_after_as_of:
        lines = run.transactions(after_as_of=True, columns=_MODELLED)
        data_end = max(lines["date"].max().date(), result.as_of)  # a day of returns too
        everything = ltv.purchase_days(lines)
    calibration_end = cfg.calibration_end or result.as_of
    holdout_end = max(complete_end(data_end), calibration_end)
    result.calibration_end = calibration_end
    try:
        calibration = bgnbd.rfm_summary(everything, calibration_end=calibration_end,
                                        observation_end=holdout_end, time_unit=unit)
        result.bg = bgnbd.fit_bgnbd(calibration, time_unit=unit)
        repeat = calibration[(calibration["frequency"] > 0)
                             & (calibration["monetary_value"] > 0)]
        result.gg = gammagamma.fit_gamma_gamma(repeat)
    except DataError as exc:  # either model: without both there is no CLV to report
        result.bg = result.gg = None
        result.model_error, result.model_cause = str(exc), exc.cause()
        result.activity_reason = "no_model"
        return
    gap = activity.median_gap(calibration)
    result.median_gap_days = None if gap is None else gap * bgnbd.TIME_UNITS[unit]
    if data_end > calibration_end:
        result.holdout = bgnbd.holdout_length(calibration_end, holdout_end,
                                              median_gap_days=result.median_gap_days,
                                              min_weeks=cfg.holdout_min_weeks)
        result.holdout["data_end"] = data_end.isoformat()
        if result.holdout["judged"]:
            result.holdout |= bgnbd.holdout_check(result.bg, calibration)
            result.holdout_table = bgnbd.holdout_by_frequency(result.bg, calibration)
    # the summary leaves out the days after its calibration end itself: no copies
    current = bgnbd.rfm_summary(everything, calibration_end=result.as_of, time_unit=unit)
    before_date = result.as_of - dt.timedelta(days=run.params.segmentation.movement_days)
    margin = factors.P if factors else (cfg.margin or 1.0)
    customers = current[["customer_id"]].copy()
    customers["p_alive"] = bgnbd.prob_alive(result.bg, current).to_numpy()
    result.model_history_days = float(calibration["T"].max()) * bgnbd.TIME_UNITS[unit]
    result.activity_reason = activity.model_verdict(
        result.bg.a / (result.bg.a + result.bg.b), customers["p_alive"],
        history=float(calibration["T"].max()), gap=gap)
    result.activity_rule = "recency" if result.activity_reason else "model"
    horizon = cfg.horizon_months * bgnbd.DAYS_PER_MONTH / bgnbd.TIME_UNITS[unit]
    customers["expected_purchases"] = bgnbd.expected_purchases(result.bg, horizon,
                                                               current).to_numpy()
    customers["clv"] = gammagamma.clv(result.bg, result.gg, current,
                                      months=cfg.horizon_months,
                                      annual_discount=cfg.annual_discount,
                                      margin=margin).to_numpy()
    if (everything["date"] <= pd.Timestamp(before_date)).any():
        previous = bgnbd.rfm_summary(everything, calibration_end=before_date, time_unit=unit)
        p_before = bgnbd.prob_alive(result.bg, previous)
        customers["p_alive_before"] = customers["customer_id"].map(
            pd.Series(p_before.to_numpy(), index=previous["customer_id"]))
    else:
        customers["p_alive_before"] = np.nan
    spent = run.summary().set_index("customer_id")["total_spend"]
    customers["total_spend"] = customers["customer_id"].map(spent).fillna(0.0)
    result.customers = customers


def _judge_activity(run: RunContext, result: LtvAnalysis) -> None:
    """Who is active now: by the model's probability when it can tell, else by the rule.

    The recency rule (:func:`playbook.ltv.activity.recency_rule`) is computed either way,
    for the days since each customer's last purchase; with the model, a customer is
    active at a probability of 50% or more.
    """
    summary = run.summary()
    result.lapse_gaps = run.params.ltv.lapse_gaps
    result.rule_gap_days = activity.median_gap(summary)
    rule = activity.recency_rule(summary, result.as_of, gaps=result.lapse_gaps)
    rule["active"] = ~rule["lapsed"]
    if result.activity_rule == "model":
        alive = result.customers.set_index("customer_id")["p_alive"]
        p_alive = rule["customer_id"].map(alive)
        rule["active"] = (p_alive >= 0.5).where(p_alive.notna(), rule["active"]).astype(bool)
    result.activity = rule


# --- the seed formula ---------------------------------------------------------------------

#: How a factor that is not known shows in a table.
UNKNOWN = "—"


def factors_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """S, C, P, T and LTV with what each means, in the client's money.

    Without cost data P is not known (shown as a dash) and LTV is named lifetime revenue.
    """
    f = res.factors
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    p_text = {"data": "P", "parameters": "P_assumed"}.get(f.p_source, "P_unknown")
    in_revenue = res.value_basis == "revenue"
    rows = [
        ("S", lang.t("ltv.factor.S"), lang.money(f.S)),
        ("C", lang.t("ltv.factor.C"), lang.num(f.C, 2)),
        ("P", lang.t(f"ltv.factor.{p_text}"), UNKNOWN if in_revenue else lang.pct(f.P)),
        ("T", lang.t("ltv.factor.T"), lang.num(f.T, 1)),
        ("LTV", lang.t("ltv.factor.LTV_revenue" if in_revenue else "ltv.factor.LTV"),
         lang.money(f.ltv)),
    ]
    return pd.DataFrame(rows, columns=[col("factor"), col("meaning"), col("value")])


def factors_sentences(res: LtvAnalysis, lang: Lang) -> list[str]:
    """What S, C, P and T are for this client, and the levers that raise LTV."""
    f = res.factors
    if f is None:
        return [lang.t("ltv.no_factors")]
    in_revenue = res.value_basis == "revenue"  # no margin in the data or the parameters
    values = dict(ltv=lang.money_short(f.ltv), S=lang.money_short(f.S), C=lang.num(f.C, 2),
                  T=lang.num(f.T, 0), retention=lang.pct(f.retention),
                  window=lang.int(res.window_months))
    out = [lang.t("ltv.factors_so_what_revenue", **values) if in_revenue
           else lang.t("ltv.factors_so_what", P=lang.pct(f.P), **values)]
    if res.window_reduced:
        out.append(lang.t("ltv.window_reduced", window=lang.int(res.window_months)))
    if in_revenue:
        out.append(lang.t("ltv.margin_unknown"))
    out.append(lang.t("ltv.levers"))
    return out


def segment_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """LTV and its factors per RFM segment (T shared)."""
    from playbook.segmentation import views as segmentation

    # The segmentation's name of a segment in the client's language (public as
    # segment_name since the segmentation's views were split; _segment_name before).
    name = getattr(segmentation, "segment_name", None) or segmentation._segment_name
    table = res.by_segment
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    in_revenue = res.value_basis == "revenue"
    return pd.DataFrame({
        lang.t("segmentation.column.segment"): [name(s, lang) for s in table["segment"]],
        lang.t("ltv.column.active_window", window=lang.int(res.window_months)):
            [lang.int(v) for v in table["customers"]],
        "S": [lang.money(v) for v in table["S"]],
        "C": [lang.num(v, 2) for v in table["C"]],
        "P": [UNKNOWN if in_revenue else lang.pct(v) for v in table["P"]],
        col("ltv_revenue" if in_revenue else "ltv"): [lang.money(v) for v in table["ltv"]],
    })


# --- CRR ----------------------------------------------------------------------------------

def _crr_periods(crr: pd.DataFrame, lang: Lang) -> list[str]:
    """CRR periods as the reader counts them: from their first day (``period_start``, the
    day S is measured at, is the day before) to their last.
    """
    first_days = [d + dt.timedelta(days=1) for d in crr["period_start"]]
    return period_labels(crr.assign(period_start=first_days), lang)


def crr_display(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """CRR per period with S, E and N."""
    crr = res.crr
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    return pd.DataFrame({
        col("period"): _crr_periods(crr, lang),
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
    where = np.arange(len(crr))
    ax.plot(where, crr["crr"] / 100, marker="o", color=PALETTE[0], linewidth=2, label="CRR")
    ax.plot(where, crr["churn"] / 100, marker="o", color=PALETTE[3], linewidth=2,
            label=lang.t("ltv.column.churn"))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(lang.t("ltv.axis_crr_share"))
    ax.yaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
    labels = _crr_periods(crr, lang)
    step = max(1, int(np.ceil(len(labels) / 10)))  # at most ten labels under the axis
    ax.set_xticks(where[::step], labels[::step])
    ax.legend(frameon=False, loc="center left", fontsize=9)
    return fig


def partial_sentences(res: LtvAnalysis, lang: Lang) -> list[str]:
    """When the data ends inside a month: figures by period stop at the last complete one."""
    if is_period_end(res.as_of):
        return []
    return [lang.t("ltv.partial_period", as_of=lang.date(res.as_of),
                   last=lang.date(res.complete_through))]


def crr_sentences(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """The latest (complete) period's and the average CRR in words, or why there is none."""
    crr = res.crr.dropna(subset=["crr"])
    if crr.empty:
        return [lang.t("ltv.crr_none", window=lang.int(res.window_months)),
                *partial_sentences(res, lang)]
    last = crr.iloc[-1]
    return [lang.t("ltv.crr_so_what", window=lang.int(res.window_months),
                   period=lang.t(f"ltv.period.{run.params.ltv.crr_period}"),
                   range=_crr_periods(crr.tail(1), lang)[0],
                   crr=lang.pct(last["crr"] / 100), S=lang.int(last["S"]),
                   E=lang.int(last["E"]), N=lang.int(last["N"]),
                   mean=lang.pct(crr["crr"].mean() / 100)),
            *partial_sentences(res, lang)]


#: Calendar months in a CRR period.
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def retention_figures(res: LtvAnalysis, period: str) -> dict | None:
    """Retention over a month, a CRR period and a year, as one measure over three spans.

    ``monthly`` is the mean monthly CRR the lifetime T comes from; ``compounded`` the same
    over the CRR period's months (``monthly ** months``); ``recent`` the mean CRR of the
    periods of the last year (of the window the monthly figure covers), None without any;
    ``annual`` ``monthly ** 12``, the figure the what-if raises by 5 points.
    """
    if res.factors is None:
        return None
    monthly = res.factors.retention
    months = PERIOD_MONTHS[period]
    crr = res.crr.dropna(subset=["crr"]).tail(max(1, 12 // months))
    return {"monthly": monthly, "months": months, "compounded": monthly ** months,
            "recent": float(crr["crr"].mean() / 100) if len(crr) else None,
            "annual": monthly ** 12}


def retention_sentence(res: LtvAnalysis, run: RunContext, lang: Lang) -> str:
    """Why retention per month, per CRR period and per year are different numbers: one
    measure over different spans, which agree once compounded.
    """
    period = run.params.ltv.crr_period
    fig = retention_figures(res, period)
    if fig is None:
        return ""
    values = dict(monthly=lang.pct(fig["monthly"]), annual=lang.pct(fig["annual"]))
    if fig["recent"] is None or period == "month":
        return lang.t("ltv.retention_measures_month", **values)
    if period == "year":
        return lang.t("ltv.retention_measures_year", recent=lang.pct(fig["recent"]), **values)
    return lang.t("ltv.retention_measures", period=lang.t(f"ltv.period.{period}"),
                  period_months=lang.int(fig["months"]),
                  compounded=lang.pct(fig["compounded"]), recent=lang.pct(fig["recent"]),
                  **values)


# --- cohorts ------------------------------------------------------------------------------

def cohort_heatmap(res: LtvAnalysis, lang: Lang):
    """Share of each first-purchase cohort buying in each month after the first, with the
    percentage written in every cell.
    """
    table = res.cohorts.iloc[:, 1:13]
    fig, ax = new_figure(8, max(3.0, 0.17 * len(table) + 1))
    ax.grid(False)
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(column, row, lang.num(value * 100, 0), ha="center", va="center",
                    fontsize=6, color="white" if value > 0.55 else "#1a1a1a")
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
        text = lang.t("ltv.cohort_so_what_m1", m1=lang.pct(pick(1)))
    elif pd.isna(pick(12)):
        text = lang.t("ltv.cohort_so_what_m6", m1=lang.pct(pick(1)), m6=lang.pct(pick(6)))
    else:
        text = lang.t("ltv.cohort_so_what", m1=lang.pct(pick(1)), m6=lang.pct(pick(6)),
                      m12=lang.pct(pick(12)))
    window = getattr(res, "window_months", None)
    if window is None:
        return text
    return text + " " + lang.t("ltv.cohort_vs_crr", window=lang.int(window))
