"""The survey notebook's tables, charts and sentences, in the client's language.

What the report shows of a :class:`~playbook.survey.analysis.SurveyAnalysis`: each part's
heading, tables of display strings, charts and "so what" sentences, the notes for the
consultant on parts left out, and the survey's key figures and advice in the executive
summary. The analysis itself (:func:`~playbook.survey.analysis.analyse`) is in
:mod:`playbook.survey.analysis`; nothing here computes a statistic.

This module is the notebook's entry point (``views.<function>``): the headings, the status
of the survey files, the consultant's notes and the executive summary are here; each part's
tables, charts and sentences are in :mod:`playbook.survey.views_scores` (response, NPS,
satisfaction, reliability, nonresponse), :mod:`playbook.survey.views_drivers` (key drivers,
crosstabs) and :mod:`playbook.survey.views_feedback` (the annual survey, exits, complaints),
and are offered from here too. Importing it registers the survey's executive summary.
"""

from __future__ import annotations

from playbook.errors import PlaybookError
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe
from playbook.survey import questionnaire as forms
from playbook.survey.analysis import PARTS, SurveyAnalysis
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
from playbook.survey.views_scores import (
    attribute_chart,
    attribute_table,
    nonresponse_sentences,
    nonresponse_table,
    nps_chart,
    nps_sentences,
    nps_table,
    nps_test_sentences,
    nps_tests_table,
    reliability_sentences,
    reliability_table,
    response_sentences,
    response_table,
    satisfaction_sentences,
    weighted_table,
)

__all__ = ["heading", "status_sentences", "response_table", "response_sentences",
           "nps_sentences", "nps_chart", "nps_table", "nps_tests_table", "nps_test_sentences",
           "satisfaction_sentences", "attribute_chart", "attribute_table", "reliability_table",
           "reliability_sentences", "driver_sentences", "driver_chart", "driver_table",
           "crosstab_table", "crosstab_sentences", "nonresponse_table", "weighted_table",
           "nonresponse_sentences", "annual_table", "annual_sentences", "wishes_table",
           "exit_table", "exit_sentences", "quotes_table", "iceberg_table",
           "iceberg_sentences", "consultant_notes"]


# --- headings -------------------------------------------------------------------------------


class _Markdown:
    """A heading and intro from the locale (never client data), shown as Markdown."""

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}, {}


def heading(an: SurveyAnalysis, part: str, lang: Lang) -> _Markdown | None:
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
    return _Markdown(text)


# --- what was given and what to run ---------------------------------------------------------


def status_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which survey files the analysis uses, and for each missing one what to run."""
    rows = an.data.rows
    code = lang.code
    if not an.has_data:
        return [lang.t("survey.status.none", lang_code=code),
                lang.t("survey.status.none_then", lang_code=code)]
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
    missing = [("survey", not rows["responses"]), ("annual", not rows["annual"]),
               ("exit", not rows["exits"]), ("complaints", not rows["complaints"]),
               ("base", rows["responses"] and not rows["base"])]
    out += [lang.t(f"survey.status.missing_{name}", lang_code=code)
            for name, absent in missing if absent]
    if rows["responses"] and "survey" in an.errors:
        out.append(lang.t("survey.status.unreadable"))
    return out


# --- notes for the consultant ---------------------------------------------------------------


def consultant_notes(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Why a part was left out (for the notebook only; the cell is tagged consultant-only)."""
    return [lang.t("survey.consultant_note", part=part, reason=reason)
            for part, reason in an.errors.items()]


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
    data = results_["survey"]
    figures, advice = [], []
    nps = data.get("nps")
    if nps and nps.get("value") is not None:
        figures.append((lang.t("survey.summary.nps"),
                        lang.t("survey.summary.nps_value", nps=lang.num(nps["value"], 0),
                               low=lang.num(nps["ci_low"], 0), high=lang.num(nps["ci_high"], 0))))
    weighted = data.get("nps_weighted")
    if weighted and weighted.get("value") is not None:
        figures.append((lang.t("survey.summary.nps_weighted"), lang.num(weighted["value"], 0)))
    if data.get("csat") is not None:
        figures.append((lang.t("survey.summary.csat"), lang.pct(data["csat"])))
    fix = data.get("fix_first") or []
    drivers = data.get("drivers") or []
    if fix:
        label, high = _attribute(data, fix[0], lang)
        figures.append((lang.t("survey.summary.fix_first"), label))
        top = next(d for d in drivers if d["attribute"] == fix[0])
        advice.append(lang.t("survey.summary.advice_fix", attribute=label,
                             share=lang.pct(top["share"]), mean=lang.num(top["mean"], 1),
                             high=lang.int(high or 5)))
    elif drivers:
        figures.append((lang.t("survey.summary.top_driver"),
                        _attribute(data, drivers[0]["attribute"], lang)[0]))
    exits = data.get("exit")
    if exits and exits.get("answered"):
        advice.append(lang.t("survey.summary.advice_exit", winnable=lang.int(exits["winnable"]),
                             answered=lang.int(exits["answered"]),
                             offence=lang.int(exits["not_winnable"])))
    elif data.get("n"):
        advice.append(lang.t("survey.summary.advice_run_exit", lang_code=lang.code))
    iceberg = (data.get("iceberg") or {}).get("last")
    if iceberg and iceberg.get("complaints") is not None:
        advice.append(lang.t("survey.summary.advice_iceberg",
                             complaints=lang.int(iceberg["complaints"]),
                             estimate=lang.int(iceberg["dissatisfied_estimate"]),
                             period=str(iceberg.get("period", ""))))
    files = data.get("files", {})
    if not any(files.get(k) for k in ("survey", "survey_annual", "exit_survey", "complaints")):
        advice.append(lang.t("survey.summary.advice_start", lang_code=lang.code))
    elif not files.get("survey"):
        advice.append(lang.t("survey.summary.advice_run_survey", lang_code=lang.code))
    return figures, advice
