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
    return customers, lists.people(customers, customers["customer_id"])


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


def _reference_csv(frame: pd.DataFrame, headers: list[str], path, date_format: str) -> None:
    """The mailing CSV written cell by cell, the straightforward way (the rule of
    docs/workbooks.md): blank for missing, dates in the language's format, a valid phone
    as it is, any other text formula-safe."""
    from playbook.exports.tasks import neutralise, phone_link

    def cell(column, value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if hasattr(value, "strftime"):
            return value.strftime(date_format)
        if column == "phone" and phone_link(value):
            return value
        return neutralise(value)

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(headers)
        for row in frame.itertuples(index=False):
            writer.writerow([cell(c, v) for c, v in zip(frame.columns, row, strict=True)])


_AWKWARD = ["=SUM(A1)", "+7 912 345-67-89", "-5", "@user", "\tтаб", "\rвозврат", "a;b",
            'ООО "Ромашка"', "две\nстроки", None, float("nan"), "", " =пробел", "Иванов И. И.",
            "'уже", "+12", "\t+7 912 345 67 89", "-12345678901", "+٧٩١٢٣٤٥٦٧٨٩",
            "+7 (495) 123\n4567", "x\x00y\x1f", "«ёлка»", "+", "-", "=", "@", "1;2;3", '"',
            "8 (495) 123-45-67", pd.NA, "ok", "+123 45 67", "-1234567890123456",
            "+7\u00a0912\u00a0345-67-89", "+7\v912 345 67 89"]


def _awkward_frame() -> pd.DataFrame:
    n = len(_AWKWARD)
    dates = [dt.date(2026, 10, 1), None, dt.date(1999, 1, 31), pd.NaT] * n
    stamps = pd.Series(pd.to_datetime(["2026-10-01 23:30", None, "2001-02-03 00:00"] * n)[:n])
    mixed = [1, 2.5, "=x", dt.date(2026, 1, 2), None, float("nan"), True, 1e16, -0.0,
             pd.Timestamp("2026-03-04 05:06"), dt.datetime(2026, 5, 6, 7, 8), "+1"] * n
    return pd.DataFrame({
        "customer_id": range(n, 2 * n),  # integers
        "customer_name": pd.Series(_AWKWARD, dtype=object),
        "contact_person": pd.Series(_AWKWARD[::-1], dtype="str"),
        "email": pd.Series(_AWKWARD[3:] + _AWKWARD[:3], dtype=object),
        "phone": pd.Series(_AWKWARD, dtype="str"),
        "manager": pd.Series([None] * n, dtype=object),
        "segment": [1.5, float("nan"), 0.1 + 0.2, 3.0] * (n // 4) + [2.0] * (n % 4),
        "state": mixed[:n],
        "rung": pd.Series(_AWKWARD[5:] + _AWKWARD[:5], dtype=object),
        "value_band": stamps,
        "last_purchase": dates[:n],
        "mailing": pd.Series([None, "news"] * (n // 2) + ["news"] * (n % 2), dtype="str"),
        "occasion": [dt.date(2026, 11, 3), dt.datetime(2026, 11, 3, 1, 2)] * (n // 2)
        + [None] * (n % 2),
        "consent": ([dt.datetime(2026, 1, 1, 23, tzinfo=dt.UTC),
                     dt.datetime(2026, 1, 2, 2, tzinfo=dt.timezone(dt.timedelta(hours=3))),
                     dt.date(2026, 1, 1), None] * n)[:n],
    })


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_csv_is_byte_for_byte_what_cell_by_cell_writing_gives(code, tmp_path):
    lang = Lang(code)
    frame = _awkward_frame()
    headers = [f"h{i}" for i in range(len(frame.columns))]
    for rows in (frame, frame.iloc[::-2], frame.iloc[:0]):  # a mailing's rows: any index
        mailing._write_csv(rows, headers, tmp_path / "new.csv", lang)
        _reference_csv(rows, headers, tmp_path / "old.csv",
                       "%d.%m.%Y" if code == "ru" else "%Y-%m-%d")
        assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    text = (tmp_path / "new.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and not list(tmp_path.glob("*.partial"))


def test_the_csv_cells_are_formula_safe_and_phones_stay_as_typed(tmp_path):
    frame = _awkward_frame().iloc[:20]
    mailing._write_csv(frame, list(frame.columns), tmp_path / "a.csv", Lang("ru"))
    with (tmp_path / "a.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [r["customer_name"] for r in rows[:6]] == [
        "'=SUM(A1)", "'+7 912 345-67-89", "'-5", "'@user", "'\tтаб", "'\rвозврат"]
    assert [r["phone"] for r in rows[:3]] == ["'=SUM(A1)", "+7 912 345-67-89", "'-5"]
    assert rows[16]["phone"] == "\t+7 912 345 67 89" and rows[15]["phone"] == "'+12"
    assert rows[8]["customer_name"] == "две\nстроки" and rows[9]["customer_name"] == ""
    assert [r["last_purchase"] for r in rows[:4]] == ["01.10.2026", "", "31.01.1999", ""]
    assert rows[0]["value_band"] == "01.10.2026" and rows[1]["value_band"] == ""
    # one instant in two time zones: each its own date, as cell-by-cell writing has it
    assert [r["consent"] for r in rows[:2]] == ["01.01.2026", "02.01.2026"]


def _frame(customers: int, lang: Lang) -> pd.DataFrame:
    ids = [f"K{i:05d}" for i in range(customers)]
    base = pd.DataFrame({"customer_id": ids,
                         "state": ["active", "overdue", "at_risk", "lost"] * (customers // 4)
                         + ["lost"] * (customers % 4),
                         "last_purchase": [dt.date(2026, 10, 1)] * customers})
    table = pd.DataFrame({"customer_id": ids, "name": [f"=Клиент {i}" for i in ids],
                          "manager": "M", "phone": "+7 912 345-67-89", "email": None})
    people = lists.people(table, table["customer_id"])
    return mailing.mailing_list(base, people, lists.occasions(
        None, start=dt.date(2026, 11, 2), days=30), lang)


@pytest.mark.parametrize("code", ["ru", "en"])
def test_up_to_the_limit_the_workbook_is_written_and_above_it_the_csv_files_only(
        code, tmp_path, monkeypatch):
    lang = Lang(code)
    stem = "Рассылки" if code == "ru" else "mailings"
    monkeypatch.setattr(mailing, "WORKBOOK_MAX_CUSTOMERS", 6)
    files = mailing.write_mailing_lists(_frame(6, lang), tmp_path / "at", lang)
    assert f"{stem}.xlsx" in {f.name for f in files} and not mailing.mailing_csv_only(
        files, lang)
    assert len(list(openpyxl.load_workbook(files[0], read_only=True).worksheets[0].rows)) == 7
    files = mailing.write_mailing_lists(_frame(7, lang), tmp_path / "over", lang)
    assert all(f.suffix == ".csv" for f in files) and len(files) == 3
    assert sorted(f.name for f in (tmp_path / "over").iterdir()) == sorted(f.name for f in files)
    assert mailing.mailing_csv_only(files, lang)


def test_above_the_real_limit_every_customer_is_in_the_csv_files(tmp_path):
    lang = Lang("ru")
    customers = mailing.WORKBOOK_MAX_CUSTOMERS + 1
    frame = _frame(customers, lang)
    files = mailing.write_mailing_lists(frame, tmp_path, lang)
    assert [f.suffix for f in files] == [".csv"] * 3
    ids = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            ids += [row[0] for row in list(csv.reader(handle, delimiter=";"))[1:]]
    assert sorted(ids) == sorted(frame["customer_id"]) and len(ids) == customers
