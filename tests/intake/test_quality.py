"""The data-quality section's tables and advice name every issue intake can report."""

from __future__ import annotations

import re

import pytest

import playbook.intake as intake
from playbook.intake.views import (
    ISSUE_ORDER,
    advice,
    consultant_notes,
    issues_sentences,
    issues_table,
    overview_sentence,
)
from playbook.report.i18n import Lang, texts


def _actions() -> list[str]:
    return re.findall(r"``(\w+)``", intake.Issue.__doc__.split("one of:")[1])


@pytest.mark.parametrize("code", ["ru", "en"])
def test_every_issue_kind_and_action_has_words(code):
    lang = Lang(code)
    for kind in ISSUE_ORDER:
        assert lang.has(f"intake.issue.{kind}"), kind
    for action in _actions():
        assert lang.has(f"intake.action.{action}"), action


@pytest.mark.parametrize("code, label, action", [
    ("en", "More sheets of the workbook with the same columns", "not read"),
    ("ru", "Другие листы книги с теми же столбцами", "не прочитаны"),
])
def test_unread_sheets_in_the_table_and_the_advice(code, label, action):
    lang = Lang(code)
    issue = {"kind": "other_sheets", "rows": 1200, "action": "not_read", "amount": None}
    table = issues_table([issue], lang)
    assert list(table.iloc[0])[0] == label and list(table.iloc[0])[-1] == action
    (text,) = advice([issue], lang)
    assert "1" in text and "200" in text


# --- plain words for the client, the parameters for the consultant ---------------------------

EVERY_ISSUE = [{"kind": k, "rows": 21, "action": "dropped", "amount": 1_234_567.0,
                "documents": 2, "column": "Дата", "file": "sales.csv"} for k in ISSUE_ORDER]
PARAMETER = re.compile(r"\b(?:intake|data|ltv)\.\w+|date_format|bad_rows|max_future_days|"
                       r"relogged_lines|\bas_of\b|%[YmdHM]|playbook|\.json")


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_advice_says_what_to_do_and_the_notes_how(code):
    lang = Lang(code)
    said = advice(EVERY_ISSUE, lang)
    assert said and [s for s in said if PARAMETER.search(s)] == []
    notes = consultant_notes(EVERY_ISSUE, lang)
    assert notes[0] == lang.t("intake.consultant.title")
    told = " ".join(notes)
    for word in ("date_format", "'%m/%d/%Y'", "intake.bad_rows", "intake.duplicates",
                 "intake.relogged_lines", "intake.max_future_days", "as_of", "sales.csv"):
        assert word in told, word
    assert consultant_notes([], lang) == [lang.t("intake.consultant.title"),
                                          lang.t("intake.consultant.none")]


@pytest.mark.parametrize("code, rounded, exact", [
    ("ru", "1,2\u00a0млн\u00a0₽", "1\u00a0234\u00a0567\u00a0₽"),
    ("en", "RUB\u00a01.2m", "RUB\u00a01,234,567")])
def test_money_is_rounded_in_the_advice_and_exact_in_the_table(code, rounded, exact):
    lang = Lang(code)
    issue = EVERY_ISSUE[ISSUE_ORDER.index("blank_customer_id")]
    (text,) = advice([issue], lang)
    assert rounded in text and exact not in text
    assert exact in list(issues_table([issue], lang).iloc[0])


@pytest.mark.parametrize("code, n, words", [
    ("ru", 1, ["1 строка продаж", "1 клиент и выручка", "Отброшена 1 строка"]),
    ("ru", 2, ["2 строки продаж", "2 клиента и выручка", "Отброшено 2 строки"]),
    ("ru", 5, ["5 строк продаж", "5 клиентов и выручка", "Отброшено 5 строк"]),
    ("ru", 21, ["21 строка продаж", "21 клиент и выручка", "Отброшена 21 строка"]),
    ("ru", 744, ["744 строки продаж", "744 клиента и выручка", "Отброшено 744 строки"]),
    ("en", 1, ["1 sales row ", "1 customer and", "1 of 1 row was left out"]),
    ("en", 21, ["21 sales rows", "21 customers and", "21 of 21 rows were left out"]),
])
def test_numbers_agree_with_their_nouns(code, n, words):
    lang = Lang(code)
    figures = {"transactions": {"rows_read": n, "rows_used": n}, "revenue": 812_586_378.0,
               "customers": n, "customers_with_purchase": n,
               "period": {"start": "2023-11-01", "end": "2026-10-31"}}
    issues = [{"kind": "bad_date", "rows": n, "action": "dropped"}]
    text = " ".join(str(s) for s in [overview_sentence(figures, lang),
                                     *issues_sentences(figures, issues, lang)])
    text = " ".join(text.split())
    assert all(w in text for w in words), text


def test_one_plural_mechanism():
    """The texts pick their nouns' forms through the shared Count syntax, not sub-keys."""
    import playbook.intake.views as views

    assert not hasattr(views, "_plural")
    for code in ("ru", "en"):
        keys = [k for k in texts(code) if k.startswith("intake.")]
        assert not [k for k in keys if k.rsplit(".", 1)[-1] in ("one", "few", "many", "other")]
