"""The competitor profile: the template round trip, and hostile files refused with a message
that names the file, the competitor and the field.
"""

from __future__ import annotations

import os

import pytest
import yaml
from conftest import run_cli, write_tiny_client

from playbook.errors import DataError, ParamsError
from playbook.winback.profile import check_profile, competitor_template, read_competitors


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_template_round_trip(tmp_path, lang):
    target = tmp_path / "competitors.yaml"
    result = run_cli("competitor-template", "--lang", lang, "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target)
    text = target.read_text("utf-8")
    assert text.startswith("#") and "price_index" in text
    filled = yaml.safe_load(text)  # the staff fill it in
    filled["competitors"][0]["name"] = "ООО «Склад-Маркет»"
    filled["competitors"][0]["terms"]["price_index"] = 0.9
    filled["competitors"][0]["terms"]["order_hours"] = 1.5
    filled["competitors"].append({"name": "Бета", "terms": {"price_index": 1.02}})
    target.write_text(yaml.safe_dump(filled, allow_unicode=True), encoding="utf-8")
    profile = read_competitors(target)
    first, second = profile["competitors"]
    assert first["name"] == "ООО «Склад-Маркет»" and first["terms"]["price_index"] == 0.9
    assert first["terms"]["order_hours"] == 1.5 and len(first["factors"]) == 5
    assert second["factors"] == [] and second["terms"]["delivery_cost"] is None
    assert profile["us"]["terms"]["deferral_days"] == 30


def test_template_to_stdout_and_never_over_a_filled_file(tmp_path):
    result = run_cli("competitor-template", "--lang", "en")
    assert result.returncode == 0 and result.stdout == competitor_template("en")
    target = tmp_path / "filled.yaml"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("competitor-template", "--out", str(target))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert target.read_text("utf-8") == "keep me"


GOOD = {"competitors": [{"name": "Альфа", "terms": {"price_index": 0.95}}]}


def _with(terms=None, **competitor):
    comp = {"name": "Альфа", "terms": {"price_index": 0.95, **(terms or {})}, **competitor}
    return {"competitors": [comp]}


@pytest.mark.parametrize("raw, phrases", [
    (_with({"price_index": 0}), ["competitor 'Альфа'", "'terms.price_index'", "got 0"]),
    (_with({"defect_share": -0.1}), ["'terms.defect_share'", "got -0.1"]),
    (_with({"on_time_share": 1.5}), ["'terms.on_time_share'"]),
    (_with({"price_index": "cheap"}), ["'terms.price_index'", "'cheap'"]),
    ({"competitors": [{"name": "Альфа", "terms": {"delivery_cost": 10}}]},
     ["competitor 'Альфа'", "price_index is required"]),
    (_with({"price_indx": 0.9}), ["'terms.price_indx'", "unknown key",
                                  "did you mean 'price_index'?"]),
    (_with(factors=[{"factor": "Цена", "us": 3, "them": 7}]),
     ["'factors.0.them'", "got 7"]),
    (_with(factors=[{"factor": "Цена", "us": 3, "them": 4, "wieght": 2}]),
     ["'factors.0.wieght'", "did you mean 'weight'?"]),
    (_with(threats=[{"item": "x", "weight": 0, "score": 3}]), ["'threats.0.weight'"]),
    ({**GOOD, "us": {"terms": {"deferal_days": 30}}},
     ["field 'us.terms.deferal_days'", "did you mean 'deferral_days'?"]),
    ({**GOOD, "competitor": []}, ["field 'competitor'", "did you mean 'competitors'?"]),
    ({"competitors": []}, ["'competitors'"]),
    ({"us": {}}, ["'competitors'", "required but missing"]),
    ({"competitors": [{"terms": {"price_index": 1}}]}, ["competitor no. 1", "'name'"]),
    ({"competitors": [{"name": "Альфа", "terms": {"price_index": 1}},
                      {"name": "альфа", "terms": {"price_index": 1}}]}, ["named twice"]),
    (_with(factors=[{"factor": "Цена\x07", "us": 3, "them": 4}]), ["control character"]),
    (["a", "list"], ["must be a mapping"]),
    (_with(factors=[{"factor": "Цена", "us": 3, "them": 4}, {"factor": "Сроки", "us": 4,
                                                             "them": 3},
                    {"factor": "Сервис", "us": 4, "them": 3}],
           pairwise=[{"more": "Цена", "less": "Сроки", "ratio": 3}]),
     ["competitor 'Альфа'", "pairwise", "'Цена' / 'Сервис' is not compared"]),
    (_with({"price_index_by_category": {"Бумага": 0}}),
     ["'terms.price_index_by_category.Бумага'", "got 0"]),
    (_with(factors=[{"factor": "Цена", "us": 3, "them": 4}],
           pairwise=[{"more": "Цена", "less": "Цена", "ratio": 12}]),
     ["'pairwise.0.ratio'", "got 12"]),
])
def test_bad_profiles_name_the_competitor_and_field(raw, phrases):
    with pytest.raises(DataError) as info:
        check_profile(raw, origin="Competitor file /x/c.yaml")
    message = str(info.value)
    assert message.startswith("Competitor file /x/c.yaml")
    for phrase in phrases:
        assert phrase in message, (phrase, message)


@pytest.mark.parametrize("content, phrase", [
    ("competitors: [a: b: c]", "cannot be read at line 1"),
    ("- just\n- a list\n", "must be a mapping of keys (name: value)"),
    ("a: &x [1]\nb: !!python/object:os.system x\n", "Tags such as !!python"),
    (b"\xff\xfe\x00bad", "is not UTF-8 text"),
])
def test_files_that_are_not_yaml_are_refused_naming_the_file(tmp_path, content, phrase):
    path = tmp_path / "comp.yaml"
    (path.write_bytes if isinstance(content, bytes) else
     lambda c: path.write_text(c, encoding="utf-8"))(content)
    with pytest.raises((DataError, ParamsError)) as info:
        read_competitors(path)
    assert str(info.value).startswith(f"Competitor file {path}")
    assert phrase in str(info.value)


def test_a_folder_or_a_pipe_is_refused(tmp_path):
    with pytest.raises(ParamsError, match="Competitor file .* is a folder"):
        read_competitors(tmp_path)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ParamsError, match="a pipe"):
        read_competitors(fifo)


def test_a_bad_profile_stops_the_run_with_exit_2_before_any_notebook(tmp_path):
    folder = tmp_path / "client"
    bad = folder / "competitors.yaml"
    folder.mkdir()
    bad.write_text("competitors:\n  - name: Альфа\n    terms: {price_index: -1}\n",
                   encoding="utf-8")
    params = write_tiny_client(folder, extra={})
    raw = yaml.safe_load(params.read_text("utf-8"))
    raw["data"]["competitors"] = "competitors.yaml"
    params.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = run_cli("validate", str(params))
    assert result.returncode == 2
    assert str(bad) in result.stderr and "competitor 'Альфа'" in result.stderr
    assert "'terms.price_index'" in result.stderr


def test_winback_parameters_are_validated(tmp_path):
    from playbook.params import params_from_dict

    base = {"client": {"name": "X", "language": "ru", "currency": "RUB"},
            "data": {"transactions": "tx.csv"}}
    with pytest.raises(ParamsError, match="did you mean 'drop_share'"):
        params_from_dict(base | {"winback": {"drop_shar": 0.4}}, base_dir=tmp_path)
    with pytest.raises(ParamsError, match="offence"):
        params_from_dict(base | {"winback": {"win_odds": {"offence": 0.9}}}, base_dir=tmp_path)
    with pytest.raises(ParamsError, match="cost_of_capital"):
        params_from_dict(base | {"winback": {"cost_of_capital": 1.5}}, base_dir=tmp_path)
    with pytest.raises(ParamsError, match="did you mean 'competitors'"):
        params_from_dict(base | {"data": {"transactions": "tx.csv", "competitor": "c.yaml"}},
                         base_dir=tmp_path)
    ok = params_from_dict(base | {"winback": {"top": 5}}, base_dir=tmp_path)
    assert ok.winback.top == 5 and ok.winback.drop_months == 6
