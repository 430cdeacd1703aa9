"""Every cause a model names when it cannot be estimated (``DataError(..., why=...)``) has
its sentence for the consultant in both languages, filled from the facts it gives, escaped
once, with no English left in the Russian.
"""

from __future__ import annotations

import ast
import datetime as dt
import re

import pytest
from conftest import ROOT

from playbook.errors import DataError
from playbook.ltv.views_notes import model_reason
from playbook.report.i18n import Lang

SAMPLES = {"date": dt.date(2026, 1, 31), "count": 7, "needed": 20, "q": 0.8,
           "model": "BG/NBD"}


def _causes() -> dict[str, set[str]]:
    """``{why: the facts' names}`` of every DataError raised with a ``why`` in the package."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "playbook").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "DataError":
                words = {k.arg: k.value for k in node.keywords}
                if "why" in words:
                    why = ast.literal_eval(words.pop("why"))
                    found[why] = set(words)
    return found


CAUSES = _causes()


def test_the_models_name_their_causes():
    assert {"no_history", "few_repeat", "not_converged", "not_identified"} <= set(CAUSES)


@pytest.mark.parametrize("code", ["ru", "en"])
@pytest.mark.parametrize("why", sorted(CAUSES))
def test_each_cause_reads_in_the_consultants_language(why, code):
    lang = Lang(code)
    facts = {name: SAMPLES[name] for name in CAUSES[why]}
    error = DataError("The English message.", why=why, **facts)
    text = model_reason(error.cause(), str(error), lang)
    assert text != str(error) and "{" not in text and "&amp;" not in text
    if code == "ru":
        assert not re.search(r"[A-Za-z]{3,}", text.replace("BG/NBD", ""))
    if "date" in facts:
        assert str(lang.date(facts["date"])) in text
    filled = lang.t("ltv.consultant.model_failed", error=text)
    assert text in filled  # escaped once: a second escape would change the apostrophes


def test_a_cause_without_a_sentence_keeps_the_message():
    lang = Lang("ru")
    assert model_reason(None, "As it was.", lang) == "As it was."
    assert model_reason({"why": "unheard_of"}, "As it was.", lang) == "As it was."
    assert DataError("plain").cause() is None


@pytest.mark.parametrize("code", ["ru", "en"])
@pytest.mark.parametrize("reason", ["no_model", "dropout_near_zero", "nearly_all_alive",
                                    "short_history"])
def test_why_activity_follows_the_recency_rule_reads_in_words(reason, code):
    from playbook.ltv.views_notes import _activity_reason

    lang = Lang(code)
    text = _activity_reason(reason, lang)
    assert reason not in text and "{" not in text
    if code == "ru":
        assert not re.search(r"[A-Za-z]{3,}", text)
    note = lang.t("ltv.consultant.recency_rule", gaps=lang.num(2, 1), reason=text)
    assert text in note  # filled once, not escaped twice
