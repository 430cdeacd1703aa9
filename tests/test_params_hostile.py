"""Broken and hostile parameters: refused with a short message naming the file, never a hang,
an out-of-memory, a traceback or code run from the parameters.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from playbook.errors import MAX_MESSAGE, DataError, ParamsError, PlaybookError
from playbook.params import (
    MAX_PARAMS_BYTES,
    client_slug,
    load_params,
    params_from_dict,
    playbook_notebooks,
)

MINIMAL = "client: {name: X}\ndata: {transactions: tx.csv}\n"
#: No message a consultant reads may be longer than this (it is one paragraph).
SHORT = 700


@pytest.fixture(autouse=True)
def no_hang():
    """Fail, instead of hanging the suite, if anything blocks reading a pipe or a device."""
    def timeout(signum, frame):
        raise TimeoutError("blocked: the parameters were read from a pipe or a device")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def refused(path: Path | str, error: type[PlaybookError] = ParamsError) -> str:
    with pytest.raises(error) as info:
        load_params(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < SHORT, message
    return message


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# YAML aliases, nesting and values out of range
# ---------------------------------------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nclient: {{name: *a{levels - 1}}}\ndata: tx.csv\n"


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    message = refused(write(tmp_path / "bomb.yaml", billion_laughs()))
    assert str(tmp_path / "bomb.yaml") in message
    assert "aliases" in message and "100,000" in message and "lol" not in message


def test_billion_laughs_of_long_texts_and_merge_keys(tmp_path):
    text = "x: &x '" + "A" * 50_000 + "'\n"
    text += "y: &y {" + ", ".join(f"k{i}: *x" for i in range(200)) + "}\n"
    text += "client: {<<: *y, name: X}\ndata: tx.csv\n"
    message = refused(write(tmp_path / "p.yaml", text))
    assert "aliases" in message and "AAAA" not in message


def test_an_alias_to_itself_is_refused(tmp_path):
    message = refused(write(tmp_path / "p.yaml", "client: &c {name: X, other: *c}\n"
                                                 "data: tx.csv\n"))
    assert "refers to a value containing itself" in message


def test_a_few_aliases_still_work(tmp_path):
    text = ("client: {name: X}\ncols: &cols {customer_id: Клиент, date: Дата, amount: Сумма}\n")
    text = ("client: {name: X}\ndata:\n  transactions: {path: tx.csv, columns: &cols "
            "{customer_id: Клиент, date: Дата, amount: Сумма}}\n"
            "  customers: {path: c.csv, columns: {customer_id: Клиент}}\n"
            "ltv:\n  marketing:\n    - &q {period_start: 2026-01-01, period_end: 2026-03-31, "
            "acquisition: 1, retention: 2}\n    - {<<: *q, period_start: 2026-04-01, "
            "period_end: 2026-06-30}\n")
    params = load_params(write(tmp_path / "p.yaml", text))
    assert params.data.transactions.columns["amount"] == "Сумма"
    assert params.ltv.marketing[1].acquisition == 1


def test_deep_nesting_is_refused(tmp_path):
    message = refused(write(tmp_path / "p.yaml", "client: " + "[" * 50_000 + "\n"))
    assert "nested too deeply" in message


@pytest.mark.parametrize("text, phrase", [
    ("as_of: 2024-13-45\n", "'2024-13-45' cannot be read (month must be in 1..12)"),
    ("ltv: {horizon_months: " + "9" * 6000 + "}\n", "cannot be read"),
])
def test_values_out_of_range_name_the_line(tmp_path, text, phrase):
    message = refused(write(tmp_path / "p.yaml", MINIMAL + text))
    assert phrase in message and "at line 3" in message


def test_control_character_in_the_file_itself(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"client: {name: A\x07B}\n")
    assert "control character (U+0007)" in refused(path)


# ---------------------------------------------------------------------------------------
# Texts: bounded, no control characters, messages never echo more than a little
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, code", [("A\\x07B", "U+0007"), ("A\\x00B", "U+0000"),
                                        ("A\\u202eB", "U+202E"), ("A\\ud800B", "U+D800"),
                                        ("A\\nB", "U+000A")])
def test_control_characters_in_values_are_refused(tmp_path, name, code):
    message = refused(write(tmp_path / "p.yaml", f'client: {{name: "{name}"}}\ndata: tx.csv\n'))
    assert "'client.name'" in message and code in message


def test_a_tab_is_a_valid_delimiter(tmp_path):
    path = write(tmp_path / "p.yaml", 'client: {name: X}\ndata: {transactions: {path: tx.csv, '
                                      'delimiter: "\\t"}}\n')
    assert load_params(path).data.transactions.delimiter == "\t"


def test_long_key_and_long_value_are_cut_in_the_message(tmp_path):
    key = "k" * 100_000
    message = refused(write(tmp_path / "p.yaml", f"? {key}\n: 1\n" + MINIMAL))
    assert "k" * 81 not in message and "100,000 characters" in message
    value = "v" * 900_000
    message = refused(write(tmp_path / "p.yaml", f"client: {{name: {value}}}\ndata: tx.csv\n"))
    assert "v" * 81 not in message and "'client.name'" in message


def test_many_problems_are_counted_not_listed(tmp_path):
    text = MINIMAL + "".join(f"unknown_{i}: 1\n" for i in range(5_000))
    message = refused(write(tmp_path / "p.yaml", text))
    assert "unknown key 'unknown_0'" in message and "(and 4,995 more problems)" in message


def test_many_bad_texts_are_counted(tmp_path):
    text = "client: {name: X}\ndata: {transactions: tx.csv}\nltv:\n" + "".join(
        f'  "k{i}\\x07": 1\n' for i in range(40))
    message = refused(write(tmp_path / "p.yaml", text))
    assert "a key in 'ltv'" in message and "(and 35 more problems)" in message


def test_client_name_is_bounded(tmp_path):
    with pytest.raises(ParamsError) as info:
        params_from_dict({"client": {"name": "Я" * 201}, "data": {"transactions": "tx.csv"}},
                         base_dir=tmp_path)
    assert "'client.name'" in str(info.value) and "Я" * 81 not in str(info.value)


@pytest.mark.parametrize("data, key", [
    ({"transactions": "tx.csv", "survey": {"path": "s.csv",
                                           "columns": {"<script>{{x}}$x$": "Q1"}}},
     "data.survey.columns"),
    ({"transactions": {"path": "tx.csv", "columns": {"amount": "x" * 300}}},
     "data.transactions.columns"),
    ({"transactions": {"path": "tx.csv", "encoding": "utf-8; rm -rf"}},
     "data.transactions.encoding"),
])
def test_column_mappings_and_options_are_validated(tmp_path, data, key):
    with pytest.raises(ParamsError) as info:
        params_from_dict({"client": {"name": "X"}, "data": data}, base_dir=tmp_path)
    assert f"'{key}" in str(info.value) and len(str(info.value)) < SHORT


def test_segment_names_are_plain_words(tmp_path):
    rule = {"r": [1, 5], "fm": [1, 5]}
    with pytest.raises(ParamsError) as info:
        params_from_dict({"client": {"name": "X"}, "data": {"transactions": "tx.csv"},
                          "segmentation": {"rfm_segments": {"$x$ <b>": rule}}},
                         base_dir=tmp_path)
    assert "'segmentation.rfm_segments" in str(info.value)
    ok = params_from_dict({"client": {"name": "X"}, "data": {"transactions": "tx.csv"},
                           "segmentation": {"rfm_segments": {"все клиенты": rule}}},
                          base_dir=tmp_path)
    assert list(ok.segmentation.rfm_segments) == ["все клиенты"]


# ---------------------------------------------------------------------------------------
# The parameters file itself: only a regular file, at most 1 MB
# ---------------------------------------------------------------------------------------

def test_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "p.yaml")
    message = refused(tmp_path / "p.yaml")
    assert "is a pipe (FIFO), not a regular file" in message and str(tmp_path) in message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/random", "/dev/urandom", "/dev/null"])
def test_device_is_refused(device):
    assert f"{device} is a device" in refused(device)


def test_folder_is_refused(tmp_path):
    assert "is a folder, not a file" in refused(tmp_path)


def test_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert "symbolic link that loops" in refused(tmp_path / "a.yaml")


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert "is a socket" in refused(path)


@pytest.mark.parametrize("proc", [False, True])
def test_process_substitution_is_refused(proc):
    read, write_end = os.pipe()
    try:
        os.write(write_end, MINIMAL.encode())
        path = f"/proc/self/fd/{read}" if proc else f"/dev/fd/{read}"
        assert "is a pipe (FIFO)" in refused(path)
    finally:
        os.close(read)
        os.close(write_end)


def test_symlink_to_a_regular_file_is_fine(tmp_path):
    real = write(tmp_path / "real.yaml", MINIMAL)
    (tmp_path / "link.yaml").symlink_to(real)
    assert load_params(tmp_path / "link.yaml").source_file == real


def test_file_larger_than_1_mb_is_refused(tmp_path):
    path = write(tmp_path / "p.yaml", MINIMAL + "#" * MAX_PARAMS_BYTES + "\n")
    assert "larger than 1,024 KB" in refused(path)


def test_cli_refuses_a_fifo_and_a_bomb_with_exit_2(tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")
    for path in (tmp_path / "fifo.yaml", write(tmp_path / "bomb.yaml", billion_laughs())):
        result = run_cli("run", str(path), "--out", str(tmp_path / "run"))
        assert result.returncode == 2, result.stderr
        assert str(path) in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr) < SHORT
    assert not (tmp_path / "run").exists()


def test_cli_refuses_process_substitution(tmp_path):
    script = f'exec {sys.executable} -m playbook validate <(printf "client: {{name: X}}\\n")'
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stderr
    assert "/dev/fd/" in result.stderr and "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------
# Data paths: refused at validation when they are not files
# ---------------------------------------------------------------------------------------

def data_params(tmp_path: Path, customers: str) -> Path:
    write(tmp_path / "tx.csv", "customer;date;amount\nA;01.01.2024;10\n")
    return write(tmp_path / "p.yaml", f"client: {{name: X}}\ndata:\n  transactions: tx.csv\n"
                                      f"  customers:\n    path: '{customers}'\n")


@pytest.mark.parametrize("make, phrase", [
    (lambda p: os.mkfifo(p), "is a pipe (FIFO)"),
    (lambda p: p.mkdir(), "is a folder, not a file"),
    (lambda p: (p.symlink_to(p.with_name("other")), p.with_name("other").symlink_to(p)),
     "symbolic link that loops"),
])
def test_data_path_that_is_not_a_file(tmp_path, make, phrase):
    make(tmp_path / "c.csv")
    message = refused(data_params(tmp_path, "c.csv"), DataError)
    assert message.startswith(f"Parameters file {tmp_path / 'p.yaml'}: ")
    assert "'data.customers.path' (c.csv)" in message and phrase in message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/random"])
def test_data_path_that_is_a_device(tmp_path, device):
    message = refused(data_params(tmp_path, device), DataError)
    assert f"({device}) is a device" in message


def test_missing_data_file_is_left_to_intake(tmp_path):
    params = load_params(data_params(tmp_path, "later.csv"))
    assert params.data.customers.path == (tmp_path / "later.csv").resolve()


def test_validate_refuses_a_fifo_data_file_with_exit_2(tmp_path):
    os.mkfifo(tmp_path / "c.csv")
    result = run_cli("validate", str(data_params(tmp_path, "c.csv")))
    assert result.returncode == 2 and "is a pipe (FIFO)" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------
# run.notebooks: only the playbook's own notebooks, by name
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, phrase", [
    ("/tmp/evil.ipynb", "is a path"),
    ("../notebooks/00_intake.ipynb", "is a path"),
    ("..", "is a path"),
    ("evil.ipynb", "not one of the playbook's notebooks"),
    ("00_intake", "did you mean '00_intake.ipynb'"),
])
def test_run_notebooks_names_only_playbook_notebooks(tmp_path, name, phrase):
    with pytest.raises(ParamsError) as info:
        params_from_dict({"client": {"name": "X"}, "data": {"transactions": "tx.csv"},
                          "run": {"notebooks": [name]}}, base_dir=tmp_path)
    message = str(info.value)
    assert "'run.notebooks'" in message and phrase in message
    assert "00_intake.ipynb, 10_segmentation.ipynb" in message


def test_run_notebooks_of_the_playbook_are_accepted(tmp_path):
    names = playbook_notebooks()
    assert names[0] == "00_intake.ipynb" and all((ROOT / "notebooks" / n).is_file()
                                                  for n in names)
    params = params_from_dict({"client": {"name": "X"}, "data": {"transactions": "tx.csv"},
                               "run": {"notebooks": names[:2]}}, base_dir=tmp_path)
    assert params.run.notebooks == names[:2]


def test_kernel_is_a_plain_name(tmp_path):
    with pytest.raises(ParamsError) as info:
        params_from_dict({"client": {"name": "X"}, "data": {"transactions": "tx.csv"},
                          "run": {"kernel": "../../bin/sh -c"}}, base_dir=tmp_path)
    assert "'run.kernel'" in str(info.value)


# ---------------------------------------------------------------------------------------
# Client folders: one per exact name
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second", [
    ("ООО «Альфа-Групп»", "ООО Альфа Групп"),
    ("«»", "!!!"),
    ("Acme", "ACME"),
    ("Acme, Inc.", "Acme Inc"),
    ("ф" * 60 + "1", "ф" * 60 + "2"),
])
def test_different_names_never_share_a_folder(first, second):
    assert client_slug(first) != client_slug(second)


def test_slug_is_readable_folder_safe_and_stable():
    slug = client_slug("ООО «Вектор-Снаб»")
    assert slug.startswith("ооо-вектор-снаб-") and len(slug) == len("ооо-вектор-снаб-") + 8
    assert client_slug("ООО «Вектор-Снаб»") == slug
    assert client_slug("  ООО   «Вектор-Снаб» ") == slug  # spaces do not make another client
    for name in ("../../etc", "a/b\\c", ".", "..", "«»", "Я" * 500, "con", "x\x00y"):
        made = client_slug(name)
        assert "/" not in made and "\\" not in made and "\x00" not in made
        assert not made.startswith(".") and len(made.encode()) < 200
    assert client_slug("«»").startswith("client-")


# ---------------------------------------------------------------------------------------
# The command line bounds every message
# ---------------------------------------------------------------------------------------

def test_cli_bounds_an_overlong_message(tmp_path, capsys, monkeypatch):
    from playbook import cli
    from playbook.errors import DataError

    def boom(args):
        raise DataError("x" * 100_000)
    monkeypatch.setattr(cli, "_validate", boom)
    parser = cli._parser

    def patched():
        built = parser()
        built._subparsers._group_actions[0].choices["validate"].set_defaults(handler=boom)
        return built
    monkeypatch.setattr(cli, "_parser", patched)
    assert cli.main(["validate", "p.yaml"]) == 2
    assert len(capsys.readouterr().err) <= MAX_MESSAGE + 20
