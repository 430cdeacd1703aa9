"""The survey's statistics for the report's technical appendix, each with what it means.

The body of the survey section speaks plainly (the conclusion and the range a figure very
likely lies in); what a chief executive would not read goes here, for the client's
analyst: NPS intervals by formula and bootstrap with the z-tests between groups and Holm's
correction, Cronbach's alpha of the multi-item scales, the key-driver regression (R²,
effects per point, p-values, the ordered-logit check), the chi-square tests of the answers
by segment with Cramér's V, and the design effect of the nonresponse weights. Every block
opens with a heading and one plain sentence on what the statistic means. The notebook tags
these cells ``appendix``.
"""

from __future__ import annotations

import pandas as pd

from playbook.report.i18n import Lang, Safe
from playbook.survey import questionnaire as forms
from playbook.survey.analysis import ALPHA_FLOOR, SurveyAnalysis
from playbook.survey.views_format import (
    Markdown,
    column_title,
    interval,
    one_decimal,
    p_text,
    period_label,
    question_label,
    quoted_list,
    rows_table,
    yes_no,
)

__all__ = ["ITEMS", "appendix_heading", "nps_interval_table", "nps_tests_table",
           "nps_appendix_sentences", "reliability_table", "reliability_sentences",
           "driver_model_table", "driver_model_sentences", "crosstab_tests_table",
           "crosstab_test_sentences", "weighting_table", "weighting_sentences"]

#: The appendix's blocks, in order, and whether the analysis has each.
ITEMS = {
    "nps": lambda an: an.nps is not None,
    "reliability": lambda an: an.reliability is not None and len(an.reliability) > 0,
    "drivers": lambda an: an.drivers is not None,
    "crosstabs": lambda an: an.crosstabs is not None and len(an.crosstabs) > 0,
    "weighting": lambda an: an.weighted is not None,
}


def appendix_heading(an: SurveyAnalysis, item: str | None, lang: Lang) -> Markdown | None:
    """What the survey's part of the appendix is for (``item=None``: a paragraph; the report
    titles the part with the section's name), or one block's heading; ``None`` when the
    analysis has nothing for it.
    """
    if item is None:
        if not any(has(an) for has in ITEMS.values()):
            return None
        return Markdown(" ".join(lang.t("survey.appendix.intro").split()))
    if item not in ITEMS:
        raise ValueError(f"unknown appendix block {item!r}; blocks: {', '.join(ITEMS)}")
    if not ITEMS[item](an):
        return None
    return Markdown(f"## {lang.t(f'survey.appendix.{item}.title')}")


# --- NPS ------------------------------------------------------------------------------------


def nps_interval_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS overall, per segment and per wave: one decimal, the analytic and bootstrap 95%
    intervals.
    """

    def cells(group, n, nps, low, high, boot_low, boot_high) -> tuple:
        return (group, lang.int(n), one_decimal(lang, nps), interval(lang, low, high),
                interval(lang, boot_low, boot_high))

    n = an.nps
    rows = [cells(lang.t("survey.all_answers"), n["n"], n["value"], n["ci_low"], n["ci_high"],
                  n["boot_low"], n["boot_high"])]
    for table, key in ((an.nps_by_segment, "segment"), (an.nps_by_wave, "wave")):
        for r in (table.itertuples(index=False) if table is not None else []):
            name = getattr(r, key)
            name = period_label(lang, name) if key == "wave" else str(name)
            rows.append(cells(f"{lang.t(f'survey.group.{key}')}: {name}", r.n, r.nps,
                              r.ci_low, r.ci_high, r.boot_low, r.boot_high))
    return rows_table([column_title(lang, "group"), column_title(lang, "answers"), "NPS",
                       column_title(lang, "ci"), column_title(lang, "boot")], rows)


def nps_tests_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """z-tests of NPS differences between segments and between waves, Holm-adjusted."""

    def name(value, table) -> str:
        return period_label(lang, value) if table is an.tests_wave else str(value)

    rows = [(f"{name(r.group_a, table)} — {name(r.group_b, table)}",
             one_decimal(lang, r.difference), interval(lang, r.ci_low, r.ci_high),
             p_text(lang, r.p_value), p_text(lang, r.p_holm), yes_no(lang, r.p_holm < 0.05))
            for table in (an.tests_segment, an.tests_wave) if table is not None
            for r in table.itertuples(index=False)]
    return rows_table([column_title(lang, k) for k in ("comparison", "difference", "ci",
                                                       "p_value", "p_holm", "significant")],
                      rows)


def nps_appendix_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """What the intervals and the tests between groups mean."""
    out = []
    if an.nps.get("boot_low") is not None:
        out.append(lang.t("survey.appendix.nps.meaning", boot=lang.int(an.n_boot)))
    if an.tests_segment is not None or an.tests_wave is not None:
        out.append(lang.t("survey.appendix.nps.tests"))
    return out


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
    """What alpha means; which scales can be read as one score and which cannot."""
    table = an.reliability
    good = [t[lang.code] for t, ok in zip(table["title"], table["acceptable"], strict=True) if ok]
    weak = table[~table["acceptable"].astype(bool)]
    out = [" ".join(lang.t("survey.part.reliability.intro").split())]
    if good:
        out.append(lang.t("survey.alpha_good", scales=Safe(quoted_list(lang, good)),
                          floor=lang.num(ALPHA_FLOOR, 1)))
    for row in weak.itertuples(index=False):
        out.append(lang.t("survey.alpha_weak", scale=row.title[lang.code],
                          alpha=lang.num(row.alpha, 3), floor=lang.num(ALPHA_FLOOR, 1)))
    return out


# --- key drivers ----------------------------------------------------------------------------


def driver_model_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per area: Shapley share of R², effect per point, its p-value, the ordered-logit check."""
    d = an.drivers
    return pd.DataFrame({
        column_title(lang, "attribute"): [question_label(an, q, lang) for q in d["attribute"]],
        column_title(lang, "shapley"): [lang.pct(v) for v in d["share"]],
        column_title(lang, "coef"): [lang.num(v if abs(v) >= 0.005 else 0.0, 2)
                                     for v in d["coef"]],
        column_title(lang, "p_value"): [p_text(lang, v) for v in d["p_value"]],
        column_title(lang, "ologit"): [yes_no(lang, a) if pd.notna(c) else "—"
                                       for a, c in zip(d["agree"], d["ologit_coef"],
                                                       strict=True)],
    })


def driver_model_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """What the regression, the Shapley shares and the ordered logit mean, and whether the
    two models agree.
    """
    d = an.drivers
    out = [lang.t("survey.appendix.drivers.meaning", n=lang.int(d.attrs["n"]),
                  r2=lang.num(d.attrs["r_squared"], 3))]
    if d["ologit_coef"].notna().any():
        agree = int(d["agree"].sum())
        key = ("survey.appendix.drivers.ologit_agree" if agree == len(d)
               else "survey.appendix.drivers.ologit_some")
        out.append(lang.t(key, agree=lang.int(agree), k=lang.int(len(d))))
    return out


# --- crosstabs ------------------------------------------------------------------------------


def crosstab_tests_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per question: chi-square, its p-value before and after Holm's correction, Cramér's V."""
    tests = an.crosstabs
    return pd.DataFrame({
        column_title(lang, "question"): [question_label(an, q, lang) for q in tests["question"]],
        column_title(lang, "chi2"): [lang.num(v, 1) for v in tests["chi2"]],
        column_title(lang, "p_value"): [p_text(lang, v) for v in tests["p_value"]],
        column_title(lang, "p_holm"): [p_text(lang, v) for v in tests["p_adjusted"]],
        column_title(lang, "cramers_v"): [lang.num(v, 2) for v in tests["cramers_v"]],
    })


def crosstab_test_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """What the chi-square test, Holm's correction and Cramér's V mean."""
    return [lang.t("survey.appendix.crosstabs.meaning")]


# --- weighting ------------------------------------------------------------------------------


def weighting_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Weighted NPS per wave and in all, with its 95% interval and the design effect."""

    def cells(wave, n, weighted, low, high, design_effect) -> tuple:
        return (wave, lang.int(n), one_decimal(lang, weighted), interval(lang, low, high),
                lang.num(design_effect, 2))

    byw = an.weighted_by_wave
    rows = [cells(period_label(lang, r.wave), r.n, r.nps_weighted, r.ci_low, r.ci_high,
                  r.design_effect)
            for r in (byw.itertuples(index=False) if byw is not None else [])]
    w = an.weighted
    rows.append(cells(lang.t("survey.all_waves"), w["n"], w["value"], w["ci_low"],
                      w["ci_high"], w["design_effect"]))
    return rows_table([column_title(lang, k) for k in ("wave", "answers", "nps_weighted",
                                                       "ci", "design_effect")], rows)


def weighting_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """What the weights and the design effect mean, with the effective number of answers."""
    w = an.weighted
    deff = w["design_effect"] or 1.0
    return [lang.t("survey.appendix.weighting.meaning", deff=lang.num(deff, 2),
                   effective=lang.int(w["n"] / deff))]
