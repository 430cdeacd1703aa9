"""The switch cost line by line, against a case computed by hand."""

from __future__ import annotations

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
