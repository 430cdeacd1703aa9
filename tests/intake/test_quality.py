"""The data-quality section's tables and advice name every issue intake can report."""

from __future__ import annotations

import re

import pytest

import playbook.intake as intake
from playbook.intake.views import ISSUE_ORDER, advice, issues_table
from playbook.report.i18n import Lang


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
