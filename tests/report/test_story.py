"""The executive summary's story, the technical appendix and the data-quality appendix."""

from __future__ import annotations

import datetime as dt
import json
import re

import nbformat
import pytest
from conftest import DEMO_PARAMS

from playbook.report import story
from playbook.report.document import _appendix, _demote, combine, render_report
from playbook.report.i18n import Lang

TODAY = dt.date(2026, 11, 26)
RU, EN = Lang("ru", "RUB"), Lang("en", "RUB")


def _results(**changes) -> dict:
    """A whole run's results, by hand: every section the story reads."""
    results = {
        "intake": {"customers": 3000, "customers_with_purchase": 3000, "revenue": 812_586_378.0,
                   "period": {"start": "2023-11-01", "end": "2026-10-31"},
                   "as_of": "2026-10-31",
                   "transactions": {"rows_read": 39599, "rows_used": 39566}},
        "summary": {"trend": {"last_12m": 314_700_000.0, "prev_12m": 263_800_000.0,
                              "change": 0.193, "end": "2026-10-31"}},
        "segmentation": {
            "rfm": {"at_risk_customers": 744, "at_risk_revenue": 12_300_000.0,
                    "best_customers": 972},
            "at_risk": {"customers": 744, "value_at_stake": 12_300_000.0,
                        "value_basis": "margin", "factor": 0.524, "factor_basis": "history"},
            "lost": {"customers": 456, "past_revenue": 98_000_000.0, "lost_days": 365,
                     "lost_gaps": 3.0},
            "ladder": {"counts": {"buyer": 294, "client": 2314, "regular": 124, "adherent": 10,
                                  "advocate": 4, "unknown": 254}, "has_survey_data": True},
            "pareto": {"top20_revenue_share": 0.653, "top20_margin_share": 0.65},
            "base_health": {"active_last_month": 595, "month": "2026-10-01", "new_last_12m": 800,
                            "referral_share_last_12m": 0.159,
                            "referral_share_prev_12m": 0.270},
            "tasks": {"calls": 86, "greetings": 614, "penetration": 378},
        },
        "ltv": {"simple": {"S": 30_711.0, "C": 0.4716, "P": 0.2607, "T": 37.3,
                           "ltv": 140_907.0, "margin_known": True},
                "value_basis": "margin",
                "crr": [{"period_start": "2026-03-31", "period_end": "2026-06-30", "S": 1500,
                         "E": 1520, "N": 190, "crr": 88.7},
                        {"period_start": "2026-06-30", "period_end": "2026-09-30", "S": 1530,
                         "E": 1560, "N": 155, "crr": 91.8}],
                "whatif_retention_plus5": {"ltv_change": 35_900.0, "profit_change": 2_447_000.0,
                                           "ltv_change_share": 0.255,
                                           "profit_change_share": 0.035},
                "acquisition_vs_retention": [
                    {"acquisition": 1_800_000.0, "retention": 2_200_000.0, "new": 191,
                     "kept": 1477}],
                "cost_ratio": (1_800_000 / 191) / (2_200_000 / 1477)},  # as the section records
        "survey": {"n": 1692, "template": "quarterly",
                   "nps": {"value": -1.6, "ci_low": -5.5, "ci_high": 2.2},
                   "csat_detail": {"value": 0.1156, "scale": [1, 10], "top_boxes": [9, 10]},
                   "fix_first": ["delivery_time", "availability"],
                   "drivers": [{"attribute": "delivery_time", "share": 0.152, "mean": 3.52},
                               {"attribute": "availability", "share": 0.12, "mean": 3.51}],
                   "iceberg": {"complain_share": 0.06,
                               "last": {"complaints": 9, "dissatisfied_estimate": 150.0,
                                        "period": "2026-Q3"}},
                   "annual": {"share_of_wallet": 0.576},
                   "exit": {"answered": 60, "winnable": 44, "not_winnable": 11}},
    }
    for key, value in changes.items():
        node = results
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return results


LABELS = {"delivery_time": "Сроки доставки", "availability": "Наличие на складе"}


def _text(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html_text)


# --- the story -------------------------------------------------------------------------------


def test_situation_gives_base_revenue_and_trend_in_one_period_format():
    ru = story.situation(_results(), RU)
    assert ru[0].startswith("Данные за нояб. 2023 – окт. 2026: 3\u00a0000 клиентов")
    assert "812,6\u00a0млн\u00a0₽" in ru[0]
    assert "нояб. 2025 – окт. 2026" in ru[1] and "на 19,3% больше" in ru[1]
    en = story.situation(_results(), EN)
    assert "Nov 2023 – Oct 2026" in en[0] and "RUB\u00a0812.6m" in en[0]
    assert "19.3% more" in en[1]
    for sentence in ru + en:  # never a day-precise date or a raw period code in the summary
        assert not re.search(r"\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}|Q\d \d{4}-", sentence)


@pytest.mark.parametrize(("share", "words"), [(0.653, "less concentrated than the 80/20"),
                                              (0.81, "close to the 80/20"),
                                              (0.40, "far from the 80/20")])
def test_pareto_is_compared_with_80_20_honestly(share, words):
    results = _results(**{"segmentation.pareto": {"top20_revenue_share": share}})
    assert words in " ".join(story.situation(results, EN))


def test_trend_down_and_flat():
    down = _results(**{"summary.trend": {"last_12m": 9e6, "prev_12m": 10e6, "change": -0.1,
                                         "end": "2026-10-31"}})
    assert "10.0% less" in " ".join(story.situation(down, EN))
    flat = _results(**{"summary.trend": {"last_12m": 1e7, "prev_12m": 1e7, "change": 0.01,
                                         "end": "2026-10-31"}})
    assert "about the same" in " ".join(story.situation(flat, EN))


@pytest.mark.parametrize("lang, says", [
    (EN, "Another 456 customers are lost, with no purchase for 180 days or more, or for more "
         "than 4 times their usual gap"),
    (RU, "Ещё 456 клиентов — в группе ушедших: без покупок 180 дн. и дольше или в 4 раза "
         "дольше своего обычного интервала")])
def test_the_lost_are_named_by_the_rule_the_run_counted_them_by(lang, says):
    results = _results()
    results["segmentation"]["lost"].update(lost_days=180, lost_gaps=4.0)
    assert says in " ".join(" ".join(story.complication(results, lang)).split())


def test_complication_names_each_leak_and_its_cost():
    text = " ".join(story.complication(_results(), EN))
    assert "744 valuable customers are at risk" in text
    assert "RUB\u00a012.3m of margin over the next 12 months" in text
    # lost by either rule (a year without a purchase, or three of one's own gaps), as
    # the rhythm counts them: not "a year or more" alone, which a third of them are not
    assert ("Another 456 customers are lost, with no purchase for a year or more, or for "
            "more than 3 times their usual gap between purchases") in text
    assert "Retention (CRR) in Q3 2026: 91.8%" in text
    assert "fell from 27% to 16%" in text
    # the seeds' claims in the client's own numbers: 9 complaints / 6% -> ~150, x 8-10 people
    assert "about 150 customers are dissatisfied" in text and "1,200–1,500 people" in text
    ratio = (1_800_000 / 191) / (2_200_000 / 1477)
    assert f"costs {ratio:.1f} times as much" in text


@pytest.mark.parametrize(("n", "words", "of"),
                         [(1, "1 ценный клиент —", "от 1 клиента зоны"),
                          (2, "2 ценных клиента —", "от 2 клиентов зоны"),
                          (5, "5 ценных клиентов —", "от 5 клиентов зоны"),
                          (21, "21 ценный клиент —", "от 21 клиента зоны"),
                          (744, "744 ценных клиента —", "от 744 клиентов зоны")])
def test_russian_numerals_agree_with_their_nouns(n, words, of):
    results = _results(**{"segmentation.rfm.at_risk_customers": n})
    assert words in " ".join(story.complication(results, RU))
    items = {i.id: i for i in story.initiatives(results, RU, TODAY)}
    assert of in items["at_risk"].basis


@pytest.mark.parametrize(("estimate", "words"), [(21.0, "Около 21 недовольного клиента"),
                                                 (150.0, "Около 150 недовольных клиентов")])
def test_russian_numerals_agree_in_the_basis(estimate, words):
    word = {"complaints": 9, "dissatisfied": estimate, "people_low": estimate * 8,
            "people_high": estimate * 10, "period": "2026-Q3"}
    results = _results(**{"survey.word_of_mouth": word})
    items = {i.id: i for i in story.initiatives(results, RU, TODAY)}
    assert words in items["service"].basis and "9 жалоб за 3-й кв. 2026" in items["service"].basis


def test_five_to_seven_initiatives_each_complete_and_ranked_by_money():
    items = story.initiatives(_results(), RU, TODAY, labels=LABELS)
    assert 5 <= len(items) <= story.MAX_INITIATIVES
    values = [i.value for i in items if i.value is not None]
    assert values == sorted(values, reverse=True)
    for item in items:
        assert item.title and item.basis and item.owner and item.first_step and item.kpi
        assert item.first_step_due == TODAY + dt.timedelta(days=14)
        assert item.due > item.first_step_due
        assert (item.due + dt.timedelta(days=1)).day == 1 and item.due.month in (3, 6, 9, 12)
    ids = [i.id for i in items]
    assert {"at_risk", "winback", "service", "wallet", "retention", "referrals"} <= set(ids)
    service = items[ids.index("service")]
    assert "«Сроки доставки» и «Наличие на складе»" in service.title
    assert "оценки 9–10 из 10" in service.kpi  # CSAT with its scale


def test_the_money_and_its_basis_follow_the_numbers():
    results = _results()
    per, basis = story.per_customer_year(results)
    assert basis == "margin" and per == pytest.approx(30_711 * 0.4716 * 12 * 0.2607)
    items = {i.id: i for i in story.initiatives(results, EN, TODAY, labels=LABELS)}
    assert items["at_risk"].value == 12_300_000.0
    assert items["service"].value == pytest.approx(150 * per)
    assert items["wallet"].value == pytest.approx(392 * per * story.WALLET_UPLIFT)
    assert items["retention"].value == 2_447_000.0
    assert items["winback"].value == pytest.approx(456 * 44 / 60 * story.WIN_BACK_RATE * per)
    assert items["referrals"].value == pytest.approx((0.270 - 0.159) * 800 * per)
    assert "150 dissatisfied customers (9 complaints in Q3 2026" in items["service"].basis
    assert "usual yearly volume × 52%, the share" in items["at_risk"].basis


def test_revenue_is_never_called_margin():
    results = _results(**{"ltv.value_basis": "revenue"})
    results["ltv"]["simple"]["margin_known"] = False
    results["segmentation"]["at_risk"]["value_basis"] = "revenue"
    items = story.initiatives(results, EN, TODAY)
    assert all("margin" not in i.basis for i in items if i.id != "margin_data")
    assert "margin_data" in [i.id for i in items]
    assert "revenue over 12 months" in story.story(results, EN, TODAY)["value_note"]


def test_counts_agree_between_tiles_complication_and_initiatives():
    from playbook.report.document import build_summary

    results = _results()
    items = {i.id: i for i in story.initiatives(results, RU, TODAY)}
    figures = dict(build_summary({"segmentation": results["segmentation"]}, RU)["figures"])
    at_risk = figures[RU.t("segmentation.summary.at_risk")]
    regulars = figures[RU.t("segmentation.summary.regulars")]
    assert f"{at_risk} клиент" in items["at_risk"].basis
    assert f"{at_risk} ценн" in " ".join(story.complication(results, RU))
    assert f"{regulars} постоянн" in items["wallet"].basis
    # a different count of the same group says why it differs
    assert "378" in items["wallet"].first_step
    assert "ещё 14 клиентов уже покупают только у нас" in items["wallet"].first_step


def test_thin_data_gives_fewer_priced_initiatives_and_names_the_data_to_collect():
    thin = {"intake": _results()["intake"],
            "segmentation": {"rfm": {"at_risk_customers": 10, "at_risk_revenue": 50_000.0},
                             "base_health": {"active_last_month": 5, "month": "2026-10-01",
                                             "new_last_12m": 3},
                             "ladder": {"counts": {"regular": 4}}, "tasks": {}},
            "ltv": {"value_basis": "revenue", "simple": {"S": 100.0, "C": 1.0,
                                                         "margin_known": False}}}
    items = story.initiatives(thin, EN, TODAY)
    ids = [i.id for i in items]
    assert ids[:2] == ["at_risk", "wallet"]
    assert {"survey_start", "referral_data", "margin_data"} <= set(ids)
    assert all(i.value_text == "not estimated" for i in items if i.value is None)
    nothing_priced = dict(thin, segmentation={"base_health": thin["segmentation"]["base_health"]})
    whole = story.story(nothing_priced, EN, TODAY)
    assert whole["lead"].startswith("Below are 3 initiatives: the data is too thin")
    assert whole["value_note"] == ""


def test_owners_are_roles_named_for_the_business():
    b2b = {i.id: i.owner for i in story.initiatives(_results(), EN, TODAY)}
    b2c = {i.id: i.owner for i in story.initiatives(_results(), EN, TODAY, kind="b2c")}
    assert b2b["at_risk"] == "Account managers" and b2b["winback"] == "Sales director"
    assert b2c["at_risk"] != b2b["at_risk"] and b2c["winback"] == b2b["winback"]
    steps = {i.id: i.first_step for i in story.initiatives(_results(), EN, TODAY, kind="b2c")}
    assert "SWOT" not in steps["winback"] and "personal offer" in steps["winback"]


def test_due_dates_are_quarter_ends_never_too_close():
    late = dt.date(2026, 12, 10)  # three weeks before the quarter ends: the next one
    items = {i.id: i for i in story.initiatives(_results(), EN, late)}
    assert items["at_risk"].due == dt.date(2027, 3, 31)
    early = dt.date(2026, 10, 2)
    items = {i.id: i for i in story.initiatives(_results(), EN, early)}
    assert items["at_risk"].due == dt.date(2026, 12, 31)
    assert items["wallet"].due == dt.date(2027, 6, 30)


def test_roadmap_by_quarter_checks_each_result_once():
    items = story.initiatives(_results(), EN, TODAY)
    plan = story.roadmap(items, EN, TODAY)
    assert plan["quarters"] == ["Q4 2026", "Q1 2027", "Q2 2027", "Q3 2027"]
    assert len(plan["rows"]) == len(items)
    for item, row in zip(items, plan["rows"], strict=True):
        assert row["title"] == item.title
        checks = [i for i, cell in enumerate(row["cells"]) if cell["check"]]
        assert len(checks) == 1 and "Results check" in row["cells"][checks[0]]["text"]
        assert row["cells"][0]["text"]  # every initiative starts this quarter


def test_initiatives_for_results_json_are_plain_and_documented():
    items = story.initiatives(_results(), RU, TODAY, labels=LABELS)
    recorded = json.loads(json.dumps(story.initiatives_json(items)))
    for entry in recorded:
        assert {"title", "value", "basis", "owner", "kpi", "due", "first_step"} <= set(entry)
        assert dt.date.fromisoformat(entry["due"])
        assert not re.search(r"&[a-z]+;|&#|<", " ".join(str(v) for v in entry.values()))
    assert recorded[0]["value"] == max(e["value"] or 0 for e in recorded)


def test_whole_story_and_period_helpers():
    whole = story.story(_results(), RU, TODAY, labels=LABELS)
    assert whole["lead"].startswith("Ниже — 6 инициатив") and whole["roadmap"]["rows"]
    assert story.period(RU, "2024-10-01", "2025-09-30") == "окт. 2024 – сент. 2025"
    assert story.period(EN, "2024-10-01", "2025-09-30") == "Oct 2024 – Sep 2025"
    assert story.period(EN, "2025-09-01", "2025-09-30") == "Sep 2025"
    assert story.quarter(RU, "2026-08-15") == "3-й кв. 2026"


def test_an_empty_run_tells_no_story():
    empty = story.story({}, EN, TODAY)
    assert empty["situation"] == [] and empty["complication"] == []
    assert empty["lead"] == "" or empty["initiatives"]


# --- the technical appendix ------------------------------------------------------------------


def _notebook(path, nb_id: str, title: str, cells: list) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["playbook"] = {"id": nb_id, "title": {"ru": title, "en": title}}
    nb.cells = cells
    nbformat.write(nb, path)


def _md(text: str, *tags: str):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = list(tags)
    return cell


def _two_notebooks(tmp_path):
    first, second = tmp_path / "10_a.ipynb", tmp_path / "20_b.ipynb"
    _notebook(first, "a", "Section A", [
        _md("# Section A"), _md("## Body of A"),
        _md("## Model parameters of A\n\nWhat the parameters mean.", "appendix"),
        _md("Only for the consultant: set `ltv.time_unit`.", "consultant-only"),
        _md("## Russian appendix", "appendix", "lang-ru")])
    _notebook(second, "b", "Section B", [_md("# Section B"), _md("Body of B"),
                                         _md("### Deep heading of B", "appendix")])
    return [first, second]


def test_cells_tagged_appendix_move_to_the_end_under_their_section(tmp_path):
    combined, toc = combine(_two_notebooks(tmp_path), "en")
    sources = [c.source for c in combined.cells]
    assert not any("consultant" in s for s in sources)
    assert not any("Russian appendix" in s for s in sources)
    markers = [i for i, c in enumerate(combined.cells) if "playbook_appendix" in c.metadata]
    assert len(markers) == 1
    after = combined.cells[markers[0] + 1:]
    assert after[0].metadata["playbook_appendix_part"]["title"] == "Section A"
    assert after[1].source.startswith("## Model parameters of A")
    assert after[1].metadata["playbook_in_appendix"] and after[1].metadata["playbook_demote"] == 2
    body_b = next(i for i, s in enumerate(sources) if s == "Body of B")
    assert markers[0] > body_b
    assert [t["title"] for t in toc] == ["Section A", "Section B"]


def test_no_appendix_cells_no_appendix(tmp_path):
    path = tmp_path / "a.ipynb"
    _notebook(path, "a", "A", [_md("# A")])
    combined, _ = combine([path], "ru")
    assert not any("playbook_appendix" in c.metadata for c in combined.cells)


def test_headings_are_demoted_one_level_or_two_in_the_appendix():
    assert _demote("<h2>x</h2>") == "<h3>x</h3>"
    assert _demote("<h2 id='a'>x</h2>", 2) == "<h4 id='a'>x</h4>"
    assert _demote("<h5>x</h5>", 2) == "<h6>x</h6>"


def _intake() -> dict:
    return {"files": [{"name": "transactions.csv", "kind": "csv", "rows_read": 39599,
                       "headers": ["Дата", "Код клиента", "Сумма"],
                       "mapping": {"customer_id": "Код клиента", "date": "Дата",
                                   "amount": "Сумма"},
                       "encoding": "cp1251", "delimiter": ";", "sheet": None, "decimal": ",",
                       "date_formats": {"date": "%d.%m.%Y", "birthday": "%d.%m.%Y"},
                       "date_order": {"date": {"order": "day_first", "basis": "data",
                                               "example": "13.11.2023"}}},
                      {"name": "survey.csv", "kind": "csv", "rows_read": 10,
                       "headers": ["Волна", "Код клиента", "Цены"],
                       "mapping": {"template": "quarterly"}, "encoding": "utf-8-sig",
                       "delimiter": "\t", "decimal": None, "date_formats": {}}],
            "issues": [{"kind": "duplicates", "rows": 20, "action": "dropped",
                        "examples": [[2867, "3505,09"]], "amount": 449328.17}]}


def test_data_quality_appendix_speaks_plain_words():
    ru = _appendix(_intake(), RU)["files"]
    assert ru[0]["dates"] == "день.месяц.год (например, 13.11.2023)"
    assert ru[0]["written"] == ("CSV, Windows-1251 (кириллица), разделитель — точка с запятой, "
                                "десятичный знак — запятая")
    assert ru[0]["columns"] == "Дата, Код клиента, Сумма"  # in the file's order
    assert ru[1]["columns"] == "столбцов анкеты: 3"
    assert ru[1]["written"] == "CSV, UTF-8, разделитель — табуляция"
    en = _appendix(_intake(), EN)["files"]
    assert en[0]["dates"] == "day.month.year (e.g. 13.11.2023)"
    shown = json.dumps([ru, en], ensure_ascii=False)
    for leak in ("%", "customer_id", "template", "quarterly", "cp1251", "utf-8-sig"):
        assert leak not in shown, leak


def test_display_labels_reach_the_summary_and_its_story(tmp_path):
    from playbook.params import load_params
    from playbook.report.render import use_labels

    demo = load_params(DEMO_PARAMS)
    # the client calls on-time delivery "Lead time" in its own reports
    labels = demo.labels.model_copy(update={"category": {"On-time delivery": "Lead time"}})
    params = demo.model_copy(update={"labels": labels, "client": demo.client.model_copy(
        update={"language": "en"})})
    results = _results(**{"survey.template": "quarterly"})
    target = tmp_path / "report.html"
    try:
        render_report(_two_notebooks(tmp_path), results, _intake(), params, target,
                      generated=TODAY)
    finally:
        use_labels(None)
    page = target.read_text("utf-8")
    summary = page[page.index('id="summary"'):page.index('id="section-a"')]
    assert "Lead time" in summary and "On-time delivery" not in summary


@pytest.mark.parametrize("code", ["ru", "en"])
def test_report_has_story_technical_appendix_and_plain_data_appendix(tmp_path, code):
    from playbook.params import load_params

    demo = load_params(DEMO_PARAMS)
    params = demo.model_copy(update={"client": demo.client.model_copy(update={"language": code})})
    target = tmp_path / "report.html"
    render_report(_two_notebooks(tmp_path), _results(), _intake(), params, target,
                  generated=TODAY)
    page = target.read_text("utf-8")
    lang = Lang(code)
    toc = page[re.search(r'<nav[^>]* id="toc"', page).start():page.index("</nav>")]
    assert toc.index("Section B") < toc.index(lang.t("report.technical")) < \
        toc.index(lang.t("report.appendix"))
    technical = page.index('id="appendix-technical"')
    assert page.index("Body of B") < technical < page.index('id="appendix-data-quality"')
    assert re.search(r"<h4[^>]*>Model parameters of A", page)  # one level below the section
    assert re.search(r"<h4[^>]*>Deep heading of B", page)  # whatever level the notebook used
    assert page.index('id="appendix-section-a"') > technical
    assert "Model parameters of A" not in page[:technical]
    summary = page[page.index('id="summary"'):page.index('id="section-a"')]
    for key in ("situation", "complication", "resolution", "roadmap"):
        assert lang.t(f"report.story.{key}") in summary
    assert summary.count('class="pb-initiative"') == 6
    assert summary.count("<tr>") == 7  # the roadmap: a header and a row per initiative
    assert "ltv.time_unit" not in page and "%d" not in _text(page)


def test_the_weak_spots_named_in_an_initiative_are_escaped_once():
    """An area's label with an apostrophe or markup reaches the client as written:
    "Manager's", never "Manager&#x27;s" (escaped by the label's quote and again by the title).
    """
    import html

    for code in ("en", "ru"):
        lang = Lang(code)
        title = lang.t("report.init.service.title",
                       areas=story._labels_list(lang, ["Manager's responsiveness", "<b>x</b>"]))
        assert "&amp;" not in title and "<b>" not in title
        assert "Manager's responsiveness" in html.unescape(title)
        assert "<b>x</b>" in html.unescape(title)
