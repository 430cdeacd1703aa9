"""Managers' task lists: who is on them, the contacts, and the spreadsheet formula guard."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from playbook.exports import lists as exports
from playbook.exports import tasks
from playbook.report.i18n import Lang

LANG = Lang("ru")


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+7 (912) 000-00-00", "'+7 (912) 000-00-00"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("ООО «Альфа»", "ООО «Альфа»"),
    (-5, -5),
    (None, None),
])
def test_neutralise(value, expected):
    assert tasks.neutralise(value) == expected


def test_greetings_within_the_window_and_leap_days():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "birthday": pd.to_datetime(["1980-11-10", "1976-02-29", "1990-06-01", None]),
        "first_deal": pd.to_datetime(["2020-11-20", "2026-11-05", "2019-01-15", "2024-11-01"]),
    })
    start = dt.date(2026, 11, 1)
    found = exports.occasions(customers, start=start, days=30)
    got = sorted(zip(found["customer_id"], found["date"], strict=True))
    # a: birthday 10 Nov and 6th anniversary 20 Nov; d: 2nd anniversary on 1 Nov;
    # b's first deal is this year (no anniversary yet); c is outside the window
    assert got == [("a", dt.date(2026, 11, 10)), ("a", dt.date(2026, 11, 20)),
                   ("d", dt.date(2026, 11, 1))]
    value = pd.Series({"a": 100.0, "d": 50.0})
    greet = exports.greetings_list(customers, LANG, start=start, days=30, value=value)
    # two occasions of one customer make one call, due on the first, with both reasons
    assert list(greet["customer_id"]) == ["a", "d"]
    assert greet["due_date"].tolist() == [dt.date(2026, 11, 10), dt.date(2026, 11, 1)]
    assert "10.11.2026" in greet["reason"][0] and "20.11.2026" in greet["reason"][0]
    assert exports._next_occurrence(dt.date(1976, 2, 29), dt.date(2027, 1, 1)) == \
        dt.date(2027, 2, 28)


def test_people_fall_back_to_transactions_for_manager_and_name():
    transactions = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01"]),
        "manager": ["Old", "New", None],
        "customer_name": ["Alpha", "Alpha", "Beta"],
    })
    who = exports.people(None, pd.Series(["a", "b"]),
                         managers=exports.last_known(transactions, "manager"),
                         names=exports.last_known(transactions, "customer_name")
                         ).set_index("customer_id")
    assert who.loc["a", "manager"] == "New" and who.loc["b", "manager"] == tasks.UNASSIGNED
    assert who.loc["b", "customer_name"] == "Beta" and who.loc["a", "phone"] is None
    assert "consent" not in who


def test_people_keep_contact_person_phone_and_email_apart():
    customers = pd.DataFrame({"customer_id": ["a"], "contact_person": [" Анна "],
                              "phone": ["+7 912 000-00-00"], "email": ["  "],
                              "consent": ["да"]})
    who = exports.people(customers, customers["customer_id"]).iloc[0]
    assert (who["contact_person"], who["phone"], who["email"]) == \
        ("Анна", "+7 912 000-00-00", None)
    assert who["consent"] == "да"


@pytest.mark.parametrize(("text", "link"), [
    ("+7 (912) 345-67-89", "tel:+79123456789"),
    ("8 912 345 67 89", "tel:+79123456789"),
    ("79123456789", "tel:+79123456789"),
    ("(495) 123-45-67", "tel:4951234567"),
    ("+44 20 7946 0958", "tel:+442079460958"),
    ("12-34", None),  # too short
    ("+7 912 345-67-89 доб. 12", None),  # words: not a number to dial as it is
    ("=HYPERLINK(\"tel:1\")", None),
    ("-2+3", None),
    (None, None),
    (79123456789, None),
])
def test_phone_links_only_for_phone_numbers(text, link):
    assert tasks.phone_link(text) == link


@pytest.mark.parametrize(("text", "link"), [
    ("info@atlanttekh-yug.ru", "mailto:info@atlanttekh-yug.ru"),
    (" a.b+c@mail.example.com ", "mailto:a.b+c@mail.example.com"),
    ("почта@пример.рф", "mailto:почта@пример.рф"),
    ("no at sign", None),
    ("a@b", None),
    ("a@@b.ru", None),
    ("a..b@c.ru", None),
    ("=HYPERLINK(\"http://x\")@x.ru", None),
    ("a@b.ru?subject=x", None),
    ("a@b.ru, c@d.ru", None),
])
def test_mail_links_only_for_addresses(text, link):
    assert tasks.email_link(text) == link


def test_a_blank_manager_is_no_manager():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "manager": ["  ", "Петров П."]})
    who = exports.people(customers, customers["customer_id"]).set_index("customer_id")
    assert who.loc["a", "manager"] == tasks.UNASSIGNED
    assert who.loc["b", "manager"] == "Петров П."
