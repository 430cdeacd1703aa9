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
