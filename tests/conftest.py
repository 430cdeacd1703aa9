"""Shared fixtures: a tiny client written by hand, and one run of the demo client per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# Same input, same output: every property test draws the same examples on every run, so a
# green suite stays green (make fuzz and the tests' own settings may ask for more).
settings.register_profile("playbook", derandomize=True, deadline=None)
settings.load_profile("playbook")
DEMO_PARAMS = ROOT / "params" / "clients" / "demo.yaml"

TINY_ROWS = [
    ("05.01.2025", "К-1", "ООО «Альфа»", "10 000,00"),
    ("05.01.2025", "К-1", "ООО «Альфа»", "2 000,00"),
    ("20.02.2025", "К-1", "ООО «Альфа»", "5 000,00"),
    ("10.01.2025", "К-2", "ИП Бетов", "1 500,50"),
    ("11.03.2025", "К-2", "ИП Бетов", "-500,50"),
    ("15.03.2025", "К-3", "<script>alert(1)</script>", "7 000,00"),
]


def write_tiny_client(folder: Path, *, language: str = "ru", extra: dict | None = None) -> Path:
    """A three-customer client in the 1C format; returns its params file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["Дата;Код клиента;Контрагент;Сумма"] + [";".join(r) for r in TINY_ROWS]
    (folder / "tx.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    params = {"client": {"name": "ООО «Тест» <b>", "language": language, "currency": "RUB"},
              "data": {"transactions": "tx.csv"}}
    for key, value in (extra or {}).items():
        params[key] = value
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def tiny_client(tmp_path) -> Path:
    return write_tiny_client(tmp_path / "client")


@pytest.fixture
def notebooks(tmp_path, monkeypatch) -> Path:
    """A folder standing in for the playbook's notebooks/ during the test (the runner's
    notebooks at once left to the test's parameters)."""
    import playbook.params as params_module
    import playbook.running.runner as runner

    folder = tmp_path / "notebooks"
    folder.mkdir()
    monkeypatch.setattr(params_module, "NOTEBOOKS_DIR", folder)
    monkeypatch.setattr(runner, "NOTEBOOKS", folder)
    monkeypatch.delenv("PLAYBOOK_CONCURRENCY", raising=False)
    return folder


def stub_notebook(path: Path, *sources: str) -> Path:
    """A notebook at ``path``: papermill's parameters cell, then one code cell per source."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('params_path = ""\nrun_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the playbook command as a consultant would, capturing its output."""
    return subprocess.run([sys.executable, "-m", "playbook", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory) -> dict[str, Path]:
    """The demo client run once in Russian and once in English: {language: run folder}."""
    runs = {}
    for language in ("ru", "en"):
        out = tmp_path_factory.mktemp(f"demo-{language}")
        params = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
        params["client"]["language"] = language
        for name, source in params["data"].items():  # the copy lives elsewhere: absolute paths
            if isinstance(source, dict):
                source["path"] = str((DEMO_PARAMS.parent / source["path"]).resolve())
            else:
                params["data"][name] = str((DEMO_PARAMS.parent / source).resolve())
        path = out / "params.yaml"
        path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
        result = run_cli("run", str(path), "--out", str(out / "run"))
        assert result.returncode == 0, result.stderr
        runs[language] = out / "run"
        runs[f"{language}-stdout"] = result.stdout
        runs[f"{language}-stderr"] = result.stderr
    return runs


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo client's run folder with intake done (the notebooks are not run), once."""
    from playbook.intake import run_intake
    from playbook.params import load_params
    from playbook.running.context import RunContext, intake_dir

    params = load_params(DEMO_PARAMS)
    folder = tmp_path_factory.mktemp("demo_intake")
    run_intake(params, intake_dir(folder))
    return RunContext(params=params, run_dir=folder)
