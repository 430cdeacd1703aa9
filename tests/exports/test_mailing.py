"""Mailing lists by status: the suggested mailing, separate contacts, consent carried over."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pandas as pd
import pytest

from playbook.exports import lists, mailing
from playbook.report.i18n import Lang


def _base():
    return pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                         "state": ["active", "at_risk", "lost", "active"],
                         "segment": ["Champions"] * 4,
                         "last_purchase": [dt.date(2026, 10, 1)] * 4})


def _people(consent):
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"], "name": ["=A", "B", "C", "D"],
        "manager": ["M", "M", None, "M"],
        "phone": ["+7 912 345-67-89", "12", None, "8 (495) 123-45-67"],
        "email": ["a@a.ru", "bad", None, "d@d.ru"],
        "birthday": pd.to_datetime([None, None, None, "1980-11-10"]),
        **({"consent": consent} if consent is not None else {})})
    return customers, lists.people(customers, pd.DataFrame({"customer_id": [], "date": []}),
                                   customers["customer_id"])


@pytest.mark.parametrize(("value", "flag"), [
    ("да", True), (" Yes ", True), ("1", True), ("+", True), (True, True),
    ("нет", False), ("No", False), ("0", False), ("отписан", False),
    ("", None), (None, None), ("может быть", None), (float("nan"), None),
])
def test_consent_flags(value, flag):
    assert mailing.consent_flag(value) is flag


@pytest.mark.parametrize("code", ["ru", "en"])
def test_each_customer_gets_one_mailing_and_consent_is_carried(code, tmp_path):
    lang = Lang(code)
    customers, people = _people(["да", "нет", None, "как-нибудь"])
    found = lists.occasions(customers, start=dt.date(2026, 11, 2), days=30)
    frame = mailing.mailing_list(_base(), people, found, lang)
    assert list(frame["mailing"]) == ["news", "offers", "offers", "greetings"]
    yes, no = ("да", "нет") if code == "ru" else ("yes", "no")
    assert frame["consent"].tolist()[:2] == [yes, no]
    assert pd.isna(frame["consent"][2]) and frame["consent"][3] == "как-нибудь"
    files = mailing.write_mailing_lists(frame, tmp_path, lang)
    stem = "Рассылки" if code == "ru" else "mailings"
    kinds = {"ru": ["новости", "предложения", "поздравления"],
             "en": ["news", "offers", "greetings"]}[code]
    assert sorted(p.name for p in files) == sorted(
        [f"{stem}.xlsx"] + [f"{stem}_{k}.csv" for k in kinds])
    book = openpyxl.load_workbook(tmp_path / f"{stem}.xlsx")
    assert len(book.sheetnames) == 4
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    consent = "Согласие на рассылку" if code == "ru" else "Consent to mailings"
    email, phone = header.index("Эл. почта" if code == "ru" else "E-mail"), \
        header.index("Телефон" if code == "ru" else "Phone")
    assert consent in header
    rows = list(sheet.iter_rows(min_row=2))
    assert rows[0][1].value == "'=A" and rows[0][1].data_type == "s"
    assert rows[0][email].hyperlink.target == "mailto:a@a.ru"
    assert rows[0][phone].hyperlink.target == "tel:+79123456789"
    assert rows[1][email].hyperlink is None and rows[1][phone].hyperlink is None
    assert rows[0][header.index("Последняя покупка" if code == "ru" else "Last purchase")
                   ].is_date
    with (tmp_path / f"{stem}_{kinds[0]}.csv").open(encoding="utf-8-sig", newline="") as handle:
        got = list(csv.reader(handle, delimiter=";"))
    assert got[0] == header and len(got) == 2
    assert got[1][1] == "'=A" and got[1][phone] == "+7 912 345-67-89"


def test_without_a_consent_column_there_is_none():
    _, people = _people(None)
    frame = mailing.mailing_list(_base(), people, lists.occasions(
        None, start=dt.date(2026, 11, 2), days=30), Lang("ru"))
    assert "consent" not in frame and list(frame["mailing"]) == ["news", "offers", "offers",
                                                                  "news"]


@pytest.mark.parametrize("header", ["Согласие на рассылку", "Согласие", "Consent",
                                    "Marketing consent", "Opt-in"])
def test_intake_recognises_a_consent_column(header, tmp_path):
    from playbook.intake.columns import CUSTOMER_HEADERS, detect_columns

    headers = ["Код клиента", "Наименование", header]
    mapping = detect_columns(headers, CUSTOMER_HEADERS, {}, file=tmp_path / "c.csv",
                             required=("customer_id",))
    assert mapping["consent"] == header
