"""The executive summary's standards initiative: when compliance or the response to requests
is short of target, and never otherwise."""

from __future__ import annotations

import datetime as dt

import pytest

from playbook.report import story
from playbook.report.i18n import Lang

TODAY = dt.date(2026, 11, 2)


def _results(below: list[str], within: float | None, *, overall: float | None = 0.87) -> dict:
    standards = {"compliance": None if overall is None else
                 {"overall": overall, "below_target": below},
                 "response": None if within is None else
                 {"share_within_target": within, "target": 0.95, "limit_hours": 10}}
    return {"standards": standards}


@pytest.mark.parametrize("code", ["ru", "en"])
def test_standards_below_target_or_late_answers_make_an_initiative(code):
    lang = Lang(code)
    items = {i.id: i for i in story.initiatives(_results(["needs_questions", "appearance"], 0.97),
                                                 lang, TODAY)}
    item = items["standards"]
    assert item.value is None and item.value_text == lang.t("report.story.no_value")
    assert lang.pct(0.87, 0) in item.basis and lang.pct(0.97, 0) in item.basis
    assert item.owner == lang.t("report.owner.service_manager")
    assert item.due > TODAY and item.first_step
    late = {i.id: i for i in story.initiatives(_results([], 0.90, overall=None), lang, TODAY)}
    assert lang.pct(0.90, 0) in late["standards"].basis
    assert lang.pct(0.95, 0) in late["standards"].kpi


def test_no_initiative_when_every_standard_and_the_response_are_on_target():
    lang = Lang("en")
    on_target = {i.id for i in story.initiatives(_results([], 0.95), lang, TODAY)}
    assert "standards" not in on_target
    assert "standards" not in {i.id for i in story.initiatives({}, lang, TODAY)}
    assert "standards" in {i.id for i in story.initiatives(_results([], 0.949), lang, TODAY)}
