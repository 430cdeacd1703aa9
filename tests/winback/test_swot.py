"""The competitor scored: weighted scores, the factors to lead with, survey factor scores."""

from __future__ import annotations

import numpy as np
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


# --- pairwise weights (Saaty's AHP) ------------------------------------------------------------


def test_consistent_pairwise_comparisons_give_the_implied_weights():
    # weights 4 : 2 : 1 stated exactly: a = 2b, a = 4c, b = 2c -> lambda_max = n, CR = 0
    pairs = [{"more": "a", "less": "b", "ratio": 2}, {"more": "a", "less": "c", "ratio": 4},
             {"more": "b", "less": "c", "ratio": 2}]
    out = swot.ahp_weights(["a", "b", "c"], pairs)
    assert out["weights"] == pytest.approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})
    assert out["lambda_max"] == pytest.approx(3.0) and out["cr"] == pytest.approx(0, abs=1e-9)
    assert out["consistent"]


def test_an_inconsistent_set_is_flagged_with_saatys_ratio():
    # a > b, b > c, but c > a: a cycle
    pairs = [{"more": "a", "less": "b", "ratio": 5}, {"more": "b", "less": "c", "ratio": 5},
             {"more": "c", "less": "a", "ratio": 5}]
    out = swot.ahp_weights(["a", "b", "c"], pairs)
    ci = (out["lambda_max"] - 3) / 2
    assert out["ci"] == pytest.approx(ci) and out["cr"] == pytest.approx(ci / 0.58)
    assert out["cr"] > swot.CR_ACCEPTABLE and not out["consistent"]
    assert out["weights"] == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})  # symmetric


def test_saatys_textbook_example():
    # Saaty's 3x3 example: 1, 1/3, 1/2 / 3, 1, 3 / 2, 1/3, 1 -> weights about .16, .59, .25
    pairs = [{"more": "b", "less": "a", "ratio": 3}, {"more": "c", "less": "a", "ratio": 2},
             {"more": "b", "less": "c", "ratio": 3}]
    out = swot.ahp_weights(["a", "b", "c"], pairs)
    matrix = np.array([[1, 1 / 3, 1 / 2], [3, 1, 3], [2, 1 / 3, 1]])
    values, vectors = np.linalg.eig(matrix)
    top = np.abs(vectors[:, np.argmax(values.real)].real)
    assert list(out["weights"].values()) == pytest.approx(list(top / top.sum()))
    assert out["weights"]["b"] == pytest.approx(0.59, abs=0.01)
    assert out["lambda_max"] == pytest.approx(max(values.real))
    assert out["cr"] < swot.CR_ACCEPTABLE


@pytest.mark.parametrize(("pairs", "phrase"), [
    ([{"more": "a", "less": "b", "ratio": 2}], "'a' / 'c' is not compared"),
    ([{"more": "a", "less": "x", "ratio": 2}], "names 'x'"),
    ([{"more": "a", "less": "b", "ratio": 2}, {"more": "b", "less": "a", "ratio": 2}],
     "given twice"),
])
def test_incomplete_or_wrong_pairs_are_refused(pairs, phrase):
    with pytest.raises(ValueError, match=phrase):
        swot.ahp_weights(["a", "b", "c"], pairs)
