"""`playbook run` on the demo client, end to end, in both languages."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import DEMO_PARAMS, ROOT

pytestmark = pytest.mark.slow
DEMO_DATA = ROOT / "data_samples" / "demo"


def _results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text("utf-8"))


def test_prints_report_path_last_and_progress(demo_runs):
    for lang in ("ru", "en"):
        last = demo_runs[f"{lang}-stdout"].strip().splitlines()[-1]
        assert last == str(demo_runs[lang] / "report.html")
        for step in ("[1/4] 00_intake.ipynb", "[2/4] 10_segmentation.ipynb",
                     "[3/4] 20_ltv.ipynb", "[4/4] 30_survey.ipynb"):
            assert step in demo_runs[f"{lang}-stderr"]


def test_results_hold_the_intake_contract(demo_runs):
    truth = json.loads((DEMO_DATA / "truth.json").read_text("utf-8"))
    intake = _results(demo_runs["ru"])["intake"]
    assert intake["transactions"]["rows_read"] == truth["counts"]["rows"]
    issues = {i["kind"]: i for i in intake["issues"]}
    planted = truth["counts"]
    assert issues["duplicates"]["rows"] == planted["duplicates"]
    assert issues["blank_customer_id"]["rows"] == planted["blank_customer_code"]
    assert issues["future_dates"]["rows"] == planted["future_dates"]
    assert issues["returns"]["rows"] == planted["returns"]
    assert {i["action"] for i in intake["issues"]} <= {"dropped", "netted", "kept",
                                                       "kept_aside"}
    dropped = sum(i["rows"] for i in intake["issues"] if i["action"] == "dropped")
    assert intake["transactions"]["rows_used"] == intake["transactions"]["rows_read"] - dropped
    assert intake["customers"] == planted["buyers"]
    assert intake["period"] == {"start": "2023-11-01", "end": "2026-10-31"}
    assert intake["revenue"] > 0
    assert _results(demo_runs["en"])["intake"] == intake


def test_revenue_matches_an_independent_reading_of_the_file(demo_runs):
    import pandas as pd

    raw = pd.read_csv(DEMO_DATA / "transactions.csv", sep=";", encoding="cp1251", dtype=str)
    raw = raw.drop_duplicates()
    raw = raw[raw["Код клиента"].notna()]
    dates = pd.to_datetime(raw["Дата"], format="%d.%m.%Y")
    raw = raw[dates <= "2026-10-31"]
    amounts = (raw["Сумма"].str.replace(r"[\s\u00a0]", "", regex=True)
               .str.replace(",", ".").astype(float))
    assert _results(demo_runs["ru"])["intake"]["revenue"] == pytest.approx(amounts.sum(),
                                                                          abs=0.01)


def test_report_has_no_code_and_is_in_the_client_language(demo_runs):
    ru = (demo_runs["ru"] / "report.html").read_text("utf-8")
    en = (demo_runs["en"] / "report.html").read_text("utf-8")
    for html in (ru, en):
        for code_sign in ("params_path", "open_run(", "import ", "In&nbsp;[", "jp-InputArea",
                          "Traceback", "<script", "<pre class=\"output-text\""):
            assert code_sign not in html, code_sign
        assert "ООО «Вектор-Снаб»" in html
        assert re.search(r'<nav[^>]* id="toc"', html)
    assert "Краткие выводы" in ru and "Приложение. Качество данных" in ru
    assert "Executive summary" in en and "Appendix. Data quality" in en
    assert "Executive summary" not in ru and "Краткие выводы" not in en
    # numbers in the locale's format: ru groups with non-breaking spaces, en with commas
    assert "39\u00a0566" in ru and "39,566" in en


def test_input_files_are_not_modified(tmp_path):
    from conftest import run_cli

    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in DEMO_DATA.iterdir() if p.is_file()}
    result = run_cli("validate", str(DEMO_PARAMS))
    assert result.returncode == 0, result.stderr
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in DEMO_DATA.iterdir() if p.is_file()}
    assert before == after


def test_run_folder_layout(demo_runs):
    run = demo_runs["ru"]
    for name in ("report.html", "results.json", "playbook.log", "notebooks/00_intake.ipynb",
                 "data/transactions.parquet", "data/customer_summary.parquet",
                 "data/customers.parquet", "data/intake.json"):
        assert (run / name).exists(), name
    assert not list(run.rglob("*.partial"))


def test_segmentation_results_and_exports(demo_runs):
    import openpyxl

    for lang in ("ru", "en"):
        run = demo_runs[lang]
        seg = _results(run)["segmentation"]
        customers = _results(run)["intake"]["customers"]
        assert sum(seg["rfm"]["counts"].values()) == customers
        assert set(seg["abc_xyz"]["counts"]) == {a + x for a in "ABC" for x in "XYZ"}
        assert sum(seg["abc_xyz"]["counts"].values()) == customers
        assert sum(seg["abc_xyz"]["revenue_share"].values()) == pytest.approx(1.0)
        assert 0.2 < seg["pareto"]["top20_revenue_share"] < 1.0
        ladder = seg["ladder"]["counts"]
        assert set(ladder) == {"buyer", "client", "regular", "adherent", "advocate", "unknown"}
        assert sum(v for v in ladder.values() if v is not None) == customers
        assert seg["exports"] and all((run / f).exists() for f in seg["exports"])
        assert any(f.endswith("unassigned.xlsx") for f in seg["exports"])
        book = openpyxl.load_workbook(run / "exports" / "unassigned.xlsx", read_only=True)
        assert len(book.sheetnames) == 4  # calls, greetings, penetration + ltv's retain
    assert _results(demo_runs["ru"])["segmentation"]["rfm"] == \
        _results(demo_runs["en"])["segmentation"]["rfm"]


def test_referral_decline_planted_by_the_generator_is_seen(demo_runs):
    truth = json.loads((DEMO_DATA / "truth.json").read_text("utf-8"))["settings"]
    health = _results(demo_runs["ru"])["segmentation"]["base_health"]
    # the generator lowers the referral share of new customers from 32% to 17% over 3 years
    assert truth["referral_share_start"] > truth["referral_share_end"]
    assert health["referral_share_last_12m"] < health["referral_share_prev_12m"]
    assert truth["referral_share_end"] - 0.06 < health["referral_share_last_12m"] < \
        truth["referral_share_end"] + 0.06
    html = (demo_runs["ru"] / "report.html").read_text("utf-8")
    assert "тревожный признак" in html


def test_contact_details_stay_out_of_the_report(demo_runs):
    import pandas as pd

    customers = pd.read_csv(DEMO_DATA / "customers.csv", sep=";", encoding="cp1251", dtype=str)
    html = (demo_runs["ru"] / "report.html").read_text("utf-8")
    for column in ("Телефон", "E-mail", "Контактное лицо"):
        leaked = [v for v in customers[column].dropna() if v in html]
        assert leaked == [], column


def test_ltv_results_against_the_generator_truth(demo_runs):
    truth = json.loads((DEMO_DATA / "truth.json").read_text("utf-8"))["true_params"]
    ltv = _results(demo_runs["ru"])["ltv"]
    simple = ltv["simple"]
    assert simple["ltv"] == pytest.approx(simple["S"] * simple["C"] * simple["P"] * simple["T"])
    assert 0.2 < simple["P"] < 0.35  # the generator's category margins are 20-32%
    assert ltv["crr"] and all({"period_start", "period_end", "S", "E", "N", "crr"} <= set(row)
                              for row in ltv["crr"])
    for row in ltv["crr"]:
        assert row["crr"] == pytest.approx((row["E"] - row["N"]) / row["S"] * 100)
    # recovery of the true process (weeks), within 3 standard errors
    bg = ltv["bgnbd"]
    for name in ("r", "alpha", "a", "b"):
        assert abs(bg[name] - truth["bgnbd"][name]) < 3 * bg["se"][name], name
    gg = ltv["gamma_gamma"]
    for name in ("p", "q", "gamma"):
        assert abs(gg[name] - truth["gamma_gamma"][name]) < 3 * gg["se"][name], name
    assert {"mae", "rmse", "corr", "total_actual", "total_predicted"} <= set(ltv["holdout"])
    assert ltv["holdout"]["corr"] > 0.5
    assert ltv["clv_total"] > 0
    assert ltv["whatif_retention_plus5"]["ltv_change"] > 0
    assert ltv["whatif_retention_plus5"]["profit_change"] > 0
    assert _results(demo_runs["en"])["ltv"]["bgnbd"] == bg
