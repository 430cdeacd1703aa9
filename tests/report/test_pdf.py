"""The demo report printed to A4 PDF, read back page by page (poppler's ``pdftotext``).

Every page carries its number ("3 / 19") and a footer with the client's name and the report's
date; no page ends with a heading (a heading stays with what it heads); the contents share
their page with the cover; and no page is left half empty unless the next one opens a chapter
(a chart or table that does not fit moves whole, so what moves must be small enough).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import in_ci, require_chromium

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CLIENT = "ООО «Вектор-Снаб»"
MM = 72 / 25.4  # PDF points per millimetre
#: The report's print margins (templates/report/report.css, @page): top and bottom.
TOP, BOTTOM = 16 * MM, 18 * MM
_NS = "{http://www.w3.org/1999/xhtml}"


@dataclass
class Row:
    """One visual line of a page: the words at one height, left to right."""

    top: float
    bottom: float
    text: str


@dataclass
class Page:
    number: int
    height: float
    rows: list[Row]

    @property
    def footer(self) -> list[Row]:
        return [r for r in self.rows if r.top > self.height - BOTTOM]

    @property
    def body(self) -> list[Row]:
        return [r for r in self.rows if r.top <= self.height - BOTTOM]


def read_pdf(pdf: Path) -> list[Page]:
    """The pages of ``pdf`` as rows of words with their heights (points from the top)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        reason = "pdftotext (poppler-utils) is not installed; run: bash .ci/run"
        pytest.fail(reason) if in_ci() else pytest.skip(reason)
    out = subprocess.run([tool, "-bbox-layout", str(pdf), "-"], capture_output=True,
                         check=True, timeout=120).stdout.decode("utf-8")
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", out))
    pages = []
    for number, page in enumerate(root.iter(f"{_NS}page"), start=1):
        words = sorted((float(w.get("yMax")), float(w.get("yMin")), float(w.get("xMin")),
                         w.text or "") for w in page.iter(f"{_NS}word"))
        rows: list[list] = []
        for bottom, top, left, text in words:  # words whose baselines are within 2 pt: a row
            if rows and bottom - rows[-1][0][0] <= 2:
                rows[-1].append((bottom, top, left, text))
            else:
                rows.append([(bottom, top, left, text)])
        pages.append(Page(number, float(page.get("height")), [
            Row(min(w[1] for w in row), max(w[0] for w in row),
                " ".join(w[3] for w in sorted(row, key=lambda w: w[2]))) for row in rows]))
    return pages


def headings(report: Path, levels: str = "2345") -> set[str]:
    """The texts of the report's headings of ``levels`` (h2, chapters, to h5)."""
    markup = report.read_text(encoding="utf-8")
    found = set()
    for level, inner in re.findall(r"<h([2-5])\b[^>]*>(.*?)</h\1>", markup, flags=re.S):
        inner = re.sub(r"<a class=\"anchor-link\".*?</a>", "", inner, flags=re.S)
        if level in levels:
            found.add(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split()))
    return found - {""}


_FORCED_JS = """
() => [...document.querySelectorAll('body *')]
  .filter((e) => ['page', 'left', 'right', 'recto', 'verso']
                 .includes(getComputedStyle(e).breakBefore))
  .map((e) => e.innerText.trim().split('\\n')[0].trim())
"""


def forced_starts(report: Path) -> set[str]:
    """The first line of every block the print styles start on a new page (chapters...)."""
    from browser import launch_browser

    with launch_browser() as browser:
        page = browser.new_page()
        page.emulate_media(media="print")
        page.goto(report.resolve().as_uri())
        starts = {" ".join(line.split()) for line in page.evaluate(_FORCED_JS)}
        page.close()
    return starts - {""}


def _ends_with_heading(page: Page, titles: set[str]) -> str | None:
    body = page.body
    for lines in (body[-1:], body[-2:], body[-3:]):  # a heading may wrap onto more lines
        text = " ".join(r.text for r in lines)
        if text in titles:
            return text
    return None


@pytest.fixture(scope="module", params=["ru", "en"])
def printed(request, demo_runs, tmp_path_factory) -> tuple[list[Page], Path]:
    from playbook.report.document import export_pdf

    require_chromium()
    report = demo_runs[request.param] / "report.html"
    pdf = export_pdf(report, tmp_path_factory.mktemp(f"pdf-{request.param}") / "report.pdf")
    return read_pdf(pdf), report


def test_every_page_has_its_number_and_the_clients_name(printed):
    pages, _ = printed
    assert len(pages) >= 8
    for page in pages:
        footer = " ".join(r.text for r in page.footer)
        assert f"{page.number} / {len(pages)}" in footer, (page.number, footer)
        assert CLIENT in footer, (page.number, footer)
        assert re.search(r"\b20\d\d\b", footer), (page.number, footer)  # the report's date


def test_no_page_ends_with_a_heading(printed):
    pages, report = printed
    titles = headings(report)
    assert len(titles) > 10
    stranded = [(p.number, text) for p in pages if (text := _ends_with_heading(p, titles))]
    assert stranded == []


def test_the_contents_share_the_cover_page(printed):
    pages, report = printed
    first = " ".join(r.text for r in pages[0].body)
    assert CLIENT in first
    contents = {"Содержание", "Contents"} & headings(report, "2")
    assert contents and next(iter(contents)) in first


def test_no_half_empty_page_unless_a_chapter_follows(printed):
    """A page may end early only where the next opens a chapter or another block the print
    styles start on a new page (and at the end): never because a chart or table moved on.
    """
    pages, report = printed
    starts = forced_starts(report)
    assert len(starts) >= 5  # the summary and every chapter start a page
    usable = pages[0].height - TOP - BOTTOM
    half_empty = []
    for page, following in zip(pages[1:-1], pages[2:], strict=True):
        opens_chapter = following.body and following.body[0].text in starts
        filled = (max(r.bottom for r in page.body) - TOP) / usable if page.body else 0
        if not opens_chapter and filled < 0.5:
            half_empty.append((page.number, round(filled, 2), following.body[0].text[:60]))
    assert half_empty == []
