"""Parameters: strict validation with helpful messages, safe YAML, paths relative to the file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from playbook.errors import ParamsError, PlaybookError
from playbook.params import (
    DEFAULTS_PATH,
    Params,
    client_slug,
    load_params,
    new_client_yaml,
    params_from_dict,
)

MINIMAL = {"client": {"name": "ООО «Тест»"}, "data": {"transactions": "tx.csv"}}


def with_(**changes) -> dict:
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in MINIMAL.items()}
    raw.update(changes)
    return raw


def error(raw: dict, tmp_path: Path) -> str:
    with pytest.raises(ParamsError) as info:
        params_from_dict(raw, base_dir=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert "Fix the file" in message
    return message


def write_yaml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Defaults and merging
# ---------------------------------------------------------------------------------------

def test_minimal_parameters_take_the_defaults(tmp_path):
    params = params_from_dict(MINIMAL, base_dir=tmp_path)
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))
    assert params.client.language == defaults["client"]["language"] == "ru"
    assert params.client.currency == "RUB"
    assert params.intake.bad_rows == "stop"
    assert params.intake.duplicates == "auto"
    assert params.intake.max_future_days == 0
    assert params.run.notebooks == defaults["run"]["notebooks"]
    assert params.as_of is None
    assert params.data.customers is None


def test_client_values_merge_over_defaults_key_by_key(tmp_path):
    params = params_from_dict(with_(client={"name": "X", "language": "en"},
                                    intake={"bad_rows": "drop"}, as_of="2024-06-30"),
                              base_dir=tmp_path)
    assert params.client.language == "en"
    assert params.client.currency == "RUB"  # untouched sibling from defaults
    assert params.intake.bad_rows == "drop"
    assert params.intake.duplicates == "auto"
    assert params.as_of == dt.date(2024, 6, 30)


def test_params_are_frozen(tmp_path):
    params = params_from_dict(MINIMAL, base_dir=tmp_path)
    with pytest.raises(ValidationError):
        params.client.name = "other"


# ---------------------------------------------------------------------------------------
# Typos and invalid values: the message names the key and the nearest valid one
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, key, nearest", [
    ({**MINIMAL, "clinet": {"name": "X"}}, "clinet", "client"),
    ({**MINIMAL, "as_off": "2024-01-01"}, "as_off", "as_of"),
    (with_(client={"name": "X", "langauge": "en"}), "client.langauge", "language"),
    (with_(data={"transactions": "tx.csv", "custmers": "c.csv"}), "data.custmers", "customers"),
    (with_(data={"transactions": {"path": "tx.csv", "colums": {}}}),
     "data.transactions.colums", "columns"),
    (with_(data={"transactions": {"path": "tx.csv", "delimeter": ";"}}),
     "data.transactions.delimeter", "delimiter"),
    (with_(data={"transactions": "tx.csv", "customers": {"path": "c.csv", "shet": 1}}),
     "data.customers.shet", "sheet"),
    (with_(intake={"bad_row": "drop"}), "intake.bad_row", "bad_rows"),
    (with_(run={"notebok": []}), "run.notebok", "notebooks"),
])
def test_unknown_key_names_the_nearest_valid_key(tmp_path, raw, key, nearest):
    message = error(raw, tmp_path)
    assert f"unknown key '{key}'" in message
    assert f"did you mean '{nearest}'?" in message
    assert "Valid keys there:" in message
    assert "source_file" not in message  # internal, never offered


@pytest.mark.parametrize("source, name, nearest", [
    ("transactions", "custmer_id", "customer_id"),
    ("transactions", "ammount", "amount"),
    ("customers", "nam", "name"),
    ("customers", "birth_day", "birthday"),
])
def test_unknown_column_name_names_the_nearest(tmp_path, source, name, nearest):
    data = {"transactions": "tx.csv"}
    data[source] = {"path": "f.csv", "columns": {name: "Header"}}
    message = error(with_(data=data), tmp_path)
    assert f"'data.{source}.columns'" in message
    assert f"unknown column name '{name}' (did you mean '{nearest}'?)" in message


def test_no_suggestion_for_a_key_unlike_any(tmp_path):
    message = error({**MINIMAL, "zzzzzz": 1}, tmp_path)
    assert "unknown key 'zzzzzz'" in message and "did you mean" not in message
    valid = sorted(k for k in Params.model_fields if k != "source_file")
    assert f"Valid keys there: {', '.join(valid)}." in message


@pytest.mark.parametrize("client, key, got", [
    ({"name": "X", "language": "fr"}, "client.language", "'fr'"),
    ({"name": "X", "language": "RU"}, "client.language", "'RU'"),
    ({"name": "X", "currency": "rub"}, "client.currency", "'rub'"),
    ({"name": ""}, "client.name", "''"),
])
def test_invalid_client_values(tmp_path, client, key, got):
    message = error(with_(client=client), tmp_path)
    assert f"'{key}'" in message and f"(got {got})" in message


def test_invalid_language_says_which_are_valid(tmp_path):
    message = error(with_(client={"name": "X", "language": "de"}), tmp_path)
    assert "'ru' or 'en'" in message


@pytest.mark.parametrize("intake, key", [
    ({"bad_rows": "skip"}, "intake.bad_rows"),
    ({"duplicates": "remove"}, "intake.duplicates"),
    ({"max_future_days": -1}, "intake.max_future_days"),
])
def test_invalid_intake_values(tmp_path, intake, key):
    assert f"'{key}'" in error(with_(intake=intake), tmp_path)


def test_invalid_as_of(tmp_path):
    message = error(with_(as_of="yesterday"), tmp_path)
    assert "'as_of'" in message and "'yesterday'" in message


def test_invalid_decimal_choice(tmp_path):
    message = error(with_(data={"transactions": {"path": "tx.csv", "decimal": ";"}}), tmp_path)
    assert "'data.transactions.decimal'" in message


@pytest.mark.parametrize("raw, phrase", [
    ({"client": {"name": "X"}}, "'data' is required but missing"),
    (with_(data={}), "'data.transactions' is required but missing"),
    (with_(data={"transactions": {"columns": {}}}), "'data.transactions.path' is required"),
    ({"data": {"transactions": "tx.csv"}}, "'client.name' is required but missing"),
])
def test_missing_required_keys(tmp_path, raw, phrase):
    assert phrase in error(raw, tmp_path)


def test_every_problem_is_reported_at_once(tmp_path):
    message = error({"clinet": {}, "client": {"name": "X", "language": "fr"},
                     "data": {"transactions": "tx.csv"}, "intake": {"bad_row": "x"}}, tmp_path)
    assert "'clinet'" in message and "'client.language'" in message and \
        "'intake.bad_row'" in message


def test_params_error_is_a_playbook_error():
    assert issubclass(ParamsError, PlaybookError) and ParamsError.exit_code == 2


# ---------------------------------------------------------------------------------------
# Data paths
# ---------------------------------------------------------------------------------------

def test_plain_path_data(tmp_path):
    params = params_from_dict(with_(data={"transactions": "exports/tx.csv",
                                          "customers": "exports/c.xlsx"}), base_dir=tmp_path)
    tx = params.data.transactions
    assert tx.path == (tmp_path / "exports" / "tx.csv").resolve()
    assert tx.columns == {} and tx.header is True and tx.sheet is None
    assert params.data.customers.path == (tmp_path / "exports" / "c.xlsx").resolve()


def test_mapping_data_keeps_its_options(tmp_path):
    params = params_from_dict(with_(data={"transactions": {
        "path": "CDNOW.txt", "header": False, "columns": {"customer_id": 1, "date": 2,
                                                          "amount": 4},
        "encoding": "cp1251", "delimiter": ";", "decimal": ",", "sheet": 2,
        "date_format": "%d.%m.%Y"}}), base_dir=tmp_path)
    tx = params.data.transactions
    assert tx.header is False
    assert tx.columns == {"customer_id": 1, "date": 2, "amount": 4}
    assert (tx.encoding, tx.delimiter, tx.decimal, tx.sheet) == ("cp1251", ";", ",", 2)


def test_sheet_by_name_stays_a_string(tmp_path):
    params = params_from_dict(with_(data={"transactions": {"path": "a.xlsx",
                                                           "sheet": "Продажи"}}),
                              base_dir=tmp_path)
    assert params.data.transactions.sheet == "Продажи"


def test_paths_are_relative_to_the_params_file(tmp_path, monkeypatch):
    client = tmp_path / "clients" / "acme"
    write_yaml(client / "params.yaml", "client:\n  name: Acme\ndata:\n  transactions: "
                                       "../../exports/tx.csv\n  customers:\n    path: c.csv\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder must not matter
    params = load_params(client / "params.yaml")
    assert params.data.transactions.path == (tmp_path / "exports" / "tx.csv").resolve()
    assert params.data.customers.path == (client / "c.csv").resolve()
    assert params.source_file == (client / "params.yaml").resolve()


def test_relative_params_path_and_absolute_data_path(tmp_path, monkeypatch):
    absolute = tmp_path / "abs" / "tx.csv"
    write_yaml(tmp_path / "p" / "client.yaml",
               f"client:\n  name: A\ndata:\n  transactions: '{absolute}'\n")
    monkeypatch.chdir(tmp_path)
    params = load_params("p/client.yaml")
    assert params.data.transactions.path == absolute.resolve()
    assert params.source_file == (tmp_path / "p" / "client.yaml").resolve()


def test_home_in_data_path_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    params = params_from_dict(with_(data={"transactions": "~/tx.csv"}), base_dir=Path("/"))
    assert params.data.transactions.path == (tmp_path / "tx.csv").resolve()


# ---------------------------------------------------------------------------------------
# Reading the YAML file
# ---------------------------------------------------------------------------------------

def test_load_params_reads_utf8_with_bom_and_russian(tmp_path):
    path = tmp_path / "client.yaml"
    path.write_bytes("\ufeffclient:\n  name: ООО «Вектор»\n  language: en\n"
                     "data: {transactions: tx.csv}\nas_of: 2024-03-31\n".encode())
    params = load_params(path)
    assert params.client.name == "ООО «Вектор»"
    assert params.client.language == "en"
    assert params.as_of == dt.date(2024, 3, 31)


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['touch {marker}']\n",
    "client: !!python/object/apply:os.system ['touch {marker}']\ndata: tx.csv\n",
    "client:\n  name: !!python/object:builtins.dict {{}}\ndata: tx.csv\n",
    "client: !!python/name:os.system\ndata: tx.csv\n",
])
def test_unsafe_yaml_tag_is_rejected_not_executed(tmp_path, text):
    marker = tmp_path / "executed"
    path = write_yaml(tmp_path / "evil.yaml", text.format(marker=marker))
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert not marker.exists()
    message = str(info.value)
    assert str(path) in message and "python" in message and "not allowed" in message


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "list"), ("just text\n", "str"),
                                         ("42\n", "int")])
def test_non_mapping_yaml(tmp_path, text, kind):
    path = write_yaml(tmp_path / "p.yaml", text)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(path) in str(info.value)
    assert f"must be a mapping of keys (client:, data:, ...), not a {kind}" in str(info.value)


@pytest.mark.parametrize("text, line", [
    ("client:\n  name: X\n data: tx.csv\n", 3),
    ("client:\n  name: X\ndata:\n\ttransactions: tx.csv\n", 4),
    ("client:\n  name: \"X\nlanguage: ru\n", 4),
    ("client: {name: X\ndata: tx.csv\n", 2),
])
def test_yaml_syntax_error_names_the_line(tmp_path, text, line):
    path = write_yaml(tmp_path / "p.yaml", text)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    message = str(info.value)
    assert str(path) in message
    assert f"at line {line}," in message
    assert "Check the indentation and quoting" in message


def test_empty_yaml_reports_what_is_missing(tmp_path):
    path = write_yaml(tmp_path / "p.yaml", "# nothing yet\n")
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(path) in str(info.value)
    assert "'client.name' is required" in str(info.value)
    assert "'data' is required" in str(info.value)


def test_missing_params_file(tmp_path):
    with pytest.raises(ParamsError) as info:
        load_params(tmp_path / "nope.yaml")
    assert "does not exist" in str(info.value) and "new-client" in str(info.value)


def test_params_path_is_a_folder(tmp_path):
    with pytest.raises(ParamsError) as info:
        load_params(tmp_path)
    assert "folder" in str(info.value)


def test_params_file_not_utf8(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes("client:\n  name: Вектор\n".encode("cp1251"))
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert "not UTF-8" in str(info.value) and str(path) in str(info.value)


def test_typo_in_file_names_the_file(tmp_path):
    path = write_yaml(tmp_path / "p.yaml", "client:\n  name: X\n  langauge: en\ndata: tx.csv\n")
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(info.value).startswith(f"Parameters file {path} is not valid:")
    assert "did you mean 'language'?" in str(info.value)


# ---------------------------------------------------------------------------------------
# Starting a new client
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ООО «Вектор»", 'ООО "Вектор" & Co', "Back\\slash: #1",
                                  "Acme"])
def test_new_client_yaml_loads_back(tmp_path, name):
    text = new_client_yaml(name)
    path = write_yaml(tmp_path / "acme.yaml", text)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "transactions.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    params = load_params(path)
    assert params.client.name == name
    assert params.client.language == "ru" and params.client.currency == "RUB"
    assert params.data.transactions.path == (tmp_path / "data" / "transactions.csv").resolve()
    assert params.data.transactions.path.exists()
    assert params.as_of is None


def test_new_client_yaml_with_another_path(tmp_path):
    text = new_client_yaml("Acme").replace("data/transactions.csv", "exports/sales.xlsx")
    params = load_params(write_yaml(tmp_path / "acme.yaml", text))
    assert params.data.transactions.path == (tmp_path / "exports" / "sales.xlsx").resolve()


def test_new_client_yaml_commented_options_are_valid_when_uncommented(tmp_path):
    text = new_client_yaml("Acme")
    text = text.replace("    # columns:", "    columns:")
    for key in ("customer_id", "date", "amount", "order_id", "manager"):
        text = text.replace(f"    #   {key}:", f"      {key}:")
    text = text.replace("  # customers:", "  customers:").replace("# as_of:", "as_of:")
    params = load_params(write_yaml(tmp_path / "acme.yaml", text))
    assert params.data.transactions.columns["customer_id"] == "Код клиента"
    assert params.data.customers.path == (tmp_path / "data" / "customers.xlsx").resolve()
    assert params.as_of == dt.date(2026, 10, 31)


@pytest.mark.parametrize("name, readable", [("ООО «Вектор»", "ооо-вектор"),
                                            ("Acme, Inc.", "acme-inc"), ("«»", "client")])
def test_client_slug(name, readable):
    """The name made readable, then a short hash of the exact name (see test_params_hostile)."""
    slug = client_slug(name)
    assert re.fullmatch(re.escape(readable) + r"-[0-9a-f]{8}", slug)
    assert client_slug("ООО «Вектор»") == "ооо-вектор-8587324b"  # stable across versions


# --- returned task workbooks and the hand-over date -------------------------------------------

def test_tasks_done_takes_a_folder_or_a_list_of_workbooks(tmp_path):
    (tmp_path / "done").mkdir()
    one = params_from_dict(with_(data={"transactions": "tx.csv", "tasks_done": "done"}),
                           base_dir=tmp_path)
    assert one.data.tasks_done == [(tmp_path / "done").resolve()]
    many = params_from_dict(with_(data={"transactions": "tx.csv",
                                        "tasks_done": ["a.xlsx", "b/b.xlsx"]}),
                            base_dir=tmp_path)
    assert many.data.tasks_done == [(tmp_path / "a.xlsx").resolve(),
                                    (tmp_path / "b" / "b.xlsx").resolve()]
    assert (tmp_path / "done").resolve() in one.data.paths()
    assert params_from_dict(with_(data={"transactions": "tx.csv"}),
                            base_dir=tmp_path).data.tasks_done is None


@pytest.mark.parametrize(("value", "phrase"), [
    ([], "give a folder or at least one workbook"),
    (5, "'data.tasks_done'"),
    (["x.xlsx"] * 201, "at most 200 workbooks"),
])
def test_tasks_done_is_validated(tmp_path, value, phrase):
    assert phrase in error(with_(data={"transactions": "tx.csv", "tasks_done": value}),
                           tmp_path)


# ---------------------------------------------------------------------------------------
# The managers' workbooks: the hand-over date
# ---------------------------------------------------------------------------------------

def test_tasks_start_is_optional_and_read_as_a_date(tmp_path):
    assert params_from_dict(MINIMAL, base_dir=tmp_path).tasks.start is None
    params = params_from_dict(with_(tasks={"start": "2026-11-02"}), base_dir=tmp_path)
    assert params.tasks.start == dt.date(2026, 11, 2)
    params = params_from_dict(with_(tasks={"start": dt.date(2026, 11, 2)}), base_dir=tmp_path)
    assert params.tasks.start == dt.date(2026, 11, 2)


@pytest.mark.parametrize("start", ["next monday", "02.11.2026", 20261102, "2026-13-01"])
def test_tasks_start_must_be_an_iso_date(tmp_path, start):
    assert "'tasks.start'" in error(with_(tasks={"start": start}), tmp_path)


def test_a_typo_under_tasks_names_the_key(tmp_path):
    message = error(with_(tasks={"strat": "2026-11-02"}), tmp_path)
    assert "'tasks.strat'" in message and "start" in message
