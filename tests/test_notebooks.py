"""The notebooks run as they are: with the plain papermill command, on their defaults."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_plain_papermill_runs_the_defaults(notebook, tmp_path):
    out = tmp_path / notebook.name
    result = subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(out),
                             "--no-progress-bar"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shape(notebook):
    """A memo: a parameters cell with runnable defaults, prose in both languages, no defs."""
    nb = nbformat.read(notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "params_path" in tagged[0].source
    for lang in ("ru", "en"):
        assert any(f"lang-{lang}" in c.metadata.get("tags", []) for c in nb.cells
                   if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "def " not in code and "class " not in code
    assert set(nb.metadata["playbook"]["title"]) == {"ru", "en"}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chart_says_what_it_shows_in_words(notebook):
    """A chart's text alternative (a screen reader, a mail client without pictures) is a
    sentence from the locale files in both languages, not a bare label like "CRR".
    """
    import re

    from playbook.report.i18n import texts

    code = "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells
                     if c.cell_type == "code")
    calls = re.findall(r"figure\((?:[^()]|\([^()]*(?:\([^()]*\))*[^()]*\))*\)", code)
    for call in calls:
        key = re.search(r'alt=lang\.t\("([\w.]+)"\)', call)
        assert key, f"{notebook.name}: {call[:80]} has no alt text from the locale files"
        for lang in ("ru", "en"):
            assert len(texts(lang)[key.group(1)].split()) >= 2, (lang, key.group(1))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_a_recorded_figure_is_the_last_expression_of_its_cell(notebook):
    """record() returns what Jupyter must display to carry the value into results.json: a
    record that is not its cell's last expression is lost silently.
    """
    import ast

    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code" or "record(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        calls = [n for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "record"]
        last = tree.body[-1]
        shown = isinstance(last, ast.Expr) and any(n is calls[0] for n in ast.walk(last))
        assert len(calls) == 1 and shown, f"{notebook.name}: {cell.source[:120]!r}"
