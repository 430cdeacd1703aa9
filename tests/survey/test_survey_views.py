"""The survey section's tables, sentences and results, on small frames built by hand."""

from __future__ import annotations

import json
import math

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from matplotlib.figure import Figure

from playbook.report.document import build_summary
from playbook.report.i18n import Lang
from playbook.report.render import table
from playbook.report.results import to_jsonable
from playbook.survey import analysis, views
from playbook.survey.analysis import SurveyData

ATTRIBUTES = ["range", "quality", "availability", "prices", "payment_terms", "delivery_time",
              "delivery_accuracy", "manager_competence", "manager_responsiveness",
              "manager_courtesy", "complaint_handling"]
EXIT_CONTACTS = ("d.petrova@mail.ru", "+7 (913) 555-12-34", "8-912-345-67-89")
APPENDIX_ITEMS = ("nps", "reliability", "drivers", "crosstabs", "weighting")


def _responses(n: int = 160, *, segments=("Крупный", "Мелкий")) -> pd.DataFrame:
    """Quarterly answers: ratings load on one attitude, overall follows quality and delivery."""
    rng = np.random.default_rng(13)
    attitude = rng.standard_normal(n)
    frame = pd.DataFrame({
        "wave": np.where(np.arange(n) < n // 2, "2026-Q1", "2026-Q2"),
        "date": pd.to_datetime(np.where(np.arange(n) < n // 2, "2026-03-01", "2026-06-01")),
        "customer_id": [f"К-{i:04d}" for i in range(n)],
        "segment": [segments[i % len(segments)] for i in range(n)],
    })
    for a in ATTRIBUTES:
        frame[a] = np.clip(np.rint(3.6 + 0.7 * attitude + 0.6 * rng.standard_normal(n)), 1, 5)
    latent = -1 + 0.8 * frame["quality"] + 0.6 * frame["delivery_time"] + \
        0.8 * rng.standard_normal(n)
    frame["overall"] = np.clip(np.rint(latent), 1, 10)
    frame["ease"] = np.clip(np.rint(3.7 + 0.5 * attitude + 0.7 * rng.standard_normal(n)), 1, 5)
    shift = np.where(frame["segment"] == segments[0], 1.0, -1.0)
    frame["recommend"] = np.clip(np.rint(7.5 + shift + 1.5 * attitude), 0, 10)
    return frame


def _base() -> pd.DataFrame:
    return pd.DataFrame({"wave": ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2"],
                         "segment": ["Крупный", "Мелкий"] * 2,
                         "customers": [100, 300, 100, 300], "invited": [100, 300, 100, 300]})


def _exits() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["К-1", "К-2", "К-3", "К-4", "К-5"],
        "product_issue": ["Цены выросли, пишите: d.petrova@mail.ru", "Нет", "",
                          "Конкурент дал отсрочку", "Так решило руководство"],
        "staff_issue": ["", "Менеджер грубил <script>alert(1)</script>",
                        "Менеджер не перезвонил, тел. +7 (913) 555-12-34", "Нет", ""],
        "sale_issue": ["", "", "Очередь на отгрузку", "Звоните 8-912-345-67-89, ошибки в накладных",
                       ""],
    })


def _complaints(counts=(12, 6)) -> pd.DataFrame:
    return pd.DataFrame({"period": ["2026-Q1", "2026-Q2"][: len(counts)],
                         "complaints": list(counts), "customers": [400, 400][: len(counts)]})


@pytest.fixture(scope="module")
def full():
    data = SurveyData(responses=_responses(), exits=_exits(), complaints=_complaints(),
                      base=_base())
    return analysis.analyse(data, n_boot=300)


@pytest.fixture(params=["ru", "en"])
def lang(request) -> Lang:
    return Lang(request.param)


# --- degrading gracefully -------------------------------------------------------------------


def test_no_survey_at_all_gives_a_short_note_on_what_to_run(lang):
    an = analysis.analyse(SurveyData())
    assert an.parts == [] and not an.has_data and an.errors == {}
    assert all(views.heading(an, part, lang) is None for part in analysis.PARTS)
    assert views.appendix_heading(an, None, lang) is None
    status = " ".join(views.status_sentences(an, lang))
    assert "playbook" not in status and "<code>" not in status  # the client reads it
    notes = " ".join(views.consultant_notes(an, lang))
    assert f"playbook survey-form quarterly --lang {lang.code}" in notes
    assert f"playbook survey-form exit --lang {lang.code}" in notes
    assert "data.survey" in notes and "data.complaints" in notes
    result = analysis.results(an)
    assert result["n"] == 0
    assert result["nps"] is None and result["nps_weighted"] is None and result["csat"] is None
    assert result["cronbach_alpha"] == {} and result["drivers"] == []
    assert result["exit_reasons"] == {}
    summary = build_summary({"survey": to_jsonable(result)}, lang)
    assert summary["recommendations"] == [lang.t("survey.summary.advice_start")]


def test_only_exit_questionnaires_give_only_the_exit_part(lang):
    an = analysis.analyse(SurveyData(exits=_exits()))
    assert an.parts == ["exits"]
    status = " ".join(views.status_sentences(an, lang))
    assert lang.t("survey.status.missing_survey") in status
    assert lang.t("survey.status.missing_complaints") in status
    assert lang.t("survey.status.missing_exit") not in status
    notes = " ".join(views.consultant_notes(an, lang))
    assert "survey-form quarterly" in notes and "data.complaints" in notes
    assert "survey-form exit" not in notes
    result = analysis.results(an)
    assert result["n"] == 0 and result["nps"] is None
    assert result["exit_reasons"]["staff"] == 2
    assert views.heading(an, "exits", lang).text.startswith("## ")


def test_a_part_the_data_cannot_support_is_left_out_with_a_note():
    tiny = _responses(6)
    an = analysis.analyse(SurveyData(responses=tiny), n_boot=0)
    assert "drivers" not in an.parts and "drivers" in an.errors
    assert "nps" in an.parts
    notes = views.consultant_notes(an, Lang("en"))
    assert any(n.startswith("Left out (drivers)") for n in notes)
    assert analysis.results(an)["errors"]["drivers"]


def test_one_segment_means_no_segment_tests_or_crosstabs():
    an = analysis.analyse(SurveyData(responses=_responses(segments=("Все",)), base=None),
                          n_boot=0)
    assert an.tests_segment is None and an.crosstabs is None
    assert "crosstabs" not in an.parts and "nonresponse" not in an.parts
    assert {"nps", "drivers", "satisfaction"} <= set(an.parts)


def test_unknown_part_is_an_error():
    with pytest.raises(ValueError, match="unknown survey part"):
        views.heading(analysis.analyse(SurveyData()), "nsp", Lang("en"))


# --- the figures ----------------------------------------------------------------------------


def test_nps_is_the_pooled_unweighted_score_with_its_analytic_interval(full):
    scores = _responses()["recommend"]
    n, prom, det = len(scores), int((scores >= 9).sum()), int((scores <= 6).sum())
    value = 100 * (prom - det) / n
    se = 100 * math.sqrt((prom / n + det / n - (prom / n - det / n) ** 2) / n)
    nps = analysis.results(full)["nps"]
    assert nps["value"] == pytest.approx(value)
    assert nps["n"] == n
    assert nps["ci_low"] == pytest.approx(value - 1.959964 * se, abs=1e-4)
    assert nps["ci_high"] == pytest.approx(value + 1.959964 * se, abs=1e-4)
    assert nps["boot_low"] < value < nps["boot_high"]


def test_weighted_nps_follows_the_base_mix(full):
    scores = _responses()
    by_segment = {s: 100 * ((g >= 9).mean() - (g <= 6).mean())
                  for s, g in scores.groupby("segment")["recommend"]}
    expected = 0.25 * by_segment["Крупный"] + 0.75 * by_segment["Мелкий"]
    result = analysis.results(full)
    assert result["nps_weighted"]["value"] == pytest.approx(expected)
    assert result["nps_weighted"]["unweighted"] == pytest.approx(result["nps"]["value"])
    assert set(result["nps_by_segment"]) == {"Крупный", "Мелкий"}
    assert list(result["nps_by_wave"]) == ["2026-Q1", "2026-Q2"]


def test_csat_is_the_top_two_box_share_of_overall_satisfaction(full):
    overall = _responses()["overall"]
    result = analysis.results(full)
    assert result["csat"] == pytest.approx((overall >= 9).mean())
    assert result["csat_detail"]["top_boxes"] == [9, 10]
    assert result["ces"]["mean"] == pytest.approx(_responses()["ease"].mean())


def test_response_rate_and_margin_use_the_base(full):
    response = analysis.results(full)["response"]
    assert response["invited"] == 800 and response["responses"] == 160
    assert response["rate"] == pytest.approx(160 / 800)
    assert response["margin_of_error"] == pytest.approx(
        1.959964 * math.sqrt(0.25 / 160) * math.sqrt((800 - 160) / 799), abs=1e-5)
    assert [w["wave"] for w in response["by_wave"]] == ["2026-Q1", "2026-Q2"]


def test_cronbach_alpha_for_every_scale_the_template_declares(full):
    alpha = analysis.results(full)["cronbach_alpha"]
    assert set(alpha) == {"product", "delivery", "staff"}
    items = _responses()[["range", "quality", "availability"]]
    k = 3
    expected = k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert alpha["product"] == pytest.approx(expected)


def test_drivers_carry_shapley_importance_that_sums_to_r_squared(full):
    result = analysis.results(full)
    drivers = result["drivers"]
    assert {"attribute", "importance", "coef", "p_value"} <= set(drivers[0])
    assert {d["attribute"] for d in drivers[:2]} == {"quality", "delivery_time"}
    assert sum(d["importance"] for d in drivers) == pytest.approx(
        result["drivers_fit"]["r_squared"])
    assert set(result["fix_first"]) == {d["attribute"] for d in drivers
                                        if d["quadrant"] == "fix_first"}


def test_crosstabs_are_holm_adjusted(full):
    rows = analysis.results(full)["crosstabs"]
    assert all(r["p_holm"] >= r["p_value"] for r in rows)
    assert "recommend" in {r["question"] for r in rows}


def test_exit_reasons_count_areas_and_causes(full):
    reasons = analysis.results(full)["exit_reasons"]
    assert reasons["product"] == 2 and reasons["staff"] == 2 and reasons["sale"] == 2
    assert reasons["offence"] == 2 and reasons["terms"] == 2 and reasons["unclear"] == 1
    exit_ = analysis.results(full)["exit"]
    assert exit_["winnable"] == 2 and exit_["not_winnable"] == 2 and exit_["answered"] == 5


def test_complaint_iceberg_uses_the_module_share(full):
    iceberg = analysis.results(full)["iceberg"]
    assert iceberg["complain_share"] == analysis.COMPLAIN_SHARE == 0.06
    assert iceberg["last"]["dissatisfied_estimate"] == pytest.approx(6 / 0.06)
    assert iceberg["last"]["dissatisfied_share"] == pytest.approx(100 / 400)


def test_results_are_plain_json(full):
    result = json.loads(json.dumps(to_jsonable(analysis.results(full)), allow_nan=False))
    assert {"n", "nps", "nps_weighted", "csat", "cronbach_alpha", "drivers",
            "exit_reasons"} <= set(result)
    assert set(result["nps"]) >= {"value", "ci_low", "ci_high", "n"}


# --- what the reader sees -------------------------------------------------------------------


def test_tables_hold_display_strings_only(full, lang):
    for build in (views.response_table, views.nps_table, views.nps_tests_table,
                  views.nps_interval_table, views.attribute_table, views.reliability_table,
                  views.driver_table, views.driver_model_table, views.crosstab_table,
                  views.crosstab_tests_table, views.nonresponse_table, views.weighted_table,
                  views.weighting_table, views.exit_table, views.quotes_table,
                  views.iceberg_table):
        frame = build(full, lang)
        assert len(frame), build.__name__
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel()), build.__name__


def test_every_percentage_column_says_what_it_is_a_share_of(full, lang):
    """A column of percentages names its base in the header (share of answers, of the
    invited, of the base...), or its table's first header does it for the segment columns.
    """
    base_words = {"ru": ("доля", "из "), "en": ("share", " of ")}[lang.code]
    for build in (views.response_table, views.nps_table, views.attribute_table,
                  views.crosstab_table, views.exit_table, views.iceberg_table):
        frame = build(full, lang)
        first = str(frame.columns[0]).lower()
        for column in frame.columns[1:]:
            cells = [str(v) for v in frame[column] if str(v) not in ("", "—")]
            if not cells or not all(v.endswith("%") for v in cells):
                continue
            header = str(column).lower()
            named = any(w in header for w in base_words) or any(w in first for w in base_words)
            assert named, (build.__name__, column)


def test_exit_quotes_are_escaped_text_with_contacts_masked(full, lang):
    quotes = views.quotes_table(full, lang)
    markup = table(quotes)._repr_html_()
    assert "<script" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    for contact in EXIT_CONTACTS:
        assert contact not in markup
    mask = {"ru": "скрыт", "en": "hidden"}[lang.code]
    assert sum(mask in q for q in quotes.iloc[:, 1]) >= 2


def test_client_text_is_escaped_once(lang):
    tricky = "A&B <b>"
    an = analysis.analyse(SurveyData(responses=_responses(segments=(tricky, "Мелкий"))), n_boot=0)
    sentences = " ".join(views.nps_sentences(an, lang) + views.nps_test_sentences(an, lang))
    assert "A&amp;B &lt;b&gt;" in sentences and "&amp;amp;" not in sentences
    assert "<b>" not in sentences
    markup = table(views.nps_table(an, lang))._repr_html_()
    assert "A&amp;B &lt;b&gt;" in markup and "&amp;amp;" not in markup


def test_sentences_are_in_the_client_language(full):
    ru = " ".join(views.nps_sentences(full, Lang("ru")) + views.driver_sentences(full, Lang("ru")))
    en = " ".join(views.nps_sentences(full, Lang("en")) + views.driver_sentences(full, Lang("en")))
    assert "промоутеров" in ru and "промоутеров" not in en
    assert "promoters" in en and "Fix first" in en and "Исправить" in ru
    assert "Качество товара" in ru and "Product quality" in en


def test_headings_are_markdown_from_the_locale(full, lang):
    shown = views.heading(full, "complaints", lang)
    bundle, _ = shown._repr_mimebundle_()
    assert bundle["text/markdown"].startswith("## ")
    assert lang.pct(0.06, 0) in bundle["text/markdown"]


def test_charts_are_figures_with_labelled_axes(full, lang):
    for build in (views.nps_chart, views.attribute_chart, views.driver_chart):
        fig = build(full, lang)
        assert isinstance(fig, Figure)
        assert fig.axes[0].get_xlabel() or fig.axes[0].get_ylabel()
    ipa = views.driver_chart(full, lang).axes[0]
    labels = {t.get_text() for t in ipa.texts}
    assert {"Исправить в первую очередь", "Fix first"} & labels


def test_zero_complaints_raise_the_alarm(lang):
    an = analysis.analyse(SurveyData(complaints=_complaints((4, 0))))
    text = " ".join(views.iceberg_sentences(an, lang))
    quarter = {"ru": "2-й кв. 2026", "en": "Q2 2026"}[lang.code]
    assert quarter in text and "2026-Q2" not in text and "?" in text
    assert lang.t("survey.iceberg_zero", periods=quarter) in text


def test_complaints_without_a_base_give_counts_only(lang):
    frame = _complaints().drop(columns="customers")
    an = analysis.analyse(SurveyData(complaints=frame))
    shown = views.iceberg_table(an, lang)
    assert shown.shape[1] == 3
    assert "100" in " ".join(views.iceberg_sentences(an, lang))


def test_summary_gives_nps_csat_and_the_attribute_to_fix(full, lang):
    result = to_jsonable(analysis.results(full))
    summary = build_summary({"survey": result}, lang)
    labels = [label for label, _ in summary["figures"]]
    # with the base known, the tile gives NPS weighted to the whole base
    assert lang.t("survey.summary.nps_weighted") in labels
    csat = {"ru": "CSAT — довольны: 9–10 из 10", "en": "CSAT — satisfied: 9–10 of 10"}
    assert csat[lang.code] in labels
    advice = " ".join(summary["recommendations"])
    if result["fix_first"]:
        assert lang.t("survey.summary.fix_first") in labels
    assert lang.int(2) in advice  # two of the exit answers can be won back


def test_every_part_has_a_heading_cell_in_the_notebook():
    nb = nbformat.read(ROOT / "notebooks" / "30_survey.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for part in analysis.PARTS:
        if part == "reliability":  # a statistic: its heading is the appendix's
            assert 'views.appendix_heading(sv, "reliability", lang)' in code
        else:
            assert f'views.heading(sv, "{part}", lang)' in code
    for item in APPENDIX_ITEMS:
        assert f'views.appendix_heading(sv, "{item}", lang)' in code
    assert 'record("survey", analysis.results(sv))' in code


def test_without_the_regular_questionnaire_the_summary_asks_for_it(lang):
    result = to_jsonable(analysis.results(analysis.analyse(SurveyData(exits=_exits()))))
    advice = " ".join(build_summary({"survey": result}, lang)["recommendations"])
    assert lang.t("survey.summary.advice_run_survey") in advice
    assert "survey-form" not in advice and "<code>" not in advice
