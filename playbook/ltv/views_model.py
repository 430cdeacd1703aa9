"""The lifetime-value section's forecast: what the purchase model says and how well it held
up, in plain words for the body of the report, and its statistics for the technical
appendix.

The body names no model and quotes no parameter, standard error or error metric: it says
what the forecast is built on and whether it can be relied on (:func:`model_sentences`,
:func:`holdout_sentences`). The appendix, for the client's analyst, gives the models
(BG/NBD and Gamma-Gamma), their parameters with standard errors and what each means
(:func:`model_appendix_sentences`, :func:`model_table`), and the check's correlation, MAE
and RMSE with a sentence on what each means (:func:`holdout_appendix_sentences`,
:func:`holdout_chart`). :mod:`playbook.ltv.views` re-exports these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook.report.i18n import Lang
from playbook.report.render import PALETTE, new_figure

if TYPE_CHECKING:
    from playbook.ltv.views import LtvAnalysis
    from playbook.running.context import RunContext

__all__ = ["model_sentences", "model_appendix_sentences", "model_table", "holdout_sentences",
           "holdout_verdict", "holdout_appendix_sentences", "holdout_chart",
           "holdout_chart_note", "TOTAL_ERROR_OK", "RANK_CORR_OK"]

#: The forecast's total is "accurate" when it is within this share of the actual total.
TOTAL_ERROR_OK = 0.10
#: The forecast "ranks customers well" at a per-customer correlation of this or more.
RANK_CORR_OK = 0.5


def model_sentences(res: LtvAnalysis, run: RunContext, lang: Lang) -> list[str]:
    """What the forecast is built on, in plain words (the model's name and parameters are in
    the appendix); or that it could not be estimated.
    """
    if res.bg is None:
        # The reason, in the consultant's terms, is in results.json (ltv.model_error) and
        # in the consultant's notes.
        return [lang.t("ltv.model_failed")]
    return [lang.t("ltv.model_intro", cal=lang.date(res.calibration_end),
                   customers=lang.int(res.bg.n_customers))]


def _dropout(res: LtvAnalysis) -> float:
    return res.bg.a / (res.bg.a + res.bg.b)


def model_appendix_sentences(res: LtvAnalysis, lang: Lang) -> list[str]:
    """For the appendix: which models, how they were estimated, what a standard error means,
    and what the parameters imply (purchase rate, dropout, average check).
    """
    if res.bg is None:
        return []
    bg, gg = res.bg, res.gg
    dropout = _dropout(res)
    spend = gg.p * gg.gamma / (gg.q - 1) if gg.q > 1 else np.nan
    return [lang.t("ltv.model_appendix", customers=lang.int(bg.n_customers),
                   customers_gg=lang.int(gg.n_customers)),
            lang.t("ltv.model_appendix_derived", rate=lang.num(bg.r / bg.alpha, 3),
                   unit=lang.t(f"ltv.unit.{bg.time_unit}"),
                   dropout=lang.pct(dropout, 2 if dropout < 0.01 else 1),
                   spend=lang.money(spend))]


def model_table(res: LtvAnalysis, lang: Lang) -> pd.DataFrame:
    """For the appendix: the fitted parameters with standard errors and what each means."""
    rows = []
    for name, fit in (("BG/NBD", res.bg), ("Gamma-Gamma", res.gg)):
        for key, value in fit.params.items():
            meaning = lang.t(f"ltv.param.{key}") if lang.has(f"ltv.param.{key}") else ""
            rows.append((name, key, lang.num(value, 3), lang.num(fit.se.get(key, np.nan), 3),
                         meaning))
    col = lambda k: lang.t(f"ltv.column.{k}")  # noqa: E731
    return pd.DataFrame(rows, columns=[col("model"), col("parameter"), col("estimate"),
                                       col("se"), col("param_meaning")])


def _period(h: dict, lang: Lang) -> str:
    return lang.t("intake.period_value", start=lang.date(h["start"], "compact"),
                  end=lang.date(h["end"] if h["days"] else h["data_end"], "compact"))


def holdout_verdict(h: dict) -> str:
    """How far the forecast can be relied on: ``good`` (the total within
    :data:`TOTAL_ERROR_OK` and customers ranked with a correlation of :data:`RANK_CORR_OK`
    or more), ``level_only``, ``rank_only`` or ``poor``.
    """
    actual = h["total_actual"]
    error = abs(h["total_predicted"] - actual) / actual if actual else np.inf
    level, rank = error <= TOTAL_ERROR_OK, (h.get("corr") or 0) >= RANK_CORR_OK
    return {(True, True): "good", (True, False): "level_only", (False, True): "rank_only",
            (False, False): "poor"}[(bool(level), bool(rank))]


def holdout_sentences(res: LtvAnalysis, lang: Lang) -> list[str]:
    """The check of the forecast in plain words: predicted against actual repeat purchases
    and whether the forecast can be relied on; or why the check period is too short to say.
    The error metrics are in :func:`holdout_appendix_sentences`.
    """
    h = res.holdout
    if h is None:
        return []
    period = _period(h, lang)
    if not h["judged"]:
        return [lang.t("ltv.holdout_short", period=period, days=lang.int(h["days"]),
                       min_days=lang.int(h["min_days"]), gap=lang.int(h["median_gap_days"] or 0),
                       weeks=lang.num(h["min_weeks"], 0))]
    actual, predicted = h["total_actual"], h["total_predicted"]
    error = (predicted - actual) / actual if actual else np.nan
    out = [lang.t("ltv.holdout_so_what", period=period, actual=lang.int(actual),
                  predicted=lang.int(predicted), error=lang.pct(abs(error)),
                  direction=lang.t("ltv.direction." + ("below" if error < 0 else "above"))),
           lang.t(f"ltv.holdout_verdict.{holdout_verdict(h)}")]
    if h["data_end"] > h["end"]:
        out.append(lang.t("ltv.holdout_partial", end=lang.date(h["end"])))
    return out


def holdout_appendix_sentences(res: LtvAnalysis, lang: Lang) -> list[str]:
    """For the appendix: the check's per-customer correlation, MAE and RMSE, each with what
    it means.
    """
    h = res.holdout
    if not (h and h["judged"]):
        return []
    return [lang.t("ltv.holdout_appendix", period=_period(h, lang), corr=lang.num(h["corr"], 2),
                   mae=lang.num(h["mae"], 2), rmse=lang.num(h["rmse"], 2))]


def holdout_chart_note(lang: Lang) -> str:
    """What the check's chart shows, in one sentence."""
    return lang.t("ltv.holdout_chart_note")


def holdout_chart(res: LtvAnalysis, lang: Lang):
    """For the appendix: forecast against actual purchases in the held-out period."""
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
