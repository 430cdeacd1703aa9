"""The one-page offer: its numbers in both languages, escaping, no network, the discount only
when allowed, safe and distinct file names, and the demo run writing them.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from playbook import exports
from playbook.report.i18n import Lang
from playbook.winback import onepager

HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://evil.example","x")'


def _offer(**changes) -> onepager.Offer:
    values = dict(
        customer_id="C-1", name="ООО «Ромашка»", competitor="«Склад-Маркет»",
        as_of=dt.date(2026, 10, 31), first_purchase=dt.date(2022, 4, 30),
        spend=1_000_000.0, orders=12.0, avg_order=83_333.0, price_gap_share=0.06,
        price_saving=60_000.0, hidden_costs=45_000.0, net_gain=15_000.0,
        net_gain_share=0.015,
        lines=[("price", 60_000.0), ("delivery", -12_000.0), ("defects", -8_000.0),
               ("payment", -13_000.0), ("reliability", -2_000.0), ("lead_time", 0.0),
               ("switching", -10_000.0)],
        lead=["Отсрочка платежа", "<b>Качество</b>"],
        us={"deferral_days": 30, "lead_time_days": 1, "on_time_share": 0.96,
            "response_hours": 2},
        them={"price_index": 0.94, "deferral_days": 0},
        talking_point="ООО «Ромашка»: «…»")
    return onepager.Offer(**(values | changes))


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_page_holds_the_customers_numbers(code):
    lang = Lang(code, "RUB")
    page = onepager.build(_offer(), lang, company="ООО «Вектор»")
    for amount in (1_000_000, 83_333, 60_000, 45_000, 15_000, 12_000, 8_000, 13_000, 10_000):
        assert str(lang.money(amount)) in page, amount
    assert lang.pct(0.06, 0) in page and lang.pct(0.015, 1) in page
    assert lang.date(dt.date(2022, 4, 30), "compact") in page
    assert lang.num(4.5, 1) in page  # years with us: 30 Apr 2022 to 31 Oct 2026
    assert lang.t("winback.line.lead_time") not in page  # no difference: no row
    assert "&lt;b&gt;Качество&lt;/b&gt;" in page and "<b>" not in page
    assert "{" not in page.split("<style>")[0] + page.split("</style>")[1]
    assert "winback." not in page and "<script" not in page
    assert "http://" not in page and "https://" not in page and "//" not in page
    assert "30" in page and lang.pct(0.96, 0) in page  # the levers carry our terms


@pytest.mark.parametrize("code", ["ru", "en"])
def test_a_hostile_name_is_escaped_and_nothing_is_fetched(code):
    page = onepager.build(_offer(name=HOSTILE, competitor="<img src=x>",
                                 lead=['<a href="https://x">x</a>']),
                          Lang(code, "RUB"), company="<i>Co</i>")
    assert "<script" not in page.lower() and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;" in page and "=HYPERLINK(" in page
    assert not re.search(r"<(?:script|img|a|link|iframe|object)\b|<[^>]*\s(?:href|src)=", page)
    assert "<i>" not in page and "@import" not in page and "url(" not in page
    assert "@page" in page and "size: A4" in page


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_discount_only_when_allowed(code):
    lang = Lang(code, "RUB")
    share = lang.pct(0.015, 1)
    line = lang.t("winback.onepager.discount", share=share, competitor="«Склад-Маркет»")
    assert line not in onepager.build(_offer(), lang, company="X")
    assert line in onepager.build(_offer(), lang, company="X", discount_allowed=True)
    loss = _offer(net_gain=-5_000.0, net_gain_share=-0.005)
    assert onepager.discount_share(loss) is None  # switching loses already: no discount
    assert share not in onepager.build(loss, lang, company="X", discount_allowed=True)


def test_levers_follow_the_terms():
    keys = [k for k, _ in onepager.levers({"deferral_days": 30}, {"deferral_days": 45})]
    assert keys == ["delivery", "service"]  # they defer longer: payment is no lever
    assert [k for k, _ in onepager.levers({"deferral_days": 30}, {})][0] == "payment"
    assert onepager.discount_share(_offer()) == pytest.approx(0.015)
    assert onepager.discount_share(_offer(net_gain=15_001.0)) == pytest.approx(0.02)


def test_file_names_are_safe_and_distinct():
    a = exports.offer_stem("ООО «Альфа»", "C-1")
    b = exports.offer_stem("ООО Альфа", "C-2")
    assert a != b and a.split("-")[0] == b.split("-")[0] == "ООО_Альфа"
    assert exports.offer_stem("ООО «Альфа»", "C-1") == a  # the same customer, the same file
    for name in (HOSTILE, "CON", "../../etc/passwd", "a\\b:c*?\"<>|", "", None, "😀" * 40):
        stem = exports.offer_stem(name, "C-9")
        assert re.fullmatch(r"[^\W_]+(?:_[^\W_]+)*-[0-9a-f]{8}|customer-[0-9a-f]{8}", stem), stem
        assert len(stem.encode("utf-8")) <= 70
    assert exports.offer_stem(HOSTILE, "C-9").startswith("script_alert_1_script_HYPERLINK")


def test_offers_are_written_atomically_and_never_share_a_file(tmp_path):
    written = exports.write_offers({"a-1": "<p>a</p>", "b-2": "<p>b</p>"}, tmp_path / "w",
                                   pdf=False)
    assert written.relative(tmp_path) == ["w/a-1.html", "w/b-2.html"]
    assert not list((tmp_path / "w").glob("*.partial")) and written.pdf_error is None
    with pytest.raises(RuntimeError, match="share one file"):
        exports.write_offers({"Ab-1": "x", "ab-1": "y"}, tmp_path / "v", pdf=False)


def test_without_chromium_the_offers_stay_html(tmp_path, monkeypatch):
    from playbook.report import document
    from playbook.winback import views

    monkeypatch.setattr(document, "find_chromium", lambda: None)
    written = exports.write_offers({"a-1": "<p>a</p>"}, tmp_path)
    assert written.pdf == [] and written.pdf_error == "none"
    notes = views.onepager_notes(written, Lang("ru", "RUB"))
    assert len(notes) == 1 and "Chromium" in notes[0]


@pytest.mark.slow
def test_the_demo_run_writes_the_offers_and_records_them(demo_runs):
    for code in ("ru", "en"):
        run = demo_runs[code]
        recorded = json.loads((run / "results.json").read_text("utf-8"))["winback"]["onepagers"]
        files = sorted(p.relative_to(run).as_posix()
                       for p in (run / "exports" / "winback").glob("*.html"))
        assert recorded == files and 0 < len(files) <= 10
        page = (run / files[0]).read_text("utf-8")
        assert f'<html lang="{code}">' in page and "<script" not in page
        assert "http://" not in page and "https://" not in page
        if document_pdf := sorted((run / "exports" / "winback").glob("*.pdf")):
            assert len(document_pdf) == len(files)


@pytest.mark.slow
def test_the_win_back_list_links_each_offer(demo_runs):
    import openpyxl

    run = demo_runs["ru"]
    recorded = json.loads((run / "results.json").read_text("utf-8"))["winback"]["onepagers"]
    actions = []
    for path in (run / "exports").glob("*.xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        if "Вернуть" in book.sheetnames:
            rows = list(book["Вернуть"].values)
            column = rows[0].index("Что сделать") if "Что сделать" in rows[0] else None
            if column is not None:
                actions += [r[column] for r in rows[1:] if r[column]]
    linked = {m for a in actions for m in re.findall(r"winback/[^\s]+\.html", a)}
    assert linked and linked <= {p.removeprefix("exports/") for p in recorded}
