"""Checks of sales documents: order lines logged again later, and one document number
carrying several customers. Counted by hand on small files in the layout of a real
export (a shop's order log: date and hour, customer, order, product, quantity, price).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from test_intake_quick import both

from playbook.intake import run_intake
from playbook.intake.views import advice, issues_table
from playbook.params import params_from_dict
from playbook.report.i18n import Lang

TODAY = dt.date(2024, 12, 31)
HEADER = "date,customer_id,order_id,product,quantity,price"
LOG = [                                   # spreadsheet row
    "2018100110,c1,100,Alpha,1,100.0",    # 2  order 100 logged
    "2018100110,c1,100,Beta,2,50.0",      # 3
    "2018100113,c1,100,Alpha,1,100.0",    # 4  logged again the same day, 3 hours later
    "2018100113,c1,100,Beta,2,50.0",      # 5
    "2018100209,c1,100,Alpha,1,100.0",    # 6  and again the next day
    "2018100111,c2,101,Gamma,1,30.0",     # 7
    "2018100111,c2,101,Gamma,3,30.0",     # 8  the same product twice at once: not flagged
    "2018100312,c2,101,Gamma,5,30.0",     # 9  later, another quantity: changed
    "2018100114,c3,102,Delta,1,200.0",    # 10
    "2018100416,c4,102,Delta,1,200.0",    # 11 later, another customer: changed; shared
    "2018100115,c5,103,Eps,1,10.0",       # 12 one document, two customers: shared
    "2018100115,c6,103,Zeta,1,20.0",      # 13
    "2018100500,c7,104,Eta,1,70.0",       # 14
    "2018100600,c7,104,Eta,-1,70.0",      # 15 a return in the same document: not flagged
]


def write_log(folder: Path, lines: list[str] = LOG, header: str = HEADER) -> Path:
    path = folder / "log.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def intake(tmp_path: Path, policy: str = "keep", **source):
    write_log(tmp_path)
    params = params_from_dict({
        "client": {"name": "Магазин"},
        "data": {"transactions": {"path": "log.csv", "date_format": "%Y%m%d%H", **source}},
        "intake": {"relogged_lines": policy}}, base_dir=tmp_path)
    return run_intake(params, tmp_path / "out", today=TODAY)


def by_kind(result) -> dict:
    return {i.kind: i for i in result.issues}


def test_lines_logged_again_are_counted_and_quoted_and_kept(tmp_path):
    result = intake(tmp_path)
    issues = by_kind(result)
    relogged = issues["relogged_lines"]
    assert (relogged.rows, relogged.action, relogged.amount) == (3, "kept", 300.0)
    assert relogged.examples == [
        (4, "2018100113, 1 x 100.0 (2: 2018100110, 1 x 100.0)"),
        (5, "2018100113, 2 x 50.0 (3: 2018100110, 2 x 50.0)"),
        (6, "2018100209, 1 x 100.0 (2: 2018100110, 1 x 100.0)"),
    ]
    changed = issues["relogged_changed"]
    assert (changed.rows, changed.action, changed.amount) == (2, "kept", 350.0)
    assert changed.examples == [(9, "2018100312, 5 x 30.0 (7: 2018100111, 1 x 30.0)"),
                                (11, "2018100416, 1 x 200.0 (10: 2018100114, 1 x 200.0)")]
    assert result.figures["transactions"]["rows_used"] == 14
    assert result.figures["revenue"] == 1200.0
    assert result.figures["issues"][:2] == [
        {"kind": "relogged_lines", "rows": 3, "action": "kept"},
        {"kind": "relogged_changed", "rows": 2, "action": "kept"}]


def test_documents_with_several_customers_are_counted_with_their_rows(tmp_path):
    result = intake(tmp_path)
    shared = by_kind(result)["shared_documents"]
    assert (shared.rows, shared.documents, shared.action) == (4, 2, "kept")
    assert shared.column == "order_id"
    assert shared.examples == [(10, "102 — c3"), (11, "102 — c4"), (12, "103 — c5"),
                               (13, "103 — c6")]
    assert {"kind": "shared_documents", "rows": 4, "action": "kept",
            "documents": 2} in result.figures["issues"]


def test_dropping_lines_logged_again_keeps_the_earliest(tmp_path):
    result = intake(tmp_path, policy="drop")
    issues = by_kind(result)
    assert issues["relogged_lines"].action == issues["relogged_changed"].action == "dropped"
    tx = pd.read_parquet(result.transactions_path)
    assert len(tx) == result.figures["transactions"]["rows_used"] == 9
    assert result.figures["revenue"] == 1200.0 - 300.0 - 350.0
    assert sorted(tx["customer_id"].unique()) == ["c1", "c2", "c3", "c5", "c6", "c7"]
    assert result.figures["customers"] == 6
    # c4's only line was a later copy of c3's: document 102 has one customer left
    shared = issues["shared_documents"]
    assert (shared.rows, shared.documents) == (2, 1)


def test_a_time_after_the_date_tells_a_later_line(tmp_path):
    lines = ["536409,P1,1,12/1/2010 8:26,2.1,17908", "536409,P2,1,12/1/2010 8:26,1.25,17908",
             "536409,P1,1,12/1/2010 9:40,2.1,17908", "536410,P1,1,12/1/2010 9:40,2.1,17908"]
    write_log(tmp_path, lines, "InvoiceNo,Description,Quantity,InvoiceDate,UnitPrice,CustomerID")
    params = params_from_dict({"client": {"name": "Retail", "language": "en"},
                               "data": {"transactions": {"path": "log.csv",
                                                         "date_format": "%m/%d/%Y"}}},
                              base_dir=tmp_path)
    result = run_intake(params, tmp_path / "out", today=TODAY)
    assert [(i.kind, i.rows, i.examples) for i in result.issues] == [
        ("relogged_lines", 1, [(4, "12/1/2010 9:40, 1 x 2.1 (2: 12/1/2010 8:26, 1 x 2.1)")])]


@pytest.mark.parametrize("drop_column, kinds", [
    ("product", {"shared_documents"}),
    ("order_id", set()),
])
def test_the_checks_need_their_columns(tmp_path, drop_column, kinds):
    header = HEADER.split(",")
    at = header.index(drop_column)
    lines = [",".join(c for i, c in enumerate(line.split(",")) if i != at) for line in LOG]
    write_log(tmp_path, lines, ",".join(c for c in header if c != drop_column))
    params = params_from_dict({"client": {"name": "Магазин"}, "data": {"transactions": {
        "path": "log.csv", "date_format": "%Y%m%d%H"}}}, base_dir=tmp_path)
    result = run_intake(params, tmp_path / "out", today=TODAY)
    found = {i.kind for i in result.issues} - {"returns", "duplicates"}
    assert found == kinds


AMOUNTS = "Дата;Документ;Код клиента;Номенклатура;Сумма"


@pytest.mark.parametrize("lines, kinds, quick", [
    (["01.03.2024 10:00;Р1;К-1;Молоко;100,00", "01.03.2024 10:00;Р1;К-1;Хлеб;50,00",
      "02.03.2024 09:00;Р1;К-1;Молоко;100,00"], ["relogged_lines"], False),
    (["01.03.2024;Р1;К-1;Молоко;100,00", "01.03.2024;Р1;К-2;Хлеб;50,00"], ["shared_documents"],
     False),
    (["01.03.2024;Р1;К-1;Молоко;100,00", "01.03.2024;Р1;К-1;Молоко;60,00",
      "02.03.2024;Р2;К-1;Молоко;100,00"], [], False),
    (["01.03.2024;Р1;К-1;Молоко;100,00", "01.03.2024;Р1;К-1;Хлеб;60,00",
      "02.03.2024;Р2;К-1;Молоко;100,00"], [], True),
])
def test_either_way_of_reading_finds_the_same(tmp_path, monkeypatch, lines, kinds, quick):
    """A clean file is written the quick way unless a document may need a look: a product
    listed twice in it (the time of day decides), or another customer on it.
    """
    outcome, taken = both(tmp_path, "\n".join([AMOUNTS, *lines]) + "\n", monkeypatch)
    frames, saved = outcome
    assert [i["kind"] for i in saved["issues"]] == kinds
    assert taken == quick


@pytest.mark.parametrize("code, words", [
    ("en", ["Order line logged again later", "rows: 1,864", "£709.1k",
            "One document number with several customers", "documents: 29", "rows: 89"]),
    ("ru", ["Строка заказа записана повторно позже", "строк: 1\u00a0864", "709,1\u00a0тыс.",
            "Один номер документа у нескольких клиентов", "документов: 29", "строк: 89"]),
])
def test_the_data_quality_section_names_them(code, words):
    lang = Lang(code, "GBP")
    issues = [{"kind": "relogged_lines", "rows": 1864, "action": "kept", "amount": 709126.0},
              {"kind": "shared_documents", "rows": 89, "action": "kept", "amount": 93678.0,
               "documents": 29}]
    table = issues_table(issues, lang)
    text = " ".join(table.iloc[:, 0]) + " " + " ".join(advice(issues, lang))
    assert all(w in text for w in words), text


def test_the_policy_defaults_to_keep_and_is_validated(tmp_path):
    from playbook.errors import ParamsError

    write_log(tmp_path)
    base = {"client": {"name": "Магазин"}, "data": {"transactions": "log.csv"}}
    assert params_from_dict(base, base_dir=tmp_path).intake.relogged_lines == "keep"
    with pytest.raises(ParamsError, match="intake.relogged_lines"):
        params_from_dict({**base, "intake": {"relogged_lines": "remove"}}, base_dir=tmp_path)
