"""The Service-Profit Chain: each link's strength and n, and the figures per employee."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook.standards.chain import MIN_UNITS, chain_links, chain_table


def test_a_strong_link_is_found_and_noise_is_not_called_one():
    rng = np.random.default_rng(13)
    x = rng.normal(0.8, 0.05, 30)
    table = pd.DataFrame({"unit": range(30), "compliance": x,
                          "satisfied": 0.2 + 0.5 * x + rng.normal(0, 0.005, 30),
                          "retention": rng.normal(0.6, 0.05, 30),
                          "revenue_per_customer": rng.normal(1e5, 1e4, 30)})
    links = chain_links(table).set_index("source")
    strong = links.loc["compliance"]
    assert strong["r"] > 0.9 and strong["ci_low"] > 0 and strong["n"] == 30
    noise = links.loc["satisfied"]
    assert noise["ci_low"] < 0 < noise["ci_high"]


def test_too_few_units_are_not_judged():
    table = pd.DataFrame({"unit": range(MIN_UNITS - 1), "compliance": [0.7, 0.8, 0.9],
                          "satisfied": [0.1, 0.2, 0.3], "retention": np.nan,
                          "revenue_per_customer": [1.0, 2.0, 3.0]})
    links = chain_links(table)
    assert links["r"].isna().all() and links["n"].tolist() == [3, 0, 0]


def test_the_chain_table_per_employee_by_hand():
    checks = pd.DataFrame({"date": pd.to_datetime(["2026-05-01"] * 4),
                           "employee": ["Ann", "Ann", "Bob", "Bob"],
                           "passed": [True, False, True, True]})
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "c", "d"],
        "date": pd.to_datetime(["2025-03-01", "2026-03-01", "2025-03-01", "2025-04-01",
                                "2026-04-01", "2026-05-01"]),
        "amount": [10.0, 30.0, 5.0, 7.0, 21.0, 9.0],
        "manager": ["Ann", "Ann", "Ann", "Bob", "Bob", "Bob"]})
    answers = pd.DataFrame({"manager": ["Ann", "Ann", "Bob"], "overall": [10, 3, 9],
                            "date": pd.to_datetime(["2026-02-01"] * 3)})
    table = chain_table(checks, tx, dt.date(2026, 6, 30), responses=answers,
                        satisfaction="overall", scale=(1, 10)).set_index("unit")
    assert table.loc["Ann", "compliance"] == 0.5 and table.loc["Bob", "compliance"] == 1.0
    assert table.loc["Ann", "satisfied"] == 0.5 and table.loc["Bob", "satisfied"] == 1.0
    assert table.loc["Ann", "retention"] == 0.5  # a kept, b not
    assert table.loc["Bob", "retention"] == 1.0
    assert table.loc["Bob", "revenue_per_customer"] == pytest.approx(15.0)  # (21 + 9) / 2


def test_with_a_training_log_the_chain_starts_with_training():
    from playbook.standards.chain import training_scores

    training = pd.DataFrame({
        "date": pd.to_datetime(["2025-03-01", "2025-03-01", "2025-03-15", "2025-03-01",
                                "2025-03-01", "2026-09-01"]),
        "employee": ["Ann", "Bob", "Bob", "Cid", "Dan", "Ann"],
        "passed": [True, False, True, True, False, False]})
    scores = training_scores(training, dt.date(2026, 6, 30))  # the 2026-09 course is later
    assert scores["training"].to_dict() == {"Ann": 1.0, "Bob": 0.5, "Cid": 1.0, "Dan": 0.0}
    assert scores["courses"].to_dict() == {"Ann": 1, "Bob": 2, "Cid": 1, "Dan": 1}
    by_score = training_scores(training.drop(columns="passed").assign(
        score=[50.0, 100.0, 80.0, 20.0, 0.0, 10.0]), dt.date(2026, 6, 30))
    assert by_score["training"].to_dict() == pytest.approx(
        {"Ann": 0.5, "Bob": 0.9, "Cid": 0.2, "Dan": 0.0})

    rows = []
    for employee, share in (("Ann", 0.95), ("Bob", 0.8), ("Cid", 0.9), ("Dan", 0.6)):
        for i in range(40):
            rows.append({"date": pd.Timestamp("2026-03-01"), "employee": employee,
                         "passed": i < share * 40})
    checks = pd.DataFrame(rows)
    tx = pd.DataFrame({"customer_id": ["a"], "date": [pd.Timestamp("2026-03-01")],
                       "amount": [1.0], "manager": ["Ann"]})
    table = chain_table(checks, tx, dt.date(2026, 6, 30), training=training)
    links = chain_links(table)
    assert links[["source", "target"]].iloc[0].tolist() == ["training", "compliance"]
    assert links["n"].iloc[0] == 4 and links["r"].iloc[0] > 0.8
    assert chain_links(chain_table(checks, tx, dt.date(2026, 6, 30)))["source"].iloc[0] \
        == "compliance"
