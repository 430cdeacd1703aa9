"""The standards logs read like every client file: mapping or synonyms, cp1251, wide or long
audits, and bad input refused with exit 2 naming the file, the column and the rows."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_cli, write_tiny_client

from playbook.errors import DataError
from playbook.intake import run_intake
from playbook.params import load_params


def _client(tmp_path, files: dict[str, str], **data) -> object:
    folder = tmp_path / "c"
    params = write_tiny_client(folder, extra={})
    for name, text in files.items():
        (folder / name).write_bytes(text.replace("\n", "\r\n").encode("cp1251"))
    raw = params.read_text("utf-8")
    extra = "".join(f"  {k}: {v}\n" for k, v in data.items())
    params.write_text(raw.replace("data:\n", "data:\n" + extra, 1), encoding="utf-8")
    return params


def _intake(tmp_path, params):
    out = tmp_path / "run" / "data"
    run_intake(load_params(params), out)
    return out


def test_long_audits_calls_and_requests_are_read_with_russian_headers(tmp_path):
    params = _client(tmp_path, {
        "a.csv": "Дата проверки;Филиал;Сотрудник;Пункт;Выполнено\n"
                 "05.01.2025;Центр;Иванов;greet_customer;да\n"
                 "05.01.2025;Центр;Иванов;SMILE;нет\n",
        "c.csv": "Дата и время;Сотрудник;Гудков;Пропущен;Удержание, сек;Обратный звонок\n"
                 "05.01.2025 10:15;Иванов;2;нет;30;\n05.01.2025 11:00;Иванов;;да;;да\n",
        "r.csv": "Поступило;Первый ответ;Категория\n"
                 "05.01.2025 09:00;05.01.2025 12:30;Жалоба\n06.01.2025 09:00;;Вопрос\n"},
        audits="a.csv", calls="c.csv", requests="r.csv")
    out = _intake(tmp_path, params)
    audits = pd.read_parquet(out / "standards__audits.parquet")
    assert audits["item"].tolist() == ["greet_customer", "smile"]  # ids compared lower-case
    assert audits["passed"].tolist() == [True, False] and audits["row"].tolist() == [2, 3]
    calls = pd.read_parquet(out / "standards__calls.parquet")
    assert calls["rings"].iloc[0] == 2 and bool(calls["missed"].iloc[1])
    assert calls["time"].iloc[0] == pd.Timestamp("2025-01-05 10:15")
    requests = pd.read_parquet(out / "standards__requests.parquet")
    assert requests["first_answer"].isna().tolist() == [False, True]


def test_a_wide_audit_sheet_has_one_column_per_standard(tmp_path):
    params = _client(tmp_path, {
        "a.csv": "Дата;Сотрудник;greet_customer;appearance\n"
                 "05.01.2025;Иванов;1;0\n06.01.2025;Петров;;1\n"}, audits="a.csv")
    audits = pd.read_parquet(_intake(tmp_path, params) / "standards__audits.parquet")
    assert sorted(zip(audits["employee"], audits["item"], audits["passed"],
                      strict=True)) == [("Иванов", "appearance", False),
                                        ("Иванов", "greet_customer", True),
                                        ("Петров", "appearance", True)]


@pytest.mark.parametrize(("text", "words"), [
    ("Дата;Пункт;Выполнено\n05.01.2025;greet_customer;может быть\n",
     ["'Выполнено'", "row 2", "'может быть'", "not yes or no"]),
    ("Дата;Пункт;Выполнено\n32.01.2025;greet_customer;да\n",
     ["'Дата'", "row 2", "not dates"]),
    ("Дата;Пункт;Выполнено\n;greet_customer;да\n", ["'Дата'", "blank dates"]),
    ("Дата;Пункт;Выполнено\n05.01.2025;greet_customer;\n", ["'Выполнено'", "blank answers"]),
    ("Дата;Сотрудник\n05.01.2025;Иванов\n", ["no item columns"]),
    ("Сотрудник;Пункт;Выполнено\nИванов;greet_customer;да\n", ["cannot find the 'date'"]),
])
def test_bad_audits_name_the_file_column_and_rows(tmp_path, text, words):
    params = _client(tmp_path, {"a.csv": text}, audits="a.csv")
    with pytest.raises(DataError) as info:
        _intake(tmp_path, params)
    message = str(info.value)
    assert "a.csv" in message
    for word in words:
        assert word in message


def test_bad_call_numbers_exit_2_from_the_command_line(tmp_path):
    params = _client(tmp_path, {"c.csv": "Время звонка;Гудков\n05.01.2025 10:00;три\n"
                                         "05.01.2025 10:05;-1\n"}, calls="c.csv")
    done = run_cli("validate", str(params))
    assert done.returncode == 2
    assert "c.csv" in done.stderr and "'Гудков'" in done.stderr
    assert "row 2 ('три')" in done.stderr and "row 3 ('-1')" in done.stderr


def test_a_missing_log_file_is_named(tmp_path):
    params = _client(tmp_path, {}, requests="nope.csv")
    with pytest.raises(DataError, match="nope.csv: the file does not exist"):
        _intake(tmp_path, params)


def test_the_training_log_is_read_with_russian_headers_or_a_mapping(tmp_path):
    params = _client(tmp_path, {
        "t.csv": "Дата обучения;Филиал;Сотрудник;Курс;Сдал;Балл\n"
                 "05.01.2025;Центр;Иванов;greet_customer;да;91\n"
                 "06.01.2025;Центр;Петров;appearance;нет;55,5\n"}, training="t.csv")
    training = pd.read_parquet(_intake(tmp_path, params) / "standards__training.parquet")
    assert training["employee"].tolist() == ["Иванов", "Петров"]
    assert training["passed"].tolist() == [True, False]
    assert training["score"].tolist() == [91.0, 55.5] and training["row"].tolist() == [2, 3]
    mapped = _client(tmp_path / "m", {
        "t.csv": "When;Who;What;Points\n2025-01-05;Ann;phone_introduce;7\n"},
        training="{path: t.csv, columns: {date: When, employee: Who, course: What, "
                 "score: Points}}")
    training = pd.read_parquet(_intake(tmp_path / "m", mapped) / "standards__training.parquet")
    assert training[["employee", "course"]].iloc[0].tolist() == ["Ann", "phone_introduce"]
    assert training["score"].iloc[0] == 7 and "passed" not in training


@pytest.mark.parametrize(("text", "words"), [
    ("Дата;Сотрудник;Курс;Сдал\n05.01.2025;Иванов;a;может быть\n",
     ["t.csv", "'Сдал'", "row 2 ('может быть')", "yes or no"]),
    ("Дата;Сотрудник;Курс;Балл\n05.01.2025;Иванов;a;много\n",
     ["t.csv", "'Балл'", "row 2 ('много')"]),
    ("Дата;Сотрудник;Курс;Сдал\n05.01.2025;;a;да\n", ["t.csv", "'Сотрудник'", "row 2",
                                                    "blank employees"]),
    ("Дата;Сотрудник;Курс\n05.01.2025;Иванов;a\n", ["t.csv", "'passed'", "'score'"]),
])
def test_a_bad_training_log_names_the_file_column_and_rows(tmp_path, text, words):
    params = _client(tmp_path, {"t.csv": text}, training="t.csv")
    with pytest.raises(DataError) as error:
        _intake(tmp_path, params)
    for word in words:
        assert word in str(error.value), (word, str(error.value))
