"""The survey section of the demo run, checked against the generator's truth.

The demo's survey files are drawn from a known process (``playbook/synth_survey.py``,
truth in ``data_samples/demo/survey_truth.json``). Tolerances:

- NPS: within 3 standard errors of the value implied by the truth (the unweighted NPS
  against the truth's promoter and detractor probabilities mixed as the answers are; the
  weighted NPS against the base's NPS averaged over the waves);
- driver coefficients: within 3.5 standard errors of the true coefficients;
- exit coding: exactly the truth's counts (the answers are built from coded phrases);
- complaints: the iceberg estimate within 3 standard deviations of the truth's number of
  dissatisfied customers (each complains with probability 0.06);
- share of wallet by segment: within 0.06 of the truth's expectation;
- CSAT, alpha and the response rate: equal to an independent reading of the files.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow
DEMO = ROOT / "data_samples" / "demo"
TRUTH = json.loads((DEMO / "survey_truth.json").read_text("utf-8"))
Z = 1.959964


def _survey(run: Path) -> dict:
    return json.loads((run / "results.json").read_text("utf-8"))["survey"]


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name, sep=";", encoding="cp1251", dtype=str)


def _se(interval: dict) -> float:
    return (interval["ci_high"] - interval["ci_low"]) / (2 * Z)


@pytest.fixture(scope="module")
def survey(demo_runs) -> dict:
    return _survey(demo_runs["ru"])


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    raw = _csv("survey_responses.csv")
    numeric = ["Готовность рекомендовать", "Общая удовлетворённость"]
    for column in numeric:
        raw[column] = pd.to_numeric(raw[column])
    return raw


def test_results_do_not_depend_on_the_language(demo_runs, survey):
    assert _survey(demo_runs["en"]) == survey
    assert survey["parts"] == ["response", "nps", "satisfaction", "reliability", "drivers",
                               "crosstabs", "nonresponse", "annual", "exits", "complaints"]
    assert "errors" not in survey


def test_responses_and_response_rate(survey):
    quarterly = TRUTH["responses"]["quarterly"]
    assert survey["n"] == sum(quarterly.values())
    assert survey["waves"] == list(quarterly)
    invited = sum(sum(TRUTH["nps"]["waves"][w]["base"].values()) for w in quarterly)
    assert survey["response"]["invited"] == invited
    assert survey["response"]["rate"] == pytest.approx(survey["n"] / invited)
    assert {w["wave"]: w["responses"] for w in survey["response"]["by_wave"]} == quarterly
    assert 0 < survey["response"]["margin_of_error"] < 0.03


def test_nps_matches_the_truth_mixed_as_the_answers_are(survey, answers):
    waves = TRUTH["nps"]["waves"]
    answered = answers.dropna(subset=["Готовность рекомендовать"])
    counts = answered.groupby(["Волна", "Сегмент"]).size()
    expected = sum(n * 100 * (waves[w]["promoter_by_segment"][s]
                              - waves[w]["detractor_by_segment"][s])
                   for (w, s), n in counts.items()) / counts.sum()
    nps = survey["nps"]
    assert nps["n"] == len(answered)
    assert nps["ci_low"] < nps["value"] < nps["ci_high"]
    assert abs(nps["value"] - expected) < 3 * _se(nps)
    assert nps["boot_low"] == pytest.approx(nps["ci_low"], abs=1.5)
    assert nps["boot_high"] == pytest.approx(nps["ci_high"], abs=1.5)


def test_weighted_nps_matches_the_base(survey):
    weighted = survey["nps_weighted"]
    truth = TRUTH["nps"]["quarterly_population_mean"]
    assert abs(weighted["value"] - truth) < 3 * _se(weighted)
    # large customers answer more readily and are more satisfied: weighting lowers NPS
    assert weighted["value"] < survey["nps"]["value"]


def test_nps_by_segment_and_the_tests_between_them(survey):
    truth = TRUTH["nps"]["quarterly_by_segment"]
    assert set(survey["nps_by_segment"]) == set(truth)
    for segment, value in survey["nps_by_segment"].items():
        assert abs(value["value"] - truth[segment]["nps"]) < 3 * _se(value), segment
    tests = survey["nps_tests"]["segment"]
    assert len(tests) == 3 and all(t["p_holm"] < 0.05 for t in tests)
    waves = len(survey["waves"])
    assert len(survey["nps_tests"]["wave"]) == (waves - 1) + (waves > 2)  # neighbours, ends


def test_csat_and_alpha_equal_an_independent_reading(survey, answers):
    overall = answers["Общая удовлетворённость"].dropna()
    assert survey["csat"] == pytest.approx((overall >= 9).mean())
    items = answers[["Ассортимент", "Качество товара", "Наличие на складе"]].apply(
        pd.to_numeric).dropna()
    k = items.shape[1]
    alpha = k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert survey["cronbach_alpha"]["product"] == pytest.approx(alpha)
    assert set(survey["cronbach_alpha"]) == {"product", "delivery", "staff"}
    assert all(0.6 < a < 0.9 for a in survey["cronbach_alpha"].values())


def test_drivers_recover_the_true_coefficients(survey):
    true = TRUTH["drivers"]["coefficients"]
    drivers = {d["attribute"]: d for d in survey["drivers"]}
    assert set(drivers) == set(true)
    for attribute, coef in true.items():
        assert abs(drivers[attribute]["coef"] - coef) < 3.5 * drivers[attribute]["se"], attribute
    assert sum(d["importance"] for d in survey["drivers"]) == pytest.approx(
        survey["drivers_fit"]["r_squared"])
    strongest = sorted(true, key=true.get, reverse=True)[:3]
    assert survey["drivers"][0]["attribute"] in strongest
    assert drivers["manager_courtesy"]["p_value"] > 0.05  # its true effect is zero
    means = np.mean([d["mean"] for d in survey["drivers"]])
    importance = np.mean([d["importance"] for d in survey["drivers"]])
    for name in survey["fix_first"]:  # important, and rated below the target (4 of 5)
        assert drivers[name]["mean"] < drivers[name]["target"] == 4
        assert drivers[name]["importance"] >= importance
    assert means < 4 and survey["grid"] == {"importance_line": pytest.approx(1 / len(true)),
                                            "target": 4.0, "target_basis": "satisfied_mark"}


def test_the_two_worst_rated_areas_are_never_low_priority(survey):
    worst = sorted(survey["drivers"], key=lambda d: d["mean"])[:2]
    assert {d["attribute"] for d in worst} == {"prices", "complaint_handling"}
    assert {d["quadrant"] for d in worst} <= {"fix_first", "improve_next"}


def test_annual_adherents_are_the_ladder_s_among_regular_customers(demo_runs, survey):
    ladder = json.loads((demo_runs["ru"] / "results.json").read_text("utf-8"))[
        "segmentation"]["ladder"]["counts"]
    annual = survey["annual"]
    assert annual["adherents_regular"] == ladder["adherent"] + ladder["advocate"]
    assert annual["advocates_regular"] == ladder["advocate"]
    assert annual["adherents"] > annual["adherents_regular"]  # the rest buy rarely


def test_customers_are_counted_once(survey):
    response = survey["response"]
    assert response["customers"] < response["responses"]
    quarters = TRUTH["nps"]["waves"]
    last = list(TRUTH["responses"]["quarterly"])[-1]
    assert response["base"] == sum(quarters[last]["base"].values())
    for segment, row in survey["response_by_segment"].items():
        assert row["base"] == quarters[last]["base"][segment]
        assert row["invited"] > row["base"]  # invitations add up over the waves


def test_word_of_mouth_is_the_iceberg_times_8_to_10(survey):
    word, last = survey["word_of_mouth"], survey["iceberg"]["last"]
    assert word["dissatisfied"] == pytest.approx(last["dissatisfied_estimate"])
    assert (word["people_low"], word["people_high"]) == pytest.approx(
        (8 * word["dissatisfied"], 10 * word["dissatisfied"]))


def test_exit_reasons_match_the_coded_phrases(survey):
    truth = TRUTH["exit"]["counts"]
    expected = {**truth["areas"], "other": truth["no_area"], **truth["causes"]}
    assert survey["exit_reasons"] == expected
    assert survey["exit"]["winnable"] == truth["causes"]["terms"]
    assert survey["exit"]["not_winnable"] == truth["causes"]["offence"]


def test_complaint_iceberg_estimates_the_dissatisfied(survey):
    truth = TRUTH["complaints"]
    share = truth["complain_share"]
    assert survey["iceberg"]["complain_share"] == share
    rows = survey["iceberg"]["by_period"]
    assert {r["period"]: r["complaints"] for r in rows} == {
        p: v["complaints"] for p, v in truth["by_quarter"].items()}
    estimated = sum(r["dissatisfied_estimate"] for r in rows)
    dissatisfied = sum(v["dissatisfied"] for v in truth["by_quarter"].values())
    assert abs(estimated - dissatisfied) < 3 * math.sqrt(dissatisfied * share) / share


def test_annual_share_of_wallet_by_segment(survey):
    annual = survey["annual"]
    assert annual["n"] == TRUTH["responses"]["annual"]
    for segment, expected in TRUTH["annual"]["expected_share_of_wallet_by_segment"].items():
        assert abs(annual["by_segment"][segment]["share_of_wallet"] - expected) < 0.06, segment
    assert 0 < annual["advocates"] <= annual["adherents"] <= annual["customers"]


def _contacts() -> list[str]:
    text = (DEMO / "survey_exit.csv").read_bytes().decode("cp1251")
    emails = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    phones = re.findall(r"\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}"
                        r"|\b8-\d{3}-\d{3}-\d{2}-\d{2}\b|\b8\d{10}\b", text)
    assert emails and len(phones) >= 3  # the generator plants them; the test must see them
    return emails + phones


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_report_shows_answers_as_escaped_text_without_contacts(demo_runs, lang):
    html = (demo_runs[lang] / "report.html").read_text("utf-8")
    assert "<script" not in html
    if "alert(1)" in html:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = re.sub(r"<[^>]+>", " ", html)
    for contact in _contacts():
        assert contact not in html, contact
        if "@" not in contact:  # a phone, however it is grouped
            assert re.sub(r"\D", "", contact) not in re.sub(r"\D", "", text), contact


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_report_has_the_survey_section_and_summary(demo_runs, lang):
    html = (demo_runs[lang] / "report.html").read_text("utf-8")
    title = {"ru": "Опрос удовлетворённости клиентов", "en": "Customer satisfaction survey"}
    fix = {"ru": "Исправить в первую очередь", "en": "Fix first"}
    assert 'id="section-survey"' in html and title[lang] in html
    summary = html[html.index('id="summary"'):html.index('id="section-')]
    assert "NPS" in summary and "CSAT" in summary and fix[lang] in summary
    csat = {"ru": "CSAT — довольны: 9–10 из 10", "en": "CSAT — satisfied: 9–10 of 10"}
    assert csat[lang] in summary


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_survey_section_speaks_plainly_to_the_client(demo_runs, lang):
    html = (demo_runs[lang] / "report.html").read_text("utf-8")
    start = html.index('id="section-survey"')
    body = re.sub(r"<[^>]+>", " ", html[start:html.index("</section>", start)]).lower()
    for word in ("p-value", "p-значение", "holm", "холм", "хи-квадрат", "chi-square",
                 "cramér", "крамера", "design effect", "дизайн-эффект", "logit", "логит",
                 "bootstrap", "бутстрэп", "cronbach", "кронбах", "r²"):
        assert word not in body, word
    for text in ("playbook ", "survey-form", "--lang", "data.survey", "data.complaints",
                 ".yaml", "<code>"):
        assert text not in body, text
    appendix = html[html.index('id="appendix-section-survey"'):]
    assert {"ru": "Кронбах", "en": "Cronbach"}[lang] in appendix
    assert re.search(r"\[4/\d+\] 30_survey\.ipynb", demo_runs[f"{lang}-stderr"])
