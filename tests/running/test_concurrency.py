"""Notebooks run at the same time once intake is done: which may, and what a failure says."""

from __future__ import annotations

import os

import openpyxl
import pytest
from conftest import stub_notebook, write_tiny_client

from playbook.errors import DataError, NotebookError
from playbook.running.runner import notebook_needs, run_playbook

PLAYBOOK = ["00_intake.ipynb", "10_segmentation.ipynb", "20_ltv.ipynb", "30_survey.ipynb",
            "40_winback.ipynb", "50_standards.ipynb", "60_followup.ipynb"]


def test_the_playbooks_notebooks_need_only_intake():
    # segmentation, LTV and win-back hand their lists over; the runner writes the workbooks
    assert notebook_needs(PLAYBOOK) == {name: set() for name in PLAYBOOK}


def test_an_unknown_notebook_runs_alone():
    needs = notebook_needs(["30_survey.ipynb", "mine.ipynb", "50_standards.ipynb",
                            "10_segmentation.ipynb"])
    assert needs["mine.ipynb"] == {"30_survey.ipynb"}
    assert needs["50_standards.ipynb"] == {"mine.ipynb"}
    assert needs["10_segmentation.ipynb"] == {"mine.ipynb"}




def _client(tmp_path, names, concurrency):
    return write_tiny_client(tmp_path / "client", extra={
        "run": {"notebooks": names, "concurrency": concurrency}})


def _wait_for(name):
    """A cell that waits (at most a minute) for the file ``name`` in the run folder."""
    return (f"import pathlib, time\nfolder = pathlib.Path(run_dir)\n"
            f"for _ in range(600):\n"
            f"    if (folder / {name!r}).exists(): break\n"
            f"    time.sleep(0.1)\n"
            f"else:\n"
            f"    raise RuntimeError('never ran beside {name}')")


@pytest.mark.slow
def test_independent_notebooks_run_at_the_same_time(tmp_path, notebooks):
    # Each notebook leaves a mark, then waits for the other's: only together do both end.
    mark = "import pathlib\n(pathlib.Path(run_dir) / {!r}).touch()"
    stub_notebook(notebooks / "30_survey.ipynb", mark.format("survey"), _wait_for("standards"))
    stub_notebook(notebooks / "50_standards.ipynb", mark.format("standards"), _wait_for("survey"))
    here = os.getcwd()
    outcome = run_playbook(_client(tmp_path, ["30_survey.ipynb", "50_standards.ipynb"], 2),
                           out=tmp_path / "run")
    assert outcome.report.is_file()
    # notebooks side by side never move this process's working folder
    assert os.getcwd() == here


@pytest.mark.slow
def test_a_kernel_starts_in_the_notebooks_folder(tmp_path, notebooks):
    stub_notebook(notebooks / "30_survey.ipynb", "import os, pathlib\n"
                  "(pathlib.Path(run_dir) / 'cwd.txt').write_text(os.getcwd())")
    outcome = run_playbook(_client(tmp_path, ["30_survey.ipynb"], 1), out=tmp_path / "run")
    assert (outcome.run_dir / "cwd.txt").read_text() == str(notebooks)


@pytest.mark.slow
def test_the_first_listed_failure_is_raised_as_in_a_sequential_run(tmp_path, notebooks):
    # The later notebook fails first; the error is still the earlier notebook's.
    stub_notebook(notebooks / "30_survey.ipynb", "import time\ntime.sleep(3)",
                  "raise ValueError('survey broke')")
    stub_notebook(notebooks / "50_standards.ipynb", "raise ValueError('standards broke')")
    stub_notebook(notebooks / "60_followup.ipynb", "x = 1")
    params = _client(tmp_path, ["30_survey.ipynb", "50_standards.ipynb", "60_followup.ipynb"],
                     2)
    with pytest.raises(NotebookError) as caught:
        run_playbook(params, out=tmp_path / "run")
    message = str(caught.value)
    assert "Notebook 30_survey.ipynb failed in code cell 4 (raise ValueError" in message
    assert "ValueError: survey broke" in message
    assert caught.value.saved == str(tmp_path / "run" / "notebooks" / "30_survey.ipynb")
    # nothing starts after a failure
    assert not (tmp_path / "run" / "notebooks" / "60_followup.ipynb").exists()
    assert not (tmp_path / "run" / "report.html").exists()


_HAND_OVER = ("import datetime as dt\nimport pandas as pd\n"
              "from playbook import exports, open_run\n"
              "run = open_run(params_path, run_dir)\n"
              "rows = pd.DataFrame({{'customer_id': ['K1'], 'reason': ['r'], "
              "'suggested_action': ['a'], 'due_date': [run.handover], 'value_at_stake': [1.0]}})\n"
              "people = pd.DataFrame({{'customer_id': ['K1'], 'manager': [{manager!r}], "
              "'customer_name': ['N'], 'contact_person': [None], 'phone': [None], "
              "'email': [None]}})\n"
              "done = exports.finish(rows, {key!r}, run.lang, people=people, context=None, "
              "start=run.handover)\n"
              "files = exports.hand_over(run, {source!r}, {{{key!r}: done}})\n"
              "assert not any(f.exists() for f in files)  # written by the runner, later")


def _handing_over(notebooks, *, ltv_manager):
    """Segmentation hands Иванов Иван a call, LTV hands ``ltv_manager`` a retain task."""
    stub_notebook(notebooks / "10_segmentation.ipynb",
                  _HAND_OVER.format(manager="Иванов Иван", key="calls", source="segmentation"))
    stub_notebook(notebooks / "20_ltv.ipynb",
                  _HAND_OVER.format(manager=ltv_manager, key="retain", source="ltv"))


@pytest.mark.slow
def test_the_runner_writes_the_workbooks_after_the_notebooks(tmp_path, notebooks):
    _handing_over(notebooks, ltv_manager="Иванов Иван")
    params = _client(tmp_path, ["10_segmentation.ipynb", "20_ltv.ipynb"], 2)
    outcome = run_playbook(params, out=tmp_path / "run")
    book = openpyxl.load_workbook(outcome.run_dir / "exports" / "Иванов_Иван.xlsx")
    assert book.sheetnames == ["Сводка", "Звонки", "Удержать"]
    assert not (outcome.run_dir / "data" / "tasks").exists()  # the records are written out


@pytest.mark.slow
def test_a_clash_found_when_writing_the_workbooks_is_a_data_error(tmp_path, notebooks,
                                                                  monkeypatch):
    from playbook.exports import workbook

    # in this process only: the runner's writing clashes
    monkeypatch.setattr(workbook, "manager_stem", lambda manager, lang=None: "same")
    _handing_over(notebooks, ltv_manager="Петров Пётр")
    params = _client(tmp_path, ["10_segmentation.ipynb", "20_ltv.ipynb"], 2)
    with pytest.raises(DataError, match="would share the file same.xlsx"):
        run_playbook(params, out=tmp_path / "run")
    assert not (tmp_path / "run" / "report.html").exists()


@pytest.mark.slow
def test_the_longest_notebooks_start_first(tmp_path, notebooks):
    names = ["00_intake.ipynb", "30_survey.ipynb", "20_ltv.ipynb", "10_segmentation.ipynb"]
    for name in names:
        stub_notebook(notebooks / name, "import pathlib\nwith (pathlib.Path(run_dir) / "
                      f"'order.txt').open('a') as f:\n    f.write({name!r} + '\\n')")
    outcome = run_playbook(_client(tmp_path, names, 1), out=tmp_path / "run")
    assert (outcome.run_dir / "order.txt").read_text().split() == [
        "10_segmentation.ipynb", "20_ltv.ipynb", "00_intake.ipynb", "30_survey.ipynb"]


@pytest.mark.slow
def test_the_workbooks_are_written_while_other_notebooks_still_run(tmp_path, notebooks):
    _handing_over(notebooks, ltv_manager="Иванов Иван")
    # the survey ends only once the workbook is there: before it ends, not after
    stub_notebook(notebooks / "30_survey.ipynb", _wait_for("exports/Иванов_Иван.xlsx"))
    names = ["10_segmentation.ipynb", "20_ltv.ipynb", "30_survey.ipynb"]
    outcome = run_playbook(_client(tmp_path, names, 2), out=tmp_path / "run")
    book = openpyxl.load_workbook(outcome.run_dir / "exports" / "Иванов_Иван.xlsx")
    assert book.sheetnames == ["Сводка", "Звонки", "Удержать"]
