"""The survey section's response, NPS, satisfaction and nonresponse parts, in plain words.

How many answered and at what rate, NPS with the range its true value very likely lies in
and whether segments and waves truly differ, satisfaction (CSAT with its definition, CES,
the areas' mean ratings against the target), and who answered more readily with NPS
weighted to the customer base: for each, the tables of display strings, the charts and the
"so what" sentences of a :class:`~playbook.survey.analysis.SurveyAnalysis` in the client's
language. The tests, intervals and reliability behind them are in
:mod:`playbook.survey.views_appendix`. The notebook calls them through
:mod:`playbook.survey.views`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.survey.analysis import SurveyAnalysis
from playbook.survey.views_format import (
    column_title,
    join_and,
    margin_pp,
    or_dash,
    period_label,
    question_label,
    rows_table,
    scale_marks,
    whole,
)

__all__ = ["response_table", "response_sentences", "nps_sentences", "nps_chart", "nps_table",
           "nps_test_sentences", "satisfaction_sentences", "attribute_chart",
           "attribute_table", "nonresponse_table", "weighted_table", "nonresponse_sentences",
           "likely"]


def likely(lang: Lang, low, high, digits: int = 0, *, pct: bool = False) -> Safe:
    """The range a figure very likely lies in: ``−5 … 2``, ``10,1 % … 13,2 %``; "—" if unknown."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return Safe("—")
    if pct:
        return Safe(f"{lang.pct(low)} … {lang.pct(high)}")
    return Safe(f"{lang.num(low, digits)} … {lang.num(high, digits)}")


# --- responses ------------------------------------------------------------------------------


def response_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Responses, invited, response rate and margin of error per wave (and in all)."""
    total = an.response_total

    def cells(wave, invited, responses, rate, margin) -> tuple:
        return (wave, or_dash(lang.int, invited), lang.int(responses), or_dash(lang.pct, rate),
                margin_pp(lang, margin))

    rows = [cells(period_label(lang, r.wave), r.invited, r.responses, r.response_rate,
                  r.margin_of_error)
            for r in (an.response.itertuples(index=False) if an.response is not None else [])]
    rows.append(cells(lang.t("survey.all_waves") if rows else lang.t("survey.all_answers"),
                      total["invited"],
                      total["covered"] if total["invited"] else total["responses"],
                      total["response_rate"], total["margin_of_error"]))
    return rows_table([column_title(lang, k) for k in ("wave", "invited", "responses",
                                                       "response_rate", "margin")], rows)


def response_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How many answers from how many customers, the rate, the base and the margins.

    Answers are counted per wave; customers once each: a customer invited every quarter
    may answer four times a year.
    """
    total = an.response_total
    waves = lang.int(max(len(an.waves), 1))
    margin = margin_pp(lang, total["margin_of_error"])
    out = []
    if total["response_rate"] is not None:
        answers = lang.int(total["covered"])
        if total.get("customers"):
            out.append(lang.t("survey.response_so_what", answers=answers, waves=waves,
                              customers=lang.int(total["customers"]),
                              rate=lang.pct(total["response_rate"]), margin=margin))
        else:
            out.append(lang.t("survey.response_answers", answers=answers, waves=waves,
                              rate=lang.pct(total["response_rate"]), margin=margin))
        if total.get("base"):
            out.append(lang.t("survey.response_base", base=lang.int(total["base"]),
                              wave=period_label(lang, total["base_wave"])))
    else:
        out.append(lang.t("survey.response_no_base", answers=lang.int(total["responses"]),
                          margin=margin))
    if an.response is not None and len(an.response) >= 2 and \
            an.response["margin_of_error"].notna().any():
        last = an.response.iloc[-1]
        out.append(lang.t("survey.response_last", wave=period_label(lang, last["wave"]),
                          n=lang.int(last["responses"]),
                          margin=margin_pp(lang, last["margin_of_error"])))
    return out


# --- NPS ------------------------------------------------------------------------------------


def nps_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """NPS with the range it very likely lies in, the weighted figure, best and worst segment."""
    n = an.nps
    out = [lang.t("survey.nps_so_what", nps=whole(lang, n["value"]), n=lang.int(n["n"]),
                  promoters=lang.pct(n["promoters"]), detractors=lang.pct(n["detractors"]),
                  low=whole(lang, n["ci_low"]), high=whole(lang, n["ci_high"]))]
    if an.weighted is not None and round(an.weighted["value"]) != round(n["value"]):
        out.append(lang.t("survey.nps_weighted_note", weighted=whole(lang, an.weighted["value"])))
    if an.nps_by_segment is not None and len(an.nps_by_segment) >= 2:
        best = an.nps_by_segment.loc[an.nps_by_segment["nps"].idxmax()]
        worst = an.nps_by_segment.loc[an.nps_by_segment["nps"].idxmin()]
        out.append(lang.t("survey.nps_segments", best=str(best["segment"]),
                          best_nps=whole(lang, best["nps"]), worst=str(worst["segment"]),
                          worst_nps=whole(lang, worst["nps"])))
    return out


def nps_chart(an: SurveyAnalysis, lang: Lang):
    """NPS per wave with its 95% interval, and weighted to the base when it is known."""
    table = an.nps_by_wave
    fig, ax = new_figure(8, 3.6)
    x = np.arange(len(table))
    shift = 0.08 if an.weighted_by_wave is not None else 0.0
    ax.errorbar(x - shift, table["nps"], yerr=[table["nps"] - table["ci_low"],
                                               table["ci_high"] - table["nps"]],
                fmt="o-", color=PALETTE[0], capsize=4, linewidth=2,
                label=lang.t("survey.legend_unweighted"))
    if an.weighted_by_wave is not None:
        w = an.weighted_by_wave.set_index("wave").reindex(table["wave"])
        ax.errorbar(x + shift, w["nps_weighted"],
                    yerr=[w["nps_weighted"] - w["ci_low"], w["ci_high"] - w["nps_weighted"]],
                    fmt="s--", color=PALETTE[1], capsize=4, linewidth=2,
                    label=lang.t("survey.legend_weighted"))
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_xticks(x, [period_label(lang, w) for w in table["wave"]])
    ax.set_ylabel("NPS")
    ax.yaxis.set_major_formatter(lambda v, _: lang.num(v, 0))
    ax.legend(frameon=False, fontsize=9, loc="best")
    return fig


def nps_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS overall, per segment and per wave, with the range each very likely lies in."""

    def cells(group, n, promoters, detractors, nps, low, high) -> tuple:
        return (group, lang.int(n), lang.pct(promoters), lang.pct(detractors),
                whole(lang, nps), likely(lang, low, high))

    n = an.nps
    rows = [cells(lang.t("survey.all_answers"), n["n"], n["promoters"], n["detractors"],
                  n["value"], n["ci_low"], n["ci_high"])]
    for table, key in ((an.nps_by_segment, "segment"), (an.nps_by_wave, "wave")):
        for r in (table.itertuples(index=False) if table is not None else []):
            name = getattr(r, key)
            name = period_label(lang, name) if key == "wave" else str(name)
            rows.append(cells(f"{lang.t(f'survey.group.{key}')}: {name}", r.n,
                              r.promoter_share, r.detractor_share, r.nps, r.ci_low, r.ci_high))
    return rows_table([column_title(lang, "group"), column_title(lang, "answers"),
                       column_title(lang, "promoters"), column_title(lang, "detractors"), "NPS",
                       column_title(lang, "likely")], rows)


def nps_test_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which segment gaps are real rather than chance; whether NPS truly moved between waves.

    A gap is real when its Holm-adjusted p-value is below 0.05 (the numbers are in the
    technical appendix).
    """
    out = []
    tests = an.tests_segment
    if tests is not None and len(tests):
        real = tests[tests["p_holm"] < 0.05]
        if len(real):
            pairs = [lang.t("survey.pair", a=str(r.group_a), b=str(r.group_b),
                            diff=lang.num(abs(r.difference), 0))
                     for r in real.itertuples(index=False)]
            out.append(lang.t("survey.tests_segments", pairs=Safe(join_and(lang, pairs)),
                              k=lang.int(len(real)), m=lang.int(len(tests))))
        else:
            out.append(lang.t("survey.tests_segments_none"))
    tests = an.tests_wave
    if tests is not None and len(tests):
        first, last = an.nps_by_wave.iloc[0], an.nps_by_wave.iloc[-1]
        pick = tests[(tests["group_a"] == first["wave"]) & (tests["group_b"] == last["wave"])]
        row = pick.iloc[0] if len(pick) else tests.iloc[-1]
        key = "survey.tests_waves_real" if row["p_holm"] < 0.05 else "survey.tests_waves_none"
        out.append(lang.t(key, first=period_label(lang, first["wave"]),
                          last=period_label(lang, last["wave"]),
                          a=whole(lang, first["nps"]), b=whole(lang, last["nps"])))
    return out


# --- satisfaction ---------------------------------------------------------------------------


def satisfaction_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """CSAT with its definition, mean overall satisfaction, CES, the best and worst areas."""
    out = []
    if an.csat is not None:
        c = an.csat
        out.append(lang.t("survey.csat_so_what", csat=lang.pct(c["value"]),
                          question=question_label(an, c["question"], lang),
                          marks=scale_marks(lang, c["top_boxes"], c["scale"][1]),
                          n=lang.int(c["n"]), low=lang.pct(c["ci_low"]),
                          high=lang.pct(c["ci_high"])))
    if an.overall_mean is not None:
        o = an.overall_mean
        out.append(lang.t("survey.overall_mean", mean=lang.num(o["mean"], 1),
                          high=lang.int(o["scale"][1]), low=lang.num(o["ci_low"], 1),
                          high_ci=lang.num(o["ci_high"], 1)))
    if an.ces is not None:
        c = an.ces
        out.append(lang.t("survey.ces_so_what", mean=lang.num(c["mean"], 1),
                          high=lang.int(c["scale"][1]), low=lang.num(c["ci_low"], 1),
                          high_ci=lang.num(c["ci_high"], 1),
                          question=question_label(an, c["question"], lang)))
    if an.likert is not None and len(an.likert) >= 2:
        ranked = an.likert.sort_values("mean", ascending=False)
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        out.append(lang.t("survey.attributes_so_what",
                          best=question_label(an, best["item"], lang),
                          best_mean=lang.num(best["mean"], 1),
                          worst=question_label(an, worst["item"], lang),
                          worst_mean=lang.num(worst["mean"], 1),
                          high=lang.int(an.bounds(best["item"])[1]),
                          worst_top=lang.pct(worst["top_two"])))
    if an.likert is not None and len(an.likert):
        out.append(lang.t("survey.chart_whiskers"))
    return out


def attribute_chart(an: SurveyAnalysis, lang: Lang):
    """Mean rating of each area with its 95% interval, best on top, and the target line."""
    table = an.likert.sort_values("mean")
    fig, ax = new_figure(8, max(3.0, 0.36 * len(table) + 1))
    names = [question_label(an, q, lang) for q in table["item"]]
    y = np.arange(len(table))
    ax.errorbar(table["mean"], y, xerr=[table["mean"] - table["ci_low"],
                                        table["ci_high"] - table["mean"]],
                fmt="o", color=PALETTE[0], capsize=3)
    targets = {an.target_of(q) for q in table["item"]}
    high = max(an.bounds(q)[1] for q in table["item"])
    target = targets.pop() if len(targets) == 1 else None
    if target is not None:
        ax.axvline(target, color=PALETTE[3], linestyle="--", linewidth=1.2,
                   label=lang.t("survey.legend_target", target=lang.num(target, 0),
                                high=lang.int(high)))
    ax.set_yticks(y, names)
    for yy, (mean, high_ci) in enumerate(zip(table["mean"], table["ci_high"], strict=True)):
        ax.text(high_ci, yy, f"  {lang.num(mean, 2)}", va="center", fontsize=8.5)
    low = min(an.bounds(q)[0] for q in table["item"])
    # Zoom on the means (the scale's ends are in the axis title): the differences that
    # matter are tenths of a point, invisible on the whole scale.
    left = max(low, math.floor(table["ci_low"].min() * 2) / 2)
    right = min(high, max(math.ceil(table["ci_high"].max() * 2) / 2 + 0.25,
                          (target or 0) + 0.25))
    ax.set_xlim(left, right)
    ax.set_xticks(np.arange(left, right + 1e-9, 0.5 if right - left > 1.5 else 0.25))
    ax.set_xlabel(lang.t("survey.axis_mean_rating", low=lang.int(low), high=lang.int(high)))
    ax.xaxis.set_major_formatter(lambda v, _: lang.num(v, 2 if right - left <= 1.5 else 1))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    if target is not None:
        ax.legend(frameon=False, fontsize=9, loc="lower right")
    return fig


def attribute_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Mean rating of each area and the share who give it one of the two best marks."""
    table = an.likert.sort_values("mean", ascending=False)
    return pd.DataFrame({
        column_title(lang, "attribute"): [question_label(an, q, lang) for q in table["item"]],
        column_title(lang, "answers"): [lang.int(v) for v in table["n"]],
        column_title(lang, "mean"): [lang.num(v, 2) for v in table["mean"]],
        column_title(lang, "top_two"): [or_dash(lang.pct, v) for v in table["top_two"]],
    })


# --- nonresponse ----------------------------------------------------------------------------


def nonresponse_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per segment: customers in the base (each once: the latest wave), invitations and
    answers over all waves, the response rate and the segment's NPS.

    Summed over waves the base would count a customer once per wave; the invitations are
    per wave by nature, and their column says so.
    """
    t = an.response_by_segment
    wave = period_label(lang, an.response_total["base_wave"]) if an.response_total and \
        an.response_total.get("base_wave") else ""
    out = pd.DataFrame({
        column_title(lang, "segment"): [str(s) for s in t["segment"]],
        lang.t("survey.column.base", wave=wave): [or_dash(lang.int, v) for v in t["base"]],
    })
    if t["invited"].notna().any():
        out[column_title(lang, "invitations")] = [or_dash(lang.int, v) for v in t["invited"]]
    out[column_title(lang, "answers_all")] = [lang.int(v) for v in t["responses"]]
    out[column_title(lang, "response_rate")] = [or_dash(lang.pct, v) for v in t["response_rate"]]
    if "nps" in t.columns:
        out["NPS"] = [whole(lang, v) for v in t["nps"]]
    return out


def weighted_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS as answered and weighted to the base's segment mix, per wave and in all."""

    def cells(wave, n, unweighted, weighted, low, high) -> tuple:
        return (wave, lang.int(n), whole(lang, unweighted), whole(lang, weighted),
                likely(lang, low, high))

    byw = an.weighted_by_wave
    rows = [cells(period_label(lang, r.wave), r.n, r.nps_unweighted, r.nps_weighted, r.ci_low,
                  r.ci_high)
            for r in (byw.itertuples(index=False) if byw is not None else [])]
    w = an.weighted
    rows.append(cells(lang.t("survey.all_waves"), w["n"], w["unweighted"], w["value"],
                      w["ci_low"], w["ci_high"]))
    return rows_table([column_title(lang, k) for k in ("wave", "answers", "nps_unweighted",
                                                       "nps_weighted", "likely_weighted")],
                      rows)


def nonresponse_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which segments answered more readily and how weighting moves NPS."""
    out = []
    t = an.response_by_segment
    if t is not None and t["response_rate"].notna().sum() >= 2:
        rated = t.dropna(subset=["response_rate"])
        hi, lo = rated.loc[rated["response_rate"].idxmax()], rated.loc[
            rated["response_rate"].idxmin()]
        out.append(lang.t("survey.nonresponse_rates", hi_seg=str(hi["segment"]),
                          hi=lang.pct(hi["response_rate"]), lo_seg=str(lo["segment"]),
                          lo=lang.pct(lo["response_rate"])))
    w = an.weighted
    if w is not None:
        gap = w["unweighted"] - w["value"]
        key = ("survey.weighted_close" if abs(gap) < 1 else "survey.weighted_over" if gap > 0
               else "survey.weighted_under")
        out.append(lang.t(key, weighted=whole(lang, w["value"]),
                          low=whole(lang, w["ci_low"]), high=whole(lang, w["ci_high"]),
                          unweighted=whole(lang, w["unweighted"]),
                          gap=lang.num(abs(gap), 0)))
    return out
