"""The demo's managers' workbooks hold exactly the tasks the report and results.json count."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import openpyxl
import pytest

from playbook.exports import list_name
from playbook.report.i18n import Lang, texts

pytestmark = pytest.mark.slow

#: The report's sentences that state each list's count: {list: (locale keys, placeholder)}.
SENTENCES = {
    "calls": (["segmentation.exports_so_what"], "calls"),
    "greetings": (["segmentation.exports_so_what"], "greetings"),
    "penetration": (["segmentation.exports_so_what"], "penetration"),
    "winback": (["winback.lists"], "winback"),  # the win-back section makes both lists
    "apology": (["winback.lists"], "apology"),
    "retain": (["ltv.retain_so_what", "ltv.retain_so_what_recency"], "n"),
}


def _counts(run: Path) -> dict[str, int]:
    results = json.loads((run / "results.json").read_text("utf-8"))
    counts = {**results["segmentation"]["tasks"], "retain": results["ltv"]["retain_tasks"],
              **results["winback"]["tasks_given"]}
    assert not {"winback", "apology"} & set(results["segmentation"]["tasks"])  # one owner
    assert results["tasks"]["given"] == counts  # recorded by each notebook, merged
    return counts


def _words(text: str) -> str:
    return " ".join(text.split())


def _report_text(run: Path) -> str:
    markup = (run / "report.html").read_text("utf-8")
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


#: A whole number as Lang.int writes it: 7, 1 234, 1,234.
NUMBER = r"(?<![\d.,])\d{1,3}(?:[\s,]\d{3})*(?![\d.,]\d)"


def _stated(report: str, template: str, field: str) -> str | None:
    """The number a locale sentence states in ``field``, read back from the report's text."""
    pattern, seen = "", set()
    for literal, name, spec in re.findall(r"([^{]*)(?:\{(\w+)(?::([^}]*))?\})?",
                                          html.unescape(template)):
        pattern += r"\s*".join(re.escape(part) for part in re.split(r"\s+", literal))
        if name == field and not spec and name not in seen:
            seen.add(name)
            pattern += rf"(?P<{name}>{NUMBER})"
        elif name:
            pattern += r".+?"
    match = re.search(pattern, report)
    return match[field] if match else None


@pytest.mark.parametrize("language", ["ru", "en"])
def test_tasks_in_the_files_add_up_to_the_counts_stated(demo_runs, language):
    run, lang = demo_runs[language], Lang(language)
    counts = _counts(run)
    assert set(counts) == set(SENTENCES) and sum(counts.values()) > 0
    folder = run / "exports"
    books = [book for p in sorted(folder.glob("*.xlsx"))
             for book in [openpyxl.load_workbook(p, read_only=True)]
             if book.properties.keywords == "playbook-tasks v1"]
    assert not list(folder.glob("*__*.csv"))  # no CSV copies of the task lists
    report = _report_text(run)
    for name, count in counts.items():
        title = list_name(name, lang)[:31]
        in_books = sum(sum(1 for _ in book[title].iter_rows(min_row=2))
                       for book in books if title in book.sheetnames)
        assert in_books == count, name
        keys, field = SENTENCES[name]
        stated = [s for key in keys if key in texts(language)
                  for s in [_stated(report, texts(language)[key], field)] if s]
        assert stated, f"no sentence of {keys} in the report"
        assert _words(stated[0]) == _words(str(lang.int(count))), name


@pytest.mark.parametrize("language", ["ru", "en"])
def test_each_summary_sheet_shows_the_managers_last_period_from_the_returned_workbooks(
        demo_runs, language):
    """The demo returns last quarter's filled-in workbooks: each manager's new summary sheet
    counts that manager's tasks read back, as results.json's tasks.done does.
    """
    from playbook.exports import plain_text

    run, lang = demo_runs[language], Lang(language)
    done = json.loads((run / "results.json").read_text("utf-8"))["tasks"]["done"]
    heading = plain_text(lang.t("exports.summary.last_period"))
    matched = 0
    for path in sorted((run / "exports").glob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        if book.properties.keywords != "playbook-tasks v1":
            continue
        rows = [r for r in book.worksheets[0].iter_rows(values_only=True)]
        start = next(i for i, r in enumerate(rows) if r and r[0] == heading)
        given = 0
        for row in rows[start + 2:]:
            if not row or row[0] in (None, ""):
                break
            given += row[1]
        returned = done.get(book.properties.title)
        if returned is not None:
            assert given == returned["given"], path.name
            matched += 1
    assert matched >= 6  # the demo's six managers all returned their workbooks
