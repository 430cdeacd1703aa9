"""The portfolio page in a real browser: self-contained, no script, nothing fetched.

A consultant opens ``index.html`` from a shared drive or an e-mail attachment; it must
show every client without network access and without running anything, even when a
client's name or a failure reason carries markup.
"""

import datetime as dt
import json

from playbook.report.i18n import Lang
from playbook.running.batch import ClientRun
from playbook.running.portfolio import portfolio_html, portfolio_rows
from tests.browser import inspect_report, require_chromium

HOSTILE = ('Evil <img src="https://example.com/x.png" onerror="alert(1)">'
           '<link rel="stylesheet" href="https://example.com/s.css">')


def _clients(tmp_path):
    run = tmp_path / "good-1" / "20260101-000000"
    run.mkdir(parents=True)
    results = {"intake": {"period": {"start": "2025-01-05", "end": "2025-12-28"},
                          "customers": 1234, "revenue": 5_000_000.5},
               "summary": {"initiatives": [{"title": "<script>fetch('https://x.org')</script>"}]}}
    (run / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (run / "report.html").write_text("<html><body>report</body></html>", encoding="utf-8")
    return [ClientRun(tmp_path / "a.yaml", "good-1", HOSTILE, status="done", run_dir=run),
            ClientRun(tmp_path / "b.yaml", "bad-2", "Bad", status="failed",
                      reason='<iframe src="https://example.com/"></iframe> broken file')]


def test_portfolio_page_renders_offline_with_no_script(tmp_path):
    require_chromium()
    rows = portfolio_rows(_clients(tmp_path), tmp_path)
    for lang in ("ru", "en"):
        page = tmp_path / f"index-{lang}.html"
        page.write_text(portfolio_html(rows, Lang(lang), dt.date(2026, 1, 2)), encoding="utf-8")
        check = inspect_report(page, screenshot=tmp_path / f"index-{lang}.png")
        assert check.external_requests == [] and check.external_responses == []
        assert check.scripts == 0
        assert check.problems() == []
        # The hostile text is shown as text, not obeyed as markup.
        assert 'onerror="alert(1)"' in check.text
        assert "broken file" in check.text and "Bad" in check.text
        assert (tmp_path / f"index-{lang}.png").stat().st_size > 0
