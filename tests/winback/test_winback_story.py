"""The executive summary's win-back initiative reads the win-back section's results."""

from __future__ import annotations

import datetime as dt

import pytest

from playbook.report import story
from playbook.report.i18n import Lang


def test_the_initiative_uses_the_candidates_when_the_section_ran():
    results = {"winback": {"value_basis": "margin", "candidates": {
        "n": 21, "expected_value_12m": 1_234_000.0,
        "by_reason": {"terms": {"n": 12}, "offence": {"n": 2}, "unknown": {"n": 7}}}}}
    for code, words in (("ru", "21 кандидат на возврат (из них 12 ушли из-за условий)"),
                        ("en", "21 customers to win back (12 left over terms)")):
        items = {i.id: i for i in story.initiatives(results, Lang(code), dt.date(2026, 11, 1))}
        assert items["winback"].value == pytest.approx(1_234_000.0)
        assert words in items["winback"].basis
