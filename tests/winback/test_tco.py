"""The switch cost line by line, against a case computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.winback import tco

US = {"delivery_cost": 0, "defect_share": 0.01, "deferral_days": 30, "on_time_share": 0.95,
      "lead_time_days": 2}
THEM = {"price_index": 0.95, "delivery_cost": 1000, "defect_share": 0.03, "deferral_days": 0,
        "on_time_share": 0.85, "lead_time_days": 5}
SETTINGS = {"cost_of_capital": 0.15, "carrying_rate": 0.2, "defect_cost_share": 0.5,
            "late_cost_share": 0.1, "order_hours": 0.5, "staff_hour_cost": 800,
            "switching_cost_share": 0.01}
#: S = 1,000,000 a year in n = 20 orders; their spend for the same goods S x p = 950,000.
HAND = {
    "price": 1_000_000 * 0.05,                              # 50,000
    "delivery": -20 * (1000 - 0),                           # -20,000
    "defects": -0.5 * (950_000 * 0.03 - 1_000_000 * 0.01),  # -9,250
    "payment": -0.15 * (1_000_000 * 30 - 950_000 * 0) / 365,  # -12,328.77
    "reliability": -950_000 * 0.1 * (0.95 - 0.85),          # -9,500
    "lead_time": -950_000 / 365 * (5 - 2) * 0.2,            # -1,561.64
    "staff_time": 0.0,                                      # 0.5 h both sides (params)
    "switching": -1_000_000 * 0.01,                         # -10,000
}


def test_every_line_matches_the_hand_computation():
    lines = tco.switch_lines(1_000_000, 20, US, THEM, SETTINGS)
    assert list(lines["line"]) == list(tco.LINES)
    got = dict(zip(lines["line"], lines["gain"], strict=True))
    for name, value in HAND.items():
        assert got[name] == pytest.approx(value), name
    sources = dict(zip(lines["line"], lines["source"], strict=True))
    assert sources["price"] == "profile" and sources["staff_time"] == "params"
    assert lines.loc[lines["line"] == "payment", "inputs"].iloc[0]["rate"] == 0.15


def test_summary_net_gain_cost_ratio_and_break_even():
    lines = tco.switch_lines(1_000_000, 20, US, THEM, SETTINGS)
    total = tco.switch_summary(lines, 1_000_000, 0.95)
    net = sum(HAND.values())  # -12,640.41: a 5% cheaper price is a loss once all is counted
    assert total["net_gain"] == pytest.approx(net)
    assert total["price_saving"] == pytest.approx(50_000)
    assert total["hidden_costs"] == pytest.approx(50_000 - net)
    assert total["hidden_cost_share"] == pytest.approx((50_000 - net) / 950_000)
    assert total["net_gain_share"] == pytest.approx(net / 1_000_000)
    assert total["price_gap_share"] == pytest.approx(0.05)
    # gain(p) = alpha - beta p, by hand:
    alpha = 1_000_000 - 20_000 + 0.5 * 1_000_000 * 0.01 - 0.15 * 1_000_000 * 30 / 365 - 10_000
    beta = (1_000_000 + 0.5 * 1_000_000 * 0.03 + 1_000_000 * 0.1 * 0.10
            + 1_000_000 * 3 * 0.2 / 365)
    gap = tco.break_even_gap(1_000_000, 20, US, THEM, SETTINGS)
    assert gap == pytest.approx(1 - alpha / beta)
    at_break_even = tco.switch_lines(1_000_000, 20, US, THEM | {"price_index": 1 - gap},
                                     SETTINGS)
    assert at_break_even["gain"].sum() == pytest.approx(0, abs=1e-6)


def test_payment_terms_are_spend_times_cost_of_capital_times_days_over_365():
    lines = tco.switch_lines(730_000, 10, {"deferral_days": 45}, {"price_index": 1.0,
                                                                  "deferral_days": 0},
                             {"cost_of_capital": 0.2})
    assert lines.set_index("line").loc["payment", "gain"] == pytest.approx(
        -730_000 * 0.2 * 45 / 365)  # -18,000


def test_a_term_not_given_is_never_counted_against_the_competitor():
    lines = tco.switch_lines(1_000_000, 20, {"defect_share": 0.01}, {"price_index": 0.9},
                             SETTINGS).set_index("line")
    for name in ("delivery", "defects", "payment", "reliability", "lead_time"):
        assert lines.loc[name, "gain"] == 0 and lines.loc[name, "source"] == "not_given"
    assert lines.loc["price", "gain"] == pytest.approx(100_000)


def test_sensitivity_moves_each_assumption_and_finds_what_flips_the_conclusion():
    cases = [(1_000_000, 20, US, THEM)]
    table = tco.sensitivity(cases, SETTINGS).set_index("assumption")
    base = sum(HAND.values())  # -12,640.41
    assert set(table.index) == set(tco.ASSUMPTIONS)
    assert list(table["base"]) == pytest.approx([base] * len(table))
    # the price gap at 1.5 x (7.5% cheaper): the saving grows by 25,000 and the hidden costs
    # that scale with their spend shrink: by hand from alpha - beta p
    alpha = 1_000_000 - 20_000 + 0.5 * 1_000_000 * 0.01 - 0.15 * 1_000_000 * 30 / 365 - 10_000
    beta = (1_000_000 + 0.5 * 1_000_000 * 0.03 + 1_000_000 * 0.1 * 0.10
            + 1_000_000 * 3 * 0.2 / 365)
    assert table.loc["price_gap", "high"] == pytest.approx(alpha - beta * 0.925)
    assert table.loc["price_gap", "low"] == pytest.approx(alpha - beta * 0.975)
    assert table.loc["price_gap", "flips"]  # 7.5% cheaper is a real gain
    # the switching cost at half: 5,000 less cost, still a loss
    assert table.loc["switching_cost_share", "low"] == pytest.approx(base + 5_000)
    assert not table.loc["switching_cost_share", "flips"]
    assert table.index[0] == "price_gap"  # the widest swing first


def test_a_price_index_by_category_applies_to_the_customers_own_mix():
    mix = {"Бумага": 600_000.0, "Канцтовары": 300_000.0, "Упаковка": 100_000.0}
    by_category = {"Бумага": 0.90, "Канцтовары": 1.02}
    # by hand: (600k x 0.90 + 300k x 1.02 + 100k x 0.97 overall) / 1,000k
    assert tco.mix_price_index(mix, by_category, 0.97) == pytest.approx(
        (540_000 + 306_000 + 97_000) / 1_000_000)
    assert tco.mix_price_index({}, by_category, 0.97) == 0.97  # no known mix: the overall
    assert tco.mix_price_index(mix, {}, 0.97) == 0.97


def test_own_terms_from_the_data_by_hand():
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C"],
        "date": pd.to_datetime(["2026-01-10", "2026-01-10", "2026-05-01", "2026-03-03",
                                "2025-01-01", "2026-06-01"]),
        "amount": [4_000.0, 2_000.0, 20_000.0, 9_000.0, 50_000.0, -100.0],
        "order_id": ["d1", "d1", "d2", "d3", "d0", "r1"],
    })
    out = tco.own_terms(tx, "2026-10-31", min_orders={"Них": 10_000, "Без минимума": None})
    # the year to 31 Oct 2026: orders d1 (6,000), d2 (20,000), d3 (9,000); C only returned
    assert out["orders"] == 3 and out["customers"] == 2
    assert out["avg_order"] == pytest.approx(35_000 / 3)
    assert out["orders_per_customer"] == pytest.approx(1.5)
    assert out["below_min"] == {"Них": pytest.approx(2 / 3)}
    assert tco.own_terms(tx.iloc[0:0], "2026-10-31") == {}


def _plain_own_terms(transactions, as_of, min_orders):
    """The definition: filter every column, then group."""
    end = pd.Timestamp(as_of)
    tx = transactions[(transactions["date"] <= end)
                      & (transactions["date"] > end - pd.Timedelta(days=365))
                      & (transactions["amount"] > 0)]
    if tx.empty:
        return {}
    keys = ["order_id"] if "order_id" in tx and tx["order_id"].notna().all() \
        else ["customer_id", "date"]
    orders = tx.groupby(keys)["amount"].sum()
    customers = int(tx["customer_id"].nunique())
    return {"avg_order": float(orders.mean()), "orders": len(orders), "customers": customers,
            "orders_per_customer": len(orders) / customers,
            "below_min": {name: float((orders < float(least)).mean())
                          for name, least in min_orders.items()}}


@pytest.mark.parametrize("as_of", ["1970-03-01", "2026-10-31"])
def test_own_terms_read_only_their_columns_and_are_the_plain_definition(as_of):
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C", "C"],
        "date": pd.to_datetime(["2026-01-10", "2026-01-10", "1969-05-01", "2026-03-03",
                                "1969-12-31", "2026-06-01", "2026-06-01"]),
        "amount": [4_000.0, -4_000.0, 20_000.0, 9_000.0, 0.1, 0.3, 0.7],
        "order_id": ["d1", "d1", "d2", "d3", "d0", "r1", "r2"],
        "manager": ["Иванов", None, "Петров", "Петров", "Сидоров", "Сидоров", None],
    })
    for frame in (tx, tx.assign(order_id=tx["order_id"].where(tx["amount"] > 1)),
                  tx.drop(columns=["order_id"]), tx.iloc[0:0]):
        got = tco.own_terms(frame, as_of, min_orders={"Них": 10_000})
        assert got == _plain_own_terms(frame, as_of, {"Них": 10_000})
        assert repr(got) == repr(_plain_own_terms(frame, as_of, {"Них": 10_000}))
