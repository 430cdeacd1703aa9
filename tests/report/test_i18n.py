"""Client text exists in both languages; numbers, money and dates follow the locale."""

from __future__ import annotations

import datetime as dt
import string

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from playbook.report.i18n import LANGUAGES, Lang, WholeNumbers, texts


def test_every_text_exists_in_both_languages():
    assert set(texts("ru")) == set(texts("en"))


def test_placeholders_match_between_languages():
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for key, ru in texts("ru").items():
        assert fields(ru) == fields(texts("en")[key]), key


def test_interpolated_strings_are_escaped():
    lang = Lang("en")
    text = lang.t("report.data_to") + lang.t("intake.period_value", start="<b>x</b>",
                                             end=lang.date(dt.date(2026, 1, 2)))
    assert "<b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


@pytest.mark.parametrize(("code", "money", "pct", "date"), [
    ("ru", "1\u00a0234\u00a0568\u00a0₽", "25,3%", "31.10.2026"),
    ("en", "RUB\u00a01,234,568", "25.3%", "Oct 31, 2026"),
])
def test_locale_formats(code, money, pct, date):
    lang = Lang(code, "RUB")
    assert lang.money(1_234_567.5) == money
    assert lang.pct(0.253) == pct
    assert lang.date(dt.date(2026, 10, 31), "compact") == date


@pytest.mark.parametrize(("code", "currency", "value", "digits", "shown"), [
    ("en", "RUB", 9016, 0, "RUB\u00a09,016"),
    ("en", "RUB", 9016.5, 2, "RUB\u00a09,016.50"),
    ("en", "GBP", 9016, 0, "£9,016"),
    ("en", "RUB", -9016, 0, "\u2212RUB\u00a09,016"),
    ("ru", "RUB", -9016, 0, "\u22129\u00a0016\u00a0₽"),
])
def test_money_spaces_codes_not_symbols_and_uses_a_true_minus(code, currency, value, digits,
                                                              shown):
    assert Lang(code, currency).money(value, digits) == shown


def test_negative_numbers_and_shares_use_a_true_minus():
    for lang in (Lang("ru"), Lang("en")):
        for text in (lang.int(-5), lang.num(-2.5), lang.pct(-0.25), lang.money_short(-8e8)):
            assert text.startswith("\u2212") and "-" not in text, text
    assert Lang("en", "RUB").money_short(-812_600_000) == "\u2212RUB\u00a0812.6m"


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="unsupported language"):
        texts("de")


@pytest.mark.parametrize(("n", "noun"), [
    (0, "клиентов"), (1, "клиент"), (2, "клиента"), (4, "клиента"), (5, "клиентов"),
    (11, "клиентов"), (12, "клиентов"), (14, "клиентов"), (21, "клиент"), (22, "клиента"),
    (25, "клиентов"), (101, "клиент"), (111, "клиентов"), (744, "клиента"),
    (1_000_001, "клиент"),
])
def test_russian_nouns_agree_with_their_numerals(n, noun):
    lang = Lang("ru")
    assert "{n} {n:клиент|клиента|клиентов}".format(n=lang.int(n)) == f"{lang.int(n)} {noun}"
    assert lang.plural(n, "клиент|клиента|клиентов") == noun


def test_fractions_and_english_plurals():
    ru, en = Lang("ru"), Lang("en")
    assert f"{ru.num(1.5):клиент|клиента|клиентов}" == "клиента"
    assert f"{ru.num(1.5):клиент|клиента|клиентов|клиентам}" == "клиентам"
    assert [f"{en.int(k):customer|customers}" for k in (0, 1, 2, 1234)] == \
        ["customers", "customer", "customers", "customers"]
    assert f"{en.int(1234)}" == "1,234"  # an empty spec is the number itself


def test_plural_forms_reach_a_sentence_through_t(monkeypatch):
    lang = Lang("ru")
    monkeypatch.setitem(lang._texts, "x.count", "{n} {n:клиент|клиента|клиентов} купили")
    assert lang.t("x.count", n=lang.int(21)) == "21 клиент купили"
    assert lang.t("x.count", n=lang.int(3)) == "3 клиента купили"


def test_counts_survive_copies_and_pickles():
    import copy
    import pickle

    count = Lang("ru").int(21)
    for twin in (copy.deepcopy(count), pickle.loads(pickle.dumps(count))):
        assert twin == "21" and format(twin, "клиент|клиента|клиентов") == "клиент"


@pytest.mark.parametrize(("code", "currency", "value", "shown"), [
    ("ru", "RUB", 812_640_000, "812,6\u00a0млн\u00a0₽"),
    ("ru", "RUB", 45_300, "45,3\u00a0тыс.\u00a0₽"),
    ("ru", "RUB", 1_234_567_890, "1,2\u00a0млрд\u00a0₽"),
    ("en", "RUB", 812_640_000, "RUB\u00a0812.6m"),
    ("en", "GBP", 8_278_519.42, "£8.3m"),
    ("en", "GBP", -2_500_000, "\u2212£2.5m"),
    ("en", "USD", 45_300, "$45.3k"),
    ("ru", "RUB", 9_500, "9\u00a0500\u00a0₽"),  # small amounts stay exact
])
def test_money_for_people_rounds_to_the_scale_that_fits(code, currency, value, shown):
    assert Lang(code, currency).money_short(value) == shown


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.floats(-1e13, 1e13, allow_nan=False),
                       st.integers(-10**15, 10**15),
                       st.integers(-4000, 4000).map(lambda n: n / 2)),
       code=st.sampled_from(["ru", "en"]),
       currency=st.sampled_from(["RUB", "USD", "EUR", "GBP", "KZT", "JPY", "CHF"]))
@example(value=-0.5, code="ru", currency="RUB")  # Babel writes "-0 ₽"
@example(value=-0.4, code="en", currency="USD")
@example(value=2.5, code="ru", currency="RUB")  # halves to even: 2, 4
@example(value=-3.5, code="en", currency="GBP")
@example(value=9999.5, code="ru", currency="EUR")
def test_whole_amounts_and_counts_are_written_as_babel_writes_them(value, code, currency):
    """Lang writes whole numbers without Babel's work per number: the text must be Babel's,
    rounding halves to even and keeping Babel's sign on what rounds to zero."""
    from babel import Locale
    from babel import numbers as babel_numbers

    lang, locale = Lang(code, currency), Locale.parse(LANGUAGES[code])
    pattern = "#,##0\u00a0¤" if code == "ru" else "¤#,##0"
    babel = babel_numbers.format_currency(value, currency, format=pattern, locale=locale,
                                          currency_digits=False)
    assert lang._whole_money(value) == babel
    assert lang._whole_money(np.float64(value)) == babel
    assert str(lang.int(value)) == babel_numbers.format_decimal(
        round(value), locale=locale).replace("-", "\u2212")


def test_whole_numbers_go_to_babel_when_its_pattern_is_not_learnt():
    """A pattern Python's grouping cannot copy (no grouping under 10,000, as some locales
    write) is found out on the probes, and every number then goes to Babel itself."""
    def babel(n):
        text = f"{abs(int(round(n))):,}".replace(",", " ")
        text = text.replace(" ", "") if abs(n) < 10_000 else text
        return ("-" if n < 0 else "") + text + " pts"

    whole = WholeNumbers(babel)
    assert whole._parts is None
    assert whole(1234) == "1234 pts" and whole(12345.4) == "12 345 pts"
    assert WholeNumbers(lambda n: f"{int(round(n)):,} pts")(-1234567) == "-1,234,567 pts"
