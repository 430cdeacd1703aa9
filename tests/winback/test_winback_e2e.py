"""`playbook run` on the demo client: the win-back section and its results, in both languages."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lang, title, words", [
    ("ru", "Возврат ушедших клиентов", ["Кандидатов на возврат", "Скрытые затраты",
                                        "Мы и «Склад-Маркет»"]),
    ("en", "Winning back customers who left", ["customers to win back", "Hidden costs",
                                               "Us and «Склад-Маркет»"]),
])
def test_the_section_is_in_the_report(demo_runs, lang, title, words):
    page = (demo_runs[lang] / "report.html").read_text("utf-8")
    assert f">{title}" in page
    section = page[page.rindex(f">{title}"):]  # the section, not the table of contents
    for word in words:
        assert word in section, word
    assert "winback." not in section and "competitor-template" not in page
    assert "<svg" in section


def test_results_hold_the_winback_keys(demo_runs):
    ru = json.loads((demo_runs["ru"] / "results.json").read_text("utf-8"))["winback"]
    en = json.loads((demo_runs["en"] / "results.json").read_text("utf-8"))["winback"]
    assert ru == en  # the numbers do not depend on the language
    cand = ru["candidates"]
    assert cand["n"] > 0 and set(cand["by_reason"]) == {"terms", "offence", "unknown"}
    assert sum(r["n"] for r in cand["by_reason"].values()) == cand["n"]
    assert ru["tests"]["drop_ran"] and ru["profile"] and ru["onepagers"]
    assert [c["name"] for c in ru["competitors"]] == ["«Склад-Маркет»", "ООО «Канцторг»"]
    for comp in ru["competitors"]:
        assert set(comp) >= {"name", "swot_us", "swot_them", "price_gap_share",
                             "hidden_cost_share", "net_gain_share"}


def test_the_summary_shows_the_winback_tiles(demo_runs):
    page = (demo_runs["ru"] / "report.html").read_text("utf-8")
    summary = page[page.index(">Краткие выводы"):page.rindex(">Возврат ушедших клиентов")]
    assert "Маржа кандидатов на возврат за год" in summary
    assert "Реальная выгода перехода к «Склад-Маркет»" in summary


def _client_data() -> list[str]:
    """Every text the demo client gave (its files and its competitor profile), longest first:
    what a report may show in the client's own language whatever the report's language.
    """
    import csv

    import yaml
    from conftest import ROOT

    demo = ROOT / "data_samples" / "demo"
    found: set[str] = set()
    for name in ("customers.csv", "transactions.csv", "survey_exit.csv", "survey_annual.csv"):
        with open(demo / name, encoding="cp1251", newline="") as handle:
            for row in csv.reader(handle, delimiter=";"):
                found.update(cell.strip() for cell in row[1:] if cell.strip())

    def walk(node) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.add(node)

    walk(yaml.safe_load((demo / "competitors.yaml").read_text(encoding="utf-8")))
    params = yaml.safe_load((ROOT / "params" / "clients" / "demo.yaml").read_text("utf-8"))
    found.add(params["client"]["name"])
    from playbook.report.privacy import mask_contacts

    found |= {mask_contacts(text, lang="en") for text in found}  # contacts in quotes are masked
    return sorted(found, key=len, reverse=True)


def test_the_english_section_has_no_russian_but_the_clients_own_text(demo_runs):
    """The factors to lead with, the factor table and chart and the call sentences are in
    English even though the demo's profile is written in Russian.
    """
    import html
    import re

    page = (demo_runs["en"] / "report.html").read_text("utf-8")
    title = "Winning back customers who left"
    start = page.rindex(f">{title}")
    end = page.find('<section class="chapter', start)  # the next chapter
    section = html.unescape(re.sub(r"<[^>]+>", " ", page[start:end if end > 0 else None]))
    assert "lead with where we are strongest: Payment terms, Delivery and lead times" in section
    for text in _client_data():
        section = section.replace(text, " ")
    left = re.findall(r"[А-Яа-яЁё][^\n<]{0,40}", section)
    assert left == []
    offers = sorted((demo_runs["en"] / "exports" / "winback").glob("*.html"))
    assert offers and "Payment terms" in offers[0].read_text("utf-8")
