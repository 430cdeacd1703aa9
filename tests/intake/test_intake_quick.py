"""Intake's quick way (a clean delimited file written straight to Parquet) against the
thorough way (a table of the rows, every check, then the write).

A file is read the quick way when nothing in it needs reporting; the first row that does
sends it the thorough way. Either way the outputs must be the same, which these tests check
by running each file twice: as intake runs it, and with the quick way switched off.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import playbook.intake.transactions as transactions_module
from playbook.errors import DataError
from playbook.intake import run_intake
from playbook.params import params_from_dict

TODAY = dt.date(2024, 12, 31)
HEADER = "Дата;Документ;Код клиента;Контрагент;Сумма;Себестоимость;Менеджер"


def run(folder: Path, name: str, text: str, *, quick: bool, monkeypatch,
        encoding: str = "cp1251", **extra):
    """Intake of ``text`` (written in ``encoding``); returns (outcome, quick way taken).

    The outcome is the error message, or the outputs: every Parquet file as a frame and
    intake.json without the parts that name the run's folder.
    """
    source = folder / "tx.csv"
    source.write_bytes(text.encode(encoding))
    taken = []
    real = transactions_module._write_clean

    def spy(*args, **kwargs):
        taken.append(quick and real(*args, **kwargs))
        return taken[-1]

    monkeypatch.setattr(transactions_module, "_write_clean", spy)
    params = params_from_dict({"client": {"name": "Тест"}, "data": {"transactions": "tx.csv"},
                               **extra}, base_dir=folder)
    out = folder / name
    try:
        run_intake(params, out, today=TODAY)
    except DataError as exc:
        return str(exc).replace(str(out), "OUT"), any(taken)
    frames = {p.name: pd.read_parquet(p) for p in sorted(out.glob("*.parquet"))}
    saved = json.loads((out / "intake.json").read_text(encoding="utf-8"))
    assert not list(out.glob("*.partial")) and not (out / "_work").exists()
    return (frames, saved), any(taken)


def assert_same(quick, thorough):
    assert type(quick) is type(thorough)
    if isinstance(quick, str):
        assert quick == thorough
        return
    (q_frames, q_json), (t_frames, t_json) = quick, thorough
    assert q_frames.keys() == t_frames.keys()
    for name in q_frames:
        pd.testing.assert_frame_equal(q_frames[name], t_frames[name], check_exact=True)
    assert q_json == t_json


def both(tmp_path: Path, text: str, monkeypatch, **extra):
    quick, taken = run(tmp_path, "quick", text, quick=True, monkeypatch=monkeypatch, **extra)
    thorough, _ = run(tmp_path, "thorough", text, quick=False, monkeypatch=monkeypatch,
                      **extra)
    assert_same(quick, thorough)
    return quick, taken


def line(day: int, doc: str, customer: str, amount: str, cost: str = "1,00") -> str:
    return f"{day:02d}.03.2024;{doc};{customer};ООО «{customer}»;{amount};{cost};Петров"


CLEAN = "\n".join([HEADER, line(1, "Р1", "К-1", "1 200,50", "900,00"),
                   line(1, "Р1", "К-1", "15,00"), line(2, "Р2", "К-2", "7,5", ""),
                   line(9, "Р3", "К-1", "100,00", "80,00")]) + "\n"


def test_a_clean_file_is_read_the_quick_way_with_the_same_outputs(tmp_path, monkeypatch):
    outcome, taken = both(tmp_path, CLEAN, monkeypatch)
    assert taken
    frames, saved = outcome
    tx = frames["transactions.parquet"]
    assert list(tx.columns) == ["customer_id", "date", "amount", "margin", "order_id",
                                "manager", "customer_name"]
    assert list(tx["amount"]) == [1200.5, 15.0, 7.5, 100.0]  # thousands mark read in full
    assert saved["figures"]["transactions"] == {"rows_read": 4, "rows_used": 4}
    assert saved["issues"] == []


@pytest.mark.parametrize("problem, kind", [
    (line(3, "Р4", "", "10,00"), "blank_customer_id"),
    (line(3, "Р4", "К-3", "-10,00"), "returns"),
    (line(3, "Р4", "К-3", "0"), "zero_amounts"),
    (line(3, "Р4", "К-3", "10,00", "дорого"), "bad_cost"),
    ("31.12.2030;Р4;К-3;ООО;10,00;1,00;Петров", "future_dates"),
    ("Итого;;;;1 322,00;;", "totals"),
    (line(9, "Р3", "К-1", "100,00", "80,00"), "duplicates"),
])
def test_a_row_to_report_sends_the_file_the_thorough_way(tmp_path, monkeypatch, problem, kind):
    outcome, taken = both(tmp_path, CLEAN + problem + "\n", monkeypatch)
    assert not taken
    frames, saved = outcome
    assert kind in {i["kind"] for i in saved["issues"]}


def test_rows_after_as_of_are_reported_the_thorough_way(tmp_path, monkeypatch):
    outcome, taken = both(tmp_path, CLEAN, monkeypatch, as_of="2024-03-05")
    assert not taken
    assert {i["kind"] for i in outcome[1]["issues"]} == {"after_as_of"}


def test_an_unreadable_date_stops_both_ways_with_the_same_message(tmp_path, monkeypatch):
    outcome, taken = both(tmp_path, CLEAN + line(3, "Р4", "К-3", "10,00").replace(
        "03.03.2024", "3 марта") + "\n", monkeypatch)
    assert isinstance(outcome, str) and "row 6" in outcome


def test_bytes_that_are_not_utf8_late_in_the_file(tmp_path, monkeypatch):
    # Plain ASCII for its first megabyte (sniffed as UTF-8), cp1251 further on.
    header = "date;doc;customer id;customer name;amount;cost;manager"
    ascii_rows = ["01.03.2024;R0;K-0;OOO;1,00;0,50;Petrov"] * 30_000
    text = "\n".join([header, *ascii_rows, *CLEAN.splitlines()[1:]]) + "\n"
    outcome, taken = both(tmp_path, text, monkeypatch)
    assert not taken  # the ASCII rows are duplicates: reported the thorough way
    frames, saved = outcome
    assert saved["files"][0]["encoding"] == "cp1251"
    assert "ООО «К-1»" in set(frames["transactions.parquet"]["customer_name"])


def test_late_cp1251_bytes_in_a_clean_file(tmp_path, monkeypatch):
    header = "date;doc;customer id;customer name;amount;cost;manager"
    ascii_rows = [f"01.03.2024;R{i};K-{i};OOO;1,00;0,50;Petrov" for i in range(30_000)]
    text = "\n".join([header, *ascii_rows, *CLEAN.splitlines()[1:]]) + "\n"
    outcome, taken = both(tmp_path, text, monkeypatch)
    assert taken
    frames, saved = outcome
    assert saved["files"][0]["encoding"] == "cp1251"
    assert len(frames["transactions.parquet"]) == 30_004


CELLS = {
    "customer": st.sampled_from(["К-1", "К-2", " К-3 ", "", "ИП Иванов", "Итого"]),
    "date": st.sampled_from(["01.03.2024", "02.03.2024", "2024-03-03", "31.12.2030", "",
                             "03.03.2024 10:15", "завтра", "45352"]),
    "amount": st.sampled_from(["100,00", "1 200,50", "-5,00", "0", "7,5", "", "abc",
                               "1.234,5", "12\u00a0000", "(30,00)", "99,99 руб."]),
    "cost": st.sampled_from(["80,00", "", "n/a", "1,5", " 2 "]),
    "doc": st.sampled_from(["Р1", "Р2", "", "Р3"]),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=8),
       bad_rows=st.sampled_from(["stop", "drop"]),
       duplicates=st.sampled_from(["auto", "drop", "keep"]))
def test_any_file_gives_the_same_outputs_either_way(tmp_path_factory, monkeypatch, rows,
                                                   bad_rows, duplicates):
    folder = tmp_path_factory.mktemp("either")
    text = HEADER + "\n" + "\n".join(
        f"{r['date']};{r['doc']};{r['customer']};Клиент;{r['amount']};{r['cost']};Петров"
        for r in rows) + "\n"
    both(folder, text, monkeypatch, intake={"bad_rows": bad_rows, "duplicates": duplicates})


def test_unknown_customers_quoted_the_same_way(tmp_path, monkeypatch):
    (tmp_path / "customers.csv").write_bytes(
        "Код клиента;Наименование\nК-1;ООО «К-1»\n".encode("cp1251"))
    outcome, taken = both(tmp_path, CLEAN, monkeypatch,
                          data={"transactions": "tx.csv", "customers": "customers.csv"})
    assert taken
    unknown = [i for i in outcome[1]["issues"] if i["kind"] == "unknown_customers"]
    assert unknown[0]["rows"] == 1 and unknown[0]["examples"] == [[4, "К-2"]]


def test_quoted_line_breaks_and_no_header(tmp_path, monkeypatch):
    text = ('К-1;01.03.2024;10,00;"доставка\nдо двери"\n'
            'К-2;02.03.2024;5,00;\nК-3;03.03.2024;7,00;"а ""б"""\n')
    source = {"path": "tx.csv", "header": False,
              "columns": {"customer_id": 1, "date": 2, "amount": 3}}
    outcome, taken = both(tmp_path, text, monkeypatch, data={"transactions": source})
    assert taken
    frames, saved = outcome
    assert list(frames["transactions.parquet"]["customer_id"]) == ["К-1", "К-2", "К-3"]
    assert saved["figures"]["revenue"] == 22
