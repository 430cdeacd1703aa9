"""`playbook run` on the demo client, end to end, in both languages."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import DEMO_PARAMS, ROOT

from playbook.params import load_params

pytestmark = pytest.mark.slow
DEMO_DATA = ROOT / "data_samples" / "demo"


def _results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text("utf-8"))


def test_prints_report_path_last_and_progress(demo_runs):
    for lang in ("ru", "en"):
        last = demo_runs[f"{lang}-stdout"].strip().splitlines()[-1]
        assert last == str(demo_runs[lang] / "report.html")
        total = len(load_params(DEMO_PARAMS).run.notebooks)  # every notebook, counted
        for step in ("[1/{n}] 00_intake.ipynb", "[2/{n}] 10_segmentation.ipynb",
                     "[3/{n}] 20_ltv.ipynb", "[4/{n}] 30_survey.ipynb",
                     "[5/{n}] 40_winback.ipynb", "[6/{n}] 50_standards.ipynb",
                     "[7/{n}] 60_followup.ipynb"):
            assert step.format(n=total) in demo_runs[f"{lang}-stderr"]


def test_results_hold_the_intake_contract(demo_runs):
    truth = json.loads((DEMO_DATA / "truth.json").read_text("utf-8"))
    intake = _results(demo_runs["ru"])["intake"]
    assert intake["transactions"]["rows_read"] == truth["counts"]["rows"]
    issues = {i["kind"]: i for i in intake["issues"]}
    planted = truth["counts"]
    assert issues["duplicates"]["rows"] == planted["duplicates"]
    assert issues["blank_customer_id"]["rows"] == planted["blank_customer_code"]
    assert issues["future_dates"]["rows"] == planted["future_dates"]
    assert issues["returns"]["rows"] == planted["returns"]
    assert {i["action"] for i in intake["issues"]} <= {"dropped", "netted", "kept",
                                                       "kept_aside"}
    dropped = sum(i["rows"] for i in intake["issues"] if i["action"] == "dropped")
    assert intake["transactions"]["rows_used"] == intake["transactions"]["rows_read"] - dropped
    assert intake["customers"] == planted["buyers"]
    assert intake["period"] == {"start": "2023-11-01", "end": "2026-10-31"}
    assert intake["revenue"] > 0
    assert _results(demo_runs["en"])["intake"] == intake


def test_revenue_matches_an_independent_reading_of_the_file(demo_runs):
    import pandas as pd

    raw = pd.read_csv(DEMO_DATA / "transactions.csv", sep=";", encoding="cp1251", dtype=str)
    raw = raw.drop_duplicates()
    raw = raw[raw["Код клиента"].notna()]
    dates = pd.to_datetime(raw["Дата"], format="%d.%m.%Y")
    raw = raw[dates <= "2026-10-31"]
    amounts = (raw["Сумма"].str.replace(r"[\s\u00a0]", "", regex=True)
               .str.replace(",", ".").astype(float))
    assert _results(demo_runs["ru"])["intake"]["revenue"] == pytest.approx(amounts.sum(),
                                                                          abs=0.01)


def test_report_has_no_code_and_is_in_the_client_language(demo_runs):
    ru = (demo_runs["ru"] / "report.html").read_text("utf-8")
    en = (demo_runs["en"] / "report.html").read_text("utf-8")
    for html in (ru, en):
        for code_sign in ("params_path", "open_run(", "import ", "In&nbsp;[", "jp-InputArea",
                          "Traceback", "<script", "<pre class=\"output-text\""):
            assert code_sign not in html, code_sign
        assert "ООО «Вектор-Снаб»" in html
        assert re.search(r'<nav[^>]* id="toc"', html)
    assert "Краткие выводы" in ru and "Приложение. Качество данных" in ru
    assert "Executive summary" in en and "Appendix. Data quality" in en
    assert "Executive summary" not in ru and "Краткие выводы" not in en
    # numbers in the locale's format: ru groups with non-breaking spaces, en with commas
    assert "39\u00a0259" in ru and "39,259" in en


def test_input_files_are_not_modified(tmp_path):
    from conftest import run_cli

    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in DEMO_DATA.iterdir() if p.is_file()}
    result = run_cli("validate", str(DEMO_PARAMS))
    assert result.returncode == 0, result.stderr
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in DEMO_DATA.iterdir() if p.is_file()}
    assert before == after


def test_run_folder_layout(demo_runs):
    run = demo_runs["ru"]
    for name in ("report.html", "results.json", "playbook.log", "notebooks/00_intake.ipynb",
                 "data/transactions.parquet", "data/customer_summary.parquet",
                 "data/customers.parquet", "data/intake.json"):
        assert (run / name).exists(), name
    assert not list(run.rglob("*.partial"))


def test_segmentation_results_and_exports(demo_runs):
    import openpyxl

    for lang in ("ru", "en"):
        run = demo_runs[lang]
        seg = _results(run)["segmentation"]
        customers = _results(run)["intake"]["customers"]
        assert sum(seg["rfm"]["counts"].values()) == customers
        assert set(seg["abc_xyz"]["counts"]) == {a + x for a in "ABC" for x in "XYZ"}
        assert sum(seg["abc_xyz"]["counts"].values()) == customers
        assert sum(seg["abc_xyz"]["revenue_share"].values()) == pytest.approx(1.0)
        assert 0.2 < seg["pareto"]["top20_revenue_share"] < 1.0
        ladder = seg["ladder"]["counts"]
        assert set(ladder) == {"buyer", "client", "regular", "adherent", "advocate", "unknown"}
        assert sum(v for v in ladder.values() if v is not None) == customers
        assert seg["exports"] and all((run / f).exists() for f in seg["exports"])
        unassigned = {"ru": "Без_менеджера.xlsx", "en": "unassigned.xlsx"}[lang]
        assert any(f.endswith(unassigned) for f in seg["exports"])
        book = openpyxl.load_workbook(run / "exports" / unassigned, read_only=True)
        # the summary first, then a sheet for each list that holds tasks for the demo's
        # customers without a manager, in the lists' order: most of them do
        from playbook.exports import LISTS, list_name
        from playbook.report.i18n import Lang

        names = [list_name(key, Lang(lang))[:31] for key in LISTS]
        assert book.sheetnames[0] == {"ru": "Сводка", "en": "Summary"}[lang]
        assert book.sheetnames[1:] == [n for n in names if n in book.sheetnames[1:]]
        assert len(book.sheetnames) >= 6
    assert _results(demo_runs["ru"])["segmentation"]["rfm"] == \
        _results(demo_runs["en"])["segmentation"]["rfm"]


def test_referral_decline_planted_by_the_generator_is_seen(demo_runs):
    truth = json.loads((DEMO_DATA / "truth.json").read_text("utf-8"))["settings"]
    health = _results(demo_runs["ru"])["segmentation"]["base_health"]
    # the generator lowers the referral share of new customers from 32% to 17% over 3 years
    assert truth["referral_share_start"] > truth["referral_share_end"]
    assert health["referral_share_last_12m"] < health["referral_share_prev_12m"]
    assert truth["referral_share_end"] - 0.06 < health["referral_share_last_12m"] < \
        truth["referral_share_end"] + 0.06
    html = (demo_runs["ru"] / "report.html").read_text("utf-8")
    assert "тревожный признак" in html


def test_contact_details_stay_out_of_the_report(demo_runs):
    import pandas as pd

    customers = pd.read_csv(DEMO_DATA / "customers.csv", sep=";", encoding="cp1251", dtype=str)
    html = (demo_runs["ru"] / "report.html").read_text("utf-8")
    # the follow-up names the client's managers; a contact person may share a manager's name
    managers = set(customers["Менеджер"].dropna())
    for column in ("Телефон", "E-mail", "Контактное лицо"):
        leaked = [v for v in customers[column].dropna() if v in html and v not in managers]
        assert leaked == [], column


def test_ltv_results_against_the_generator_truth(demo_runs):
    truth = json.loads((DEMO_DATA / "truth.json").read_text("utf-8"))["true_params"]
    ltv = _results(demo_runs["ru"])["ltv"]
    simple = ltv["simple"]
    assert simple["ltv"] == pytest.approx(simple["S"] * simple["C"] * simple["P"] * simple["T"])
    assert 0.2 < simple["P"] < 0.35  # the generator's category margins are 20-32%
    assert ltv["crr"] and all({"period_start", "period_end", "S", "E", "N", "crr"} <= set(row)
                              for row in ltv["crr"])
    for row in ltv["crr"]:
        assert row["crr"] == pytest.approx((row["E"] - row["N"]) / row["S"] * 100)
    # recovery of the true process (weeks), within 3 standard errors
    bg = ltv["bgnbd"]
    for name in ("r", "alpha", "a", "b"):
        assert abs(bg[name] - truth["bgnbd"][name]) < 3 * bg["se"][name], name
    gg = ltv["gamma_gamma"]
    for name in ("p", "q", "gamma"):
        assert abs(gg[name] - truth["gamma_gamma"][name]) < 3 * gg["se"][name], name
    assert {"mae", "rmse", "corr", "total_actual", "total_predicted"} <= set(ltv["holdout"])
    assert ltv["holdout"]["corr"] > 0.5
    assert ltv["clv_total"] > 0
    assert ltv["whatif_retention_plus5"]["ltv_change"] > 0
    assert ltv["whatif_retention_plus5"]["profit_change"] > 0
    assert _results(demo_runs["en"])["ltv"]["bgnbd"] == bg


# --- the report's structure: the summary's story, the appendices, no consultant's text --------


def _page(run: Path) -> str:
    return (run / "report.html").read_text("utf-8")


def _visible_text(markup: str) -> str:
    """What a reader sees: no styles, no tags, entities decoded."""
    import html as html_mod

    markup = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)
    text = html_mod.unescape(re.sub(r"<[^>]+>", " ", markup))
    return re.sub(r"[ \t\r\n]+", " ", text).strip()  # no-break spaces stay: 3\u00a0000


def _number_in(number: str, text: str) -> bool:
    """Whether ``number`` appears in ``text`` as a whole number (not inside 1 208 or 2080)."""
    return re.search(rf"(?<![\d\u00a0\u202f,.]){re.escape(number)}(?![\d]|[\u00a0\u202f,.]\d)",
                     text) is not None


def _part(markup: str, start_id: str, end_pattern: str) -> str:
    start = re.search(rf'<section[^>]* id="{start_id}"', markup).start()
    end = re.compile(end_pattern).search(markup, start + 1)
    return markup[start:end.start() if end else len(markup)]


def _summary(markup: str) -> str:
    return _part(markup, "summary", r'<section[^>]* class="chapter')


def _tiles(summary: str) -> dict[str, str]:
    return {_visible_text(k): _visible_text(v)
            for k, v in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", summary, flags=re.S)}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_summary_tells_the_story_and_records_the_initiatives(demo_runs, lang):
    from playbook.report.i18n import Lang

    t = Lang(lang).t
    summary = _summary(_page(demo_runs[lang]))
    text = _visible_text(summary)
    positions = [text.index(t(f"report.story.{k}"))
                 for k in ("situation", "complication", "resolution", "roadmap")]
    assert positions == sorted(positions)
    initiatives = _results(demo_runs[lang])["summary"]["initiatives"]
    assert 5 <= len(initiatives) <= 7
    values = [i["value"] for i in initiatives if i["value"] is not None]
    assert values == sorted(values, reverse=True) and len(values) >= 5
    for item in initiatives:
        assert {"title", "value", "basis", "owner", "kpi", "due", "first_step"} <= set(item)
        assert all(item[k] for k in ("title", "basis", "owner", "kpi", "first_step"))
        assert item["title"] in text and item["owner"] in text
        assert dt.date.fromisoformat(item["due"]) > dt.date.fromisoformat(item["first_step_due"])
    roadmap = summary[summary.index('id="summary-roadmap"'):]
    assert roadmap.count("<tr>") == len(initiatives) + 1


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_count_on_a_tile_is_the_same_count_in_the_story(demo_runs, lang):
    from playbook.report.i18n import Lang

    t = Lang(lang).t
    summary = _summary(_page(demo_runs[lang]))
    tiles = _tiles(summary)
    story = _visible_text(summary.split(f">{t('report.key_figures')}<")[0])
    plan = _visible_text(summary[summary.index('class="pb-initiatives"'):])
    at_risk = tiles[t("segmentation.summary.at_risk")]
    assert _number_in(at_risk, story) and _number_in(at_risk, plan)
    assert _number_in(tiles[t("segmentation.summary.regulars")], plan)
    assert _results(demo_runs[lang])["segmentation"]["lost"]["customers"] > 0
    assert _number_in(tiles[t("segmentation.summary.lost")], story)
    crr = [v for k, v in tiles.items() if "CRR" in k]
    assert crr and crr[0] in story


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_summary_writes_periods_one_way(demo_runs, lang):
    text = _visible_text(_summary(_page(demo_runs[lang])))
    day = r"(\d{1,2}\.\d{2}\.\d{4}|\d{1,2} [а-я]+ \d{4}( г\.)?|[A-Z][a-z]+ \d{1,2}, \d{4})"
    periods = re.findall(rf"{day}\s*[–—-]\s*{day}", text)
    assert periods == [], "a period written day by day in the summary"
    assert not re.search(r"\b\d{4}-(Q\d|\d{2}-\d{2})\b", text), "a raw period code"
    month = r"[^\W\d_]{3,5}\.? \d{4}"
    assert re.search(rf"{month} – {month}", text)


def _parameter_names() -> set[str]:
    import yaml

    defaults = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text("utf-8"))
    names: set[str] = set()

    def walk(prefix: list[str], node) -> None:
        for key, value in node.items():
            path = prefix + [str(key)]
            for i in range(len(path) - 1):  # every dotted tail of two names or more
                names.add(".".join(path[i:]))
            if "_" in str(key):
                names.add(str(key))
            if isinstance(value, dict):
                walk(path, value)
    walk([], defaults)
    return names


CONSULTANT_SIGNS = ("playbook", ".yaml", ".ipynb", "%Y", "%d", "%m", "--pdf", "--out",
                    "date_format", "bad_rows", "survey-form", "results.json")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_no_consultant_facing_text_reaches_the_report(demo_runs, lang):
    markup = _page(demo_runs[lang])
    text = _visible_text(markup)
    alts = " ".join(re.findall(r'\balt="([^"]*)"', markup))
    seen = f"{text} {alts}"
    found = [sign for sign in CONSULTANT_SIGNS if sign.lower() in seen.lower()]
    names = _parameter_names()
    dotted = set(re.findall(r"\b[a-z_]+(?:\.[a-z_]+)+\b", seen)) & names
    words = {w for w in re.findall(r"\b[a-z]+_[a-z_]+\b", seen) if w in names}
    assert found == [] and dotted == set() and words == set()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_data_quality_appendix_speaks_plain_words(demo_runs, lang):
    markup = _page(demo_runs[lang])
    appendix = _visible_text(_part(markup, "appendix-data-quality", r"</main>"))
    assert ("день.месяц.год" if lang == "ru" else "day.month.year") in appendix
    for leak in ("customer_id", "←", "%d", "cp1251", "template"):
        assert leak not in appendix, leak


#: Words of statistics a chief executive would not read: the technical appendix's, not the body's.
STATISTICS = ("p-value", "p-значени", "chi-square", "хи-квадрат", "Holm", "Холм", "Cramér",
              "Крамер", "design effect", "дизайн-эффект", "ordered logit", "порядков",
              "bootstrap", "бутстрэп", "Cronbach", "Кронбах", "standard error",
              "стандартная ошибка", "стандартные ошибки")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_statistics_live_in_the_technical_appendix(demo_runs, lang):
    from playbook.report.i18n import Lang

    markup = _page(demo_runs[lang])
    notebooks = sorted((demo_runs[lang] / "notebooks").glob("*.ipynb"))
    tagged = any('"appendix"' in p.read_text("utf-8") for p in notebooks)
    body = markup[:re.search(r'<section[^>]* id="appendix-', markup).start()]
    assert [w for w in STATISTICS if w.lower() in _visible_text(body).lower()] == []
    if not tagged:
        return
    toc = markup[re.search(r'<nav[^>]* id="toc"', markup).start():markup.index("</nav>")]
    title = Lang(lang).t("report.technical")
    assert title in toc and toc.index(title) < toc.index(Lang(lang).t("report.appendix"))
    technical = _part(markup, "appendix-technical", r'<section[^>]* id="appendix-data-quality"')
    assert Lang(lang).t("report.technical_intro")[:40] in _visible_text(technical)
    assert markup.index('id="appendix-technical"') < markup.index('id="appendix-data-quality"')
    assert re.search(r'<h3[^>]* id="appendix-section-', technical)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_consultant_notes_go_to_the_console_not_the_report(demo_runs, lang):
    stderr = demo_runs[f"{lang}-stderr"]
    assert "Notes for the consultant (not in the report):" in stderr
    notes = [line[4:] for line in stderr.splitlines() if line.startswith("  - ")]
    assert notes, stderr[-2000:]
    text = _visible_text(_page(demo_runs[lang]))
    assert [n for n in notes if len(n) > 30 and n in text] == []


#: Russian nouns a report counts, with the forms a numeral allows in any case: after a
#: number ending in 1 (not 11) the singular, after 2-4 (not 12-14) the genitive singular or
#: a plural case, after the rest a plural case (genitive, dative, instrumental, locative).
_NOUNS = {
    "клиент": ({"клиент", "клиента", "клиенту", "клиентом", "клиенте"},
               {"клиента", "клиентов", "клиентам", "клиентами", "клиентах"},
               {"клиентов", "клиентам", "клиентами", "клиентах"}),
    "покупател": ({"покупатель", "покупателя", "покупателю", "покупателем", "покупателе"},
                  {"покупателя", "покупателей", "покупателям", "покупателями",
                   "покупателях"},
                  {"покупателей", "покупателям", "покупателями", "покупателях"}),
    "заказ": ({"заказ", "заказа", "заказу", "заказом", "заказе"},
              {"заказа", "заказов", "заказам", "заказами", "заказах"},
              {"заказов", "заказам", "заказами", "заказах"}),
    "строк": ({"строка", "строки", "строке", "строку", "строкой"},
              {"строки", "строк", "строкам", "строками", "строках"},
              {"строк", "строкам", "строками", "строках"}),
    "менеджер": ({"менеджер", "менеджера", "менеджеру", "менеджером", "менеджере"},
                 {"менеджера", "менеджеров", "менеджерам", "менеджерами", "менеджерах"},
                 {"менеджеров", "менеджерам", "менеджерами", "менеджерах"}),
    "жалоб": ({"жалоба", "жалобы", "жалобе", "жалобу", "жалобой"},
              {"жалобы", "жалоб", "жалобам", "жалобами", "жалобах"},
              {"жалоб", "жалобам", "жалобами", "жалобах"}),
}


def _allowed(number: int, lemma: str) -> set[str]:
    one, few, many = _NOUNS[lemma]
    if number % 10 == 1 and number % 100 != 11:
        return one
    if number % 10 in (2, 3, 4) and number % 100 not in (12, 13, 14):
        return few
    return many


def test_every_russian_numeral_agrees_with_its_noun(demo_runs):
    text = _visible_text(_page(demo_runs["ru"]))
    pattern = re.compile(r"(?<![\d,.])(\d{1,3}(?:[\u00a0\u202f ]\d{3})*)[\u00a0 ]+"
                         r"(клиент\w*|покупател\w*|заказ\w*|строк\w*|менеджер\w*|жалоб\w*)")
    # lower case only: a capitalised word after a number starts the next label of a chart
    wrong, seen = [], 0
    for match in pattern.finditer(text):
        number = int(re.sub(r"\D", "", match.group(1)))
        word = match.group(2)
        lemma = next(k for k in _NOUNS if word.startswith(k))
        if word.startswith("строк") and not re.fullmatch(r"строк[аиеуой]*", word):
            continue  # "строкой" forms only; other words merely start alike
        seen += 1
        if word not in _allowed(number, lemma):
            wrong.append(text[max(0, match.start() - 40):match.end() + 10])
    assert seen >= 10  # the scan does find the report's counts
    assert wrong == [], wrong
