"""The lifetime-value notebook's views when a model cannot be fitted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from playbook.errors import DataError
from playbook.intake import run_intake
from playbook.ltv import formulas as ltv
from playbook.ltv import views as ltv_views
from playbook.ltv import views_value
from playbook.params import load_params
from playbook.report.i18n import Lang
from playbook.running.context import RunContext, intake_dir

DEMO = Path(__file__).resolve().parents[2] / "params" / "clients" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> RunContext:
    """The demo client's run folder with intake done (the notebooks are not run)."""
    params = load_params(DEMO)
    folder = tmp_path_factory.mktemp("ltv_demo")
    run_intake(params, intake_dir(folder))
    return RunContext(params=params, run_dir=folder)


def test_a_spend_model_that_fails_takes_the_purchase_model_with_it(demo_run, monkeypatch):
    # BG/NBD fits the demo; a Gamma-Gamma failure used to leave it half-fitted, and the
    # notebook then failed on the missing spend model.
    def fail(_summary):
        raise DataError("The Gamma-Gamma fit did not converge.")

    monkeypatch.setattr(ltv_views.gammagamma, "fit_gamma_gamma", fail)
    res = ltv_views.analyse(demo_run)
    assert res.bg is None and res.gg is None
    assert res.model_error == "The Gamma-Gamma fit did not converge."
    assert ltv_views.results(res)["model_error"] == res.model_error
    for code, word in (("ru", "не удалось"), ("en", "could not be estimated")):
        (sentence,) = ltv_views.model_sentences(res, demo_run, Lang(code))
        assert word in sentence and "converge" not in sentence


def test_without_a_model_the_value_section_says_so(demo_run, monkeypatch):
    monkeypatch.setattr(ltv_views.bgnbd, "fit_bgnbd", lambda *a, **k: (_ for _ in ()).throw(
        DataError("Only 3 customers have a repeat purchase.")))
    res = ltv_views.analyse(demo_run)
    sentence, *activity = ltv_views.clv_sentence(res, demo_run, Lang("en"))
    assert "not estimated" in sentence
    assert ltv_views.retain_tasks(res, demo_run).empty
    # who is active is still said, by the recency rule, which needs no model
    assert res.activity_rule == "recency" and res.activity_reason == "no_model"
    assert "By this rule" in " ".join(activity)
    assert ltv_views.results(res)["activity"]["reason"] == "no_model"


@pytest.mark.parametrize("curve, expected", [
    ({0: 1.0, 1: 0.5, 6: 0.4, 12: 0.3}, "50.0% buy again the next month, 40.0% six months on "
                                        "and 30.0% a year on"),
    ({0: 1.0, 1: 0.5, 6: 0.4}, "50.0% buy again the next month and 40.0% six months on; "
                               "the history is too short to look a year ahead"),
    ({0: 1.0, 1: 0.5}, "50.0% buy again the next month; the history is too short to look "
                       "six months ahead"),
    ({0: 1.0}, "too little history"),
])
def test_the_cohort_sentence_names_only_the_horizons_the_history_covers(curve, expected):
    res = ltv_views.LtvAnalysis.__new__(ltv_views.LtvAnalysis)
    res.curve = curve
    text = " ".join(str(ltv_views.cohort_sentence(res, Lang("en"))).split())
    assert expected in text and "—" not in text


def test_retention_at_the_cap_is_not_offered_five_more_points(demo_run):
    res = ltv_views.analyse(demo_run)
    assert res.whatif["ltv_change"] > 0  # the demo: room to grow
    assert "rose by 5 points" in " ".join(ltv_views.whatif_sentences(res, demo_run, Lang("en")))
    high = replace(res.factors, retention=0.9995, T=ltv.MAX_LIFETIME_MONTHS)
    res.whatif = ltv.whatif_retention(high, high.customers)
    assert res.whatif["ltv_change"] == 0  # the lifetime is already at its 120-month cap
    (sentence,) = ltv_views.whatif_sentences(res, demo_run, Lang("en"))
    assert "already high" in sentence
    _, advice = views_value._summary({"ltv": ltv_views.results(res)}, Lang("en"))
    assert not any("Raise retention" in str(a) for a in advice)


@pytest.mark.parametrize("source, share, word, p_shown", [
    ("data", 0.25, "of margin", "25.0%"), ("parameters", 0.3, "of margin", "30.0%"),
    (None, 1.0, "of revenue", "—")])
def test_ltv_is_called_revenue_when_no_margin_is_known(demo_run, source, share, word,
                                                       p_shown):
    res = ltv_views.analyse(demo_run)
    res.factors = replace(res.factors, margin_known=source is not None, P=share,
                          p_source=source)
    res.value_basis = "margin" if source else "revenue"
    first = ltv_views.factors_sentences(res, Lang("en"))[0]
    assert word in first
    table = ltv_views.factors_table(res, Lang("en"))
    assert table.iloc[2, 2] == p_shown
    assert (ltv_views.results(res)["simple"]["P"] is None) == (source is None)
