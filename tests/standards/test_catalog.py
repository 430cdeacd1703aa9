"""The standards catalog, its adaptation in the parameters, the rollout plan and the
client's standards document (``playbook standards-doc``)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import run_cli, write_tiny_client

from playbook.errors import ParamsError
from playbook.params import params_from_dict
from playbook.standards.catalog import catalog, catalog_ids
from playbook.standards.document import standards_document
from playbook.standards.rollout import in_force, plan, waves
from playbook.standards.settings import Rollout, Standards

MINIMAL = {"client": {"name": "ООО «Тест»"}, "data": {"transactions": "tx.csv"}}
SEED_STANDARDS = {"phone_third_ring", "phone_introduce", "phone_callback",
                  "request_answer_10h", "no_no_never", "promise_less"}


def _params(tmp_path, standards: dict):
    return params_from_dict(MINIMAL | {"standards": standards}, base_dir=tmp_path)


def test_the_catalog_holds_the_seeds_measurable_standards_in_every_area():
    table = catalog()
    assert SEED_STANDARDS <= set(table["id"])
    assert set(table["area"]) == {"phone", "stages", "policy", "conduct", "appearance",
                                  "conflicts"}
    assert table["target"].between(0, 1).all() and table["weight"].between(1, 5).all()
    assert table[["wording_ru", "wording_en", "how_ru", "how_en"]].notna().all().all()
    assert (table["origin"] == "catalog").all()
    rule = table.set_index("id").loc["request_answer_10h"]
    assert "10 часов" in rule["wording_ru"] and "10 hours" in rule["wording_en"]


def test_the_client_switches_off_changes_targets_and_adds_standards(tmp_path):
    params = _params(tmp_path, {
        "switch_off": ["appearance"], "targets": {"phone_third_ring": 0.97},
        "response_hours": 8, "hours": "working",
        "add": [{"id": "greet_by_name", "area": "stages", "stage": "during",
                 "wording": {"ru": "По имени", "en": "By name"}, "target": 0.8}]})
    table = catalog(params.standards).set_index("id")
    assert "appearance" not in table.index
    assert table.loc["phone_third_ring", "target"] == 0.97
    assert table.loc["phone_third_ring", "origin"] == "changed"
    assert table.loc["greet_by_name", "origin"] == "client"
    assert table.loc["greet_by_name", "check"] == "mystery_shopping"
    assert "8 рабочих часов" in table.loc["request_answer_10h", "wording_ru"]
    assert "8 working hours" in table.loc["request_answer_10h", "wording_en"]


@pytest.mark.parametrize(("standards", "words"), [
    ({"switch_off": ["phone_third_rign"]}, ["phone_third_rign", "did you mean 'phone_third_ring'"]),
    ({"targets": {"appearance": 1.5}}, ["target of 'appearance'", "at most 1"]),
    ({"targets": {"nope": 0.5}}, ["'nope'", "not a standard"]),
    ({"colour": "red"}, ["unknown key 'standards.colour'"]),
    ({"hours": "office"}, ["standards.hours"]),
    ({"add": [{"id": "Bad Id", "area": "phone", "wording": {"ru": "а", "en": "a"}}]},
     ["lowercase Latin letters"]),
    ({"add": [{"id": "appearance", "area": "phone", "wording": {"ru": "а", "en": "a"}}]},
     ["already has"]),
    ({"rollout": {"branches": ["A", "B"], "pilot": ["C"]}}, ["must be among branches"]),
    ({"working_hours": {"start": 18, "end": 9}}, ["must end after it starts"]),
])
def test_a_wrong_adaptation_is_refused_with_a_sentence_naming_it(tmp_path, standards, words):
    with pytest.raises(ParamsError) as info:
        _params(tmp_path, standards)
    for word in words:
        assert word in str(info.value)


def test_an_unknown_catalog_names_the_ones_there_are(tmp_path):
    with pytest.raises(ParamsError, match="there is no catalog 'other'.*default"):
        _params(tmp_path, {"catalog": "other"})


def test_the_plan_puts_the_pilot_first_then_waves_with_dated_stages():
    rollout = Rollout(start=dt.date(2026, 1, 5), branches=["A", "B", "C", "D", "E"],
                      pilot=["C"], develop_weeks=4, train_weeks=2, pilot_weeks=6,
                      wave_size=2, wave_weeks=4)
    assert waves(rollout) == [["C"], ["A", "B"], ["D", "E"]]
    stages = plan(rollout)
    develop = stages.iloc[0]
    assert develop["stage"] == "develop" and develop["end"] == dt.date(2026, 2, 2)
    pilot = stages[stages["wave"] == 0].set_index("stage")
    assert pilot.loc["train", "start"] == dt.date(2026, 2, 2)
    assert pilot.loc["control", "start"] == dt.date(2026, 2, 16)
    wave1 = stages[stages["wave"] == 1].set_index("stage")
    assert wave1.loc["train", "start"] == dt.date(2026, 3, 30)  # after 6 weeks of pilot control
    wave2 = stages[stages["wave"] == 2].set_index("stage")
    assert wave2.loc["train", "start"] == dt.date(2026, 4, 27)  # 4 weeks later
    assert in_force(rollout) == dt.date(2026, 2, 16)
    assert in_force(rollout.model_copy(update={"in_force": dt.date(2026, 3, 1)})) == \
        dt.date(2026, 3, 1)
    assert plan(Rollout()).empty and in_force(Rollout()) is None


def test_the_document_escapes_client_text_and_speaks_the_clients_language(tmp_path):
    params = params_from_dict(MINIMAL | {
        "client": {"name": "<b>Bold</b> & Co", "language": "en"},
        "standards": {"add": [{"id": "own", "area": "conduct",
                               "wording": {"ru": "<i>x</i>", "en": "<script>x</script>"}}],
                      "rollout": {"start": "2026-01-05", "branches": ["<North>"]}}},
        base_dir=tmp_path)
    page = standards_document(params, today=dt.date(2026, 1, 1))
    assert "<script>x" not in page and "&lt;script&gt;x" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in page and "&amp;amp;" not in page
    assert "&lt;North&gt;" in page and "The rollout plan" in page
    assert "Telephone communication" in page and "Pick up the phone by the third ring" in page


def test_standards_doc_writes_the_html_and_exits_2_on_bad_parameters(tmp_path):
    params = write_tiny_client(tmp_path / "c", extra={"standards": {"switch_off": ["appearance"]}})
    out = tmp_path / "doc" / "standards.html"
    done = run_cli("standards-doc", str(params), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("standards.html")
    page = out.read_text("utf-8")
    assert "Стандарты обслуживания клиентов" in page and "Опрятный внешний вид" not in page
    bad = write_tiny_client(tmp_path / "d", extra={"standards": {"targets": {"x": 2}}})
    done = run_cli("standards-doc", str(bad))
    assert done.returncode == 2 and "standards.targets" in done.stderr


def test_the_defaults_validate_as_a_standards_section():
    assert Standards().response_hours == 10 and Standards().hours == "calendar"
    assert catalog_ids()[0] == "phone_third_ring"


def test_standards_doc_prints_a_pdf_when_chromium_is_there(tmp_path):
    from playbook.report.document import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium here")
    params = write_tiny_client(tmp_path / "c")
    out = tmp_path / "standards.html"
    done = run_cli("standards-doc", str(params), "--out", str(out), "--pdf")
    assert done.returncode == 0, done.stderr
    assert out.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
