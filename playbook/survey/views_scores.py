"""The survey section's response, NPS, satisfaction, reliability and nonresponse parts.

How many answered and at what rate, NPS with its intervals and the tests between segments
and waves, satisfaction (CSAT, CES, the areas' mean ratings), the reliability of the
multi-item scales, and who answered more readily with NPS weighted to the customer base:
for each, the tables of display strings, the charts and the "so what" sentences of a
:class:`~playbook.survey.analysis.SurveyAnalysis` in the client's language. The notebook
calls them through :mod:`playbook.survey.views`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.survey import questionnaire as forms
from playbook.survey.analysis import ALPHA_FLOOR, SurveyAnalysis
from playbook.survey.views_format import (
    column_title,
    interval,
    join_and,
    margin_pp,
    one_decimal,
    or_dash,
    p_text,
    question_label,
    quoted_list,
    rows_table,
    yes_no,
)

__all__ = ["response_table", "response_sentences", "nps_sentences", "nps_chart", "nps_table",
           "nps_tests_table", "nps_test_sentences", "satisfaction_sentences", "attribute_chart",
           "attribute_table", "reliability_table", "reliability_sentences", "nonresponse_table",
           "weighted_table", "nonresponse_sentences"]


# --- responses ------------------------------------------------------------------------------


def response_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Responses, invited, response rate and margin of error per wave (and in all)."""
    total = an.response_total

    def cells(wave, invited, responses, rate, margin) -> tuple:
        return (wave, or_dash(lang.int, invited), lang.int(responses), or_dash(lang.pct, rate),
                margin_pp(lang, margin))

    rows = [cells(str(r.wave), r.invited, r.responses, r.response_rate, r.margin_of_error)
            for r in (an.response.itertuples(index=False) if an.response is not None else [])]
    rows.append(cells(lang.t("survey.all_waves") if rows else lang.t("survey.all_answers"),
                      total["invited"],
                      total["covered"] if total["invited"] else total["responses"],
                      total["response_rate"], total["margin_of_error"]))
    return rows_table([column_title(lang, k) for k in ("wave", "invited", "responses",
                                                       "response_rate", "margin")], rows)


def response_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How many answered, at what rate, and the margin of error overall and last wave."""
    total = an.response_total
    out = []
    if total["response_rate"] is not None:
        out.append(lang.t("survey.response_so_what", n=lang.int(total["covered"]),
                          waves=lang.int(max(len(an.waves), 1)),
                          rate=lang.pct(total["response_rate"]),
                          margin=margin_pp(lang, total["margin_of_error"])))
    else:
        out.append(lang.t("survey.response_no_base", n=lang.int(total["responses"]),
                          margin=margin_pp(lang, total["margin_of_error"])))
    if an.response is not None and len(an.response) and \
            an.response["margin_of_error"].notna().any():
        last = an.response.iloc[-1]
        out.append(lang.t("survey.response_last", wave=str(last["wave"]),
                          n=lang.int(last["responses"]),
                          margin=margin_pp(lang, last["margin_of_error"])))
    return out


# --- NPS ------------------------------------------------------------------------------------


def nps_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """NPS with both intervals, and the best and worst segment."""
    n = an.nps
    out = [lang.t("survey.nps_so_what", nps=one_decimal(lang, n["value"]),
                  ci=interval(lang, n["ci_low"], n["ci_high"]),
                  boot=interval(lang, n["boot_low"], n["boot_high"]), n=lang.int(n["n"]),
                  promoters=lang.pct(n["promoters"]), detractors=lang.pct(n["detractors"]))]
    if an.nps_by_segment is not None and len(an.nps_by_segment) >= 2:
        best = an.nps_by_segment.loc[an.nps_by_segment["nps"].idxmax()]
        worst = an.nps_by_segment.loc[an.nps_by_segment["nps"].idxmin()]
        out.append(lang.t("survey.nps_segments", best=str(best["segment"]),
                          best_nps=one_decimal(lang, best["nps"]), worst=str(worst["segment"]),
                          worst_nps=one_decimal(lang, worst["nps"])))
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
    ax.set_xticks(x, [str(w) for w in table["wave"]])
    ax.set_ylabel("NPS")
    ax.yaxis.set_major_formatter(lambda v, _: lang.num(v, 0))
    ax.legend(frameon=False, fontsize=9, loc="best")
    return fig


def nps_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS overall, per segment and per wave, with the analytic and bootstrap intervals."""

    def cells(group, n, promoters, detractors, nps, low, high, boot_low, boot_high) -> tuple:
        return (group, lang.int(n), lang.pct(promoters), lang.pct(detractors),
                one_decimal(lang, nps), interval(lang, low, high),
                interval(lang, boot_low, boot_high))

    n = an.nps
    rows = [cells(lang.t("survey.all_answers"), n["n"], n["promoters"], n["detractors"],
                  n["value"], n["ci_low"], n["ci_high"], n["boot_low"], n["boot_high"])]
    for table, key in ((an.nps_by_segment, "segment"), (an.nps_by_wave, "wave")):
        rows += [cells(f"{lang.t(f'survey.group.{key}')}: {getattr(r, key)}", r.n,
                       r.promoter_share, r.detractor_share, r.nps, r.ci_low, r.ci_high,
                       r.boot_low, r.boot_high)
                 for r in (table.itertuples(index=False) if table is not None else [])]
    return rows_table([column_title(lang, "group"), column_title(lang, "answers"),
                       column_title(lang, "promoters"), column_title(lang, "detractors"), "NPS",
                       column_title(lang, "ci"), column_title(lang, "boot")], rows)


def nps_tests_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """z-tests of NPS differences between segments and between waves, Holm-adjusted."""
    rows = [(f"{r.group_a} — {r.group_b}", one_decimal(lang, r.difference),
             interval(lang, r.ci_low, r.ci_high), p_text(lang, r.p_value), p_text(lang, r.p_holm),
             yes_no(lang, r.p_holm < 0.05))
            for table in (an.tests_segment, an.tests_wave) if table is not None
            for r in table.itertuples(index=False)]
    return rows_table([column_title(lang, k) for k in ("comparison", "difference", "ci",
                                                       "p_value", "p_holm", "significant")],
                      rows)


def nps_test_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which segment differences are significant; whether NPS moved from wave to wave."""
    out = []
    tests = an.tests_segment
    if tests is not None and len(tests):
        real = tests[tests["p_holm"] < 0.05]
        if len(real):
            pairs = [lang.t("survey.pair", a=str(r.group_a), b=str(r.group_b),
                            diff=one_decimal(lang, abs(r.difference)))
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
        out.append(lang.t(key, first=str(first["wave"]), last=str(last["wave"]),
                          a=one_decimal(lang, first["nps"]), b=one_decimal(lang, last["nps"]),
                          p=p_text(lang, row["p_holm"])))
    return out


# --- satisfaction ---------------------------------------------------------------------------


def satisfaction_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """CSAT, mean overall satisfaction, CES, and the best and worst rated areas."""
    out = []
    if an.csat is not None:
        c = an.csat
        out.append(lang.t("survey.csat_so_what", csat=lang.pct(c["value"]),
                          ci=interval(lang, c["ci_low"], c["ci_high"], pct=True),
                          question=question_label(an, c["question"], lang),
                          top=Safe(f"{lang.int(c['top_boxes'][0])}–{lang.int(c['top_boxes'][1])}"),
                          low=lang.int(c["scale"][0]), high=lang.int(c["scale"][1]),
                          n=lang.int(c["n"])))
    if an.overall_mean is not None:
        o = an.overall_mean
        out.append(lang.t("survey.overall_mean", mean=lang.num(o["mean"], 2),
                          high=lang.int(o["scale"][1]),
                          ci=interval(lang, o["ci_low"], o["ci_high"], 2)))
    if an.ces is not None:
        c = an.ces
        out.append(lang.t("survey.ces_so_what", mean=lang.num(c["mean"], 2),
                          ci=interval(lang, c["ci_low"], c["ci_high"], 2),
                          high=lang.int(c["scale"][1]),
                          question=question_label(an, c["question"], lang)))
    if an.likert is not None and len(an.likert) >= 2:
        ranked = an.likert.sort_values("mean", ascending=False)
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        out.append(lang.t("survey.attributes_so_what",
                          best=question_label(an, best["item"], lang),
                          best_mean=lang.num(best["mean"], 2),
                          worst=question_label(an, worst["item"], lang),
                          worst_mean=lang.num(worst["mean"], 2),
                          worst_top=lang.pct(worst["top_two"])))
    return out


def attribute_chart(an: SurveyAnalysis, lang: Lang):
    """Mean rating of each attribute with its 95% interval, best on top."""
    table = an.likert.sort_values("mean")
    fig, ax = new_figure(8, max(3.0, 0.36 * len(table) + 1))
    names = [question_label(an, q, lang) for q in table["item"]]
    y = np.arange(len(table))
    ax.errorbar(table["mean"], y, xerr=[table["mean"] - table["ci_low"],
                                        table["ci_high"] - table["mean"]],
                fmt="o", color=PALETTE[0], capsize=3)
    average = table["mean"].mean()
    ax.axvline(average, color="#999999", linestyle=":", linewidth=1,
               label=lang.t("survey.legend_average"))
    ax.set_yticks(y, names)
    for yy, (mean, high_ci) in enumerate(zip(table["mean"], table["ci_high"], strict=True)):
        ax.text(high_ci, yy, f"  {lang.num(mean, 2)}", va="center", fontsize=8.5)
    low = min(an.bounds(q)[0] for q in table["item"])
    high = max(an.bounds(q)[1] for q in table["item"])
    # Zoom on the means (the scale's ends are in the axis title): the differences that
    # matter are tenths of a point, invisible on the whole scale.
    left = max(low, math.floor(table["ci_low"].min() * 2) / 2)
    right = min(high, math.ceil(table["ci_high"].max() * 2) / 2 + 0.25)
    ax.set_xlim(left, right)
    ax.set_xticks(np.arange(left, right + 1e-9, 0.5 if right - left > 1.5 else 0.25))
    ax.set_xlabel(lang.t("survey.axis_mean_rating", low=lang.int(low), high=lang.int(high)))
    ax.xaxis.set_major_formatter(lambda v, _: lang.num(v, 2 if right - left <= 1.5 else 1))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.legend(frameon=False, fontsize=9, loc="lower right")
    return fig


def attribute_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Mean rating of each area with its interval and its top-two-box share."""
    table = an.likert.sort_values("mean", ascending=False)
    return pd.DataFrame({
        column_title(lang, "attribute"): [question_label(an, q, lang) for q in table["item"]],
        column_title(lang, "answers"): [lang.int(v) for v in table["n"]],
        column_title(lang, "mean"): [lang.num(v, 2) for v in table["mean"]],
        column_title(lang, "ci"): [interval(lang, a, b, 2)
                                   for a, b in zip(table["ci_low"], table["ci_high"],
                                                   strict=True)],
        column_title(lang, "top_two"): [or_dash(lang.pct, v) for v in table["top_two"]],
    })


# --- reliability ----------------------------------------------------------------------------


def _scale_template(an: SurveyAnalysis, survey: str):
    return an.template if survey == "survey" else forms.load_template(an.data.annual_template)


def reliability_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Cronbach's alpha of each multi-item scale, and whether it is acceptable."""
    table = an.reliability
    surveys = table["survey"].nunique() > 1
    out = pd.DataFrame({
        column_title(lang, "scale"): [t[lang.code] for t in table["title"]],
        column_title(lang, "items"): [
            ", ".join(question_label(an, q, lang, _scale_template(an, s)) for q in items)
            for s, items in zip(table["survey"], table["item_ids"], strict=True)],
        column_title(lang, "answers"): [lang.int(v) for v in table["n"]],
        "α": [lang.num(v, 3) for v in table["alpha"]],
        column_title(lang, "acceptable"): [yes_no(lang, v) for v in table["acceptable"]],
    })
    if surveys:
        out.insert(0, column_title(lang, "survey"), [lang.t(f"survey.survey_name.{s}")
                                                     for s in table["survey"]])
    return out


def reliability_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which scales can be read as one score and which cannot."""
    table = an.reliability
    good = [t[lang.code] for t, ok in zip(table["title"], table["acceptable"], strict=True) if ok]
    weak = table[~table["acceptable"].astype(bool)]
    out = []
    if good:
        out.append(lang.t("survey.alpha_good", scales=Safe(quoted_list(lang, good)),
                          floor=lang.num(ALPHA_FLOOR, 1)))
    for row in weak.itertuples(index=False):
        out.append(lang.t("survey.alpha_weak", scale=row.title[lang.code],
                          alpha=lang.num(row.alpha, 3), floor=lang.num(ALPHA_FLOOR, 1)))
    return out


# --- nonresponse ----------------------------------------------------------------------------


def nonresponse_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per segment: customers in the base, responses, response rate and the segment's NPS."""
    t = an.response_by_segment
    out = pd.DataFrame({
        column_title(lang, "segment"): [str(s) for s in t["segment"]],
        column_title(lang, "base"): [or_dash(lang.int, v) for v in t["population"]],
        column_title(lang, "responses"): [lang.int(v) for v in t["responses"]],
        column_title(lang, "response_rate"): [or_dash(lang.pct, v) for v in t["response_rate"]],
    })
    if "nps" in t.columns:
        out["NPS"] = [one_decimal(lang, v) for v in t["nps"]]
    return out


def weighted_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS as answered and weighted to the base's segment mix, per wave and in all."""

    def cells(wave, n, unweighted, weighted, low, high, design_effect) -> tuple:
        return (wave, lang.int(n), one_decimal(lang, unweighted), one_decimal(lang, weighted),
                interval(lang, low, high), lang.num(design_effect, 2))

    byw = an.weighted_by_wave
    rows = [cells(str(r.wave), r.n, r.nps_unweighted, r.nps_weighted, r.ci_low, r.ci_high,
                  r.design_effect)
            for r in (byw.itertuples(index=False) if byw is not None else [])]
    w = an.weighted
    rows.append(cells(lang.t("survey.all_waves"), w["n"], w["unweighted"], w["value"],
                      w["ci_low"], w["ci_high"], w["design_effect"]))
    return rows_table([column_title(lang, k) for k in ("wave", "answers", "nps_unweighted",
                                                       "nps_weighted", "ci_weighted",
                                                       "design_effect")], rows)


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
        out.append(lang.t(key, weighted=one_decimal(lang, w["value"]),
                          ci=interval(lang, w["ci_low"], w["ci_high"]),
                          unweighted=one_decimal(lang, w["unweighted"]),
                          gap=one_decimal(lang, abs(gap))))
    return out
