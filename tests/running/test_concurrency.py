"""Notebooks run at the same time once intake is done: which may, and what a failure says."""

from __future__ import annotations

import os

import pytest
from conftest import stub_notebook, write_tiny_client

from playbook.errors import NotebookError
from playbook.running.runner import notebook_needs, run_playbook

PLAYBOOK = ["00_intake.ipynb", "10_segmentation.ipynb", "20_ltv.ipynb", "30_survey.ipynb",
            "40_winback.ipynb", "50_standards.ipynb", "60_followup.ipynb"]


def test_only_the_workbook_chain_waits_in_the_playbook():
    needs = notebook_needs(PLAYBOOK)
    assert needs == {"00_intake.ipynb": set(), "10_segmentation.ipynb": set(),
                     "20_ltv.ipynb": {"10_segmentation.ipynb"}, "30_survey.ipynb": set(),
                     "40_winback.ipynb": {"20_ltv.ipynb"}, "50_standards.ipynb": set(),
                     "60_followup.ipynb": set()}


def test_winback_waits_for_segmentation_without_the_ltv_notebook():
    needs = notebook_needs(["40_winback.ipynb", "10_segmentation.ipynb"][::-1])
    assert needs["40_winback.ipynb"] == {"10_segmentation.ipynb"}


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
