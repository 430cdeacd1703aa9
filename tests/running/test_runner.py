"""The runner and the command line: success, and every way a run can fail."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest
import yaml
from conftest import ROOT, run_cli, stub_notebook, write_tiny_client

from playbook.errors import NotebookError
from playbook.running.runner import prepare_notebook, run_playbook

pytestmark = pytest.mark.slow

#: The command line with the playbook's notebooks folder replaced by argv[1]: a parameters
#: file may name only the playbook's own notebooks, so a test's notebooks take their place.
PATCHED_CLI = ("import sys; from pathlib import Path; import playbook.params as p; "
               "import playbook.running.runner as r; "
               "p.NOTEBOOKS_DIR = r.NOTEBOOKS = Path(sys.argv[1]); "
               "from playbook.cli import main; sys.exit(main(sys.argv[2:]))")



def run_cli_with(notebooks, *args: str) -> subprocess.CompletedProcess:
    """``run_cli`` with ``notebooks`` as the playbook's notebooks folder."""
    return subprocess.run([sys.executable, "-c", PATCHED_CLI, str(notebooks), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)



def _with_notebooks(tmp_path, *notebooks, timeout=600):
    return write_tiny_client(tmp_path / "client", extra={
        "run": {"notebooks": [n.name for n in notebooks], "cell_timeout": timeout}})


def test_run_writes_report_results_and_latest(tiny_client, tmp_path):
    outcome = run_playbook(tiny_client, out=tmp_path / "run")
    assert outcome.report == tmp_path / "run" / "report.html"
    results = json.loads((tmp_path / "run" / "results.json").read_text("utf-8"))
    assert results["intake"]["revenue"] == pytest.approx(10_000 + 2_000 + 5_000 + 1_500.5
                                                         - 500.5 + 7_000)
    assert results["intake"]["customers"] == 3
    html = outcome.report.read_text("utf-8")
    assert "&lt;script&gt;" not in html or "<script>alert" not in html
    assert "<script" not in html
    assert "ООО «Тест» &lt;b&gt;" in html


HOSTILE = "<script>alert(1)</script> {{ 7*7 }} {% raw %} $x$ &amp;"


def test_client_texts_reach_the_report_escaped(tmp_path):
    """The client's name and the headers its column mapping names are text, never markup, a
    template expression or math, wherever the report shows them.
    """
    folder = tmp_path / "client"
    folder.mkdir()
    header = "Сумма <script>alert(1)</script> {{ 7*7 }} $x$"  # no ";": the file's delimiter
    (folder / "tx.csv").write_text(f"Клиент;Дата;{header}\nA;01.01.2025;10\nB;02.01.2025;20\n",
                                   encoding="utf-8")
    params = folder / "params.yaml"
    params.write_text(yaml.safe_dump({
        "client": {"name": f"ООО {HOSTILE}", "language": "en", "currency": "RUB"},
        "data": {"transactions": {"path": "tx.csv", "columns": {
            "customer_id": "Клиент", "date": "Дата", "amount": header}}},
        "run": {"notebooks": ["00_intake.ipynb"]}}, allow_unicode=True), encoding="utf-8")
    outcome = run_playbook(params, out=tmp_path / "run")
    html = outcome.report.read_text("utf-8")
    escaped = ("&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% raw %} $x$ &amp;amp;")
    assert f"<h1>ООО {escaped}</h1>" in html
    assert f"ООО {escaped}</title>" in html
    assert "Сумма &lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} $x$" in html  # the mapping
    assert "<script" not in html and "alert(1)</script>" not in html


def test_cli_prints_report_path_last(tiny_client, tmp_path):
    result = run_cli("run", str(tiny_client), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "run" / "report.html")
    assert re.search(r"\[1/\d+\] 00_intake.ipynb", result.stderr)
    assert "Traceback" not in result.stderr


def test_failing_cell_names_notebook_cell_and_saved_copy(tmp_path, notebooks):
    bad = stub_notebook(notebooks / "bad.ipynb", "x = 1", "raise ValueError('boom in the data')")
    params = _with_notebooks(tmp_path, bad)
    with pytest.raises(NotebookError) as caught:
        run_playbook(params, out=tmp_path / "run")
    message = str(caught.value)
    # counted in the saved notebook, after the parameters papermill injects
    assert "bad.ipynb" in message and "code cell 4 (raise ValueError" in message
    assert "ValueError: boom in the data" in message
    assert caught.value.saved == str(tmp_path / "run" / "notebooks" / "bad.ipynb")
    assert (tmp_path / "run" / "notebooks" / "bad.ipynb").exists()
    assert not (tmp_path / "run" / "report.html").exists()
    assert "Traceback" in (tmp_path / "run" / "playbook.log").read_text("utf-8")


def test_cli_failure_exit_1_without_traceback(tmp_path, notebooks):
    bad = stub_notebook(notebooks / "bad.ipynb", "1 / 0")
    params = _with_notebooks(tmp_path, bad)
    result = run_cli_with(notebooks, "run", str(params), "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stderr and "bad.ipynb" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_dead_kernel_is_reported_like_a_failure(tmp_path, notebooks):
    dying = stub_notebook(notebooks / "dying.ipynb", "import os, signal\nos.kill(os.getpid(), "
                                                   "signal.SIGKILL)")
    params = _with_notebooks(tmp_path, dying)
    result = run_cli_with(notebooks, "run", str(params), "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert "dying.ipynb" in result.stderr and "kernel died" in result.stderr
    assert "code cell 3 (import os, signal)" in result.stderr
    assert "Traceback" not in result.stderr


def test_cell_timeout_is_reported_like_a_failure(tmp_path, notebooks):
    slow = stub_notebook(notebooks / "slow.ipynb", "import time\ntime.sleep(30)")
    params = _with_notebooks(tmp_path, slow, timeout=2)
    result = run_cli_with(notebooks, "run", str(params), "--out", str(tmp_path / "run"))
    assert result.returncode == 1
    assert "slow.ipynb" in result.stderr and "run.cell_timeout (2 s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_failed_run_keeps_last_good_report(tmp_path, monkeypatch, notebooks):
    import playbook.running.runner as runner

    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path / "project")
    (notebooks / "00_intake.ipynb").write_bytes((ROOT / "notebooks" / "00_intake.ipynb")
                                                .read_bytes())
    params = write_tiny_client(tmp_path / "client",
                               extra={"run": {"notebooks": ["00_intake.ipynb"]}})
    good = run_playbook(params)
    latest = good.run_dir.parent / "latest"
    assert latest.resolve() == good.run_dir.resolve()
    before = good.report.read_bytes()

    bad = stub_notebook(notebooks / "bad.ipynb", "raise RuntimeError('x')")
    raw = yaml.safe_load(params.read_text("utf-8"))
    raw["run"] = {"notebooks": [bad.name]}
    params.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(NotebookError):
        run_playbook(params)
    assert latest.resolve() == good.run_dir.resolve()
    assert good.report.read_bytes() == before


def test_bad_params_exit_2_with_message(tmp_path):
    params = write_tiny_client(tmp_path / "client", extra={"as_off": "2025-01-01"})
    result = run_cli("run", str(params), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "unknown key 'as_off'" in result.stderr and "did you mean 'as_of'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_data_exit_2_with_message(tmp_path):
    params = write_tiny_client(tmp_path / "client")
    (params.parent / "tx.csv").write_bytes("Дата;Клиент;Сумма\n01.01.2025;A;abc\n"
                                           .encode("cp1251"))
    result = run_cli("run", str(params), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "tx.csv" in result.stderr and "row 2 ('abc')" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_params_file_exit_2(tmp_path):
    result = run_cli("run", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_validate_checks_without_running_notebooks(tiny_client):
    result = run_cli("validate", str(tiny_client))
    assert result.returncode == 0, result.stderr
    assert "parameters are valid" in result.stdout
    assert "3 customers" in result.stdout and "returns: 1 rows netted" in result.stdout
    assert not (tiny_client.parent / "runs").exists()


def test_new_client_writes_a_loadable_params_file(tmp_path):
    target = tmp_path / "acme.yaml"
    result = run_cli("new-client", "ACME Ltd", "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target)
    text = target.read_text("utf-8")
    assert 'name: "ACME Ltd"' in text
    again = run_cli("new-client", "ACME Ltd", "--out", str(target))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_prepare_notebook_keeps_only_the_report_language(tmp_path):
    nb = nbformat.v4.new_notebook()
    for lang in ("ru", "en"):
        cell = nbformat.v4.new_markdown_cell(f"# {lang}")
        cell.metadata["tags"] = [f"lang-{lang}"]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_code_cell("1"))
    nbformat.write(nb, tmp_path / "x.ipynb")
    kept = prepare_notebook(tmp_path / "x.ipynb", "en")
    assert [c.source for c in kept.cells] == ["# en", "1"]


def test_survey_form_prints_a_printable_questionnaire(tmp_path):
    result = run_cli("survey-form", "quarterly", "--lang", "en", "--out",
                     str(tmp_path / "q.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "q.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "[recommend]" in page and "@page" in page
    stdout = run_cli("survey-form", "exit", "--lang", "ru")
    assert stdout.returncode == 0 and "</html>" in stdout.stdout
    unknown = run_cli("survey-form", "nosuch")
    assert unknown.returncode == 2 and "checkout" in unknown.stderr
    assert "Traceback" not in unknown.stderr
