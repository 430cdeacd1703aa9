"""What the client reads in the segmentation section: numerals agree with their nouns, no
consultant's text leaks in, counts that read like one group are one number (or the text
says why not), money for people is rounded, and 80/20 is compared honestly."""

from __future__ import annotations

import json
import re
import string

import pytest
from babel import Locale
from segdemo import demo_context, demo_segments

from playbook.params import PROJECT_ROOT
from playbook.report.i18n import Count, Lang, texts
from playbook.segmentation import views

# --- numerals and nouns ---------------------------------------------------------------------

#: Russian nouns counted in the section: forms after a number, by CLDR category (one, few,
#: many), in the nominative/accusative, the genitive (after у, из, меньше...) and the dative.
RU_NOUNS = {
    "клиент": {"nom": ("клиент", "клиента", "клиентов"),
               "gen": ("клиента", "клиентов", "клиентов"),
               "dat": ("клиенту", "клиентам", "клиентам")},
    "звонок": {"nom": ("звонок", "звонка", "звонков"), "gen": ("звонка", "звонков", "звонков"),
               "dat": ("звонку", "звонкам", "звонкам")},
    "вопрос": {"nom": ("вопрос", "вопроса", "вопросов"),
               "gen": ("вопроса", "вопросов", "вопросов"), "dat": ("вопросу", "вопросам",
                                                                   "вопросам")},
    "поздравление": {"nom": ("поздравление", "поздравления", "поздравлений"),
                     "gen": ("поздравления", "поздравлений", "поздравлений"),
                     "dat": ("поздравлению", "поздравлениям", "поздравлениям")},
    "раз": {"nom": ("раз", "раза", "раз"), "gen": ("раза", "раз", "раз"),
            "dat": ("разу", "разам", "разам")},
    "месяц": {"nom": ("месяц", "месяца", "месяцев"), "gen": ("месяца", "месяцев", "месяцев"),
              "dat": ("месяцу", "месяцам", "месяцам")},
    "квартал": {"nom": ("квартал", "квартала", "кварталов"),
                "gen": ("квартала", "кварталов", "кварталов"),
                "dat": ("кварталу", "кварталам", "кварталам")},
}
_FORMS = {form: noun for noun, cases in RU_NOUNS.items() for forms in cases.values()
          for form in forms}
#: Words after which a counted noun takes the genitive: prepositions, "из последних N", and
#: verbs whose animate object (клиент) takes the accusative, which is the genitive's form.
_GENITIVE = {"у", "из", "меньше", "больше", "около", "от", "до", "для", "кроме", "последних",
             "удержать", "спросить"}
_NUMBER = r"(\d+(?:[\s\u00a0\u202f]\d{3})*(?:,\d+)?)"
_RU_PAIR = re.compile(_NUMBER + r"\s+(?:[а-яё]+(?:ых|ый|ого|ому|ым|ий|их)\s+)?([а-яё]+)",
                      re.IGNORECASE)
_EN_NOUNS = {"customer", "call", "greeting", "regular", "month", "quarter", "time"}
_EN_PAIR = re.compile(r"(?<![\d.,])(\d+(?:,\d{3})*(?:\.\d+)?)\s+(?:valuable\s+|more\s+)?"
                      r"([a-z]+)")


def _category(number: str) -> int:
    value = float(re.sub(r"[\s\u00a0\u202f]", "", number).replace(",", "."))
    category = Locale.parse("ru").plural_form(value)
    return {"one": 0, "few": 1, "many": 2}.get(category, 1)


def ru_disagreements(text: str) -> list[str]:
    """Number-noun pairs of ``text`` whose noun does not take the number's form."""
    bad = []
    for match in _RU_PAIR.finditer(text):
        number, word = match.groups()
        noun = _FORMS.get(word.lower())
        if noun is None:
            continue
        before = re.search(r"(\w*)\W*$", text[:match.start()]).group(1)
        forms = RU_NOUNS[noun]
        case = ("gen" if before.lower() in _GENITIVE else
                "dat" if word.lower() in forms["dat"] and word.lower() not in forms["nom"]
                else "nom")
        if word.lower() != forms[case][_category(number)]:
            bad.append(f"{number} {word}")
    return bad


def en_disagreements(text: str) -> list[str]:
    """English number-noun pairs in the wrong number (``1 customers``, ``2 customer``)."""
    bad = []
    for number, word in _EN_PAIR.findall(text):
        stem = word[:-1] if word.endswith("s") else word
        if stem not in _EN_NOUNS:
            continue
        plural = word.endswith("s")
        if plural == (number == "1"):
            bad.append(f"{number} {word}")
    return bad


def test_the_scanners_catch_what_they_should():
    assert ru_disagreements("у 21 клиентов, 5 клиента, 2 клиентов, 1 клиентов") == [
        "21 клиентов", "5 клиента", "2 клиентов", "1 клиентов"]
    assert ru_disagreements("1 клиент, 2 клиента, 5 клиентов, 21 клиент, 744 клиента, "
                            "у 21 клиента, из 392 постоянных клиентов, позвонить 2 клиентам, "
                            "в 1,5 раза, 21 постоянный клиент, 11 клиентов, "
                            "удержать 2 ценных клиентов, из последних 21 месяца") == []
    assert en_disagreements("1 customers, 2 customer, 1 customer, 3 calls, 21 regulars") == [
        "1 customers", "2 customer"]


#: Fields that hold a percentage, not a count.
_SHARES = re.compile(r"share|cut|classic|factor|^last$|^prev$")


def _fill(template: str, value: int, code: str = "ru") -> str:
    """The template with every count field ``value`` (its noun forms chosen), every share
    field a percentage.
    """
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{name: "50%" if _SHARES.search(name)
                              else Count(str(value), value, code) for name in names})


@pytest.mark.parametrize("value", [1, 2, 5, 11, 21, 744])
def test_every_russian_text_agrees_with_its_numbers(value):
    catalogue = texts("ru")
    bad = {key: ru_disagreements(_fill(text, value)) for key, text in catalogue.items()
           if key.startswith("segmentation.") and "{" in text}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("value", [1, 2, 21])
def test_every_english_text_agrees_with_its_numbers(value):
    catalogue = texts("en")
    bad = {}
    for key, text in catalogue.items():
        if key.startswith("segmentation.") and "{" in text:
            filled = _fill(text, value, "en")
            if en_disagreements(filled):
                bad[key] = en_disagreements(filled)
    assert bad == {}


# --- the demo's section, in both languages ---------------------------------------------------


def _section(language: str) -> tuple[list[str], dict, list]:
    """Everything the section shows (sentences, table cells, summary), its results, tiles."""
    run = demo_context(language)
    lang, seg = run.lang, demo_segments()
    lists = views.task_lists(seg, run)
    parts = [views.kind_sentence(seg, lang), views.rfm_sentence(seg, lang),
             views.rhythm_intro(seg, lang), *views.rhythm_sentences(seg, lang),
             *views.abc_sentences(seg, run, lang),
             views.pareto_sentence(seg, lang), *views.ladder_sentences(seg, run, lang),
             *views.movement_sentence(seg, run, lang), *views.health_sentences(seg, lang),
             views.exports_sentence(seg, lists, run)]
    for table in (views.rfm_table(seg, lang), views.rhythm_table(seg, lang),
                  views.abc_table(seg, lang), views.ladder_table(seg, lang),
                  views.movement_table(seg, lang)):
        parts += [str(c) for c in table.columns] + [str(v) for v in table.to_numpy().ravel()]
    results = views.results(seg, lists, [], run.run_dir)
    figures, advice = views._summary({"segmentation": results}, lang)
    parts += [f"{label}: {value}" for label, value in figures] + list(advice)
    return ([" ".join(str(p).split()) for p in parts],
            json.loads(json.dumps(results, default=str)), figures)


@pytest.fixture(scope="module", params=["ru", "en"])
def section(request):
    return (request.param, *_section(request.param))


def test_numerals_agree_in_the_demo(section):
    language, parts, _, _ = section
    check = ru_disagreements if language == "ru" else en_disagreements
    assert [bad for part in parts for bad in check(part)] == []


#: What the client must never read: parameter names, files and folders of the playbook,
#: commands, format strings and raw keys.
CONSULTANT_TEXT = [r"segmentation\.", r"client\.kind", r"\.xlsx", r"\.csv", r"\.yaml",
                   r"\bexports\b", r"\bparams?\b", r"playbook", r"\bauto\b", r"`", r"\{",
                   r"window_months", r"_", r"unassigned"]


def test_no_consultant_text_in_the_section(section):
    text = " ".join(section[1])
    found = [p for p in CONSULTANT_TEXT if re.search(p, text)]
    assert found == [], [re.search(p, text).group(0) for p in found]


def test_no_consultant_text_in_the_notebook_prose():
    book = json.loads((PROJECT_ROOT / "notebooks" / "10_segmentation.ipynb").read_text("utf-8"))
    for cell in book["cells"]:
        tags = cell["metadata"].get("tags", [])
        if cell["cell_type"] == "markdown":
            prose = "".join(cell["source"])
            assert not re.search(r"`|segmentation\.|\bexports\b|\.xlsx|params", prose), prose
        elif "consultant_notes" in "".join(cell["source"]):
            assert "consultant-only" in tags


def test_counts_that_read_like_one_group_agree(section):
    language, parts, results, figures = section
    text = " ".join(parts)
    lang = Lang(language)
    ladder = results["ladder"]["counts"]
    regulars = sum(ladder[r] or 0 for r in ("regular", "adherent", "advocate", "unknown"))
    adherents = (ladder["adherent"] or 0) + (ladder["advocate"] or 0)
    tiles = dict(figures)
    assert tiles[lang.t("segmentation.summary.regulars")] == lang.int(regulars)
    # the questions go to every regular but those who already buy only from the client
    assert results["tasks"]["penetration"] + adherents == regulars
    assert f"{lang.int(results['tasks']['penetration'])}" in text
    # calls: the customers at risk, then those who moved down and are not at risk
    risk = results["at_risk"]["customers"]
    assert results["rfm"]["at_risk_customers"] == risk
    assert tiles[lang.t("segmentation.summary.at_risk")] == lang.int(risk)
    down = results["tasks"]["calls"] - risk
    assert down >= 0 and str(lang.int(down)) in text
    # the states partition the customers; lost is recorded as documented
    assert sum(results["states"].values()) == sum(results["abc_xyz"]["counts"].values())
    assert set(results["lost"]) >= {"customers", "past_revenue"}
    assert results["lost"]["customers"] == results["states"]["lost"]


def test_money_for_people_is_rounded(section):
    language, parts, results, figures = section
    text = " ".join(parts)
    lang = Lang(language)
    tiles = dict(figures)
    stake = tiles[lang.t(f"segmentation.summary.at_stake_{results['at_risk']['value_basis']}")]
    assert stake == lang.money_short(results["rfm"]["at_risk_revenue"])
    assert " ".join(lang.money_short(results["lost"]["past_revenue"]).split()) in text


@pytest.mark.parametrize("share, verdict", [(0.5, "less"), (0.65, "less"), (0.749, "less"),
                                            (0.8, "in_line"), (0.85, "in_line"),
                                            (0.9, "more"), (0.97, "more")])
def test_pareto_against_80_20(share, verdict):
    assert views.pareto_verdict(share) == verdict


def test_the_demo_states_its_own_80_20_honestly(section):
    language, parts, results, _ = section
    text = " ".join(parts)
    assert results["pareto"]["verdict"] == "less"  # 65% is less concentrated than 80/20
    says = {"ru": ["Правило 80/20 на ваших данных", "64,9% выручки",
                   "менее концентрированно, чем по правилу 80/20", "80% выручки дают 35,2%"],
            "en": ["The 80/20 rule on your data", "64.9% of revenue",
                   "less concentrated than 80/20", "80% of revenue comes from 35.2%"]}
    for part in says[language]:
        assert part in text
    assert "close to the classic" not in text and "близко к классическому" not in text
