"""Contacts in free text: phones and e-mails masked in every usual spelling, other numbers kept."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.report.privacy import MASKS, mask_contacts
from playbook.survey import exits

PHONE_RU, PHONE_EN = MASKS["ru"][1], MASKS["en"][1]
EMAIL_RU = MASKS["ru"][0]

# Sentences without digits, with the contact in the middle: {} is where it goes.
SENTENCES = [
    "Звоните: {}, спасибо", "Мой номер {} — звоните после обеда.", "тел.: {}", "({})",
    "Перезвоните мне по {} пожалуйста", "My number is {}.", "call me at {} or e-mail me",
    "{}", "Телефон:{}; менеджер не перезвонил", "«{}» — это мой мобильный",
]

# (prefix, digits after it, first digit of those): how people write numbers of a country.
PREFIXES = [
    ("+7", 10, "3489"), ("+ 7", 10, "3489"), ("8", 10, "3489"), ("7", 10, "3489"),
    ("", 10, "9"), ("+44", 10, "12378"), ("0044", 10, "12378"), ("+1", 10, "23456789"),
    ("001", 10, "23456789"), ("+49", 10, "1356789"), ("+380", 9, "4569"), ("007", 10, "49"),
    ("8 10 44", 10, "27"),
]
SEPARATORS = [" ", "-", ".", "/", "", " - ", "\u00a0", "\u2011", "–"]


def _groups(draw, n: int) -> list[int]:
    """Split n digits into groups of 2 to 4, the way phones are grouped."""
    sizes = []
    while n > 4:
        size = draw(st.integers(2, min(4, n - 2)))
        sizes.append(size)
        n -= size
    return [*sizes, n]


@st.composite
def phones(draw) -> str:
    """A phone number as people write it: prefix, maybe an area code in brackets, groups."""
    prefix, length, first = draw(st.sampled_from(PREFIXES))
    digits = draw(st.sampled_from(first)) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 1,
                      max_size=length - 1)))
    sep = draw(st.sampled_from(SEPARATORS))
    if draw(st.booleans()):  # the area or mobile code in brackets: (912), (3452), (34522)
        head = draw(st.sampled_from([3, 4, 5])) if prefix and length == 10 else 3
        rest = digits[head:]
        groups, at = [], 0
        for size in _groups(draw, len(rest)):
            groups.append(rest[at:at + size])
            at += size
        body = f"({digits[:head]})" + draw(st.sampled_from([" ", ""])) + sep.join(groups)
    else:
        groups, at = [], 0
        for size in _groups(draw, length):
            groups.append(digits[at:at + size])
            at += size
        body = sep.join(groups)
    gap = draw(st.sampled_from(["", " ", "\u00a0"])) if prefix else ""
    return prefix + gap + body


@settings(max_examples=400, deadline=None)
@given(phones(), st.sampled_from(SENTENCES), st.sampled_from(["ru", "en"]))
def test_a_phone_in_any_format_is_masked_whole(phone, sentence, lang):
    masked = mask_contacts(sentence.format(phone), lang=lang)
    assert masked == sentence.format(MASKS[lang][1])
    assert not re.search(r"\d", masked)


@given(phones())
def test_no_seven_digits_of_a_phone_survive_next_to_other_numbers(phone):
    masked = mask_contacts(f"Заказ 12345 от 12.03.2024 на 1 200 руб., звоните {phone} до 18:00")
    assert masked.startswith("Заказ 12345 от 12.03.2024 на 1 200 руб., звоните ")
    assert PHONE_RU in masked
    assert not re.search(r"\d{7}", re.sub(r"[^\d]", "", masked.split("звоните", 1)[1]))


@st.composite
def ordinary_numbers(draw) -> str:
    """Numbers that are not contacts: dates, money, years, percentages, order numbers."""
    kind = draw(st.sampled_from(["date", "iso", "money", "year", "pct", "order", "range",
                                 "time", "qty"]))
    day, month = draw(st.integers(1, 31)), draw(st.integers(1, 12))
    year = draw(st.integers(1990, 2035))
    if kind == "date":
        sep = draw(st.sampled_from("./"))
        return f"{day:02d}{sep}{month:02d}{sep}{year}"
    if kind == "iso":
        return f"{year}-{month:02d}-{day:02d}"
    if kind == "money":
        amount = draw(st.integers(1, 9_999_999_999))
        grouped = f"{amount:,}".replace(",", draw(st.sampled_from([" ", "\u00a0", "."])))
        return grouped + draw(st.sampled_from([" руб.", " ₽", " RUB", ",50 руб", " тыс."]))
    if kind == "year":
        return f"{year} г."
    if kind == "pct":
        return f"{draw(st.integers(0, 100))},{draw(st.integers(0, 9))}%"
    if kind == "order":
        return f"№{draw(st.integers(10000, 999999))}"
    if kind == "range":
        return f"{draw(st.integers(1, 99))}-{draw(st.integers(1, 99))} дней"
    if kind == "time":
        return f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    return f"{draw(st.integers(1, 999))} шт."


@settings(max_examples=400, deadline=None)
@given(st.lists(ordinary_numbers(), min_size=1, max_size=4),
       st.sampled_from([" и ", ", ", " от ", "; ", " — "]))
def test_ordinary_numbers_are_left_alone(numbers, joiner):
    text = "Заказ " + joiner.join(numbers) + ", спасибо."
    assert mask_contacts(text) == text


@pytest.mark.parametrize("text", [
    "12.03.2024", "1 200 руб.", "в 2024 году", "12,5%", "заказ 12345", "8.03.2024 12.03.2024",
    "ИНН 7701234567", "ИНН 770123456789", "с 9:00 до 18:00", "2023-2024", "1.200.000",
    "скидка 5-7%", "@менеджер", "<script>alert(1)</script>",
])
def test_examples_of_ordinary_text_are_left_alone(text):
    assert mask_contacts(text) == text


@pytest.mark.parametrize("phone", [
    "+7 (912) 345-67-89", "8.912.345.67.89", "8/912/345/67/89", "+7 [912] 345.67.89",
    "0044 20 7946 0958", "007 912 345 67 89", "8 10 44 20 7946 0958", "(495) 123-45-67",
    "495 123 45 67", "345.67.89", "345 67 89", "+44 (0)20 7946 0958", "+1 (555) 123-4567",
    "8 (3452) 12-34-56", "+7\u00a0912\u00a0345\u201167\u201189",
])
def test_examples_of_phones(phone):
    assert mask_contacts(f"Звоните: {phone}, спасибо") == f"Звоните: {PHONE_RU}, спасибо"
    assert mask_contacts(phone, lang="en") == PHONE_EN


@st.composite
def emails(draw) -> str:
    word = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
    cyr = st.text("абвгдежзиклмнопрстуфхцчшщэюя", min_size=2, max_size=8)
    local = draw(word) + draw(st.sampled_from(["", ".", "_", "-", "+"])) + draw(word)
    if draw(st.booleans()):
        local = local.capitalize()
    labels = draw(st.lists(st.one_of(word, cyr), min_size=1, max_size=3))
    tld = draw(st.sampled_from(["ru", "com", "рф", "RU", "org", "xn--p1ai", "москва"]))
    return f"{local}@{'.'.join(labels)}.{tld}"


@given(emails(), st.sampled_from(SENTENCES))
def test_an_email_is_masked_whole(email, sentence):
    assert mask_contacts(sentence.format(email)) == sentence.format(EMAIL_RU)


def test_missing_values_and_several_contacts():
    assert mask_contacts(None) == "" and mask_contacts(float("nan")) == ""
    assert mask_contacts("89123456789 или 89123456780, a@b.ru") == \
        f"{PHONE_RU} или {PHONE_RU}, {EMAIL_RU}"


def test_the_survey_still_finds_it_where_it_was():
    assert exits.mask_contacts is mask_contacts
