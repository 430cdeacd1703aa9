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
