"""The lifetime-value notebook's views when a model cannot be fitted."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from playbook.errors import DataError
from playbook.ltv import formulas as ltv
from playbook.ltv import views as ltv_views
from playbook.ltv import views_value
from playbook.report.i18n import Lang


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


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_consultant_reads_why_the_model_failed_in_their_language(demo_run, code):
    """A calibration end before the first purchase: the model's own cause, in words."""
    before = demo_run.transactions(columns=["date"])["date"].min().date() - dt.timedelta(1)
    early = demo_run.params.ltv.model_copy(update={"calibration_end": before})
    run = replace(demo_run, params=demo_run.params.model_copy(update={"ltv": early}))
    res = ltv_views.analyse(run)
    assert res.bg is None and res.model_cause == {"why": "no_history", "date": before}
    assert "No customer has a purchase" in ltv_views.results(res)["model_error"]
    lang = Lang(code)
    (note,) = [n for n in ltv_views.consultant_notes(res, run, lang) if "ltv.model_error" in n]
    assert str(lang.date(before)) in note and "No customer" not in note


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
    assert not any("Raise annual retention" in str(a) for a in advice)


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


# --- the body speaks plainly; the statistics go to the technical appendix -------------------

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "20_ltv.ipynb"


def _cells() -> list[dict]:
    import json

    return json.loads(NOTEBOOK.read_text("utf-8"))["cells"]


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.mark.parametrize("call", ["views.model_table(", "views.model_appendix_sentences(",
                                  "views.holdout_appendix_sentences(", "views.holdout_chart(",
                                  "views.holdout_chart_note("])
def test_the_models_statistics_are_in_the_appendix(call):
    (cell,) = [c for c in _cells() if call in "".join(c["source"])]
    assert "appendix" in _tags(cell)


def test_the_appendix_has_a_heading_in_both_languages_and_the_notes_stay_out():
    cells = _cells()
    headings = [c for c in cells if c["cell_type"] == "markdown" and "appendix" in _tags(c)]
    assert {t for c in headings for t in _tags(c)} >= {"lang-ru", "lang-en"}
    (notes,) = [c for c in cells if "views.consultant_notes(" in "".join(c["source"])]
    assert _tags(notes) == {"consultant-only"}
    body = "".join("".join(c["source"]) for c in cells
                   if c["cell_type"] == "markdown" and not _tags(c) & {"appendix"})
    assert "BG/NBD" not in body and "Gamma-Gamma" not in body


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_body_keeps_the_conclusion_and_the_appendix_says_what_each_figure_means(demo_run,
                                                                                   code):
    res = ltv_views.analyse(demo_run)
    lang = Lang(code)
    h = res.holdout
    body = " ".join(str(s) for s in ltv_views.model_sentences(res, demo_run, lang)
                    + ltv_views.holdout_sentences(res, lang))
    for figure in (lang.num(h["corr"], 2), lang.num(h["mae"], 2), lang.num(h["rmse"], 2),
                   lang.num(res.bg.r, 3), "BG/NBD", "Gamma"):
        assert str(figure) not in body, figure
    assert str(lang.int(h["total_predicted"])) in body and str(lang.int(h["total_actual"])) in body
    assert ltv_views.holdout_verdict(h) == "good"  # the demo: 1.9% off, correlation 0.75
    assert lang.t("ltv.holdout_verdict.good") in body
    appendix = " ".join(str(s) for s in ltv_views.model_appendix_sentences(res, lang)
                        + ltv_views.holdout_appendix_sentences(res, lang))
    for figure in (lang.num(h["corr"], 2), lang.num(h["mae"], 2), lang.num(h["rmse"], 2)):
        assert str(figure) in appendix
    meaning = {"ru": ["Стандартная ошибка показывает", "Корреляция", "Средняя абсолютная ошибка",
                      "среднеквадратичная ошибка"],
               "en": ["standard error says", "correlation", "mean absolute error",
                      "root mean square error"]}[code]
    assert all(m in appendix for m in meaning)
    table = ltv_views.model_table(res, lang)
    assert table.iloc[:, -1].str.len().gt(10).all()  # every parameter says what it means


@pytest.mark.parametrize("total, corr, verdict", [
    (1.05, 0.8, "good"), (0.95, 0.2, "level_only"), (1.4, 0.7, "rank_only"),
    (0.5, 0.1, "poor")])
def test_the_forecast_verdict(total, corr, verdict):
    h = {"total_actual": 100.0, "total_predicted": 100.0 * total, "corr": corr}
    assert ltv_views.holdout_verdict(h) == verdict


# --- the seeds' claims as the client's own numbers ------------------------------------------

@pytest.mark.parametrize("code, own, seed", [
    ("ru", "привлечь клиента в 6,0 раза дороже", "в пределах обычной оценки «в 5–7 раз»"),
    ("en", "costs 6.0 times more", "within the usual \"5–7 times\"")])
def test_new_against_kept_customer_cost_is_the_clients_own(demo_run, code, own, seed):
    res = ltv_views.analyse(demo_run)
    text = " ".join(str(ltv_views.spend_sentence(res, Lang(code))).split())
    assert own in text and seed in text
    results = ltv_views.results(res)
    assert results["cost_ratio"] == pytest.approx(6.0, abs=0.05)
    res.spend = None  # no marketing spend given: the seed's claim, and what would make it ours
    text = " ".join(str(ltv_views.spend_sentence(res, Lang(code))).split())
    assert "5–7" in text and "ltv.marketing" not in text
    assert {"ru": "затраты по кварталам", "en": "spend per quarter"}[code] in text


@pytest.mark.parametrize("code, says", [("ru", "нельзя сказать"), ("en", "cannot tell")])
def test_spend_on_periods_without_a_customer_won_or_kept_gives_no_cost(demo_run, code, says):
    """Spend for periods the sales data does not cover (a new client's first month): no cost
    per customer and no ratio, rather than the whole budget as one customer's cost."""
    res = ltv_views.analyse(demo_run)
    for column in ("new", "kept"):
        res.spend = ltv_views.analyse(demo_run).spend.assign(**{column: 0})
        text = " ".join(str(ltv_views.spend_sentence(res, Lang(code))).split())
        assert says in text and "NaN" not in text and "5–7" not in text
        assert ltv_views.results(res).get("cost_ratio") is None


@pytest.mark.parametrize("share, key", [(0.1, "below"), (0.255, "within"), (1.2, "above")])
def test_bains_range_against_the_clients_own_what_if(demo_run, share, key):
    res = ltv_views.analyse(demo_run)
    res.whatif = dict(res.whatif, ltv_change_share=share)
    _, bain = ltv_views.whatif_sentences(res, demo_run, Lang("en"))
    assert bain == Lang("en").t(f"ltv.whatif_bain.{key}", share=Lang("en").pct(share),
                                near=Lang("en").pct(res.whatif["profit_change_share"]),
                                months=Lang("en").int(12))
    assert "25–95%" in bain and Lang("en").pct(share) in bain


# --- counts reconcile -----------------------------------------------------------------------

def test_monthly_quarterly_and_yearly_retention_are_one_measure(demo_run):
    res = ltv_views.analyse(demo_run)
    fig = ltv_views.retention_figures(res, "quarter")
    assert fig["monthly"] == res.factors.retention
    assert fig["annual"] == pytest.approx(res.whatif["annual_retention"])
    assert abs(fig["compounded"] - fig["recent"]) < 0.02  # 92.2% against 91.7% in the demo
    text = " ".join(str(ltv_views.retention_sentence(res, demo_run, Lang("en"))).split())
    for value in (fig["monthly"], fig["compounded"], fig["recent"], fig["annual"]):
        assert str(Lang("en").pct(value)) in text
    assert ltv_views.results(res)["retention"] == {"period": "quarter", **{
        k: fig[k] for k in ("monthly", "compounded", "recent", "annual")}}


def test_the_active_customers_of_the_model_and_of_the_window_are_told_apart(demo_run):
    res = ltv_views.analyse(demo_run)
    text = " ".join(" ".join(str(s).split())
                    for s in ltv_views.activity_sentences(res, demo_run, Lang("en")))
    active = int(res.activity["active"].sum())
    assert f"{active:,} of 3,000" in text
    assert f"More bought in the last 12 months: {res.factors.customers:,}" in text
    # the segment table counts the same window's buyers
    table = ltv_views.segment_table(res, Lang("en"))
    column = "Customers buying in the last 12 months"
    assert sum(int(str(v).replace(",", "")) for v in table[column]) == res.factors.customers


# --- the executive summary: money for people, plain labels ----------------------------------

@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_summary_rounds_money_and_says_what_each_figure_is(demo_run, code):
    lang = Lang(code)
    res = ltv_views.analyse(demo_run)
    results = ltv_views.results(res) | {"retain_tasks": 21}
    figures, advice = views_value._summary({"ltv": results}, lang)
    figures = dict(figures)
    assert figures[lang.t("ltv.summary.ltv")] == lang.money_short(res.factors.ltv)
    assert figures[lang.t("ltv.summary.clv", months=lang.int(12))] == lang.money_short(
        results["clv_total"])
    assert lang.t("ltv.summary.crr", period=lang.t("ltv.period.quarter")) in figures
    assert figures[lang.t("ltv.summary.cost_ratio")] == lang.t(
        "ltv.summary.cost_ratio_value", ratio=lang.num(results["cost_ratio"], 1))
    text = " ".join(str(a) for a in advice)
    assert str(lang.money_short(results["whatif_retention_plus5"]["profit_change"])) in text
    assert {"ru": "21 клиент в списках", "en": "21 customers on"}[code] in text


@pytest.mark.parametrize(("reason", "ru_words", "en_words"), [
    ("nearly_all_alive", "не больше", "up to"),
    ("dropout_near_zero", "верхняя граница", "upper bound"),
    ("short_history", "по короткой истории", "short history"),
])
def test_the_forecast_tile_carries_the_caveat_of_the_activity_rule(reason, ru_words, en_words):
    """When the model cannot tell who has left (Online Retail), the summary's forecast tile
    says it is an upper bound, as the section's text does; with the model, no caveat.
    """
    data = {"value_basis": "revenue", "clv_total": 812_600_000.0, "horizon_months": 12,
            "activity_rule": "recency", "activity": {"reason": reason}}
    for code, words in (("ru", ru_words), ("en", en_words)):
        lang = Lang(code)
        label = lang.t("ltv.summary.clv_revenue", months=lang.int(12))
        tile = dict(views_value._summary({"ltv": data}, lang)[0])[label]
        assert words in tile and str(lang.money_short(812_600_000.0)) in tile
        modelled = data | {"activity_rule": "model", "activity": {"reason": None}}
        assert dict(views_value._summary({"ltv": modelled}, lang)[0])[label] == \
            lang.money_short(812_600_000.0)


def test_the_retain_list_is_an_early_warning_apart_from_the_at_risk_and_the_lost(demo_run):
    """Valuable customers already late against their rhythm are the segmentation's "at
    risk" calls, the lost go to the win-back: the retain list holds neither, and says so.
    """
    from playbook.segmentation import rhythm

    res = ltv_views.analyse(demo_run)
    picked, left_out = views_value._retain_split(res, demo_run)
    status = rhythm.rhythm(demo_run.summary(), demo_run.as_of).set_index("customer_id")["status"]
    assert set(status.reindex(picked["customer_id"])) <= {"active"}
    assert left_out["late"] > 0 and left_out["lost"] > 0  # the demo has both
    assert len(ltv_views.retain_tasks(res, demo_run)) == len(picked)
    text = " ".join(" ".join(str(s).split())
                    for s in ltv_views.clv_sentence(res, demo_run, Lang("en")))
    assert f"({left_out['late']} of the valuable" in text and f"({left_out['lost']})" in text


def test_the_retain_list_takes_the_runs_context_only_when_made_with_the_same_chances(
        demo_run, tmp_path):
    """Under ``playbook run`` the retain list reuses the tasks' context the segmentation's
    lists made for the run; with other probabilities still active it makes its own."""
    import shutil

    shutil.copytree(demo_run.run_dir, tmp_path / "run")
    run = replace(demo_run, run_dir=tmp_path / "run", reuse=True)
    res = ltv_views.analyse(run)
    assert res.activity_rule == "model"  # the demo's model can tell: p_alive is shown
    plain = ltv_views.retain_tasks(ltv_views.analyse(demo_run), demo_run)
    assert len(plain) and plain["p_alive"].notna().all()
    pd.testing.assert_frame_equal(ltv_views.retain_tasks(res, run), plain)
    assert list((tmp_path / "run" / "data" / "cache").glob("task-context-*.pickle"))
    other = res.customers.assign(p_alive=res.customers["p_alive"] * 0.5)
    changed = replace(res, customers=other)
    mine = ltv_views.retain_tasks(changed, run)
    pd.testing.assert_frame_equal(mine, ltv_views.retain_tasks(changed, demo_run))
    shown = mine.set_index("customer_id")["p_alive"]
    assert (shown == other.set_index("customer_id")["p_alive"].reindex(shown.index)).all()
