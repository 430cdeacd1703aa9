"""The survey keys of results.json, from a :class:`~playbook.survey.analysis.SurveyAnalysis`.

:func:`results` turns what :func:`playbook.survey.analysis.analyse` computed into plain
numbers, strings and lists (a missing figure is ``None``): NPS overall, by segment, by wave
and weighted to the base, the tests between groups, CSAT, CES, the areas' ratings, the
scales' reliability, the key drivers, the crosstabs, the annual survey, the exit reasons and
the complaint iceberg, and the notes on parts left out. The executive summary and later
notebooks read them from there (see docs/results.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from playbook.survey import exits as ex
from playbook.survey.checks import float_or_none

if TYPE_CHECKING:  # analysis imports this module to offer results() beside analyse()
    from playbook.survey.analysis import SurveyAnalysis

__all__ = ["results"]


def _records(frame: pd.DataFrame | None, key: str) -> dict:
    if frame is None:
        return {}
    return {str(getattr(r, key)): {"value": float(r.nps), "ci_low": float(r.ci_low),
                                   "ci_high": float(r.ci_high), "n": int(r.n)}
            for r in frame.itertuples(index=False)}


def _int_or_none(value) -> int | None:
    value = float_or_none(value)
    return None if value is None else int(value)


def _tests(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return [{"a": str(r.group_a), "b": str(r.group_b), "difference": float(r.difference),
             "p_value": float(r.p_value), "p_holm": float(r.p_holm)}
            for r in frame.itertuples(index=False)]


def results(an: SurveyAnalysis) -> dict:
    """The survey keys of results.json (see docs/results.md)."""
    rows = an.data.rows
    out: dict = {
        "files": {"survey": bool(rows["responses"]), "survey_annual": bool(rows["annual"]),
                  "exit_survey": bool(rows["exits"]), "complaints": bool(rows["complaints"]),
                  "survey_base": bool(rows["base"])},
        "template": an.template.id if an.template is not None else None,
        "parts": an.parts,
        "n": rows["responses"],
        "waves": an.waves,
        "nps": None, "nps_weighted": None, "csat": None,
        "cronbach_alpha": {}, "drivers": [], "exit_reasons": {},
    }
    if an.response_total is not None:
        t = an.response_total
        out["response"] = {"responses": t["responses"], "customers": t["customers"],
                           "invited": t["invited"], "base": t["base"],
                           "base_wave": t["base_wave"],
                           "rate": t["response_rate"], "margin_of_error": t["margin_of_error"],
                           "by_wave": [] if an.response is None else [
                               {"wave": str(r.wave), "responses": int(r.responses),
                                "invited": float_or_none(r.invited),
                                "rate": float_or_none(r.response_rate),
                                "margin_of_error": float_or_none(r.margin_of_error)}
                               for r in an.response.itertuples(index=False)]}
    if an.nps is not None:
        out["nps"] = dict(an.nps)
        out["nps_by_segment"] = _records(an.nps_by_segment, "segment")
        out["nps_by_wave"] = _records(an.nps_by_wave, "wave")
        out["nps_tests"] = {"segment": _tests(an.tests_segment), "wave": _tests(an.tests_wave)}
    if an.weighted is not None:
        out["nps_weighted"] = dict(an.weighted)
        if an.weighted_by_wave is not None:
            out["nps_weighted_by_wave"] = {
                str(r.wave): {"value": float(r.nps_weighted), "ci_low": float(r.ci_low),
                              "ci_high": float(r.ci_high), "n": int(r.n)}
                for r in an.weighted_by_wave.itertuples(index=False)}
    if an.response_by_segment is not None:
        out["response_by_segment"] = {
            str(r.segment): {"responses": int(r.responses),
                             "customers": _int_or_none(getattr(r, "customers", None)),
                             "base": float_or_none(r.base), "invited": float_or_none(r.invited),
                             "rate": float_or_none(r.response_rate)}
            for r in an.response_by_segment.itertuples(index=False)}
    if an.csat is not None:
        out["csat"] = an.csat["value"]
        out["csat_detail"] = dict(an.csat)
    if an.ces is not None:
        out["ces"] = dict(an.ces)
    if an.overall_mean is not None:
        out["overall_mean"] = dict(an.overall_mean)
    if an.likert is not None:
        out["attributes"] = {r.item: {"mean": float(r.mean), "ci_low": float(r.ci_low),
                                      "ci_high": float(r.ci_high), "n": int(r.n),
                                      "top_two": float_or_none(r.top_two)}
                             for r in an.likert.itertuples(index=False)}
    if an.reliability is not None:
        main = an.reliability[an.reliability["survey"] == "survey"]
        out["cronbach_alpha"] = {r.scale: float(r.alpha) for r in main.itertuples(index=False)}
        annual = an.reliability[an.reliability["survey"] == "annual"]
        if len(annual):
            out["cronbach_alpha_annual"] = {r.scale: float(r.alpha)
                                            for r in annual.itertuples(index=False)}
    if an.drivers is not None:
        dd = an.drivers
        out["drivers"] = [{"attribute": r.attribute, "importance": float(r.importance),
                           "share": float(r.share), "rank": int(r.rank), "coef": float(r.coef),
                           "se": float(r.se), "p_value": float(r.p_value),
                           "mean": float(r.mean), "target": float(r.target),
                           "named": int(r.named), "quadrant": r.quadrant,
                           "ologit_coef": float_or_none(r.ologit_coef),
                           "ologit_p": float_or_none(r.ologit_p)}
                          for r in dd.itertuples(index=False)]
        out["drivers_fit"] = {"outcome": dd.attrs["outcome"], "n": int(dd.attrs["n"]),
                              "r_squared": float(dd.attrs["r_squared"]),
                              "ologit_converged": dd.attrs.get("ologit_converged")}
        out["grid"] = {"importance_line": float(dd["share"].mean()),
                       "target": float(dd["target"].iloc[0]) if dd["target"].nunique() == 1
                       else None,
                       "target_basis": "given" if an.target is not None else "satisfied_mark"}
        out["fix_first"] = [r.attribute for r in dd.itertuples(index=False)
                            if r.quadrant == "fix_first"]
    if an.crosstabs is not None:
        out["crosstabs"] = [{"question": r.question, "chi2": float(r.chi2), "dof": int(r.dof),
                             "p_value": float(r.p_value), "p_holm": float(r.p_adjusted),
                             "significant": bool(r.significant),
                             "cramers_v": float(r.cramers_v)}
                            for r in an.crosstabs.itertuples(index=False)]
    if an.annual is not None:
        out["annual"] = dict(an.annual)
        if an.annual_by_segment is not None:
            out["annual"]["by_segment"] = {
                str(r["segment"]): {k: float_or_none(r[k]) if k != "n" else int(r[k])
                                    for k in an.annual_by_segment.columns if k != "segment"}
                for _, r in an.annual_by_segment.iterrows()}
    if an.exit_coded is not None:
        s = ex.exit_summary(an.exit_coded, keywords=an.exit_keywords, lang="en")
        out["exit_reasons"] = {r.category: int(r.count) for r in s.itertuples(index=False)}
        causes = an.exit_keywords["causes"]
        coded = an.exit_coded
        answered = coded[coded["answered"].astype(bool)]
        out["exit"] = {
            "questionnaires": len(coded), "answered": len(answered),
            "areas": {r.category: int(r.count) for r in s[s["dimension"] == "area"]
                      .itertuples(index=False)},
            "causes": {r.category: int(r.count) for r in s[s["dimension"] == "cause"]
                       .itertuples(index=False)},
            "winnable": int(answered["cause"].isin(
                [c for c, v in causes.items() if v.get("winnable")]).sum()),
            "not_winnable": int(answered["cause"].isin(
                [c for c, v in causes.items() if v.get("winnable") is False]).sum()),
            "attributes": {} if an.exit_mentions is None else dict(zip(
                an.exit_mentions["attribute"], map(int, an.exit_mentions["mentions"]),
                strict=True)),
        }
    if an.iceberg is not None:
        t = an.iceberg
        keep = [c for c in ("period", "complaints", "customers", "dissatisfied_estimate",
                            "dissatisfied_share") if c in t.columns]
        rows = t[keep].to_dict(orient="records")
        out["iceberg"] = {"complain_share": an.complain_share, "by_period": rows,
                          "last": rows[-1] if rows else None}
        out["word_of_mouth"] = an.word_of_mouth
    if an.errors:
        out["errors"] = dict(an.errors)
    return out
