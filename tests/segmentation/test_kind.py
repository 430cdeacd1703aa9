"""B2B or B2C: the client's kind, given or inferred, stated once and used in the wording."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.errors import ParamsError
from playbook.params import params_from_dict
from playbook.report.i18n import Lang
from playbook.segmentation.kind import infer_kind, looks_like_company
from playbook.segmentation.views_risk import kind_sentence


@pytest.mark.parametrize("name", ["ООО «Альфа»", "ИП Бетов А. А.", "АО «Меридиан»",
                                  "ПАО Сбер", "Acme Ltd", "Smith & Sons LLC", "Müller GmbH",
                                  "Tesco PLC", "«Вектор», ООО"])
def test_company_names(name):
    assert looks_like_company(name)


@pytest.mark.parametrize("name", ["Иванов Иван Петрович", "John Smith", "Аоди", "Ltdx shop",
                                  "Кафе у дома", None, ""])
def test_people_and_plain_names(name):
    assert not looks_like_company(name)


def _summary(purchase_days):
    return pd.DataFrame({"purchase_days": purchase_days})


def test_infer_from_names_then_from_repeat_purchases():
    summary = _summary([1, 2, 3, 1])
    companies = pd.Series(["ООО «А»", "ИП Б", "Иванов И.", "АО В"])
    assert infer_kind(companies, summary) == {"kind": "b2b", "basis": "names", "share": 0.75}
    people = pd.Series(["Иванов И.", "Петрова А.", "Smith J.", "ООО «А»"])
    assert infer_kind(people, summary)["kind"] == "b2c"
    assert infer_kind(None, _summary([2, 3, 5, 1])) == {"kind": "b2b", "basis": "repeat",
                                                        "share": 0.75}
    assert infer_kind(pd.Series([None, ""]), _summary([1, 1, 2]))["kind"] == "b2c"
    assert infer_kind(companies, summary, given="b2c") == {"kind": "b2c", "basis": "given",
                                                           "share": None}


def test_client_kind_is_a_checked_parameter(tmp_path):
    base = {"client": {"name": "Т", "language": "ru"}, "data": {"transactions": "tx.csv"}}
    (tmp_path / "tx.csv").write_text("a\n", encoding="utf-8")
    assert params_from_dict(base, base_dir=tmp_path).client.kind == "auto"
    base["client"]["kind"] = "b2c"
    assert params_from_dict(base, base_dir=tmp_path).client.kind == "b2c"
    base["client"]["kind"] = "retail"
    with pytest.raises(ParamsError, match="kind"):
        params_from_dict(base, base_dir=tmp_path)


class _Seg:
    def __init__(self, kind):
        self.kind = kind


@pytest.mark.parametrize("code", ["ru", "en"])
@pytest.mark.parametrize("kind", [{"kind": "b2b", "basis": "names", "share": 0.97},
                                  {"kind": "b2c", "basis": "names", "share": 0.02},
                                  {"kind": "b2b", "basis": "repeat", "share": 0.8},
                                  {"kind": "b2c", "basis": "repeat", "share": 0.3},
                                  {"kind": "b2b", "basis": "given", "share": None},
                                  {"kind": "b2c", "basis": "given", "share": None}])
def test_the_report_states_which_kind_was_assumed_and_why(code, kind):
    text = kind_sentence(_Seg(kind), Lang(code))
    assert ("B2B" in text) == (kind["kind"] == "b2b")
    assert ("B2C" in text) == (kind["kind"] == "b2c")
    if kind["share"] is not None:
        assert Lang(code).pct(kind["share"], 0) in text
    assert "client.kind" not in text and "auto" not in text


@pytest.mark.parametrize("code", ["ru", "en"])
def test_the_wording_follows_the_kind(code):
    import dataclasses

    from segdemo import demo_context, demo_segments

    from playbook.segmentation import views

    run, b2b = demo_context(code), demo_segments()
    b2c = dataclasses.replace(b2b, kind={"kind": "b2c", "basis": "given", "share": None})
    lang = run.lang
    for seg, kind in ((b2b, "b2b"), (b2c, "b2c")):
        advice = views.abc_table(seg, lang).iloc[:, -1].tolist()
        assert advice[0] == lang.t(f"segmentation.cell_advice{'' if kind == 'b2b' else '_b2c'}.AX")
        text = " ".join(views.abc_sentences(seg, run, lang))
        assert lang.t(f"segmentation.kind.uneven_{kind}") in text
