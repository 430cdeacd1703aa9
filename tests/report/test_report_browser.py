"""The demo report in headless Chromium: loads cleanly, offline, with working navigation."""

from __future__ import annotations

import pytest
from browser import inspect_report, require_chromium

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_report_loads_offline_without_errors(demo_runs, lang, tmp_path):
    require_chromium()
    check = inspect_report(demo_runs[lang] / "report.html", screenshot=tmp_path / "report.png")
    assert check.console_errors == []
    assert check.external_requests == []
    assert check.broken_images == []
    assert check.scripts == 0
    assert check.toc_links >= 3 and check.broken_toc_links == []
    assert "ООО «Вектор-Снаб»" in check.title
    assert (tmp_path / "report.png").stat().st_size > 10_000
    expected = {"ru": "Качество данных", "en": "Data quality"}[lang]
    assert expected in check.text


def test_report_prints_to_pdf(demo_runs, tmp_path):
    from playbook.report.document import export_pdf

    require_chromium()
    pdf = export_pdf(demo_runs["en"] / "report.html", tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 4
    assert not list(tmp_path.glob("*.partial"))


# --- how it looks: charts, tables ------------------------------------------------------------

_LAYOUT_JS = """
() => {
  const out = {charts: 0, titled: 0, images: document.images.length, clipped: [],
               overflowing: [], misaligned: [], pageWidth: document.documentElement.scrollWidth};
  for (const svg of document.querySelectorAll('figure.chart > svg')) {
    out.charts++;
    const title = svg.querySelector(':scope > title');
    if (svg.getAttribute('role') === 'img' && title && title.textContent.trim()) out.titled++;
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      if (!r.width) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
          || r.bottom > box.bottom + 1) out.clipped.push(text.textContent);
    }
  }
  for (const table of document.querySelectorAll('table')) {
    const host = table.parentElement.getBoundingClientRect();
    if (table.getBoundingClientRect().right > host.right + 1)
      out.overflowing.push(table.innerText.slice(0, 80));
    const rows = [...table.querySelectorAll('tbody tr')];
    table.querySelectorAll('thead th').forEach((th, i) => {
      const cells = rows.map((r) => r.children[i]).filter(Boolean);
      if (cells.length && cells.every((c) => c.classList.contains('num'))
          && getComputedStyle(th).textAlign !== 'right') out.misaligned.push(th.innerText);
    });
  }
  return out;
}
"""

#: The width of an A4 page's text column in CSS pixels (210 mm less 2 x 14 mm of margins).
A4_COLUMN_PX = round((210 - 28) / 25.4 * 96)


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("media", ["screen", "print"])
def test_charts_keep_every_label_and_tables_fit_their_column(demo_runs, lang, media):
    """Charts are inline SVG with their alternative text and every text inside the picture;
    no table is wider than the text column, on screen or on an A4 page; a heading over
    numbers aligns with them.
    """
    from browser import launch_browser

    require_chromium()
    width = 1280 if media == "screen" else A4_COLUMN_PX
    with launch_browser() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.emulate_media(media=media)
        page.goto((demo_runs[lang] / "report.html").resolve().as_uri())
        seen = page.evaluate(_LAYOUT_JS)
        page.close()
    assert seen["charts"] >= 10 and seen["titled"] == seen["charts"]
    assert seen["images"] == 0  # no bitmaps: every chart is vector
    assert seen["clipped"] == []
    assert seen["overflowing"] == [] and seen["pageWidth"] <= width
    assert seen["misaligned"] == []
