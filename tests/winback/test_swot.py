"""The competitor scored: weighted scores, the factors to lead with, survey factor scores."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.winback import swot

FACTORS = [{"factor": "Цена", "weight": 1, "us": 2, "them": 5, "evidence": ""},
           {"factor": "Отсрочка", "weight": 3, "us": 4, "them": 2, "evidence": "договор"}]


def test_weights_are_shares_and_scores_are_weighted_sums():
    table = swot.factor_table(FACTORS)
    assert list(table["factor"]) == ["Отсрочка", "Цена"]  # our lead first
    assert list(table["weight_share"]) == [0.75, 0.25]
    assert list(table["weighted_gap"]) == [0.75 * 2, 0.25 * -3]
    ours, theirs = swot.weighted_scores(table)
    assert ours == pytest.approx(0.75 * 4 + 0.25 * 2)    # 3.5
    assert theirs == pytest.approx(0.75 * 2 + 0.25 * 5)  # 2.75
    assert swot.lead_factors(table) == ["Отсрочка"]


def test_no_factors_no_scores():
    table = swot.factor_table([])
    assert table.empty and swot.weighted_scores(table) == (None, None)
    assert swot.lead_factors(table) == []


def test_external_score_is_weighted():
    items = [{"item": "a", "weight": 1, "score": 5}, {"item": "b", "weight": 3, "score": 1}]
    assert swot.external_score(items) == pytest.approx(0.25 * 5 + 0.75 * 1)
    assert swot.external_score([]) is None


def test_survey_scores_factors_with_their_n():
    annual = pd.DataFrame({
        "main_competitor": ["ООО «Альфа»", "альфа", "Бета", None],
        "compare_price": [1, 3, 5, 2], "compare_service": [4, None, 5, 5]})
    comps = [{"name": "Альфа", "aliases": []}, {"name": "Гамма", "aliases": []}]
    got = swot.survey_factor_scores(annual, comps)
    assert got.to_dict("records") == [
        {"competitor": "Альфа", "factor": "price", "n": 2, "mean": 2.0, "worse_share": 0.5},
        {"competitor": "Альфа", "factor": "service", "n": 1, "mean": 4.0, "worse_share": 0.0}]


def test_survey_without_comparison_questions_is_skipped():
    annual = pd.DataFrame({"main_competitor": ["Альфа"], "recommend": [9]})
    assert swot.survey_factor_scores(annual, [{"name": "Альфа"}]).empty
    assert swot.survey_factor_scores(None, [{"name": "Альфа"}]).empty
