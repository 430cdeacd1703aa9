"""Where a run writes: ``--out`` folders that cannot be used, re-used ``--out`` folders (built
beside and swapped in on success), the default ``runs/<client>/``, the fallback error log and
``new-client``'s file. Every refusal is exit code 2 naming the folder; the last good report,
``latest`` and the inputs are untouched.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat

import nbformat
import pytest
from conftest import run_cli, write_tiny_client

import playbook.params as params_module
import playbook.running.runner as runner
from playbook import cli
from playbook.errors import NotebookError, OutputError
from playbook.params import client_slug
from playbook.running.runner import run_playbook

INTAKE_ONLY = {"run": {"notebooks": ["00_intake.ipynb"]}}
GOOD = b"<html>the last good report</html>"


def previous_run(folder):
    """A folder as an earlier run left it (its log marks it as a run folder)."""
    folder.mkdir(parents=True)
    (folder / "playbook.log").write_text("earlier run\n", encoding="utf-8")
    (folder / "report.html").write_bytes(GOOD)
    (folder / "stale.csv").write_text("from the earlier run\n", encoding="utf-8")
    return folder


def snapshot(folder):
    """Every file under ``folder`` with a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def refused(params, out) -> str:
    with pytest.raises(OutputError) as info:
        run_playbook(params, out=out)
    message = str(info.value)
    assert "\n" not in message and len(message) < 700
    return message


@pytest.fixture
def client(tmp_path):
    return write_tiny_client(tmp_path / "client", extra=INTAKE_ONLY)


# ---------------------------------------------------------------------------------------
# --out that cannot be used: refused before anything runs
# ---------------------------------------------------------------------------------------

def test_out_is_a_file(client, tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("keep me", encoding="utf-8")
    message = refused(client, target)
    assert f"--out {target} is a file, not a folder" in message and "--out" in message
    assert target.read_text("utf-8") == "keep me"


def test_out_under_a_file(client, tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    message = refused(client, tmp_path / "file" / "run")
    assert "a part of its path is a file" in message and str(tmp_path / "file") in message


def test_out_is_a_symlink_loop(client, tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    message = refused(client, tmp_path / "a")
    assert "loops back on itself" in message and str(tmp_path / "a") in message


def test_out_holds_other_files(client, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "contract.docx").write_bytes(b"precious")
    message = refused(client, folder)
    assert "holds other files" in message and "new or empty folder" in message
    assert snapshot(folder) == {"contract.docx": hashlib.sha256(b"precious").hexdigest()}
    assert siblings(folder) == ["client"]


def test_out_holds_the_clients_inputs(client):
    before = snapshot(client.parent)
    message = refused(client, client.parent)
    assert "holds the client's input file" in message
    assert snapshot(client.parent) == before


def test_out_is_read_only(client, tmp_path, monkeypatch):
    folder = previous_run(tmp_path / "run")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if str(path) == str(folder)
                        else real_access(path, mode, **kw))
    message = refused(client, folder)
    assert f"Cannot write the run folder {folder}: it is read-only" in message
    assert "permissions" in message and (folder / "report.html").read_bytes() == GOOD
    assert siblings(folder) == ["client"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_out_is_read_only_for_real(client, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert "read-only" in refused(client, folder)
    finally:
        folder.chmod(stat.S_IRWXU)


def test_full_disk_during_a_run_keeps_the_last_good_report(client, tmp_path, monkeypatch):
    folder = previous_run(tmp_path / "run")
    before = snapshot(folder)

    def full(params, out_dir, today=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out_dir / "x.parquet"))
    monkeypatch.setattr(runner, "run_intake", full)
    message = refused(client, folder)
    assert f"Cannot write the run folder {folder}: the disk is full" in message
    assert "Free some space" in message and "--out" in message
    assert snapshot(folder) == before
    assert siblings(folder) == ["client"]  # the half-built run was removed


def test_full_disk_when_the_log_is_opened(client, tmp_path, monkeypatch):
    import logging

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(logging, "FileHandler", full)
    assert "the disk is full" in refused(client, tmp_path / "run")


def test_full_disk_on_the_command_line_is_exit_2(client, tmp_path, monkeypatch, capsys):
    def full(params, out_dir, today=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out_dir))
    monkeypatch.setattr(runner, "run_intake", full)
    assert cli.main(["run", str(client), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "the disk is full" in err and str(tmp_path / "run") in err
    assert "Traceback" not in err


def test_default_runs_folder_that_cannot_be_made(client, tmp_path, monkeypatch):
    (tmp_path / "project").write_text("a file where the project folder should be")
    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path / "project")
    with pytest.raises(OutputError) as info:
        run_playbook(client)
    assert "Cannot write the run folder" in str(info.value) and "--out" in str(info.value)


@pytest.mark.parametrize("make", ["file", "loop"])
def test_cli_refuses_unusable_out_with_exit_2(client, tmp_path, make):
    target = tmp_path / "out"
    if make == "file":
        target.write_text("x", encoding="utf-8")
    else:
        target.symlink_to(tmp_path / "out2")
        (tmp_path / "out2").symlink_to(target)
    before = snapshot(client.parent)
    result = run_cli("run", str(client), "--out", str(target))
    assert result.returncode == 2, result.stderr
    assert str(target) in result.stderr and "--out" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(client.parent) == before


# ---------------------------------------------------------------------------------------
# Re-using --out: built beside, swapped in on success; a failure leaves it untouched
# ---------------------------------------------------------------------------------------

def test_rerun_into_out_replaces_the_earlier_run_whole(client, tmp_path):
    folder = previous_run(tmp_path / "run")
    inputs = snapshot(client.parent)
    outcome = run_playbook(client, out=folder)
    assert outcome.run_dir == folder and outcome.report == folder / "report.html"
    assert outcome.report.read_bytes() != GOOD
    assert not (folder / "stale.csv").exists()  # nothing of the earlier run is mixed in
    assert siblings(folder) == ["client"]  # neither the new nor the old folder is left over
    executed = nbformat.read(folder / "notebooks" / "00_intake.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters.run_dir == str(folder)  # reopens here
    assert json.loads((folder / "results.json").read_text("utf-8"))["intake"]["customers"] == 3
    assert snapshot(client.parent) == inputs


def failing_notebook(client, tmp_path, monkeypatch, source):
    """Make the client run one notebook, ``bad.ipynb``, whose cell is ``source``."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    bad = nbformat.v4.new_notebook()
    bad.cells = [nbformat.v4.new_code_cell('params_path = ""\nrun_dir = ""'),
                 nbformat.v4.new_code_cell(source)]
    bad.cells[0].metadata["tags"] = ["parameters"]
    bad.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}
    nbformat.write(bad, notebooks / "bad.ipynb")
    monkeypatch.setattr(params_module, "NOTEBOOKS_DIR", notebooks)
    monkeypatch.setattr(runner, "NOTEBOOKS", notebooks)
    client.write_text(client.read_text("utf-8").replace("00_intake.ipynb", "bad.ipynb"),
                      encoding="utf-8")


def test_failed_rerun_into_out_leaves_the_earlier_run(client, tmp_path, monkeypatch):
    failing_notebook(client, tmp_path, monkeypatch, "raise RuntimeError('boom')")
    folder = previous_run(tmp_path / "run")
    before = snapshot(folder)
    with pytest.raises(NotebookError) as info:
        run_playbook(client, out=folder)
    assert snapshot(folder) == before
    left = [name for name in siblings(folder) if name.startswith("run.new-")]
    assert len(left) == 1  # the failed attempt, for inspection
    saved = tmp_path / left[0] / "notebooks" / "bad.ipynb"
    assert info.value.saved == str(saved) and saved.exists() and str(saved) in str(info.value)


def test_full_disk_inside_a_notebook_is_exit_2(client, tmp_path, monkeypatch):
    failing_notebook(client, tmp_path, monkeypatch,
                     "raise OSError(28, 'No space left on device')")
    folder = previous_run(tmp_path / "run")
    before = snapshot(folder)
    assert "the disk is full" in refused(client, folder)
    assert snapshot(folder) == before and siblings(folder) == ["client", "notebooks"]


def test_full_disk_reported_by_duckdb(client, tmp_path, monkeypatch):
    import duckdb

    def full(params, out_dir, today=None):
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")
    monkeypatch.setattr(runner, "run_intake", full)
    assert "the disk is full" in refused(client, tmp_path / "run")


def test_first_run_into_a_new_or_empty_out(client, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    outcome = run_playbook(client, out=empty)
    assert outcome.report == empty / "report.html" and outcome.report.exists()
    assert siblings(empty) == ["client"]


# ---------------------------------------------------------------------------------------
# The default runs/<client>/ and latest
# ---------------------------------------------------------------------------------------

def test_two_similar_client_names_get_their_own_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path / "project")
    names = ["ООО «Альфа-Групп»", "ООО Альфа Групп"]
    folders = []
    for name in names:
        params = write_tiny_client(tmp_path / name.replace(" ", "_"), extra=INTAKE_ONLY)
        params.write_text(params.read_text("utf-8").replace("ООО «Тест» <b>", name),
                          encoding="utf-8")
        folders.append(run_playbook(params).run_dir.parent)
    assert folders[0] != folders[1]
    assert all(f.name.startswith("ооо-альфа-групп-") for f in folders)
    assert all((f / "latest").resolve().parent == f for f in folders)


# ---------------------------------------------------------------------------------------
# The fallback error log and new-client
# ---------------------------------------------------------------------------------------

def test_unexpected_error_log_is_private_and_never_follows_a_link(tmp_path, monkeypatch,
                                                                  capsys):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched", encoding="utf-8")
    (tmp_path / "playbook-error.log").symlink_to(victim)  # the old fixed path

    def crash(args):
        raise RuntimeError("x" * 10_000)
    monkeypatch.setattr(cli, "_validate", crash)
    original = cli._parser

    def parser():
        built = original()
        built._subparsers._group_actions[0].choices["validate"].set_defaults(handler=crash)
        return built
    monkeypatch.setattr(cli, "_parser", parser)
    assert cli.main(["validate", "p.yaml"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err) < 700
    assert victim.read_text("utf-8") == "untouched"
    logs = list(tmp_path.glob("playbook-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback" in logs[0].read_text("utf-8")
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600


def test_new_client_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(params_module, "PROJECT_ROOT", tmp_path)
    assert cli.main(["new-client", "ООО «Альфа-Групп»"]) == 0
    assert cli.main(["new-client", "ООО Альфа Групп"]) == 0  # another client, another file
    made = sorted((tmp_path / "params" / "clients").iterdir())
    assert len(made) == 2 and all(p.name.startswith("ооо-альфа-групп-") for p in made)
    first = tmp_path / "params" / "clients" / f"{client_slug('ООО «Альфа-Групп»')}.yaml"
    first.write_text("# edited by the consultant\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["new-client", "ООО «Альфа-Групп»"]) == 2
    err = capsys.readouterr().err
    assert f"{first} already exists" in err and "--out" in err
    assert first.read_text("utf-8") == "# edited by the consultant\n"


def test_new_client_refuses_a_dangling_link_and_a_bad_name(tmp_path, capsys):
    link = tmp_path / "x.yaml"
    link.symlink_to(tmp_path / "elsewhere.yaml")
    assert cli.main(["new-client", "Acme", "--out", str(link)]) == 2
    assert not (tmp_path / "elsewhere.yaml").exists()
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["new-client", "Acme\x07", "--out", str(tmp_path / "y.yaml")]) == 2
    assert "control character (U+0007)" in capsys.readouterr().err
    assert not (tmp_path / "y.yaml").exists()


def test_new_client_cli_exit_2_without_traceback(tmp_path):
    target = tmp_path / "acme.yaml"
    target.write_text("# mine\n", encoding="utf-8")
    result = run_cli("new-client", "Acme", "--out", str(target))
    assert result.returncode == 2 and str(target) in result.stderr
    assert "Traceback" not in result.stderr and target.read_text("utf-8") == "# mine\n"
