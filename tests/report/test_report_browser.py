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
