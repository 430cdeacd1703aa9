"""Tests of the exit keyword dictionary, the coding of reasons, the summary and quotes, and the
masking of contacts.
"""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.survey import exits
from playbook.survey.questionnaire import SurveyTemplateError

# --- exit keywords --------------------------------------------------------------------------------


def test_exit_keywords_load_normalised():
    kw = exits.load_exit_keywords()
    assert set(kw["areas"]) == {"product", "staff", "sale"}
    assert list(kw["causes"]) == ["offence", "terms"]
    assert kw["causes"]["offence"]["winnable"] is False and kw["causes"]["terms"]["winnable"]
    for group in ("areas", "causes"):
        for spec in kw[group].values():
            assert spec["label"]["ru"] and spec["label"]["en"]
            assert all(s == s.lower() and "ё" not in s for s in spec["stems"])
    assert "все устраивало" in kw["no_answer"] and "no complaints" in kw["no_answer"]


def test_exit_keywords_errors_are_readable(tmp_path):
    bad = tmp_path / "kw.yaml"
    bad.write_text("areas: {}\n", encoding="utf-8")
    with pytest.raises(SurveyTemplateError, match="needs 'areas' and 'causes'"):
        exits.load_exit_keywords(bad)


# --- exit reasons ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keywords() -> dict:
    return exits.load_exit_keywords()


@pytest.mark.parametrize("text, areas, cause", [
    ("Менеджер ГРУБИЛ по телефону", {"staff"}, "offence"),
    ("Наш менеджер так и не перезвонил", {"staff"}, "offence"),
    ("Цены выше, чем у конкурентов", {"product"}, "terms"),
    ("Два раза привезли бумагу с браком", {"product"}, "terms"),
    ("Долго ждали на кассе, счета выставляли по два дня", {"sale"}, "terms"),
    ("При отгрузке кладовщик нахамил водителю", {"sale", "staff"}, "offence"),
    ("Переехали в другой город", set(), "unclear"),
    ("The manager was rude and never called back", {"staff"}, "offence"),
    ("We didn't get a call back from the sales rep", {"staff"}, "offence"),
    ("Prices were too expensive compared with a competitor", {"product"}, "terms"),
    ("Long queue at the till and a wrong invoice", {"sale"}, "terms"),
    ("Deliveries were late, goods often out of stock", {"product"}, "terms"),
])
def test_exit_keyword_coding_in_russian_and_english(keywords, text, areas, cause):
    coded = exits.code_exit_reasons(pd.DataFrame({"customer_id": ["К-1"], "why": [text]}),
                                     text_cols=["why"], keywords=keywords).iloc[0]
    assert {a for a in ("product", "staff", "sale") if coded[a]} == areas
    assert coded["cause"] == cause
    if cause == "unclear":
        assert pd.isna(coded["winnable"])
    else:
        assert bool(coded["winnable"]) == (cause == "terms")


def test_exit_coding_reads_yo_as_ye_and_matches_stems_only_at_word_starts():
    custom = {"no_answer": ["все хорошо"],
              "areas": {"books": {"label": {"ru": "Учёт", "en": "Books"}, "stems": ["учет"]}},
              "causes": {"terms": {"label": {"ru": "У", "en": "T"}, "winnable": True,
                                   "stems": ["учет"]}}}
    frame = pd.DataFrame({"a": ["Путаница в УЧЁТЕ", "неучтено, переучет", "Всё хорошо!", None]})
    coded = exits.code_exit_reasons(frame, text_cols=["a"], keywords=custom, id_col=None)
    assert coded["books"].tolist() == [True, False, False, False]
    assert coded["answered"].tolist() == [True, True, False, False]
    assert coded["cause"].tolist() == ["terms", "unclear", "unclear", "unclear"]


def test_exit_coding_skips_non_answers_and_joins_fields(keywords):
    frame = pd.DataFrame({"customer_id": ["К-1", "К-2"],
                          "product_issue": ["Всё устраивало", "Нет"],
                          "staff_issue": ["Менеджер нагрубил", "—"],
                          "sale_issue": ["Долгое оформление", ""]})
    coded = exits.code_exit_reasons(frame, text_cols=["product_issue", "staff_issue",
                                                       "sale_issue"], keywords=keywords)
    assert coded.loc[0, "text"] == "Менеджер нагрубил / Долгое оформление"
    assert coded.loc[0, "staff"] and coded.loc[0, "sale"] and not coded.loc[0, "product"]
    assert coded.loc[0, "cause"] == "offence"          # offence wins over terms
    assert not coded.loc[1, "answered"]
    summary = exits.exit_summary(coded, keywords=keywords, lang="en")
    row = summary.set_index(["dimension", "category"])
    assert row.loc[("area", "staff"), "count"] == 1 and row.loc[("area", "staff"), "share"] == 1
    assert row.loc[("cause", "offence"), "label"] == "Left over offence"
    assert not row.loc[("cause", "offence"), "winnable"]


def test_exit_quotes_are_plain_text_with_contacts_masked(keywords):
    frame = pd.DataFrame({"customer_id": ["К-1"],
                          "why": ["Менеджер хамил <script>alert(1)</script>, звоните "
                                  "+7 (912) 345-67-89 или boss@firm.ru"]})
    coded = exits.code_exit_reasons(frame, text_cols=["why"], keywords=keywords)
    quotes = exits.exit_quotes(coded, keywords=keywords)
    assert set(quotes["category"]) == {"staff", "offence"}
    quote = quotes["quote"].iloc[0]
    assert quote == ("Менеджер хамил <script>alert(1)</script>, звоните [телефон скрыт] или "
                     "[e-mail скрыт]")
    short = exits.exit_quotes(coded, keywords=keywords, max_chars=20, lang="en")
    assert short["quote"].iloc[0] == "Менеджер хамил <scr…"


# --- contacts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "+7 (912) 345-67-89", "+7 912 345 67 89", "+79123456789", "8-912-345-67-89",
    "89123456789", "8 (912) 345-67-89", "8 (3452) 12-34-56", "7 912 345-67-89",
    "(912) 345-67-89", "912 345 67 89", "345-67-89", "8 800 555-35-35",
    "+7\u00a0912\u00a0345\u201167\u201189",
    "+44 20 7946 0958", "+1 (555) 123-4567", "+49 30 1234567", "+380 44 123 4567",
])
def test_mask_contacts_phones(text):
    assert exits.mask_contacts(f"Звоните: {text}, спасибо") == "Звоните: [телефон скрыт], спасибо"
    assert exits.mask_contacts(text, lang="en") == "[phone hidden]"


@pytest.mark.parametrize("text", [
    "ivan.petrov@mail.ru", "Zakaz@Vector-Snab.RU", "a_b+tag@sub.domain.com", "почта@пример.рф",
])
def test_mask_contacts_emails(text):
    assert exits.mask_contacts(f"пишите {text}.") == "пишите [e-mail скрыт]."


@pytest.mark.parametrize("text", [
    "Заказ №123456 от 12.03.2026", "сумма 1 500 000 руб.", "15 000,50 руб", "ИНН 7701234567",
    "ИНН 770123456789", "в 2024 и 2025 годах", "скидка 5-7%", "доставка за 2-3 дня",
    "@менеджер", "<script>alert(1)</script>",
])
def test_mask_contacts_leaves_other_numbers_and_text(text):
    assert exits.mask_contacts(text) == text


def test_mask_contacts_handles_missing_values():
    assert exits.mask_contacts(None) == "" and exits.mask_contacts(float("nan")) == ""
    two = exits.mask_contacts("89123456789 или 89123456780")
    assert two == "[телефон скрыт] или [телефон скрыт]"


# --- why each respondent left: the win-back and the apology calls -------------------------------


def test_exit_causes_split_offence_from_terms_per_customer():
    answers = pd.DataFrame({
        "customer_id": ["K1", "K2", "K3", None, "K5"],
        "date": pd.to_datetime(["2026-03-01", "2026-04-01", "2026-05-01", "2026-05-02",
                                "2026-06-01"]),
        "product_issue": ["Цены выросли, у конкурента дешевле", "", "Нет", "дорого", None],
        "staff_issue": ["", "Менеджер нагрубил по телефону", "Всё устраивало", "", None],
        "sale_issue": ["", "", "", "", "Rude cashier"],
    })
    got = exits.exit_causes(answers)
    # K3 said nothing was wrong, the row without a customer id cannot be called back
    assert list(got["customer_id"]) == ["K1", "K2", "K5"]
    assert list(got["cause"]) == ["terms", "offence", "offence"]
    assert got["date"].iloc[0] == pd.Timestamp("2026-03-01")
    assert "дешевле" in got["text"].iloc[0]


def test_exit_causes_without_ids_or_questions_give_no_rows():
    assert exits.exit_causes(None).empty
    assert exits.exit_causes(pd.DataFrame({"product_issue": ["дорого"]})).empty
    assert exits.exit_causes(pd.DataFrame({"customer_id": ["K1"], "other": ["x"]})).empty
