"""The survey notebook's tables, charts and sentences, in the client's language.

What the report shows of a :class:`~playbook.survey.analysis.SurveyAnalysis`: each part's
heading, tables of display strings, charts and "so what" sentences in plain words, the
statistics behind them for the technical appendix, the notes for the consultant (commands,
parameter names, parts left out: never in the report), and the survey's key figures and
advice in the executive summary. The analysis itself
(:func:`~playbook.survey.analysis.analyse`) is in :mod:`playbook.survey.analysis`; nothing
here computes a statistic.

This module is the notebook's entry point (``views.<function>``): the headings, the status
of the survey files, the consultant's notes, the regular customers the loyalty ladder
counts and the executive summary are here; each part's tables, charts and sentences are in
:mod:`playbook.survey.views_scores` (response, NPS, satisfaction, nonresponse),
:mod:`playbook.survey.views_drivers` (key drivers, crosstabs),
:mod:`playbook.survey.views_feedback` (the annual survey, exits, complaints) and
:mod:`playbook.survey.views_appendix` (the technical appendix), and are offered from here
too. Importing it registers the survey's executive summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playbook.errors import PlaybookError
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe
from playbook.survey import questionnaire as forms
from playbook.survey.analysis import PARTS, SurveyAnalysis
from playbook.survey.views_appendix import (
    appendix_heading,
    crosstab_test_sentences,
    crosstab_tests_table,
    driver_model_sentences,
    driver_model_table,
    nps_appendix_sentences,
    nps_interval_table,
    nps_tests_table,
    reliability_sentences,
    reliability_table,
    weighting_sentences,
    weighting_table,
)
from playbook.survey.views_drivers import (
    crosstab_sentences,
    crosstab_table,
    driver_chart,
    driver_sentences,
    driver_table,
)
from playbook.survey.views_feedback import (
    annual_sentences,
    annual_table,
    exit_sentences,
    exit_table,
    iceberg_sentences,
    iceberg_table,
    quotes_table,
    wishes_table,
)
from playbook.survey.views_format import Markdown, period_label, quoted_list, scale_marks
from playbook.survey.views_scores import (
    attribute_chart,
    attribute_table,
    nonresponse_sentences,
    nonresponse_table,
    nps_chart,
    nps_sentences,
    nps_table,
    nps_test_sentences,
    response_sentences,
    response_table,
    satisfaction_sentences,
    weighted_table,
)

if TYPE_CHECKING:
    from playbook.running.context import RunContext

__all__ = ["heading", "status_sentences", "response_table", "response_sentences",
           "nps_sentences", "nps_chart", "nps_table", "nps_test_sentences",
           "satisfaction_sentences", "attribute_chart", "attribute_table", "driver_sentences",
           "driver_chart", "driver_table", "crosstab_table", "crosstab_sentences",
           "nonresponse_table", "weighted_table", "nonresponse_sentences", "annual_table",
           "annual_sentences", "wishes_table", "exit_table", "exit_sentences", "quotes_table",
           "iceberg_table", "iceberg_sentences", "appendix_heading", "nps_interval_table",
           "nps_tests_table", "nps_appendix_sentences", "reliability_table",
           "reliability_sentences", "driver_model_table", "driver_model_sentences",
           "crosstab_tests_table", "crosstab_test_sentences", "weighting_table",
           "weighting_sentences", "consultant_notes", "ladder_regulars"]


# --- headings -------------------------------------------------------------------------------


def heading(an: SurveyAnalysis, part: str, lang: Lang) -> Markdown | None:
    """The part's heading and what it shows, or ``None`` when the data does not support it.

    Headings come from the code, not from Markdown cells, so that a part without data
    leaves nothing behind in the report.
    """
    if part not in PARTS:
        raise ValueError(f"unknown survey part {part!r}; parts: {', '.join(PARTS)}")
    if part not in an.parts:
        return None
    text = f"## {lang.t(f'survey.part.{part}.title')}"
    values = {"share": lang.pct(an.complain_share, 0)} if part == "complaints" else {}
    if lang.has(f"survey.part.{part}.intro"):
        text += "\n\n" + " ".join(lang.t(f"survey.part.{part}.intro", **values).split())
    return Markdown(text)


# --- what was given, what is missing, and the consultant's notes ----------------------------


def status_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which survey files the analysis uses, and what is missing, in the client's words.

    Commands and parameter names are for the consultant: :func:`consultant_notes`.
    """
    rows = an.data.rows
    if not an.has_data:
        return [lang.t("survey.status.none"), lang.t("survey.status.none_then")]
    given = []
    if rows["responses"]:
        given.append(lang.t("survey.status.given_survey", n=lang.int(rows["responses"]),
                            waves=lang.int(max(len(an.waves), 1))))
    for name, key in (("annual", "annual"), ("exits", "exit"), ("complaints", "complaints")):
        if rows[name]:
            given.append(lang.t(f"survey.status.given_{key}", n=lang.int(rows[name])))
    if rows["base"]:
        given.append(lang.t("survey.status.given_base"))
    out = [lang.t("survey.status.given", files=Safe("; ".join(given)))]
    out += [lang.t(f"survey.status.missing_{name}") for name in _missing(an)]
    return out


def _missing(an: SurveyAnalysis) -> list[str]:
    rows = an.data.rows
    missing = [("survey", not rows["responses"]), ("annual", not rows["annual"]),
               ("exit", not rows["exits"]), ("complaints", not rows["complaints"]),
               ("base", bool(rows["responses"]) and not rows["base"])]
    return [name for name, absent in missing if absent]


def consultant_notes(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """For the consultant only (the notebook's cell is tagged consultant-only): the files
    missing with the command that prints each form and the parameter that names it, and why
    a part was left out.
    """
    out = [lang.t(f"survey.consultant.missing_{name}", lang_code=lang.code)
           for name in _missing(an)]
    out += [lang.t("survey.consultant.left_out", part=part, reason=reason)
            for part, reason in an.errors.items()]
    out.append(lang.t("survey.consultant.forms", lang_code=lang.code))
    return out


def ladder_regulars(run: RunContext) -> frozenset[str]:
    """The customers regular by purchases: rung 3 and above of the loyalty ladder, as the
    segmentation section counts them (its parameters ``segmentation.regular``).

    Handed to :func:`~playbook.survey.analysis.analyse`, they let the annual survey's
    adherents be reconciled with the ladder's.
    """
    from playbook.segmentation.analysis import TRANSACTION_COLUMNS, ladder

    cfg = run.params.segmentation
    tx = run.transactions(columns=TRANSACTION_COLUMNS)
    rungs = ladder(run.summary(), tx, run.as_of,
                   min_months=cfg.regular.min_months, window_months=cfg.regular.window_months)
    return frozenset(rungs.loc[rungs["rung"] == "unknown", "customer_id"].astype(str))


# --- the executive summary ------------------------------------------------------------------


def _attribute(results_: dict, qid: str, lang: Lang) -> tuple[str, int | None]:
    """An attribute's label in the client's language and the top of its scale."""
    try:
        question = forms.load_template(results_.get("template") or "quarterly").question(qid)
    except (PlaybookError, KeyError):
        return qid, None
    return question.column.get(lang.code), (question.bounds or (None, None))[1]


@summary_section("survey")
def _summary(results_: dict, lang: Lang):
    """The survey's key figures (NPS with its likely range, CSAT with its definition, what to
    fix first) and advice, in plain words, from ``results["survey"]``.
    """
    data = results_["survey"]
    figures, advice = [], []
    weighted, nps = data.get("nps_weighted"), data.get("nps")
    shown, key = ((weighted, "nps_weighted") if weighted and weighted.get("value") is not None
                  else (nps, "nps"))
    if shown and shown.get("value") is not None:
        figures.append((lang.t(f"survey.summary.{key}"),
                        lang.t("survey.summary.nps_value", nps=lang.num(shown["value"], 0),
                               low=lang.num(shown["ci_low"], 0),
                               high=lang.num(shown["ci_high"], 0))))
    detail = data.get("csat_detail") or {}
    if data.get("csat") is not None and detail.get("top_boxes") and detail.get("scale"):
        figures.append((lang.t("survey.summary.csat",
                               marks=scale_marks(lang, detail["top_boxes"], detail["scale"][1])),
                        lang.pct(data["csat"])))
    advice += _fix_advice(data, figures, lang)
    exits = data.get("exit")
    if exits and exits.get("answered"):
        advice.append(lang.t("survey.summary.advice_exit", winnable=lang.int(exits["winnable"]),
                             answered=lang.int(exits["answered"]),
                             offence=lang.int(exits["not_winnable"])))
    elif data.get("n"):
        advice.append(lang.t("survey.summary.advice_run_exit"))
    word = data.get("word_of_mouth")
    if word and word.get("complaints") and word.get("dissatisfied", 0) >= 1:
        advice.append(lang.t("survey.summary.advice_iceberg",
                             complaints=lang.int(word["complaints"]),
                             estimate=lang.int(word["dissatisfied"]),
                             low=lang.int(word["people_low"]), high=lang.int(word["people_high"]),
                             period=period_label(lang, word.get("period") or "")))
    files = data.get("files", {})
    if not any(files.get(k) for k in ("survey", "survey_annual", "exit_survey", "complaints")):
        advice.append(lang.t("survey.summary.advice_start"))
    elif not files.get("survey"):
        advice.append(lang.t("survey.summary.advice_run_survey"))
    return figures, advice


def _fix_advice(data: dict, figures: list, lang: Lang) -> list[str]:
    """The tile and the advice on what to fix first (or the strongest driver)."""
    fix = data.get("fix_first") or []
    drivers = {d["attribute"]: d for d in data.get("drivers") or []}
    if not fix:
        if drivers:
            first = next(iter(drivers))
            figures.append((lang.t("survey.summary.top_driver"), _attribute(data, first, lang)[0]))
        return []
    label, high = _attribute(data, fix[0], lang)
    figures.append((lang.t("survey.summary.fix_first"), label))
    top = drivers[fix[0]]
    high = high or 5
    target = top.get("target", high - 1)
    values = {"attribute": label, "share": lang.pct(top["share"], 0),
              "mean": lang.num(top["mean"], 1), "high": lang.int(high),
              "target": lang.num(target, 0 if target == round(target) else 1)}
    if len(fix) == 1:
        return [lang.t("survey.summary.advice_fix", **values)]
    others = lang.t("survey.summary.advice_fix_others", items=Safe(quoted_list(
        lang, [_attribute(data, q, lang)[0] for q in fix[1:4]])))
    return [lang.t("survey.summary.advice_fix_more", others=Safe(others), **values)]
