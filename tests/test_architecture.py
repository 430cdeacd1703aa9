"""The layout rules of docs/architecture.md, checked on the package's source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "playbook"
#: The packages of the consulting questions; their modules other than views are analyses.
QUESTIONS = ("segmentation", "ltv", "survey", "winback", "standards", "followup")
#: What an analysis never imports: running, the report's display and template, the staff's
#: files, plotting. (Languages, playbook.report.i18n, are allowed: an analysis may label.)
FORBIDDEN_IN_ANALYSIS = ("playbook.running", "playbook.report.document",
                         "playbook.report.render", "playbook.exports", "matplotlib", "seaborn")
#: Calls that read or write files, or print; views do none of them.
FILE_CALLS = {"open", "print", "read_csv", "read_parquet", "read_excel", "read_text",
              "read_bytes", "read_json", "to_csv", "to_parquet", "to_excel", "write_text",
              "write_bytes"}
MAX_LINES = 650


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` runs (imports under ``if TYPE_CHECKING:`` left out)."""
    tree = ast.parse(path.read_text("utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


ANALYSES = [p for q in QUESTIONS for p in _modules(PACKAGE / q)
            if not p.name.startswith("views")]
VIEWS = [p for p in PACKAGE.rglob("views*.py")]


def test_the_layout_is_what_the_rules_cover():
    assert len(ANALYSES) >= 12 and len(VIEWS) >= 4


@pytest.mark.parametrize("path", ANALYSES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_an_analysis_imports_nothing_from_running_the_report_or_plotting(path):
    bad = sorted(m for m in _runtime_imports(path)
                 if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_IN_ANALYSIS))
    assert bad == []


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_views_read_no_files_and_print_nothing(path):
    assert sorted(_calls(path) & FILE_CALLS) == []


@pytest.mark.parametrize("path", _modules(PACKAGE / "report"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_report_imports_no_question_package(path):
    """The report collects the questions' summaries by module name, never by import."""
    bad = sorted(m for m in _runtime_imports(path)
                 if any(m.startswith(f"playbook.{q}") for q in QUESTIONS))
    assert bad == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small_enough_to_read_in_one_sitting(path):
    assert len(path.read_text("utf-8").splitlines()) <= MAX_LINES


def test_a_notebook_kernel_imports_no_notebook_machinery():
    # nbformat pulls in jsonschema's format checkers (a second of CPU in every kernel, seven
    # kernels a run); only the runner renders the report and needs it.
    import subprocess
    import sys

    views = ", ".join(f"playbook.{q}.views" for q in QUESTIONS)
    code = (f"import sys, playbook, playbook.intake.views, {views}\n"
            "from playbook import exports, figure, open_run, record, show, table\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'nbformat', 'nbconvert', 'papermill', 'jsonschema', 'nbclient'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
