"""The portfolio page and files from hand-made results (no run needed)."""

import csv
import datetime as dt
import json
import re

from playbook.running.batch import ClientRun
from playbook.running.portfolio import portfolio_html, portfolio_rows, write_portfolio

RESULTS = {
    "intake": {"period": {"start": "2025-01-05", "end": "2025-12-28"}, "customers": 1234,
               "revenue": 5_000_000.5},
    "ltv": {"crr": [{"crr": 80.0}, {"crr": 85.5}], "simple": {"ltv": 42_000.0}},
    "survey": {"nps": {"value": 31.0}},
    "segmentation": {"rfm": {"at_risk_revenue": 750_000.0}},
    "summary": {"initiatives": [{"title": "=HYPERLINK(\"x\") <b>call</b>"}, {"title": "b"}]},
}


def _clients(tmp_path):
    run = tmp_path / "full-1" / "20260101-000000"
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps(RESULTS), encoding="utf-8")
    (run / "report.html").write_text("<html></html>", encoding="utf-8")
    full = ClientRun(tmp_path / "a.yaml", "full-1", "Full <i>Client</i>", status="done",
                     run_dir=run)
    bare = ClientRun(tmp_path / "b.yaml", "bare-2", "Bare", status="failed",
                     reason="Notebook 10 failed <here>.")
    return [full, bare]


def test_rows_read_every_key_and_leave_missing_ones_empty(tmp_path):
    full, bare = portfolio_rows(_clients(tmp_path), tmp_path)
    assert (full["period_start"], full["customers"], full["revenue"], full["crr"],
            full["nps"], full["ltv"], full["at_risk"]) == (
        "2025-01-05", 1234, 5_000_000.5, 85.5, 31.0, 42_000.0, 750_000.0)
    assert full["initiative"].startswith("=HYPERLINK")
    assert full["report"] == "full-1/20260101-000000/report.html"
    assert bare["customers"] is None and bare["report"] is None
    assert bare["reason"] == "Notebook 10 failed <here>."


def test_page_in_both_languages_escaped_with_dashes_for_missing(tmp_path):
    rows = portfolio_rows(_clients(tmp_path), tmp_path)
    for lang, title, status in (("ru", "Портфель клиентов", "сбой"),
                                ("en", "Client portfolio", "failed")):
        from playbook.report.i18n import Lang

        page = portfolio_html(rows, Lang(lang), dt.date(2026, 1, 2))
        assert title in page and status in page
        assert "Full &lt;i&gt;Client&lt;/i&gt;" in page and "<i>" not in page
        assert "&lt;b&gt;call&lt;/b&gt;" in page and "failed &lt;here&gt;" in page
        assert "85" in page and "1" in page and page.count("—") >= 8
        assert "<script" not in page and not re.search(r"https?://", page)


def test_files_are_formula_safe_and_excel_ready(tmp_path):
    write_portfolio(_clients(tmp_path), tmp_path, "ru")
    raw = (tmp_path / "portfolio.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert table[1][0] == "Full <i>Client</i>" and table[1][5] == "5000000,5"
    assert table[1][11].startswith("'=HYPERLINK")
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "portfolio.xlsx").active
    assert sheet["L2"].value.startswith("'=") and sheet["L2"].data_type == "s"
    assert json.loads((tmp_path / "portfolio.json").read_text("utf-8"))[1]["status"] == "failed"
    assert not list(tmp_path.glob("*.partial"))
