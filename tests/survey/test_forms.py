"""Tests of the questionnaire templates: loading, validation, response tables and forms."""

from __future__ import annotations

import copy
import html
import re

import pandas as pd
import pytest
import yaml

from playbook.errors import DataError
from playbook.survey import printable_form
from playbook.survey import questionnaire as forms
from playbook.survey.questionnaire import SurveyTemplateError

FIVE = ("checkout", "phone_monthly", "quarterly", "annual", "exit")


def _raw(template: str) -> dict:
    return yaml.safe_load((forms.TEMPLATES_DIR / f"{template}.yaml").read_text(encoding="utf-8"))


# --- the five templates ----------------------------------------------------------------------


def test_the_five_templates_are_listed_first():
    assert forms.list_templates()[:5] == list(FIVE)


@pytest.mark.parametrize("template", FIVE)
def test_every_template_loads_with_both_languages(template):
    spec = forms.load_template(template)
    assert spec.id == template
    for q in spec.questions:
        assert q.text.ru and q.text.en and q.column.ru and q.column.en
    assert spec.title.ru != spec.title.en


def test_checkout_card_is_short_and_anonymous():
    spec = forms.load_template("checkout")
    assert len(spec.questions) == 3 and spec.max_questions == 5
    assert not spec.identify
    assert spec.ids("recommend") == ["recommend"] and spec.ids("csat") == ["csat"]


def test_b2b_templates_cover_what_the_methodology_asks():
    phone = forms.load_template("phone_monthly")
    assert len(phone.questions) <= 5 and "volume_next_month" in phone.question_ids
    quarterly = forms.load_template("quarterly")
    assert len(quarterly.ids("attribute")) == 11
    assert quarterly.ids("overall") == ["overall"] and quarterly.ids("recommend") == ["recommend"]
    assert {"strengths", "weaknesses"} <= set(quarterly.question_ids)
    assert set(quarterly.item_scales) == {"product", "delivery", "staff"}
    annual = forms.load_template("annual")
    assert {"market_position", "main_competitor", "share_of_wallet", "recommend",
            "buy_more"} <= set(annual.question_ids)
    assert annual.item_scales == {"competitive": ["compare_price", "compare_quality",
                                                  "compare_delivery", "compare_service"]}
    exit_ = forms.load_template("exit")
    assert [q.role for q in exit_.questions] == ["exit_product", "exit_staff", "exit_sale"]


# --- validation -----------------------------------------------------------------------------------


def test_unknown_key_names_the_nearest_one():
    data = _raw("checkout")
    data["questions"][0]["colum"] = data["questions"][0].pop("column")
    data["titel"] = data.pop("title")
    with pytest.raises(SurveyTemplateError, match="did you mean 'column'") as info:
        forms.template_from_dict(data)
    assert "did you mean 'title'" in str(info.value)


def test_unknown_template_id_suggests_the_nearest():
    with pytest.raises(SurveyTemplateError, match="Did you mean 'quarterly'"):
        forms.load_template("quartely")


@pytest.mark.parametrize("spoil, message", [
    (lambda d: d["questions"].append(copy.deepcopy(d["questions"][0])), "repeat"),
    (lambda d: d["questions"].extend(copy.deepcopy(d["questions"][2]) | {"id": f"extra{i}",
                                     "column": {"ru": f"Доп{i}", "en": f"Extra{i}"}}
                                     for i in range(3)), "at most 5"),
    (lambda d: d["questions"][0].update(type="text", scale=None), "role 'csat' needs type rating"),
    (lambda d: d["questions"][1]["scale"].update(min=1), "scored 0-10"),
    (lambda d: d["questions"][0]["scale"].update(max=1), "must be above min"),
    (lambda d: d["questions"][2].update(id="Bad id"), "lower-case"),
    (lambda d: d["questions"][2]["text"].update(en="  "), "blank"),
    (lambda d: d["questions"][2].update(column={"ru": "Код клиента", "en": "X"}), "distinct"),
    (lambda d: d.update(scales=[{"id": "s", "title": {"ru": "С", "en": "S"},
                                 "items": ["csat", "improve"]}]), "not a rating question"),
    (lambda d: d.update(scales=[{"id": "s", "title": {"ru": "С", "en": "S"},
                                 "items": ["csat", "recommend"]}]), "not a rating question"),
    (lambda d: d["questions"][0].update(section="nowhere"), "not among the template's sections"),
])
def test_invalid_templates_are_rejected_with_a_reason(spoil, message):
    data = _raw("checkout")
    spoil(data)
    with pytest.raises(SurveyTemplateError, match=re.escape(message)):
        forms.template_from_dict(data)


def test_scale_items_must_share_one_answer_scale():
    data = _raw("quarterly")
    data["scales"][0]["items"] = ["range", "overall"]
    with pytest.raises(SurveyTemplateError, match="different answer scales"):
        forms.template_from_dict(data)


# --- response tables ------------------------------------------------------------------------------


def test_column_map_in_both_languages():
    ru = forms.column_map("checkout", "ru")
    en = forms.column_map("checkout", "en")
    assert ru["Готовность рекомендовать"] == "recommend" and ru["Код клиента"] == "customer_id"
    assert en["Likelihood to recommend"] == "recommend" and en["Wave"] == "wave"


def test_prepare_responses_renames_and_converts():
    frame = pd.DataFrame({
        "Код клиента": ["К-1", "К-2", "К-3"],
        "дата ответа": ["01.02.2026", "2026-02-03", ""],
        "  готовность   рекомендовать ": ["10", "", "6"],          # case, spaces
        "Satisfaction with the purchase": ["4,0", "5", "1"],     # English, decimal comma
        "Что улучшить": ["Быстрее", None, ""],
        "Источник": ["a", "b", "c"],                             # not a question: kept
    })
    out = forms.prepare_responses(frame, "checkout")
    assert list(out.columns) == ["customer_id", "date", "recommend", "csat", "improve", "Источник"]
    assert out["recommend"].tolist()[0] == 10.0 and pd.isna(out["recommend"].iat[1])
    assert out["csat"].tolist() == [4.0, 5.0, 1.0]
    assert out["improve"].tolist() == ["Быстрее", "", ""]
    assert out["date"].iat[0] == pd.Timestamp("2026-02-01") and pd.isna(out["date"].iat[2])
    assert frame.columns[0] == "Код клиента"  # the input is untouched


def test_prepare_responses_maps_choice_wording_to_option_ids():
    frame = pd.DataFrame({"Объём на следующий месяц": ["больше", "About the same", "less", ""]})
    out = forms.prepare_responses(frame, "phone_monthly")
    assert out["volume_next_month"].tolist()[:3] == ["more", "same", "less"]
    assert pd.isna(out["volume_next_month"].iat[3])
    with pytest.raises(DataError, match=r"row 2 \('вдвое больше'\)"):
        forms.prepare_responses(pd.DataFrame({"volume_next_month": ["вдвое больше"]}),
                                "phone_monthly")


@pytest.mark.parametrize("values, message", [
    (["10", "11"], r"outside its 0-10 scale: row 3 \('11'\)"),
    (["10", "десять"], r"not numbers: row 3 \('десять'\)"),
])
def test_prepare_responses_rejects_bad_answers_quoting_rows(values, message):
    with pytest.raises(DataError, match=message):
        forms.prepare_responses(pd.DataFrame({"Готовность рекомендовать": values}), "checkout")


def test_prepare_responses_says_what_headers_it_expects():
    with pytest.raises(DataError, match="'Удовлетворённость покупкой'"):
        forms.prepare_responses(pd.DataFrame({"Оценка": [1]}), "checkout")
    with pytest.raises(DataError, match="lacks the columns recommend"):
        forms.prepare_responses(pd.DataFrame({"csat": [1]}), "checkout", require=["recommend"])


# --- printable forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("template", FIVE)
def test_forms_render_every_question_self_contained(template, lang):
    page = printable_form.render_form(template, lang)
    spec = forms.load_template(template)
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    assert "@page" in page and "size: A4" in page
    for q in spec.questions:
        assert f'data-question="{q.id}"' in page and f"[{q.id}]" in page
        assert html.escape(q.text.get(lang)) in page
    assert html.escape(spec.title.get(lang)) in page
    lowered = page.lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "href=", "http://",
                      "https://", "@import", "url("):
        assert forbidden not in lowered


def test_form_language_is_the_one_asked_for():
    ru, en = printable_form.render_form("exit", "ru"), printable_form.render_form("exit", "en")
    assert "Почему вы перестали у нас покупать" in ru and "Почему" not in en
    assert "Why you stopped buying from us" in en


def test_form_escapes_text_from_the_template():
    data = _raw("checkout")
    data["title"]["ru"] = "Анкета <script>alert(1)</script> & «кавычки»"
    data["questions"][2]["text"]["ru"] = 'Что "улучшить" <b>сразу</b>?'
    spec = forms.template_from_dict(data)
    page = printable_form.render_form(spec, "ru")
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; «кавычки»" in page
    assert "Что &quot;улучшить&quot; &lt;b&gt;сразу&lt;/b&gt;?" in page


def test_rating_forms_show_every_point_of_the_scale():
    page = printable_form.render_form("checkout", "en")
    block = page[page.index('data-question="recommend"'):]
    block = block[:block.index("</li>")]
    assert block.count('class="box"') == 11
    assert "0 — certainly not" in block and "10 — certainly yes" in block


def test_unsupported_language_is_an_error():
    with pytest.raises(ValueError, match="use 'ru' or 'en'"):
        printable_form.render_form("checkout", "de")



def test_the_command_prints_a_form(capsys):
    from playbook.cli import main

    assert main(["survey-form", "exit", "--lang", "en"]) == 0
    assert "<title>Why you stopped buying from us</title>" in capsys.readouterr().out
