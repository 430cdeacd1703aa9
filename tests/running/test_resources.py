"""How many notebooks run at once: by the cores, and never more than fit in memory."""

from __future__ import annotations

import pytest
from conftest import stub_notebook, write_tiny_client

from playbook.params import load_params
from playbook.running import resources
from playbook.running.runner import run_playbook


def _params(tmp_path, **run):
    extra = {"run": {"notebooks": ["30_survey.ipynb"], **run}}
    return load_params(write_tiny_client(tmp_path / "client", extra=extra))


def test_a_kernel_needs_more_memory_for_a_larger_client():
    assert resources.kernel_memory(0) == pytest.approx(0.4e9)
    assert resources.kernel_memory(1_000_000) == pytest.approx(0.62e9)
    assert resources.kernel_memory(10_000_000) == pytest.approx(2.6e9)


def test_no_more_notebooks_at_once_than_fit_in_the_memory_given(tmp_path, monkeypatch):
    monkeypatch.delenv(resources.CONCURRENCY_ENV, raising=False)
    params = _params(tmp_path, concurrency=4, memory_gb=4)
    assert resources.concurrency(params, 1_000) == 4  # a small client: the cores decide
    assert resources.concurrency(params, 1_000_000) == 4  # 4 x 0.62 GB fit in 4 GB
    assert resources.concurrency(params, 6_000_000) == 2  # 1.72 GB each
    assert resources.concurrency(params, 20_000_000) == 1  # never fewer than one
    monkeypatch.setenv(resources.CONCURRENCY_ENV, "3")  # a batch's share of the cores
    assert resources.concurrency(params, 6_000_000) == 2
    assert resources.concurrency(params) == 3  # the cores alone


def test_by_default_three_quarters_of_the_free_memory(tmp_path, monkeypatch):
    monkeypatch.delenv(resources.CONCURRENCY_ENV, raising=False)
    params = _params(tmp_path, concurrency=4)
    monkeypatch.setattr(resources, "available_memory", lambda: 8e9)
    assert resources.memory_budget(params) == pytest.approx(6e9)
    assert resources.concurrency(params, 20_000_000) == 1  # 4.8 GB
    assert resources.concurrency(params, 10_000_000) == 2  # 2.6 GB each
    monkeypatch.setattr(resources, "available_memory", lambda: None)  # unknown: no limit
    assert resources.concurrency(params, 20_000_000) == 4


def test_the_free_memory_is_read_on_linux():
    free = resources.available_memory()
    assert free is None or free > 0


@pytest.mark.slow
def test_the_consultant_is_told_when_memory_limits_the_notebooks(tmp_path, notebooks,
                                                                  monkeypatch):
    monkeypatch.delenv(resources.CONCURRENCY_ENV, raising=False)
    for name in ("30_survey.ipynb", "50_standards.ipynb"):
        stub_notebook(notebooks / name, "x = 1")
    extra = {"run": {"notebooks": ["30_survey.ipynb", "50_standards.ipynb"],
                     "concurrency": 2, "memory_gb": 0.5}}
    said = []
    run_playbook(write_tiny_client(tmp_path / "client", extra=extra), out=tmp_path / "run",
                 progress=said.append)
    assert ("6 transactions: 1 notebook at a time, to stay within 0.5 GB of memory "
            "(run.memory_gb)") in said
