"""A profile's factors in the report's language: the locale files know the usual ones under
any of their names, in either language; any other factor is client text, shown as written.
"""

from __future__ import annotations

import re

import pytest

from playbook.report.i18n import Lang
from playbook.winback import views
from playbook.winback.views_competitors import factor_label

EN, RU = Lang("en", "RUB"), Lang("ru", "RUB")


@pytest.mark.parametrize(("name", "en", "ru"), [
    ("Цена", "Price", "Цена"),
    ("Отсрочка платежа", "Payment terms", "Отсрочка платежа"),
    ("доставка и сроки", "Delivery and lead times", "доставка и сроки"),
    ("Качество", "Product quality", "Качество"),  # the template's shorter name
    ("Сервис менеджера", "Account manager's work", "Сервис менеджера"),
    ("Payment terms", "Payment terms", "Отсрочка платежа"),
    ("Account management", "Account management", "Работа менеджера"),
    ("Сроки поставки!", "Delivery and lead times", "Сроки поставки!"),
])
def test_known_factors_are_named_in_the_reports_language(name, en, ru):
    assert factor_label(name, EN) == en
    assert factor_label(name, RU) == ru


def test_a_factor_the_locale_files_do_not_know_is_shown_as_written():
    assert factor_label("Экологичность упаковки", EN) == "Экологичность упаковки"
    assert factor_label("Green packaging", RU) == "Green packaging"


def test_the_english_swot_and_call_sentences_on_the_demo_lead_in_english(demo_run):
    res = views.analyse(demo_run)
    names = {c["name"] for c in res.competitors} | set(res.switch["name"])  # client text
    text = " ".join(map(str, views.swot_sentences(res, EN) + views.call_sentences(res, EN)))
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    assert "Payment terms" in text and not re.search("[А-Яа-яЁё]", text), text
    table = views.factors_table(res, EN)
    assert not table.iloc[:, 1].str.contains("[А-Яа-яЁё]").any()


def test_the_summarys_lead_advice_names_the_factors_in_english(demo_run):
    from playbook.report.document import build_summary

    data = views.results(views.analyse(demo_run))
    advice = " ".join(map(str, build_summary({"winback": data}, EN)["recommendations"]))
    assert "talk about where we are stronger: Payment terms, Delivery and lead times" in advice
