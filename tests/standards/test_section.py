"""The section's views in both languages (escaped client text, no consultant words), the
summary's contribution, and a run without any standards data end to end."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, write_tiny_client

from playbook.report.document import build_summary
from playbook.report.i18n import Lang
from playbook.standards import views
from playbook.standards import views_control as control
from playbook.standards.catalog import catalog
from playbook.standards.measure import measure
from playbook.standards.rollout import plan
from playbook.standards.settings import Rollout, Standards
from playbook.standards.signs import warning_signs

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def analysis():
    rng = np.random.default_rng(13)
    n = 3000
    dates = rng.choice(pd.date_range("2025-01-01", "2026-06-30", freq="D"), n)
    after = dates >= np.datetime64("2025-10-01")
    audits = pd.DataFrame({"date": dates, "branch": rng.choice(["<b>North</b>", "South"], n),
                           "employee": rng.choice(["<script>x</script>", "Ann", "Bob"], n),
                           "item": rng.choice(["greet_customer", "appearance", "odd_item"], n),
                           "passed": rng.random(n) < np.where(after, 0.9, 0.6),
                           "row": np.arange(2, n + 2)})
    settings = Standards(rollout=Rollout(start=dt.date(2025, 8, 4),
                                         branches=["<b>North</b>", "South"],
                                         pilot=["<b>North</b>"], pilot_weeks=4))
    table = catalog(settings)
    tx = pd.DataFrame({"customer_id": [f"C{i % 50}" for i in range(400)],
                       "date": pd.date_range("2024-06-01", periods=400, freq="2D"),
                       "amount": 100.0})
    return views.StandardsAnalysis(
        settings=settings, catalog=table, signs=warning_signs(tx, AS_OF),
        measured=measure(table, settings, AS_OF, audits=audits), plan=plan(settings.rollout),
        as_of=AS_OF, switched_off=[])


@pytest.mark.parametrize("code", ["ru", "en"])
def test_every_view_renders_escaped_and_without_consultant_words(analysis, code):
    from playbook.report.render import figure, show, table

    lang = Lang(code)
    parts = [table(views.signs_table(analysis, lang)), show(*views.signs_sentences(analysis, lang)),
             table(views.catalog_table(analysis, lang)),
             show(*control.compliance_sentences(analysis, lang)),
             table(control.standards_table(analysis, lang)),
             table(control.branch_table(analysis, lang)),
             show(*control.signal_sentences(analysis, lang)),
             show(*control.best_sentences(analysis, lang)),
             table(control.best_table(analysis, lang)),
             show(*control.fix_sentences(analysis, lang)),
             show(*control.unknown_sentences(analysis, lang)),
             show(*control.plan_sentences(analysis, lang)),
             show(*control.employee_sentences(analysis, lang)),
             table(control.questions_table(lang))]
    markup = "".join(p._repr_html_() for p in parts)
    assert "<script>" not in markup and "<b>North" not in markup
    assert "&lt;b&gt;North&lt;/b&gt;" in markup
    for word in ("standards.", "data.audits", "switch_off", "playbook "):
        assert word not in markup
    assert "odd_item" in markup  # the unknown item is reported to the reader
    assert set(analysis.measured.employee_charts) == {"<script>x</script>", "Ann", "Bob"}
    assert lang.t("standards.series.employee", employee="Ann").replace("Ann", "") in markup \
        or lang.t("standards.employees.quiet") in markup
    for chart in (control.compliance_chart(analysis, lang), control.plan_chart(analysis, lang),
                  control.employee_chart(analysis, lang)):
        assert "<svg" in figure(chart, alt="x").svg
    notes = " ".join(views.consultant_notes(analysis, lang))
    assert "odd_item" in notes and "standards.add" in notes


def test_results_and_the_summary_contribution(analysis):
    out = views.results(analysis)
    json.dumps(out)  # plain JSON
    assert {s["sign"] for s in out["warning_signs"]} >= {"complaints", "base", "satisfied"}
    std = out["standards"]
    assert std["compliance"]["overall"] == pytest.approx(0.9, abs=0.04)
    assert std["unknown_items"] == {"odd_item": int((analysis.measured.unknown["checks"]).sum())}
    assert std["best"] and std["plan"][0]["stage"] == "develop"
    for code in ("ru", "en"):
        summary = build_summary(out, Lang(code))
        labels = [label for label, _ in summary["figures"]]
        assert Lang(code).t("standards.summary.signs") in labels
        assert Lang(code).t("standards.summary.compliance") in labels


@pytest.mark.slow
def test_a_run_without_standards_data_still_shows_the_section(tmp_path):
    params = write_tiny_client(tmp_path / "c", language="en", extra={
        "run": {"notebooks": ["00_intake.ipynb", "50_standards.ipynb"]}})
    done = run_cli("run", str(params), "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text("utf-8"))
    assert all(s["status"] == "unknown" for s in results["warning_signs"])
    assert results["standards"]["compliance"] is None
    assert results["standards"]["logs"] == {"audits": False, "calls": False, "requests": False,
                                            "training": False}
    report = (tmp_path / "run" / "report.html").read_text("utf-8")
    assert "Service standards" in report and "Questions before you launch" in report
    assert "A call log (time, employee" in report
    assert "data.audits" not in report and "standards-doc" not in report


def test_the_checklist_workbook_keeps_formulas_as_text(analysis, tmp_path):
    from openpyxl import load_workbook

    from playbook.standards.workbook import write_checklist

    hostile = analysis.settings.rollout.model_copy(update={"branches": ["=HYPERLINK(\"x\")",
                                                                        "South"],
                                                           "pilot": ["=HYPERLINK(\"x\")"]})
    res = views.StandardsAnalysis(**{**analysis.__dict__, "plan": plan(hostile)})
    for code in ("ru", "en"):
        path = write_checklist(res, Lang(code), tmp_path / code)
        book = load_workbook(path)
        assert len(book.sheetnames) == 3
        plan_sheet = book.worksheets[0]
        cell = plan_sheet.cell(row=3, column=2)
        assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s"
        assert isinstance(plan_sheet.cell(row=2, column=4).value, dt.datetime)
        questions = book.worksheets[1]
        assert questions.max_row == 11


@pytest.mark.parametrize("verdict", ["estimated", "too_short", "too_few_branches", "no_plan",
                                     "no_branch"])
@pytest.mark.parametrize("method", ["difference-in-differences", "segmented time series"])
def test_the_effect_is_told_in_words_whatever_the_verdict(analysis, verdict, method):
    from playbook.standards.effect import Effect, PilotEffect

    effect = Effect("repeat_rate", verdict, method=method, estimate=0.02, ci_low=-0.01,
                    ci_high=0.05, n_branches=10, n_treated=5, periods_before=12,
                    periods_after=2, baseline=0.3, pretrend_p=0.4)
    res = views.StandardsAnalysis(**{**analysis.__dict__,
                                     "effect": PilotEffect(effect, pd.DataFrame(),
                                                           pd.DataFrame())})
    for code in ("ru", "en"):
        text = " ".join(control.effect_sentences(res, Lang(code)))
        assert text and "{" not in text
        if verdict == "estimated":
            assert ("2,0" if code == "ru" else "2.0") in text


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_effect_table_gives_every_outcome_in_its_unit_and_the_few_branches_caveat(code):
    from playbook.standards.effect import Effect, PilotEffect

    lang = Lang(code)
    common = {"verdict": "estimated", "n_branches": 3, "n_treated": 1, "periods_before": 11,
              "periods_after": 6, "errors": "hac", "pretrend_p": 0.4}
    outcomes = {
        "repeat_rate": Effect("repeat_rate", estimate=0.06, ci_low=0.02, ci_high=0.1,
                              baseline=0.26, **common),
        "revenue_per_customer": Effect("revenue_per_customer", estimate=1500.0, ci_low=-200.0,
                                       ci_high=3200.0, baseline=12000.0, **common),
        "crr": Effect("crr", estimate=-0.03, ci_low=-0.05, ci_high=-0.01, baseline=0.95,
                      **common),
        "complaints": Effect("complaints", "no_data")}
    effect = PilotEffect(outcomes["repeat_rate"], pd.DataFrame(), pd.DataFrame(), outcomes)
    res = views.StandardsAnalysis(settings=Standards(), catalog=pd.DataFrame(), signs=[],
                                  measured=None, plan=pd.DataFrame(), as_of=AS_OF,
                                  switched_off=[], effect=effect)
    table = control.effect_table(res, lang)
    assert len(table) == 4
    verdicts = table.iloc[:, -1].tolist()
    assert verdicts == [lang.t(f"standards.effect_verdict.{v}")
                        for v in ("up", "unclear", "down", "no_data")]
    assert table.iloc[0, 1] == "+6" + ("," if code == "ru" else ".") + "0"
    assert table.iloc[3, 1] == "—"
    sentences = control.effect_sentences(res, lang)
    assert sentences[-1] == lang.t("standards.effect.few_branches", n=lang.int(3),
                                   need=lang.int(5))
    out = effect.as_json()
    assert set(out["outcomes"]) == set(outcomes) and "detail" not in out["outcomes"]["crr"]
    assert {"method", "estimate", "ci_low", "ci_high", "n_branches"} <= set(out)


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_chain_names_training_as_its_first_link_when_there_is_a_training_log(code):
    from playbook.report.render import figure

    lang = Lang(code)
    links = pd.DataFrame({"source": ["training", "compliance"],
                          "target": ["compliance", "satisfied"], "r": [0.9, np.nan],
                          "ci_low": [0.2, np.nan], "ci_high": [0.99, np.nan], "n": [6, 3]})
    res = views.StandardsAnalysis(settings=Standards(), catalog=pd.DataFrame(), signs=[],
                                  measured=None, plan=pd.DataFrame(), as_of=AS_OF,
                                  switched_off=[], chain=links,
                                  chain_units=pd.DataFrame({"unit": list("abcdef")}))
    sentences = control.chain_sentences(res, lang)
    assert sentences[1] == lang.t("standards.chain.intro_training")
    assert lang.t("standards.chain.node.training") in sentences[2]
    assert "<svg" in figure(control.chain_chart(res, lang), alt="x").svg
