"""The intake and lifetime-value sections as a client reads them: plain words.

Every string those sections hand the report (sentences, tables, chart labels, the executive
summary's figures and recommendations), in both languages, for the demo and for the cases
where the section has to make do (no cost data, no marketing spend, no model, a check
period too short): no parameter name, dotted key, command, file of the playbook or format
string; numbers agree with their nouns (1 клиент, 2 клиента, 5 клиентов, 21 клиент,
744 клиента); money in sentences and tiles is rounded, tables keep it exact. The same
limits reach the consultant's notes, which do name the parameters, so the scan does look.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml

from playbook.errors import DataError
from playbook.intake import run_intake
from playbook.intake import views as iv
from playbook.ltv import views as lv
from playbook.params import load_params
from playbook.report.document import _intake_summary, build_summary
from playbook.report.i18n import Lang, texts
from playbook.running.context import RunContext, intake_dir

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "params" / "clients" / "demo.yaml"

#: The parameters' own names: every key of the defaults written with an underscore
#: (active_window_months, bad_rows, calibration_end ...), and the format/decimal keys.
def _param_names() -> set[str]:
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if "_" in str(key):
                    names.add(str(key))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text("utf-8")))
    return names | {"date_format", "as_of", "model_error"}


PARAMS = _param_names()
#: What only a consultant should read: a dotted key of the parameters or of results.json,
#: the playbook, its files and commands, a strftime format.
CONSULTANT = re.compile(
    r"\b(?:intake|ltv|data|segmentation|survey|client|run|summary)\.[a-z_]+\b"
    r"|playbook|\.ya?ml\b|\.ipynb\b|\.json\b|exports/|__retain|%[YmdHMS]|\{|\}")


def _texts(item) -> list[str]:
    """Every string a reader could see in a view's output."""
    if item is None:
        return []
    if isinstance(item, pd.DataFrame):
        return [str(c) for c in item.columns] + [str(v) for v in item.to_numpy().ravel()]
    if isinstance(item, matplotlib.figure.Figure):
        found = [t.get_text() for t in item.findobj(matplotlib.text.Text)]
        plt.close(item)
        return found
    if isinstance(item, list | tuple):
        return [t for part in item for t in _texts(part)]
    return [re.sub(r"[ \t\n]+", " ", str(item)).strip()]


def consultant_words(strings: list[str]) -> list[str]:
    """The strings that hold a parameter name or other consultant-facing text."""
    words = re.compile(r"\b(?:" + "|".join(sorted(PARAMS, key=len, reverse=True)) + r")\b")
    return [s for s in strings if CONSULTANT.search(s) or words.search(s)]


# --- number-noun agreement ---------------------------------------------------------------

#: Russian nouns a number counts here, by their one|few|many forms.
RU_NOUNS = [("клиент", "клиента", "клиентов"), ("строка", "строки", "строк"),
            ("покупка", "покупки", "покупок"), ("документ", "документа", "документов"),
            ("месяц", "месяца", "месяцев")]
EN_NOUNS = [("customer", "customers"), ("row", "rows"), ("purchase", "purchases"),
            ("month", "months"), ("day", "days")]
#: Placeholders that hold a percentage or a number always shown with decimals.
SHARES = {"retention", "monthly", "annual", "share", "top", "rate"}
#: A number as each locale writes it: its whole part (with grouping) and its fraction.
NUMBER = {"ru": r"(?<![\d.,\w])(\d{1,3}(?:[\u00a0\u202f ]\d{3})*|\d+)(,\d+)?",
          "en": r"(?<![\d.,\w])(\d{1,3}(?:,\d{3})*|\d+)(\.\d+)?"}


def disagreements(text: str, code: str) -> list[str]:
    """Number-noun pairs whose noun's form does not fit the number (CLDR plural rules).

    A Russian number after "из" (genitive: из 21 клиента) is not judged, nor a fraction's
    noun in English.
    """
    lang = Lang(code)
    bad = []
    for forms in (RU_NOUNS if code == "ru" else EN_NOUNS):
        pattern = NUMBER[code] + r"\s(" + "|".join(sorted(forms, key=len, reverse=True)) + r")\b"
        for match in re.finditer(pattern, text):
            before = text[max(0, match.start() - 3):match.start()]
            if code == "ru" and before.endswith("из "):
                continue
            whole = int(re.sub(r"\D", "", match.group(1)))
            value = float(f"{whole}.{match.group(2)[1:]}") if match.group(2) else whole
            if match.group(2) and code == "en":
                continue
            if match.group(2):  # a fraction: the genitive singular (1,5 клиента)
                expected = forms[1]
            else:
                expected = lang.plural(value, "|".join(forms))
            if match.group(3) != expected:
                bad.append(match.group(0))
    return bad


@pytest.mark.parametrize("code, text, bad", [
    ("ru", "1 клиент, 2 клиента, 5 клиентов, 21 клиент, 744 клиента, 1\u00a0000 клиентов", []),
    ("ru", "744 клиентов и 21 клиентов, 3 строк", ["744 клиентов", "21 клиентов", "3 строк"]),
    ("ru", "из 744 клиентов; 0,47 покупки", []),
    ("en", "1 customer, 2 customers, 1,000 rows, 1 rows", ["1 rows"]),
])
def test_the_agreement_checker_itself(code, text, bad):
    assert disagreements(text, code) == bad


@pytest.mark.parametrize("code", ["ru", "en"])
def test_no_bare_count_before_a_noun_in_the_locale_texts(code):
    """A placeholder directly followed by a countable noun must pick the noun's form; only
    a percentage (97,3% клиентов) or a number always shown with decimals (0,217 покупки:
    the genitive singular whatever the digits) may stand bare.
    """
    nouns = [f for forms in (RU_NOUNS if code == "ru" else EN_NOUNS) for f in forms]
    bare = re.compile(r"\{(\w+)\}\s+(?:" + "|".join(nouns) + r")\b")
    found = {key: text for key, text in texts(code).items()
             if key.split(".")[0] in ("ltv", "intake")
             and any(m.group(1) not in SHARES for m in bare.finditer(text))}
    assert found == {}


@pytest.mark.parametrize("code", ["ru", "en"])
@pytest.mark.parametrize("n", [1, 2, 5, 11, 21, 22, 25, 101, 744, 1000])
def test_every_count_agrees_with_its_noun(code, n):
    """Each text of the two sections that counts something, filled with n."""
    lang = Lang(code)
    count = lang.int(n)
    out = []
    for key, text in texts(code).items():
        if key.split(".")[0] not in ("ltv", "intake") or ":" not in text:
            continue
        names = set(re.findall(r"\{(\w+)(?::[^}]*)?\}", text))
        out.append(lang.t(key, **{name: lang.pct(0.5) if name in SHARES else count
                                  for name in names}))
    bad = [d for t in out for d in disagreements(" ".join(t.split()), code)]
    assert bad == []


# --- the demo and the cases that make do ---------------------------------------------------

@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report_words")
    run_intake(load_params(DEMO), intake_dir(out))
    return out


def _run(folder: Path, code: str) -> RunContext:
    params = load_params(DEMO)
    client = params.client.model_copy(update={"language": code})
    return RunContext(params=params.model_copy(update={"client": client}), run_dir=folder)


def _ltv_strings(res, run: RunContext, lang: Lang) -> list[str]:
    out = _texts([
        lv.factors_table(res, lang) if res.factors else None,
        lv.factors_sentences(res, lang),
        lv.segment_table(res, lang) if res.factors else None,
        lv.crr_sentences(res, run, lang), lv.crr_display(res, lang),
        lv.retention_sentence(res, run, lang), lv.crr_chart(res, lang),
        lv.cohort_heatmap(res, lang), lv.cohort_sentence(res, lang),
        lv.model_sentences(res, run, lang), lv.holdout_sentences(res, lang),
        lv.clv_sentence(res, run, lang), lv.whatif_sentences(res, run, lang),
        lv.spend_table(res, lang) if res.spend is not None else None,
        lv.spend_sentence(res, lang),
        # the appendix: for the client's analyst, but still no consultant's words
        lv.model_appendix_sentences(res, lang),
        lv.model_table(res, lang) if res.bg else None,
        lv.holdout_appendix_sentences(res, lang),
        lv.holdout_chart(res, lang) if res.holdout_judged else None,
        lv.holdout_chart_note(lang),
    ])
    results = json.loads(json.dumps({"ltv": lv.results(res) | {"retain_tasks": 21}},
                                    default=str))
    summary = build_summary(results, lang)
    return out + _texts(summary["figures"]) + _texts(summary["recommendations"])


def _cases(run: RunContext, monkeypatch) -> dict:
    """The demo, and the demo made to make do, each analysed once."""
    cases = {"demo": lv.analyse(run)}
    res = lv.analyse(run)
    res.factors = replace(res.factors, margin_known=False, P=1.0, p_source=None)
    res.value_basis, res.spend = "revenue", None
    cases["no_cost_no_spend"] = res
    res = lv.analyse(run)
    res.factors = replace(res.factors, margin_known=True, P=0.3, p_source="parameters")
    res.window_reduced, res.window_months = True, 6
    cases["assumed_margin_short_window"] = res
    with monkeypatch.context() as m:
        m.setattr(lv.bgnbd, "fit_bgnbd", lambda *a, **k: (_ for _ in ()).throw(
            DataError("Only 3 customers have a repeat purchase; set ltv.time_unit.")))
        cases["no_model"] = lv.analyse(run)
    short = run.params.ltv.model_copy(update={"calibration_end": run.as_of.replace(day=15)})
    cases["short_check"] = lv.analyse(RunContext(
        params=run.params.model_copy(update={"ltv": short}), run_dir=run.run_dir))
    return cases


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_sections_never_speak_to_the_consultant(folder, code, monkeypatch):
    run = _run(folder, code)
    lang = run.lang
    figures, issues = run.intake["figures"], run.intake["issues"]
    every_issue = [{"kind": k, "rows": 21, "action": "dropped", "amount": 1_234_567.0,
                    "documents": 2, "column": "Дата", "file": "sales.csv"}
                   for k in iv.ISSUE_ORDER]
    strings = _texts([
        iv.overview_sentence(figures, lang),
        iv.trend_sentences(iv.monthly_activity(run.transactions()), lang, as_of=run.as_of),
        iv.issues_sentences(figures, issues, lang), iv.issues_table(issues, lang),
        iv.advice(issues, lang), iv.advice(every_issue, lang),
        iv.issues_table(every_issue, lang), iv.monthly_chart(
            iv.monthly_activity(run.transactions()), lang),
    ])
    intake_figures, intake_advice = _intake_summary(
        {"intake": figures, "_intake_issues": every_issue}, lang)
    strings += _texts(intake_figures) + _texts(intake_advice)
    notes = iv.consultant_notes(every_issue, lang)
    for res in _cases(run, monkeypatch).values():
        strings += _ltv_strings(res, run, lang)
        notes += lv.consultant_notes(res, run, lang, retain=21)
    assert consultant_words(strings) == []
    # the same limits are told to the consultant, by name: the scan does look
    told = " ".join(notes)
    for word in ("date_format", "intake.bad_rows", "ltv.margin", "ltv.marketing",
                 "ltv.active_window_months", "ltv.calibration_end", "ltv.model_error"):
        assert word in told, word
    assert consultant_words(notes)
    bad = [d for s in strings for d in disagreements(s, code)]
    assert bad == []


@pytest.mark.parametrize("code, rounded", [("ru", "805,5\u00a0млн\u00a0₽"),
                                           ("en", "RUB\u00a0805.5m")])
def test_money_for_people_in_prose_and_tiles_exact_in_tables(folder, code, rounded):
    run = _run(folder, code)
    lang = run.lang
    figures, issues = run.intake["figures"], run.intake["issues"]
    assert rounded in iv.overview_sentence(figures, lang)
    tiles = dict(_intake_summary({"intake": figures}, lang)[0])
    assert tiles[lang.t("intake.revenue")] == rounded
    table = iv.issues_table(issues, lang)
    assert any(re.fullmatch(r"-?(RUB)?[\d\u00a0,]+(\u00a0₽)?", str(v))
               for v in table[lang.t("report.amount")] if v)
    res = lv.analyse(run)
    sentences = " ".join(_texts([lv.factors_sentences(res, lang), lv.clv_sentence(res, run, lang),
                                 lv.whatif_sentences(res, run, lang)]))
    assert str(lang.money_short(res.factors.ltv)) in sentences
    assert str(lang.money(res.factors.ltv)) not in sentences
    assert str(lang.money(res.factors.ltv)) in _texts(lv.factors_table(res, lang))
    ltv_tiles = dict(build_summary({"ltv": lv.results(res)}, lang)["figures"])
    assert str(lang.money_short(res.factors.ltv)) in ltv_tiles.values()
